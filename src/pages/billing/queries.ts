import type { ConsoleContext } from '../../console-context';
import {
  revenueByCurrency,
  revenueByPlan,
  type BackstageSubscription,
  type CurrencyRevenue,
  type PlanRevenue,
  type SubscriptionsAdapter,
  type SubscriptionWatchList,
} from '../../models/subscriptions-adapter';
import type { BackstageTeam, TeamsAdapter } from '../../models/teams-adapter';
import { externalBillingUrl } from './external-url';

const DAY_MS = 86_400_000;
export const WATCH_LIST_LIMIT = 25;
export const TRIAL_WINDOW_DAYS = 7;
export const CANCELED_WINDOW_DAYS = 30;

export interface WatchRow {
  subscription: BackstageSubscription;
  /** Null when the subscription's team no longer exists. */
  team: BackstageTeam | null;
  externalUrl: string | null;
}

export interface WatchListResult {
  rows: WatchRow[];
  /** More rows exist than are shown. */
  more: boolean;
}

export interface BillingOverview {
  currencies: CurrencyRevenue[];
  plans: PlanRevenue[];
  byStatus: Array<{ status: string; subscriptions: number }>;
  pastDue: WatchListResult;
  /** Null when the schema has no trial end column. */
  trialsEnding: WatchListResult | null;
  /** Null when the schema has no canceled-at column. */
  canceled: WatchListResult | null;
}

/** The billing page: aggregates from the database, and three short support lists labelled with their teams. */
export async function billingOverview(ctx: ConsoleContext, subscriptions: SubscriptionsAdapter, teams: TeamsAdapter, now: Date): Promise<BillingOverview> {
  const watch = (list: SubscriptionWatchList) => subscriptions.watchList(list, WATCH_LIST_LIMIT + 1);
  const [summary, pastDue, trialsEnding, canceled] = await Promise.all([
    subscriptions.summary(),
    watch({ kind: 'past_due' }),
    subscriptions.features.trialEnd ? watch({ kind: 'trials_ending', from: now, to: new Date(now.getTime() + TRIAL_WINDOW_DAYS * DAY_MS) }) : Promise.resolve(null),
    subscriptions.features.canceledAt ? watch({ kind: 'canceled', from: new Date(now.getTime() - CANCELED_WINDOW_DAYS * DAY_MS), to: new Date(now.getTime() + 1) }) : Promise.resolve(null),
  ]);
  const shown = [pastDue, trialsEnding ?? [], canceled ?? []].flatMap((rows) => rows.slice(0, WATCH_LIST_LIMIT));
  const teamById = await teams.getMany(shown.map((s) => s.teamId));
  const result = (rows: BackstageSubscription[] | null): WatchListResult | null =>
    rows === null
      ? null
      : {
          rows: rows.slice(0, WATCH_LIST_LIMIT).map((subscription) => ({ subscription, team: teamById.get(subscription.teamId) ?? null, externalUrl: externalBillingUrl(ctx, subscription) })),
          more: rows.length > WATCH_LIST_LIMIT,
        };
  return {
    currencies: revenueByCurrency(summary.revenue),
    plans: revenueByPlan(summary.revenue),
    byStatus: summary.byStatus,
    pastDue: result(pastDue)!,
    trialsEnding: result(trialsEnding),
    canceled: result(canceled),
  };
}
