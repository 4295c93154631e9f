import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { fromDbDate, toDbDate } from '../db/dates';
import type { DialectName } from '../db/dialect';
import type { ResolvedTableModel } from '../options';
import { REVENUE_STATUSES, type BackstageSubscription, type SubscriptionsAdapter } from './subscriptions-adapter';

export type SubscriptionsTableModel = ResolvedTableModel<
  'id' | 'team_id' | 'plan' | 'status' | 'amount_cents' | 'currency' | 'interval' | 'current_period_end' | 'trial_ends_at' | 'canceled_at' | 'external_id'
>;

type Row = Record<string, unknown>;

/** A team with a long history is still one bounded read. */
const MAX_ROWS_FOR_TEAMS = 500;

function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** The default subscriptions model: the host's subscriptions table through its own Kysely. */
export function kyselySubscriptionsAdapter(db: Kysely<any>, model: SubscriptionsTableModel, dialect: DialectName): SubscriptionsAdapter {
  const c = model.columns;
  const ref = (name: string | null) => sql.ref(`${model.table}.${name}`);
  const dates = model.dates ?? 'native';
  const at = (date: Date) => toDbDate(date, dates, dialect);

  function selectSubscriptions(): SelectQueryBuilder<any, any, Row> {
    let query = db
      .selectFrom(model.table)
      .select(ref(c.id).as('id'))
      .select(ref(c.team_id).as('team_id'))
      .select(ref(c.plan).as('plan'))
      .select(ref(c.status).as('status'))
      .select(ref(c.amount_cents).as('amount_cents'))
      .select(ref(c.currency).as('currency'))
      .select(ref(c.interval).as('interval'));
    const optional: Array<[string | null, string]> = [
      [c.current_period_end, 'current_period_end'],
      [c.trial_ends_at, 'trial_ends_at'],
      [c.canceled_at, 'canceled_at'],
      [c.external_id, 'external_id'],
    ];
    for (const [column, alias] of optional) if (column) query = query.select(ref(column).as(alias));
    return query as SelectQueryBuilder<any, any, Row>;
  }

  function toSubscription(row: Row): BackstageSubscription {
    return {
      id: String(row.id),
      teamId: String(row.team_id),
      plan: String(row.plan ?? ''),
      status: String(row.status ?? '').toLowerCase(),
      amountCents: Number(row.amount_cents ?? 0),
      currency: String(row.currency ?? '').toUpperCase(),
      interval: String(row.interval ?? '').toLowerCase(),
      currentPeriodEnd: fromDbDate(row.current_period_end, dates),
      trialEndsAt: fromDbDate(row.trial_ends_at, dates),
      canceledAt: fromDbDate(row.canceled_at, dates),
      externalId: str(row.external_id),
    };
  }

  const currency = sql<string>`upper(${ref(c.currency)})`;
  const interval = sql<string>`lower(${ref(c.interval)})`;

  return {
    features: { trialEnd: c.trial_ends_at !== null, canceledAt: c.canceled_at !== null, externalId: c.external_id !== null },

    async forTeams(teamIds) {
      const unique = [...new Set(teamIds)].filter((id) => id !== '');
      if (unique.length === 0) return [];
      let query = selectSubscriptions().where(ref(c.team_id), 'in', unique);
      if (c.current_period_end) query = query.orderBy(ref(c.current_period_end), 'desc');
      const rows = await query.orderBy(ref(c.id), 'desc').limit(MAX_ROWS_FOR_TEAMS).execute();
      return rows.map(toSubscription);
    },

    async summary() {
      const [revenue, byStatus] = await Promise.all([
        db
          .selectFrom(model.table)
          .select(ref(c.plan).as('plan'))
          .select(currency.as('currency'))
          .select(interval.as('interval'))
          .select(sql<unknown>`count(*)`.as('n'))
          .select(sql<unknown>`sum(${ref(c.amount_cents)})`.as('total'))
          .where(ref(c.status), 'in', [...REVENUE_STATUSES])
          .groupBy([ref(c.plan), currency, interval])
          .execute() as Promise<Row[]>,
        db
          .selectFrom(model.table)
          .select(ref(c.status).as('status'))
          .select(sql<unknown>`count(*)`.as('n'))
          .groupBy(ref(c.status))
          .execute() as Promise<Row[]>,
      ]);
      return {
        revenue: revenue.map((row) => ({
          plan: String(row.plan ?? ''),
          currency: String(row.currency ?? ''),
          interval: String(row.interval ?? ''),
          subscriptions: Number(row.n),
          amountCents: Number(row.total ?? 0),
        })),
        byStatus: byStatus
          .map((row) => ({ status: String(row.status ?? ''), subscriptions: Number(row.n) }))
          .sort((a, b) => b.subscriptions - a.subscriptions || a.status.localeCompare(b.status)),
      };
    },

    async watchList(list, limit) {
      let query = selectSubscriptions();
      if (list.kind === 'past_due') {
        query = query.where(ref(c.status), '=', 'past_due');
        if (c.current_period_end) query = query.orderBy(ref(c.current_period_end), 'asc');
        query = query.orderBy(ref(c.id), 'asc');
      } else if (list.kind === 'trials_ending') {
        if (!c.trial_ends_at) return [];
        query = query
          .where(ref(c.status), '=', 'trialing')
          .where(ref(c.trial_ends_at), '>=', at(list.from))
          .where(ref(c.trial_ends_at), '<', at(list.to))
          .orderBy(ref(c.trial_ends_at), 'asc')
          .orderBy(ref(c.id), 'asc');
      } else {
        if (!c.canceled_at) return [];
        query = query
          .where(ref(c.canceled_at), '>=', at(list.from))
          .where(ref(c.canceled_at), '<', at(list.to))
          .orderBy(ref(c.canceled_at), 'desc')
          .orderBy(ref(c.id), 'desc');
      }
      const rows = await query.limit(limit).execute();
      return rows.map(toSubscription);
    },

    async plans(limit) {
      const rows = (await db.selectFrom(model.table).select(ref(c.plan).as('plan')).groupBy(ref(c.plan)).orderBy(ref(c.plan)).limit(limit).execute()) as Row[];
      return rows.map((row) => String(row.plan ?? '')).filter((plan) => plan !== '');
    },
  };
}
