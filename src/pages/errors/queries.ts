import { sql, type Kysely } from 'kysely';
import type { ConsoleContext } from '../../console-context';
import { fromDbDate, toDbDate, type DateStorage } from '../../db/dates';
import { containsInsensitive } from '../../db/sql-helpers';
import { ERRORS_TABLE, OCCURRENCES_TABLE, type ErrorStatus } from '../../errors/error-store';
import type { OccurrenceContext } from '../../errors/request-context';
import { paginate, type Page, type SortKey } from '../../pagination/keyset';

/** An error group as the pages show it. */
export interface ErrorGroup {
  id: string;
  errorClass: string;
  message: string;
  /** First frame in the host's own code, `file:line:column`. */
  frame: string;
  status: ErrorStatus;
  count: number;
  firstSeen: Date | null;
  lastSeen: Date | null;
  resolvedAt: Date | null;
  /** Set when a resolved error happened again; cleared by the next status change. */
  reopenedAt: Date | null;
}

export interface Occurrence {
  id: string;
  occurredAt: Date | null;
  message: string;
  stack: string;
  userId: string | null;
  context: OccurrenceContext;
}

export type ErrorSort = 'last_seen' | 'count';

export interface ErrorListQuery {
  words: string[];
  /** Undefined: every status. */
  status?: ErrorStatus;
  sort: ErrorSort;
  direction: 'asc' | 'desc';
  limit: number;
  after?: string;
  before?: string;
}

function storageOf(ctx: ConsoleContext): DateStorage {
  return ctx.dialect === 'sqlite' ? 'iso-text' : 'native';
}

function toGroup(row: Record<string, unknown>, storage: DateStorage): ErrorGroup {
  return {
    id: String(row.id),
    errorClass: String(row.error_class ?? ''),
    message: String(row.message ?? ''),
    frame: String(row.frame ?? ''),
    status: String(row.status) as ErrorStatus,
    count: Number(row.occurrence_count ?? 0),
    firstSeen: fromDbDate(row.first_seen, storage),
    lastSeen: fromDbDate(row.last_seen, storage),
    resolvedAt: fromDbDate(row.resolved_at, storage),
    reopenedAt: fromDbDate(row.reopened_at, storage),
  };
}

const GROUP_COLUMNS = ['id', 'error_class', 'message', 'frame', 'status', 'occurrence_count', 'first_seen', 'last_seen', 'resolved_at', 'reopened_at'] as const;

function sortKeys(sort: ErrorSort, direction: 'asc' | 'desc'): SortKey[] {
  const first: SortKey =
    sort === 'count'
      ? { key: 'occurrence_count', column: `${ERRORS_TABLE}.occurrence_count`, direction }
      : { key: 'last_seen', column: `${ERRORS_TABLE}.last_seen`, direction };
  return [first, { key: 'id', column: `${ERRORS_TABLE}.id`, direction }];
}

/** One page of error groups. Groups are few compared with occurrences, so the contains-search scans them. */
export async function listErrorGroups(ctx: ConsoleContext, query: ErrorListQuery): Promise<Page<ErrorGroup>> {
  let q = ctx.db.selectFrom(ERRORS_TABLE).select([...GROUP_COLUMNS]);
  if (query.status) q = q.where('status', '=', query.status);
  for (const word of query.words) {
    q = q.where((eb) => eb.or([containsInsensitive(`${ERRORS_TABLE}.error_class`, word), containsInsensitive(`${ERRORS_TABLE}.message`, word)]));
  }
  const page = await paginate(q as any, { sort: sortKeys(query.sort, query.direction), limit: query.limit, after: query.after, before: query.before });
  const storage = storageOf(ctx);
  return { ...page, rows: (page.rows as Record<string, unknown>[]).map((row) => toGroup(row, storage)) };
}

export async function getErrorGroup(ctx: ConsoleContext, id: string, db: Kysely<any> = ctx.db): Promise<ErrorGroup | null> {
  const row = await db.selectFrom(ERRORS_TABLE).select([...GROUP_COLUMNS]).where('id', '=', id).executeTakeFirst();
  return row ? toGroup(row as Record<string, unknown>, storageOf(ctx)) : null;
}

function parseContext(value: unknown): OccurrenceContext {
  if (typeof value !== 'string') return {};
  try {
    const parsed = JSON.parse(value);
    return parsed && typeof parsed === 'object' ? (parsed as OccurrenceContext) : {};
  } catch {
    return {};
  }
}

/** The newest occurrences of a group (the index on error_id, occurred_at, id reads them in order). */
export async function recentOccurrences(ctx: ConsoleContext, errorId: string, limit = 20): Promise<Occurrence[]> {
  const rows = await ctx.db
    .selectFrom(OCCURRENCES_TABLE)
    .select(['id', 'occurred_at', 'message', 'stack', 'user_id', 'context'])
    .where('error_id', '=', errorId)
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const storage = storageOf(ctx);
  return rows.map((row) => ({
    id: String(row.id),
    occurredAt: fromDbDate(row.occurred_at, storage),
    message: String(row.message ?? ''),
    stack: String(row.stack ?? ''),
    userId: row.user_id === null || row.user_id === undefined ? null : String(row.user_id),
    context: parseContext(row.context),
  }));
}

const DAY_MS = 86_400_000;

/** Midnight UTC of the first of `days` daily buckets ending today. */
export function bucketStarts(now: Date, days: number): Date[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days + 1 }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS));
}

/**
 * Occurrences per UTC day over the last `days` days for each group, counted
 * in one query with one conditional sum per day (portable SQL, parameters
 * only), read through the (error_id, occurred_at) index.
 */
export async function dailyCounts(ctx: ConsoleContext, errorIds: readonly string[], now: Date, days = 14): Promise<Map<string, number[]>> {
  const result = new Map<string, number[]>();
  if (errorIds.length === 0) return result;
  const storage = storageOf(ctx);
  const edges = bucketStarts(now, days).map((d) => toDbDate(d, storage, ctx.dialect));
  const occurred = sql.ref(`${OCCURRENCES_TABLE}.occurred_at`);
  let q = ctx.db
    .selectFrom(OCCURRENCES_TABLE)
    .select('error_id')
    .where('error_id', 'in', [...errorIds])
    .where('occurred_at', '>=', edges[0])
    .where('occurred_at', '<', edges[days])
    .groupBy('error_id');
  for (let i = 0; i < days; i++) {
    q = q.select(sql<unknown>`sum(case when ${occurred} >= ${edges[i]} and ${occurred} < ${edges[i + 1]} then 1 else 0 end)`.as(`d${i}`));
  }
  for (const row of (await q.execute()) as Array<Record<string, unknown>>) {
    result.set(
      String(row.error_id),
      Array.from({ length: days }, (_, i) => Number(row[`d${i}`] ?? 0)),
    );
  }
  return result;
}

/** Bar heights 0–10 for CSS classes `.bar-h-0` … `.bar-h-10`, relative to the row's busiest day; any occurrence shows at least 1. */
export function barHeights(counts: readonly number[]): number[] {
  const max = Math.max(0, ...counts);
  return counts.map((n) => (n <= 0 || max === 0 ? 0 : Math.max(1, Math.round((n / max) * 10))));
}

/**
 * Sets a group's status. Resolving stamps `resolved_at` (a later occurrence
 * reopens it); every change clears the "reopened" flag.
 */
export async function setErrorStatus(trx: Kysely<any>, ctx: ConsoleContext, id: string, status: ErrorStatus): Promise<void> {
  const now = toDbDate(ctx.options.now(), storageOf(ctx), ctx.dialect);
  await trx
    .updateTable(ERRORS_TABLE)
    .set({ status, resolved_at: status === 'resolved' ? now : null, reopened_at: null })
    .where('id', '=', id)
    .execute();
}
