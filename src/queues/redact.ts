/**
 * Hides secrets in job data before an operator sees it (DESIGN §6 rule 7).
 *
 * Redaction is by key name: a value stored under a key that looks like a
 * secret is replaced, at any depth, inside objects and arrays alike. Key names
 * are compared case-insensitively with `_`, `-`, `.` and spaces ignored, so
 * `apiKey`, `api_key`, `API-KEY` and `X-Api-Key` are one name.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/** Secret words matched anywhere inside a (normalised) key: `userPassword`, `refresh_token`, `stripeSecretKey`. */
const SECRET_FRAGMENTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'signingkey',
  'encryptionkey',
  'authorization',
  'cookie',
  'credential',
  'sessionid',
  'jwt',
  'bearer',
  'creditcard',
  'cardnumber',
  'connectionstring',
  'databaseurl',
  'redisurl',
];

/** Secret words that only count as the whole key (as fragments they would hide `author`, `spin`, `passenger`…). */
const SECRET_KEYS = new Set(['pwd', 'pass', 'auth', 'pin', 'otp', 'cvv', 'cvc', 'ssn', 'sid', 'dsn']);

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[\s_\-.]/g, '');
}

/**
 * Whether a key name looks like it holds a secret.
 *
 * @example
 * isSecretKey('apiKey');        // true
 * isSecretKey('X-Auth-Token');  // true
 * isSecretKey('teamId');        // false
 */
export function isSecretKey(key: string): boolean {
  const k = normaliseKey(key);
  if (k === '') return false;
  if (SECRET_KEYS.has(k)) return true;
  return SECRET_FRAGMENTS.some((fragment) => k.includes(fragment));
}

/**
 * Returns a deep copy of `value` in which every value stored under a
 * secret-looking key (see {@link isSecretKey}) is replaced by `'[redacted]'`.
 * The input is never mutated. `null` and `undefined` under a secret key are
 * kept as they are, since they reveal nothing and tell an operator that the
 * secret was missing. Objects and arrays under a secret key are replaced whole.
 * Circular references become `'[circular]'`.
 *
 * @example
 * redactSecrets({ email: 'a@b.c', auth: { apiKey: 'sk_live_1' }, headers: [{ Cookie: 'sid=1' }] });
 * // → { email: 'a@b.c', auth: '[redacted]', headers: [{ Cookie: '[redacted]' }] }
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
    if (value instanceof Date) return new Date(value.getTime());
    if (value instanceof Map) {
      const copy = new Map<unknown, unknown>();
      for (const [k, v] of value) copy.set(k, typeof k === 'string' ? redactEntry(k, v, seen) : redactValue(v, seen));
      return copy;
    }
    if (value instanceof Set) return new Set([...value].map((item) => redactValue(item, seen)));
    if (ArrayBuffer.isView(value)) return value;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      // defineProperty, not assignment: a JSON `"__proto__"` key must stay data, not become a prototype.
      Object.defineProperty(copy, key, {
        value: redactEntry(key, (value as Record<string, unknown>)[key], seen),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  } finally {
    seen.delete(value);
  }
}

function redactEntry(key: string, value: unknown, seen: WeakSet<object>): unknown {
  if (value !== null && value !== undefined && isSecretKey(key)) return REDACTED;
  return redactValue(value, seen);
}
