/**
 * Matching job data against a data path (`'teamId'`, `'meta.team.id'`), shared
 * by every adapter's `findJobs` and `findJobsByLinks`.
 */
import { isSecretKey } from './redact';
import { QueueAdapterError } from './queue-error';

export type JobDataMatcher = (data: unknown) => boolean;

const MAX_PATH_LENGTH = 200;

/** Splits and checks a data path; rejects paths that are empty, malformed or that reach into a secret. */
export function parseDataPath(path: unknown, queue: string, option = 'field'): string[] {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_LENGTH) {
    throw new QueueAdapterError(
      'INVALID_ARGUMENT',
      `${option} must be a data path such as "teamId" or "meta.team.id" (at most ${MAX_PATH_LENGTH} characters), got ${JSON.stringify(path)}`,
      { queue },
    );
  }
  const segments = path.split('.');
  if (segments.some((s) => s === '' || s === '__proto__' || s === 'constructor' || s === 'prototype')) {
    throw new QueueAdapterError('INVALID_ARGUMENT', `${option} "${path}" is not a valid data path (empty or reserved segment)`, {
      queue,
    });
  }
  const secret = segments.find((s) => isSecretKey(s));
  if (secret !== undefined) {
    throw new QueueAdapterError(
      'INVALID_ARGUMENT',
      `${option} "${path}" reaches into "${secret}", which looks like a secret; job data cannot be searched by secrets`,
      { queue },
    );
  }
  return segments;
}

/** Reads `meta.team.id` out of job data; `undefined` when any step is missing. Array indexes are allowed (`items.0.sku`). */
export function readDataPath(data: unknown, segments: readonly string[]): unknown {
  let current: unknown = data;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function isScalar(v: unknown): v is string | number | boolean | bigint {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint';
}

/**
 * `eq` compares as strings, so the `'42'` an operator types in a URL finds a
 * job whose data holds the number `42`. `contains` is a case-insensitive
 * substring test. Either way, an array matches when one of its items does.
 */
export function valueMatches(actual: unknown, op: 'eq' | 'contains', expected: string): boolean {
  if (Array.isArray(actual)) return actual.some((item) => valueMatches(item, op, expected));
  if (!isScalar(actual)) return false;
  const text = String(actual);
  return op === 'eq' ? text === expected : text.toLowerCase().includes(expected.toLowerCase());
}

export function checkSearchValue(value: unknown, queue: string, option = 'value'): string {
  if (!isScalar(value) || String(value).length === 0) {
    throw new QueueAdapterError('INVALID_ARGUMENT', `${option} must be a non-empty string, number or boolean, got ${JSON.stringify(value)}`, {
      queue,
    });
  }
  return String(value);
}

export function fieldMatcher(segments: readonly string[], op: 'eq' | 'contains', expected: string): JobDataMatcher {
  return (data) => valueMatches(readDataPath(data, segments), op, expected);
}

/** A job matches the links when ANY of the given paths holds its value. */
export function linksMatcher(links: ReadonlyArray<{ segments: readonly string[]; value: string }>): JobDataMatcher {
  return (data) => links.some((link) => valueMatches(readDataPath(data, link.segments), 'eq', link.value));
}

/** Job data as stored in Redis is JSON text; unreadable data matches nothing. */
export function parseJobData(raw: string | null | undefined): unknown {
  if (raw === null || raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
