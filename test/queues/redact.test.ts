import { REDACTED, isSecretKey, redactSecrets } from '../../src/queues/redact';

describe('redactSecrets: job data never shows a secret to an operator', () => {
  it('hides values under secret-looking keys at any depth, in objects and arrays', () => {
    const data = {
      email: 'ada@example.com',
      password: 'hunter2',
      profile: { name: 'Ada', passwordHash: '$2b$10$abc', settings: { theme: 'dark', api_key: 'sk_live_1' } },
      headers: [{ Authorization: 'Bearer abc' }, { Cookie: 'sid=1' }, { 'X-Request-Id': 'r1' }],
      webhooks: [{ url: 'https://example.com/hook', signingSecret: 'whsec_1' }],
      tokens: ['a', 'b'],
    };
    expect(redactSecrets(data)).toEqual({
      email: 'ada@example.com',
      password: REDACTED,
      profile: { name: 'Ada', passwordHash: REDACTED, settings: { theme: 'dark', api_key: REDACTED } },
      headers: [{ Authorization: REDACTED }, { Cookie: REDACTED }, { 'X-Request-Id': 'r1' }],
      webhooks: [{ url: 'https://example.com/hook', signingSecret: REDACTED }],
      tokens: REDACTED,
    });
  });

  it('matches key names case-insensitively, whatever the separators', () => {
    for (const key of [
      'password',
      'PASSWORD',
      'passwd',
      'pwd',
      'token',
      'accessToken',
      'refresh_token',
      'X-Auth-Token',
      'secret',
      'clientSecret',
      'authorization',
      'auth',
      'apiKey',
      'api_key',
      'API-KEY',
      'x-api-key',
      'cookie',
      'Set-Cookie',
      'sessionId',
      'private_key',
      'credentials',
      'databaseUrl',
      'cvv',
    ]) {
      expect([key, isSecretKey(key)]).toEqual([key, true]);
    }
  });

  it('leaves ordinary keys alone', () => {
    for (const key of ['teamId', 'userId', 'email', 'author', 'authorName', 'passenger', 'spinner', 'keyboard', 'monkey', 'status', 'id', '']) {
      expect([key, isSecretKey(key)]).toEqual([key, false]);
    }
  });

  it('never mutates the input', () => {
    const input = { user: { id: 1, token: 't' }, list: [{ secret: 's' }] };
    const snapshot = JSON.parse(JSON.stringify(input));
    const output = redactSecrets(input);
    expect(input).toEqual(snapshot);
    expect(output).not.toBe(input);
    expect(output.user).not.toBe(input.user);
    expect(output.list[0]).not.toBe(input.list[0]);
  });

  it('replaces whole objects under a secret key, and keeps null and undefined (they reveal nothing)', () => {
    expect(redactSecrets({ credentials: { user: 'u', pass: 'p' }, token: null, apiKey: undefined, secret: 0 })).toEqual({
      credentials: REDACTED,
      token: null,
      apiKey: undefined,
      secret: REDACTED,
    });
  });

  it('passes primitives and top-level arrays through', () => {
    expect(redactSecrets('password')).toBe('password');
    expect(redactSecrets(42)).toBe(42);
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets([{ token: 'x' }, 'y'])).toEqual([{ token: REDACTED }, 'y']);
  });

  it('survives circular references and keeps shared (non-circular) objects', () => {
    const shared = { id: 7 };
    const input: Record<string, unknown> = { a: shared, b: shared, token: 'x' };
    input.self = input;
    expect(redactSecrets(input)).toEqual({ a: { id: 7 }, b: { id: 7 }, token: REDACTED, self: '[circular]' });
  });

  it('keeps a JSON "__proto__" key as data instead of turning it into a prototype', () => {
    const input = JSON.parse('{"__proto__": {"password": "p", "isAdmin": true}}') as Record<string, unknown>;
    const output = redactSecrets(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(output, '__proto__')?.value).toEqual({ password: REDACTED, isAdmin: true });
    expect((output as { isAdmin?: unknown }).isAdmin).toBeUndefined();
  });

  it('copies Maps, Sets and Dates rather than sharing them', () => {
    const when = new Date('2026-01-01T00:00:00Z');
    const output = redactSecrets({ when, m: new Map([['token', 'x'], ['id', 'y']]), s: new Set([{ secret: 1 }]) });
    expect(output.when).toEqual(when);
    expect(output.when).not.toBe(when);
    expect([...output.m]).toEqual([
      ['token', REDACTED],
      ['id', 'y'],
    ]);
    expect([...output.s]).toEqual([{ secret: REDACTED }]);
  });
});
