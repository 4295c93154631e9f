/**
 * Keyset (cursor) pagination: the one module every list in the console pages with.
 *
 * Why our own and not kysely-paginate: its peer range (`kysely ^0.24`) stops
 * `npm install` with Kysely 0.28, its second page throws `cmpr is not a
 * function` on 0.28, and it seeks with `a < x OR (a = x AND id < y)`, which
 * PostgreSQL and SQLite cannot turn into an index range (DESIGN.md §8). We
 * keep its shape: sort fields with a direction, opaque `after` / `before`
 * cursors, `hasNextPage` / `hasPrevPage`, start and end cursors.
 *
 * Everything is built with the expression builder of the query the host
 * passes in, so the SQL comes from the host's own Kysely (0.27 or 0.28) and
 * this module needs Kysely only for its types. Column references come from
 * the list's declaration, never from the request; cursor values are always
 * parameters. No OFFSET, no COUNT, no row-value comparison.
 */
import type { Expression, ExpressionBuilder, SelectQueryBuilder, SqlBool } from 'kysely';
import { InvalidCursorError, assertSortDeclaration, decodeCursor, encodeCursor, type CursorValue } from './cursor';

export {
  InvalidCursorError,
  MAX_CURSOR_LENGTH,
  decodeCursor,
  encodeCursor,
  type CursorValue,
  type InvalidCursorReason,
} from './cursor';

/**
 * One term of a list's order, declared by the list (never taken from the URL).
 *
 * The last key of a sort must be the unique, non-null primary key, so that
 * every row has exactly one position and cursors are stable.
 *
 * @example
 * ```ts
 * const newestFirst: SortKey[] = [
 *   { key: 'createdAt', column: 'users.created_at', direction: 'desc' },
 *   { key: 'id', column: 'users.id', direction: 'desc' },
 * ];
 * ```
 */
export interface SortKey {
  /** Property of the selected row that holds this key's value (cursors are read from it). */
  key: string;
  /**
   * SQL reference to the column, `column` or `table.column`, usable in WHERE
   * (a select alias is not). Quoted as an identifier, never interpolated.
   */
  column: string;
  direction: 'asc' | 'desc';
  /**
   * The column may be NULL. NULLs then sort after every value, in both
   * directions (`(column IS NULL)` is emitted as an extra order term before
   * the column). Leave it off for NOT NULL columns: the extra term stops the
   * database from reading the order straight off an index. A key that is not
   * declared nullable but holds NULL fails when a cursor is made from it.
   */
  nullable?: boolean;
}

/**
 * Which page to read. Give at most one of `after` / `before`; neither means
 * the first page.
 */
export interface PageRequest {
  /** The list's order, ending with the primary key. */
  sort: readonly SortKey[];
  /** Rows per page; a positive integer (the list's own maximum is the caller's to enforce). */
  limit: number;
  /** The rows after this cursor (a page's `endCursor`): the next page. */
  after?: string;
  /** The rows before this cursor (a page's `startCursor`): the previous page. */
  before?: string;
}

/** One page of rows, always in the list's order, with the cursors to move on. */
export interface Page<Row> {
  rows: Row[];
  /**
   * There are rows after this page. Exact when reading forward (one row more
   * than `limit` is fetched); always `true` on a page read with `before`,
   * since the row the cursor names follows it.
   */
  hasNextPage: boolean;
  /**
   * There are rows before this page. Exact on a page read with `before`;
   * `false` on the first page; `true` on a page read with `after`, since the
   * row the cursor names precedes it (no second query is run to check, so if
   * that row and everything before it have been deleted, the previous page
   * comes back empty with `hasPrevPage: false`).
   */
  hasPrevPage: boolean;
  /** Cursor of the first row (pass as `before`), or `null` when the page is empty. */
  startCursor: string | null;
  /** Cursor of the last row (pass as `after`), or `null` when the page is empty. */
  endCursor: string | null;
}

type Travel = 'forward' | 'backward';

interface Seek {
  travel: Travel;
  /** The cursor's values, or `null` for the first page. */
  values: CursorValue[] | null;
}

function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new RangeError(`express-backstage: page limit must be a positive integer, got ${String(limit)}`);
  }
}

/** Validates the request and decodes its cursor; throws InvalidCursorError for the URL's mistakes. */
function readRequest(request: PageRequest): Seek {
  assertSortDeclaration(request.sort);
  assertLimit(request.limit);
  const { after, before } = request;
  if (after != null && before != null) {
    throw new InvalidCursorError(
      'conflict',
      'A page link cannot ask for the rows both "after" and "before" a cursor; keep one of the two. Go back to the first page of the list and page from there.',
    );
  }
  if (before != null) return { travel: 'backward', values: decodeCursor(request.sort, before, 'before') };
  if (after != null) return { travel: 'forward', values: decodeCursor(request.sort, after, 'after') };
  return { travel: 'forward', values: null };
}

/**
 * The rows strictly past the cursor in the direction of travel, nested so
 * that every level opens with a range on its own column:
 *
 *   k1 <= x1 AND (k1 < x1 OR (k2 <= x2 AND (k2 < x2 OR … kn < xn)))
 *
 * (`<` for a desc key read forward; `>` for asc; flipped when reading
 * backward). That leading `k1 <= x1` is what SQLite, PostgreSQL and MariaDB
 * all turn into an index range; `a < x OR (a = x AND …)` and row values are
 * not (DESIGN.md §8).
 */
function pastCursor(
  eb: ExpressionBuilder<any, any>,
  sort: readonly SortKey[],
  values: readonly CursorValue[],
  travel: Travel,
  i = 0,
): Expression<SqlBool> {
  const key = sort[i];
  const value = values[i];
  const col = eb.ref(key.column);
  const ascending = (key.direction === 'asc') === (travel === 'forward');
  const beyond = ascending ? '>' : '<';
  const beyondOrAt = ascending ? '>=' : '<=';

  if (i === sort.length - 1) return eb(col, beyond, value);
  const rest = pastCursor(eb, sort, values, travel, i + 1);

  if (value === null) {
    // Only nullable keys carry NULL (decodeCursor checks). NULLs come last:
    // forward, only other NULLs can follow; backward, every value precedes.
    return travel === 'forward'
      ? eb.and([eb(col, 'is', null), rest])
      : eb.or([eb(col, 'is not', null), rest]);
  }
  const seek = eb.and([eb(col, beyondOrAt, value), eb.or([eb(col, beyond, value), rest])]);
  // Forward from a value, the NULLs that sort after every value are all still ahead.
  return key.nullable && travel === 'forward' ? eb.or([eb(col, 'is', null), seek]) : seek;
}

/**
 * The query {@link paginate} runs for `request`: `query` filtered past the
 * cursor, ordered by the sort (reversed for a `before` page), limited to
 * `limit + 1` rows. Any order, limit or offset already on `query` is replaced.
 * Useful to `explain()` a list's page query; to read a page, use
 * {@link paginate}.
 *
 * @throws {@link InvalidCursorError} for a bad cursor or both `after` and `before`.
 */
export function pageQuery<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  request: PageRequest,
): SelectQueryBuilder<DB, TB, O> {
  return buildPageQuery(query, request, readRequest(request));
}

function buildPageQuery<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  request: PageRequest,
  seek: Seek,
): SelectQueryBuilder<DB, TB, O> {
  const { sort, limit } = request;
  const { travel, values } = seek;
  let q = (query as unknown as SelectQueryBuilder<any, any, O>).clearOrderBy().clearOffset();
  if (values) {
    q = q.where((eb: ExpressionBuilder<any, any>) => pastCursor(eb, sort, values, travel));
  }
  for (const key of sort) {
    const ascending = (key.direction === 'asc') === (travel === 'forward');
    if (key.nullable) {
      // Portable NULLS LAST (MySQL has no NULLS LAST): false (0) before true (1), reversed backward.
      q = q.orderBy((eb: ExpressionBuilder<any, any>) => eb(eb.ref(key.column), 'is', null), travel === 'forward' ? 'asc' : 'desc');
    }
    q = q.orderBy((eb: ExpressionBuilder<any, any>) => eb.ref(key.column), ascending ? 'asc' : 'desc');
  }
  return q.limit(limit + 1) as unknown as SelectQueryBuilder<DB, TB, O>;
}

/**
 * Reads one page of `query` in the order `request.sort`, after or before a
 * cursor, by keyset: one query of `limit + 1` rows, no OFFSET, no COUNT.
 *
 * `query` is the list's own select (filters, joins, selections); it must
 * select every sort key's `key` property. Works with the host's Kysely 0.27
 * and 0.28, on SQLite, PostgreSQL and MySQL/MariaDB.
 *
 * Timestamps: the drivers hand back a `Date`, which holds milliseconds, so
 * on a column holding microseconds (PostgreSQL `timestamp` / `timestamptz`
 * by default, MySQL `datetime(6)`) a cursor cannot place itself among rows of
 * the same millisecond and the pages after it skip them. For such a column,
 * point the key at its exact text rendering, which the database compares
 * back to the column exactly: select
 * `eb.cast(eb.ref('users.created_at'), 'text')` (MySQL: `'char'`) as, say,
 * `createdAtKey`, and declare `{ key: 'createdAtKey', column:
 * 'users.created_at', ... }`. Columns of precision 3 or less need nothing.
 *
 * @example
 * ```ts
 * const page = await paginate(
 *   db.selectFrom('users').select(['id', 'email', 'created_at as createdAt']).where('role', '=', role),
 *   {
 *     sort: [
 *       { key: 'createdAt', column: 'users.created_at', direction: 'desc' },
 *       { key: 'id', column: 'users.id', direction: 'desc' },
 *     ],
 *     limit: 50,
 *     after: req.query.after,
 *   },
 * );
 * // page.rows, and ?after=${page.endCursor} when page.hasNextPage,
 * // ?before=${page.startCursor} when page.hasPrevPage
 * ```
 *
 * @throws {@link InvalidCursorError} (status 400) when `after` / `before` is
 *   damaged, too long, made for another sort order, or both are given.
 * @throws `TypeError` / `RangeError` for a bad sort declaration or a limit
 *   that is not a positive integer (programming errors).
 */
export async function paginate<Row>(query: SelectQueryBuilder<any, any, Row>, request: PageRequest): Promise<Page<Row>> {
  const seek = readRequest(request);
  let fetched: Row[];
  try {
    fetched = (await buildPageQuery(query, request, seek).execute()) as Row[];
  } catch (err) {
    // A cursor is unsigned, so a hand-made one can carry a well-formed value of the wrong type for its
    // column (a date where SQLite stores text, text where PostgreSQL has an integer, a year MySQL cannot
    // hold). The cursor's values are the only input this query adds, so the database refusing a value is
    // a bad link (400), not a console failure.
    if (seek.values !== null && isRefusedValue(err)) {
      throw new InvalidCursorError('malformed', `The page link's "${seek.travel === 'forward' ? 'after' : 'before'}" cursor holds a value this list cannot be sorted by. Go back to the first page of the list and page from there.`);
    }
    throw err;
  }
  const more = fetched.length > request.limit;
  const rows = more ? fetched.slice(0, request.limit) : fetched;
  if (seek.travel === 'backward') rows.reverse();
  const cursorOf = (row: Row) => encodeCursor(request.sort, row as object);
  return {
    rows,
    hasNextPage: seek.travel === 'forward' ? more : true,
    hasPrevPage: seek.travel === 'backward' ? more : seek.values !== null,
    startCursor: rows.length > 0 ? cursorOf(rows[0]) : null,
    endCursor: rows.length > 0 ? cursorOf(rows[rows.length - 1]) : null,
  };
}

/** PostgreSQL data exceptions and type mismatches; MySQL/MariaDB incorrect or out-of-range values. */
const REFUSED_VALUE_CODES = new Set(['42883', '42804', 'ER_TRUNCATED_WRONG_VALUE', 'ER_WRONG_VALUE', 'ER_DATA_OUT_OF_RANGE', 'ER_WRONG_VALUE_FOR_TYPE', 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD']);

/** The database (or its driver, before sending) refused a parameter's value or type. */
function isRefusedValue(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^22[0-9A-Z]{3}$/.test(code) || REFUSED_VALUE_CODES.has(code)) return true;
  // better-sqlite3 refuses Dates and booleans, and BigInts beyond 64 bits, at bind time.
  // By name, not instanceof: native addons throw their realm's TypeError (jest's sandbox, vm contexts).
  const name = (err as { name?: unknown } | null)?.name;
  return (name === 'TypeError' || name === 'RangeError') && /\bbind|BigInt/i.test(String(e?.message ?? ''));
}
