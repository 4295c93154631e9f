import type { ConsoleContext } from '../../console-context';
import type { QueueAdapter } from '../../queues/queue-adapter';
import {
  failedLast24h,
  jobCounts,
  signupFigures,
  signupsSource,
  subscriptionFigures,
  teamCount,
  userCount,
  type CountFigure,
  type FailedFigure,
  type QueueFigures,
  type SignupFigures,
  type SubscriptionFigures,
} from './queries';

export type FigureKey = 'signups' | 'users' | 'teams' | 'subscriptions' | 'jobs' | 'failed';

/** The queues as the dashboard sees them: configured (with figures) or none. */
export type Queues<T> = { kind: 'figures'; figures: T } | { kind: 'none' };

interface Entry {
  at: number;
  value: Promise<unknown>;
}

/**
 * How long each figure is kept. Queue counters are O(1) and move fast; signups read an index range;
 * subscriptions are a full grouped scan (about 1 s per million rows on SQLite) that changes rarely and
 * is re-read at once when the host publishes a `subscriptions` event, so it is kept a minute.
 */
const DEFAULT_TTL: Record<FigureKey, number> = { signups: 10_000, users: 10_000, teams: 10_000, subscriptions: 60_000, jobs: 1000, failed: 10_000 };

/**
 * The dashboard's figures, each an SQL aggregate (or O(1) queue counters)
 * kept for a few seconds, so that ten open tabs and the live pollers cost one
 * query per figure per interval. Concurrent readers share the query in flight.
 */
export class DashboardFigures {
  private readonly entries = new Map<FigureKey, Entry>();
  private readonly ttl: Record<FigureKey, number>;

  constructor(
    private readonly context: () => ConsoleContext,
    ttl: Partial<Record<FigureKey, number>> = {},
  ) {
    this.ttl = { ...DEFAULT_TTL, ...ttl };
  }

  signups(): Promise<SignupFigures | null> {
    return this.cached('signups', async (ctx) => {
      const source = signupsSource(ctx);
      return source ? signupFigures(source, ctx.options.now()) : null;
    });
  }

  users(): Promise<CountFigure> {
    return this.cached('users', (ctx) => userCount(ctx));
  }

  teams(): Promise<CountFigure | null> {
    return this.cached('teams', (ctx) => teamCount(ctx));
  }

  subscriptions(): Promise<SubscriptionFigures | null> {
    return this.cached('subscriptions', (ctx) => subscriptionFigures(ctx));
  }

  jobs(): Promise<Queues<QueueFigures[]>> {
    return this.withQueues('jobs', (adapters) => jobCounts(adapters));
  }

  failed(): Promise<Queues<FailedFigure>> {
    return this.withQueues('failed', (adapters, ctx) => failedLast24h(adapters, ctx.options.now()));
  }

  /** Forget figures so the next reader queries them (a host event said they changed). */
  invalidate(...keys: FigureKey[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  private withQueues<T>(key: FigureKey, load: (adapters: QueueAdapter[], ctx: ConsoleContext) => Promise<T>): Promise<Queues<T>> {
    return this.cached(key, async (ctx): Promise<Queues<T>> => {
      // The queue adapters, built (and checked) by createAdmin; the dashboard uses only their interface.
      if (ctx.queues.length === 0) return { kind: 'none' };
      return { kind: 'figures', figures: await load(ctx.queues, ctx) };
    });
  }

  private cached<T>(key: FigureKey, load: (ctx: ConsoleContext) => Promise<T>): Promise<T> {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && now - entry.at < this.ttl[key]) return entry.value as Promise<T>;
    let value: Promise<T>;
    try {
      value = load(this.context());
    } catch (err) {
      value = Promise.reject(err);
    }
    const fresh: Entry = { at: now, value };
    this.entries.set(key, fresh);
    // A failure is not kept: the next reader tries again.
    value.catch(() => {
      if (this.entries.get(key) === fresh) this.entries.delete(key);
    });
    return value;
  }
}
