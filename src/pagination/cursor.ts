/**
 * Opaque page cursors for keyset pagination.
 *
 * A cursor names one row's position in one sort order: the row's values for
 * every sort key, plus a fingerprint of the sort declaration so that a cursor
 * made for another order (or an older declaration of the list) is refused as
 * stale instead of silently landing on the wrong page. It is base64url of
 * JSON, e.g. `{"f":"Xq3k9T0b","v":[{"$d":"2024-05-01T09:30:00.000Z"},42]}`.
 *
 * Cursors are not signed: a hand-made cursor can only choose a position in a
 * list its bearer can already read, and every value reaches SQL as a
 * parameter. What decoding guarantees is that anything other than a cursor
 * this module made for the same sort declaration fails with
 * {@link InvalidCursorError}, and with nothing else.
 */
import { createHash } from 'node:crypto';
import type { SortKey } from './keyset';

/**
 * A sort key's value on a row, as the database driver returned it.
 *
 * PostgreSQL and MySQL return timestamps as `Date`, SQLite as strings or
 * numbers; a cursor gives back exactly the type it was made from, so the
 * comparison the database runs is the one it would run on the column itself.
 * `bigint` (int8 with a BigInt parser, better-sqlite3 `safeIntegers`) and
 * `boolean` (PostgreSQL `boolean`) round-trip too.
 */
export type CursorValue = string | number | bigint | boolean | Date | null;

/** Longest cursor accepted; longer input is refused before it is decoded. */
export const MAX_CURSOR_LENGTH = 1024;

/** Why a cursor was refused; the message says the same for an operator. */
export type InvalidCursorReason = 'malformed' | 'too-long' | 'stale' | 'conflict';

/**
 * A page cursor from the URL (`after` / `before`) that cannot be used: damaged,
 * too long, made for another sort order, or given in both directions at once.
 *
 * It carries `status = 400` and a message meant for the operator who followed
 * the link, so the router can render it as a 400 page as it is.
 *
 * @example
 * ```ts
 * try {
 *   page = await paginate(query, { sort, limit, after: req.query.after });
 * } catch (err) {
 *   if (err instanceof InvalidCursorError) return res.status(err.status).render('errors/400', { message: err.message });
 *   throw err;
 * }
 * ```
 */
export class InvalidCursorError extends Error {
  /** HTTP status the router answers with. */
  readonly status = 400;
  /** Express / http-errors convention: the message is safe to show. */
  readonly expose = true;
  readonly reason: InvalidCursorReason;

  constructor(reason: InvalidCursorReason, message: string) {
    super(message);
    this.name = 'InvalidCursorError';
    this.reason = reason;
  }
}

const START_AGAIN = 'Go back to the first page of the list and page from there.';

function invalid(reason: InvalidCursorReason, param: string | undefined, problem: string): InvalidCursorError {
  const where = param ? `The page link's "${param}" cursor` : 'The page cursor';
  return new InvalidCursorError(reason, `${where} ${problem}. ${START_AGAIN}`);
}

/**
 * Throws a plain `Error` naming the mistake when a list's sort declaration is
 * unusable. These are programming errors in the list declaration, never user
 * input, so they are not {@link InvalidCursorError}s.
 */
export function assertSortDeclaration(sort: readonly SortKey[]): void {
  if (!Array.isArray(sort) || sort.length === 0) {
    throw new TypeError('express-backstage: a paginated list needs at least one sort key (ending with the primary key)');
  }
  const seen = new Set<string>();
  for (const [i, k] of sort.entries()) {
    if (!k || typeof k.key !== 'string' || k.key === '' || typeof k.column !== 'string' || k.column === '') {
      throw new TypeError(`express-backstage: sort key #${i + 1} must have a non-empty "key" (row property) and "column" (SQL reference), got ${JSON.stringify(k)}`);
    }
    if (k.direction !== 'asc' && k.direction !== 'desc') {
      throw new TypeError(`express-backstage: sort key "${k.key}" must have direction 'asc' or 'desc', got ${JSON.stringify(k.direction)}`);
    }
    if (seen.has(k.key)) {
      throw new TypeError(`express-backstage: sort key "${k.key}" is declared twice`);
    }
    seen.add(k.key);
  }
  const last = sort[sort.length - 1];
  if (last.nullable) {
    throw new TypeError(`express-backstage: the last sort key ("${last.key}") must be the unique, non-null primary key, but it is declared nullable`);
  }
}

/** 8 base64url characters identifying a sort declaration (keys, columns, directions, NULL handling). */
export function sortFingerprint(sort: readonly SortKey[]): string {
  const canonical = JSON.stringify(sort.map((k) => [k.key, k.column, k.direction, k.nullable ? 1 : 0]));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 8);
}

function encodeValue(key: SortKey, value: unknown): unknown {
  if (value === undefined) {
    throw new Error(`express-backstage: rows have no "${key.key}" property to build a page cursor from; select ${key.column} as "${key.key}"`);
  }
  if (value === null) {
    if (!key.nullable) {
      throw new Error(`express-backstage: sort key "${key.key}" (${key.column}) is NULL on a row but is not declared nullable; add nullable: true to its declaration`);
    }
    return null;
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new Error(`express-backstage: sort key "${key.key}" has the non-finite value ${value}, which cannot be put in a page cursor`);
      }
      return value;
    case 'bigint':
      return { $n: value.toString() };
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new Error(`express-backstage: sort key "${key.key}" holds an invalid Date, which cannot be put in a page cursor`);
    }
    return { $d: value.toISOString() };
  }
  throw new Error(`express-backstage: sort key "${key.key}" has a value of unsupported type (${Object.prototype.toString.call(value)}); sort on a string, number, bigint, boolean or date column`);
}

/**
 * The cursor of `row` in the order `sort`: what `startCursor` / `endCursor`
 * hold. Reads each key's `key` property on the row.
 *
 * Throws a plain `Error` (a declaration mistake, not bad input) when a key is
 * missing from the row, NULL without `nullable: true`, or of a type a cursor
 * cannot carry.
 */
export function encodeCursor(sort: readonly SortKey[], row: object): string {
  assertSortDeclaration(sort);
  const record = row as Record<string, unknown>;
  const values = sort.map((k) => encodeValue(k, record[k.key]));
  return Buffer.from(JSON.stringify({ f: sortFingerprint(sort), v: values }), 'utf8').toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ISO_DATE = /^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const INTEGER = /^(0|-?[1-9]\d*)$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns `undefined` when `raw` is not a value this module could have written. */
function decodeValue(raw: unknown): CursorValue | undefined {
  if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (!isPlainObject(raw)) return undefined;
  const keys = Object.keys(raw);
  if (keys.length !== 1) return undefined;
  if (keys[0] === '$d' && typeof raw.$d === 'string' && ISO_DATE.test(raw.$d)) {
    const date = new Date(raw.$d);
    return !Number.isNaN(date.getTime()) && date.toISOString() === raw.$d ? date : undefined;
  }
  if (keys[0] === '$n' && typeof raw.$n === 'string' && INTEGER.test(raw.$n)) {
    return BigInt(raw.$n);
  }
  return undefined;
}

/**
 * Reads a cursor made by {@link encodeCursor} for the same sort declaration
 * and returns its values, one per sort key (kysely-paginate's `parseCursor`).
 * A router may call it while validating the query string to answer 400
 * before any query runs.
 *
 * @param param - `'after'` or `'before'`, only to name the parameter in the message.
 * @throws {@link InvalidCursorError} for anything else: not a string, longer
 *   than {@link MAX_CURSOR_LENGTH}, not base64url of JSON, tampered or
 *   truncated, made for another sort order, wrong number of values, a value of
 *   the wrong type, or NULL for a key that is not nullable.
 */
export function decodeCursor(sort: readonly SortKey[], cursor: unknown, param?: 'after' | 'before'): CursorValue[] {
  assertSortDeclaration(sort);
  if (typeof cursor !== 'string' || cursor === '') {
    throw invalid('malformed', param, 'is missing or is not text');
  }
  if (cursor.length > MAX_CURSOR_LENGTH) {
    throw invalid('too-long', param, `is ${cursor.length} characters long, more than the ${MAX_CURSOR_LENGTH} a page cursor can be`);
  }
  const damaged = invalid('malformed', param, 'is damaged or incomplete (it may have been cut short when the link was copied)');
  if (!BASE64URL.test(cursor)) throw damaged;
  const bytes = Buffer.from(cursor, 'base64url');
  // base64url decoding is lenient (ignores stray trailing bits); insist on the exact encoding we produce.
  if (bytes.toString('base64url') !== cursor) throw damaged;
  let payload: unknown;
  try {
    payload = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw damaged;
  }
  if (!isPlainObject(payload) || typeof payload.f !== 'string' || !Array.isArray(payload.v) || Object.keys(payload).length !== 2) {
    throw damaged;
  }
  if (payload.f !== sortFingerprint(sort)) {
    throw invalid('stale', param, 'was made for a different sort order of this list (or an older version of it)');
  }
  if (payload.v.length !== sort.length) throw damaged;
  return payload.v.map((raw, i) => {
    const value = decodeValue(raw);
    if (value === undefined || (value === null && !sort[i].nullable)) throw damaged;
    return value;
  });
}
