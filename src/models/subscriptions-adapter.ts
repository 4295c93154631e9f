/** A team's subscription, as the console shows it. */
export interface BackstageSubscription {
  id: string;
  teamId: string;
  plan: string;
  status: string;
  amountCents: number;
  /** Upper-cased ISO code, e.g. `USD`. */
  currency: string;
  /** As stored, lower-cased: `month`, `year`, … */
  interval: string;
  currentPeriodEnd: Date | null;
  trialEndsAt: Date | null;
  canceledAt: Date | null;
  externalId: string | null;
}

/** Statuses whose subscriptions count in MRR: they pay (or are being dunned). Trialing and canceled do not. */
export const REVENUE_STATUSES = ['active', 'past_due'] as const;

/** Status values the console knows (Stripe's vocabulary); the teams list filters on these. */
export const SUBSCRIPTION_STATUSES = ['active', 'trialing', 'past_due', 'unpaid', 'incomplete', 'incomplete_expired', 'paused', 'canceled'] as const;

/** One group of the revenue aggregate: subscriptions in a revenue status, summed per plan, currency and interval. */
export interface RevenueGroup {
  plan: string;
  currency: string;
  interval: string;
  subscriptions: number;
  amountCents: number;
}

/** The billing page's figures, each computed by the database (grouped sums and counts, never rows). */
export interface BillingSummary {
  /** Subscriptions whose status is one of {@link REVENUE_STATUSES}, grouped by plan, currency and interval. */
  revenue: RevenueGroup[];
  /** Every subscription, counted per status. */
  byStatus: Array<{ status: string; subscriptions: number }>;
}

/** The short lists support works from; each is bounded by the caller's limit. */
export type SubscriptionWatchList =
  /** Status past_due, the longest overdue (oldest period end) first. */
  | { kind: 'past_due' }
  /** Status trialing with a trial end in [from, to), the soonest first. Needs the trial end column. */
  | { kind: 'trials_ending'; from: Date; to: Date }
  /** A cancellation date in [from, to), the latest first. Needs the canceled-at column. */
  | { kind: 'canceled'; from: Date; to: Date };

/**
 * The subscriptions model. The default implementation maps a Kysely table
 * (`kyselySubscriptionsAdapter`); a host on another ORM (or reading its billing
 * provider directly) passes an object implementing this as `models.subscriptions`.
 */
export interface SubscriptionsAdapter {
  /** Required. Which optional columns exist, so pages hide what cannot be shown. */
  readonly features: { trialEnd: boolean; canceledAt: boolean; externalId: boolean };
  /** Required. Every subscription of these teams (the team page, the teams list's plan column). */
  forTeams(teamIds: readonly string[]): Promise<BackstageSubscription[]>;
  /** Required. The billing overview's aggregates. */
  summary(): Promise<BillingSummary>;
  /** Required. One of the support lists, at most `limit` rows. */
  watchList(list: SubscriptionWatchList, limit: number): Promise<BackstageSubscription[]>;
  /** Required. The plan names in use (for the teams list's plan filter), at most `limit`. */
  plans(limit: number): Promise<string[]>;
}

export function isSubscriptionsAdapter(value: unknown): value is SubscriptionsAdapter {
  const v = value as Partial<SubscriptionsAdapter> | null;
  return typeof v === 'object' && v !== null && typeof v.summary === 'function' && typeof v.forTeams === 'function';
}

const STATUS_RANK: Record<string, number> = { active: 0, past_due: 1, trialing: 2, unpaid: 3, paused: 4, incomplete: 5 };

/**
 * The subscription that describes a team today when it has several rows
 * (history): the one that pays first (active, then past due, then trialing, …),
 * then the latest period end.
 */
export function currentSubscription(subscriptions: readonly BackstageSubscription[]): BackstageSubscription | null {
  let best: BackstageSubscription | null = null;
  for (const s of subscriptions) {
    if (!best) {
      best = s;
      continue;
    }
    const rank = STATUS_RANK[s.status] ?? 9;
    const bestRank = STATUS_RANK[best.status] ?? 9;
    const end = s.currentPeriodEnd?.getTime() ?? 0;
    const bestEnd = best.currentPeriodEnd?.getTime() ?? 0;
    if (rank < bestRank || (rank === bestRank && end > bestEnd)) best = s;
  }
  return best;
}

/** Months per billing period, for the intervals MRR normalises; other intervals are reported, not guessed. */
const MONTHS_PER_INTERVAL: Record<string, number> = { month: 1, monthly: 1, year: 12, yearly: 12, annual: 12, annually: 12 };

export interface CurrencyRevenue {
  currency: string;
  /** Monthly recurring revenue in the currency's minor unit (may hold a fraction: yearly / 12). */
  mrrCents: number;
  /** Annual run rate: MRR × 12, in minor units. */
  arrCents: number;
  /** Subscriptions counted in this currency's MRR. */
  subscriptions: number;
  /** Subscriptions in a revenue status whose interval is not monthly or yearly: left out of MRR, and said so. */
  notNormalised: Array<{ interval: string; subscriptions: number }>;
}

export interface PlanRevenue {
  plan: string;
  subscriptions: number;
  /** MRR of this plan, per currency. */
  mrr: Array<{ currency: string; mrrCents: number }>;
}

/**
 * MRR, defined precisely: the sum, over subscriptions whose status is active or
 * past_due (trialing and canceled excluded), of amount_cents normalised to one
 * month — monthly amounts as they are, yearly amounts divided by 12. Computed
 * per currency; different currencies are never added together. ARR = MRR × 12.
 */
export function revenueByCurrency(groups: readonly RevenueGroup[]): CurrencyRevenue[] {
  const byCurrency = new Map<string, CurrencyRevenue>();
  for (const group of groups) {
    let entry = byCurrency.get(group.currency);
    if (!entry) {
      entry = { currency: group.currency, mrrCents: 0, arrCents: 0, subscriptions: 0, notNormalised: [] };
      byCurrency.set(group.currency, entry);
    }
    const months = MONTHS_PER_INTERVAL[group.interval];
    if (months === undefined) {
      const known = entry.notNormalised.find((n) => n.interval === group.interval);
      if (known) known.subscriptions += group.subscriptions;
      else entry.notNormalised.push({ interval: group.interval, subscriptions: group.subscriptions });
      continue;
    }
    entry.mrrCents += group.amountCents / months;
    entry.subscriptions += group.subscriptions;
  }
  for (const entry of byCurrency.values()) entry.arrCents = entry.mrrCents * 12;
  return [...byCurrency.values()].sort((a, b) => b.mrrCents - a.mrrCents || a.currency.localeCompare(b.currency));
}

/** The same figures per plan (subscriptions in a revenue status), each plan's MRR kept per currency. */
export function revenueByPlan(groups: readonly RevenueGroup[]): PlanRevenue[] {
  const byPlan = new Map<string, { plan: string; subscriptions: number; mrr: Map<string, number> }>();
  for (const group of groups) {
    let entry = byPlan.get(group.plan);
    if (!entry) {
      entry = { plan: group.plan, subscriptions: 0, mrr: new Map() };
      byPlan.set(group.plan, entry);
    }
    entry.subscriptions += group.subscriptions;
    const months = MONTHS_PER_INTERVAL[group.interval];
    if (months !== undefined) entry.mrr.set(group.currency, (entry.mrr.get(group.currency) ?? 0) + group.amountCents / months);
  }
  return [...byPlan.values()]
    .map((entry) => ({
      plan: entry.plan,
      subscriptions: entry.subscriptions,
      mrr: [...entry.mrr].map(([currency, mrrCents]) => ({ currency, mrrCents })).sort((a, b) => a.currency.localeCompare(b.currency)),
    }))
    .sort((a, b) => b.subscriptions - a.subscriptions || a.plan.localeCompare(b.plan));
}
