import { sql, type Kysely } from 'kysely';
import type { DialectName } from './dialect';
import { boundedCount, type BoundedCount } from './sql-helpers';

/** Below this many rows a list header shows the exact count; above it, an estimate or "10,000+" (DESIGN §8). */
export const EXACT_COUNT_THRESHOLD = 10_000;

/**
 * A row count as a list header shows it: `exact` (counted, below the
 * threshold), `estimate` (the database's statistics: PostgreSQL `reltuples`),
 * or `at-least` (more than `value`, where there are no statistics worth
 * showing: SQLite, MySQL/MariaDB, a host's own adapter).
 */
export interface RowCount {
  value: number;
  kind: 'exact' | 'estimate' | 'at-least';
}

export interface CountOptions {
  /** Count exactly up to this many rows (default 10,000). */
  threshold?: number;
  /**
   * The bounded count to start from, when it is not a plain table count (an
   * adapter's `count(limit)`). Default: counts `table` up to the threshold
   * through a LIMIT subquery.
   */
  bounded?: (limit: number) => Promise<BoundedCount>;
}

/**
 * PostgreSQL's row estimate for a table (planner statistics, kept by ANALYZE
 * and autovacuum), or null: never analysed, or not PostgreSQL. MySQL's
 * `table_rows` is not used: InnoDB's figure can be off by half.
 */
export async function estimatedRowCount(db: Kysely<any>, dialect: DialectName, table: string): Promise<number | null> {
  if (dialect !== 'postgres') return null;
  try {
    const { rows } = await sql<{ n: unknown }>`select reltuples as n from pg_class where oid = to_regclass(${table})`.execute(db);
    const n = Number(rows[0]?.n);
    return Number.isFinite(n) && n >= 0 ? Math.round(n) : null;
  } catch {
    return null;
  }
}

/**
 * Counts above the threshold are kept for 30 s: "10,000+" or "≈ 1.0M" barely
 * moves, and reading 10,001 index entries on every page load is most of a
 * first page's cost at a million rows. Exact counts are never kept.
 */
const LARGE_COUNT_TTL_MS = 30_000;
const largeCounts = new WeakMap<object, Map<string, { at: number; count: RowCount }>>();

/**
 * How many rows a list has, never at the price of a full COUNT(*): an exact
 * count through a LIMIT subquery (at most `threshold + 1` index entries), and
 * above the threshold PostgreSQL's estimate or "at least the threshold".
 * `table` is null for a host's own adapter (no estimate then).
 *
 * @example
 * const total = await countRows(db, 'postgres', 'users');   // { value: 1_000_412, kind: 'estimate' }
 * rowCountText(total);                                        // "≈ 1.0M"
 */
export async function countRows(db: Kysely<any>, dialect: DialectName, table: string | null, options: CountOptions = {}): Promise<RowCount> {
  const threshold = options.threshold ?? EXACT_COUNT_THRESHOLD;
  const key = table === null ? null : `${table}:${threshold}`;
  const cached = key === null ? undefined : largeCounts.get(db)?.get(key);
  if (cached && Date.now() - cached.at < LARGE_COUNT_TTL_MS) return cached.count;
  const bounded = options.bounded ? await options.bounded(threshold) : table ? await boundedCount(db, table, threshold) : { value: 0, exact: true };
  if (bounded.exact) return { value: bounded.value, kind: 'exact' };
  const estimate = table ? await estimatedRowCount(db, dialect, table) : null;
  const count: RowCount = estimate !== null && estimate > bounded.value ? { value: estimate, kind: 'estimate' } : { value: bounded.value, kind: 'at-least' };
  if (key !== null) {
    let perDb = largeCounts.get(db);
    if (!perDb) largeCounts.set(db, (perDb = new Map()));
    perDb.set(key, { at: Date.now(), count });
  }
  return count;
}

const NUMBER = new Intl.NumberFormat('en-US');
const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1, minimumFractionDigits: 1 });

/** `1,234`, `≈ 1.0M` or `10,000+`. */
export function rowCountText(count: RowCount): string {
  if (count.kind === 'exact') return NUMBER.format(count.value);
  if (count.kind === 'at-least') return `${NUMBER.format(count.value)}+`;
  return `≈ ${count.value >= 1000 ? COMPACT.format(count.value) : NUMBER.format(count.value)}`;
}

/** What the label means, for a `title` attribute. */
export function rowCountHint(count: RowCount): string {
  if (count.kind === 'exact') return 'Counted';
  if (count.kind === 'at-least') return `More than ${NUMBER.format(count.value)}: not counted further, so the page stays fast`;
  return 'Estimated from the database statistics: not counted, so the page stays fast';
}

/** Forgets the large counts kept for this database (after a bulk import or delete). */
export function forgetRowCounts(db: Kysely<any>): void {
  largeCounts.delete(db);
}
