import { sql, type Kysely } from 'kysely';
import type { ConsoleContext } from '../../console-context';
import type { DialectName } from '../../db/dialect';
import type { BoundedCount } from '../../db/sql-helpers';
import { revenueByCurrency, type CurrencyRevenue } from '../../models/subscriptions-adapter';
import type { JobCounts, QueueAdapter } from '../../queues/queue-adapter';
import { signupSeries, type SignupSeries, type SignupsSource } from './signups-query';

/** Above this many rows a count is an estimate (DESIGN §8: an exact COUNT(*) on a big table on every load is not free). */
export const EXACT_COUNT_LIMIT = 10_000;

/** How many failed jobs per queue the "failed in the last 24 h" tile reads at most. */
export const FAILED_SCAN_LIMIT = 1000;

export interface CountFigure {
  value: number;
  /** `exact`: counted; `at-least`: more than value (no estimate available); `estimate`: from the database's statistics. */
  kind: 'exact' | 'at-least' | 'estimate';
}

export interface SignupFigures {
  day: SignupSeries;
  hour: SignupSeries;
  /** Today and the 6 days before (UTC days, as the chart shows them). */
  last7: number;
  /** The 7 days before those. */
  previous7: number;
}

export interface SubscriptionFigures {
  /** Subscriptions that pay (active, past due), per plan. */
  byPlan: Array<{ plan: string; subscriptions: number }>;
  byStatus: Array<{ status: string; subscriptions: number }>;
  mrr: CurrencyRevenue[];
  /** Subscriptions active or trialing: the teams using the product today. */
  activeOrTrialing: number;
}

export interface QueueFigures {
  name: string;
  counts: JobCounts | null;
  error: string | null;
}

export interface FailedFigure {
  /** Failed jobs that finished in the last 24 h, across queues. */
  value: number;
  /** False when a queue had more failures than {@link FAILED_SCAN_LIMIT} were read. */
  complete: boolean;
  /** Queues that did not answer. */
  unreachable: string[];
}

/** Where signups are read from, or null when the host's users are not a table the console can aggregate. */
export function signupsSource(ctx: ConsoleContext): SignupsSource | null {
  const model = ctx.usersModel;
  if (!model || !model.columns.createdAt) return null;
  return { db: ctx.db, dialect: ctx.dialect, table: model.table, createdAt: model.columns.createdAt, dates: model.dates };
}

export async function signupFigures(source: SignupsSource, now: Date): Promise<SignupFigures> {
  const [day, hour] = await Promise.all([signupSeries(source, now, 'day', 30), signupSeries(source, now, 'hour', 24)]);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return { day, hour, last7: sum(day.counts.slice(-7)), previous7: sum(day.counts.slice(-14, -7)) };
}

/** The database's own row estimate for a table (planner statistics), or null. */
export async function estimatedRows(db: Kysely<any>, dialect: DialectName, table: string): Promise<number | null> {
  try {
    if (dialect === 'postgres') {
      const { rows } = await sql<{ n: unknown }>`select reltuples as n from pg_class where oid = to_regclass(${table})`.execute(db);
      const n = Number(rows[0]?.n);
      return Number.isFinite(n) && n >= 0 ? Math.round(n) : null;
    }
    if (dialect === 'mysql') {
      const { rows } = await sql<{ n: unknown }>`select table_rows as n from information_schema.tables where table_schema = database() and table_name = ${table}`.execute(db);
      const n = Number(rows[0]?.n);
      return Number.isFinite(n) && n > 0 ? n : null;
    }
    // SQLite keeps no statistics; the largest rowid is an upper bound read from the end of the b-tree.
    const { rows } = await sql<{ n: unknown }>`select max(rowid) as n from ${sql.table(table)}`.execute(db);
    const n = Number(rows[0]?.n);
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** Exact below {@link EXACT_COUNT_LIMIT}; above it the planner's estimate where there is one. */
export async function userCount(ctx: ConsoleContext): Promise<CountFigure> {
  const bounded = await ctx.users.count(EXACT_COUNT_LIMIT);
  return countFigure(bounded, ctx.usersModel ? () => estimatedRows(ctx.db, ctx.dialect, ctx.usersModel!.table) : null);
}

export async function teamCount(ctx: ConsoleContext): Promise<CountFigure | null> {
  if (!ctx.teamsAdapter) return null;
  const bounded = await ctx.teamsAdapter.count(EXACT_COUNT_LIMIT);
  return countFigure(bounded, ctx.teams ? () => estimatedRows(ctx.db, ctx.dialect, ctx.teams!.table) : null);
}

async function countFigure(bounded: BoundedCount, estimate: (() => Promise<number | null>) | null): Promise<CountFigure> {
  if (bounded.exact) return { value: bounded.value, kind: 'exact' };
  const estimated = estimate ? await estimate() : null;
  return estimated !== null && estimated > bounded.value ? { value: estimated, kind: 'estimate' } : { value: bounded.value, kind: 'at-least' };
}

export async function subscriptionFigures(ctx: ConsoleContext): Promise<SubscriptionFigures | null> {
  if (!ctx.subscriptions) return null;
  const summary = await ctx.subscriptions.summary();
  const byPlan = new Map<string, number>();
  for (const group of summary.revenue) byPlan.set(group.plan, (byPlan.get(group.plan) ?? 0) + group.subscriptions);
  const byStatus = new Map<string, number>();
  for (const row of summary.byStatus) {
    const status = row.status.toLowerCase();
    byStatus.set(status, (byStatus.get(status) ?? 0) + row.subscriptions);
  }
  return {
    byPlan: [...byPlan].map(([plan, subscriptions]) => ({ plan, subscriptions })).sort((a, b) => b.subscriptions - a.subscriptions || a.plan.localeCompare(b.plan)),
    byStatus: [...byStatus].map(([status, subscriptions]) => ({ status, subscriptions })).sort((a, b) => b.subscriptions - a.subscriptions || a.status.localeCompare(b.status)),
    mrr: revenueByCurrency(summary.revenue),
    activeOrTrialing: (byStatus.get('active') ?? 0) + (byStatus.get('trialing') ?? 0),
  };
}

/** Failed jobs that finished within the window, reading newest first and stopping at the window's edge or the scan limit. */
async function failedSince(queue: QueueAdapter, since: number): Promise<{ value: number; complete: boolean }> {
  let value = 0;
  for (let start = 0; start < FAILED_SCAN_LIMIT; ) {
    const size = Math.min(100, FAILED_SCAN_LIMIT - start);
    const page = await queue.listJobs('failed', { start, size });
    for (const job of page.jobs) {
      const finished = job.timestamps.finished ?? job.timestamps.created ?? 0;
      if (finished < since) return { value, complete: true };
      value++;
    }
    start += page.jobs.length;
    if (page.jobs.length < size || start >= page.total) return { value, complete: true };
  }
  return { value, complete: false };
}

function describeQueueError(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  if (code === 'REDIS_UNAVAILABLE') return 'Redis is not reachable';
  return err instanceof Error ? err.message.slice(0, 200) : 'the queue did not answer';
}

/** Jobs per state for every queue: O(1) counters per state (LLEN/ZCARD), one round of calls. */
export async function jobCounts(adapters: QueueAdapter[]): Promise<QueueFigures[]> {
  return Promise.all(
    adapters.map(async (queue): Promise<QueueFigures> => {
      try {
        return { name: queue.name, counts: await queue.counts(), error: null };
      } catch (err) {
        return { name: queue.name, counts: null, error: describeQueueError(err) };
      }
    }),
  );
}

/** Failed jobs in the last 24 h: newest failures first, each queue read up to the window's edge or the scan limit. */
export async function failedLast24h(adapters: QueueAdapter[], now: Date): Promise<FailedFigure> {
  const since = now.getTime() - 86_400_000;
  const figure: FailedFigure = { value: 0, complete: true, unreachable: [] };
  await Promise.all(
    adapters.map(async (queue) => {
      try {
        const result = await failedSince(queue, since);
        figure.value += result.value;
        figure.complete &&= result.complete;
      } catch {
        figure.unreachable.push(queue.name);
      }
    }),
  );
  return figure;
}
