import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { revenueByCurrency, revenueByPlan } from '../src/models/subscriptions-adapter';
import { formatMoney } from '../src/pages/billing/money';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, createInvitationsAndSubscriptions, insertSubscription, insertTeam, insertUsers, type SeedSubscription } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const DAY = 86_400_000;

/** Counts the rows every query hands back to Node, to prove the figures are aggregated by the database. */
class RowCounter implements KyselyPlugin {
  rows = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.rows += args.result.rows.length;
    return args.result;
  }
}

describe('MRR, defined precisely (no database)', () => {
  it('sums active and past-due amounts per currency, yearly / 12, and never adds currencies together', () => {
    const groups = [
      { plan: 'pro', currency: 'USD', interval: 'month', subscriptions: 2, amountCents: 7800 },
      { plan: 'business', currency: 'USD', interval: 'year', subscriptions: 1, amountCents: 99000 },
      { plan: 'business', currency: 'EUR', interval: 'year', subscriptions: 1, amountCents: 120000 },
      { plan: 'weekly', currency: 'USD', interval: 'week', subscriptions: 3, amountCents: 3000 },
    ];
    expect(revenueByCurrency(groups)).toEqual([
      { currency: 'USD', mrrCents: 16050, arrCents: 192600, subscriptions: 3, notNormalised: [{ interval: 'week', subscriptions: 3 }] },
      { currency: 'EUR', mrrCents: 10000, arrCents: 120000, subscriptions: 1, notNormalised: [] },
    ]);
    expect(revenueByPlan(groups)).toEqual([
      { plan: 'weekly', subscriptions: 3, mrr: [] },
      { plan: 'business', subscriptions: 2, mrr: [{ currency: 'EUR', mrrCents: 10000 }, { currency: 'USD', mrrCents: 8250 }] },
      { plan: 'pro', subscriptions: 2, mrr: [{ currency: 'USD', mrrCents: 7800 }] },
    ]);
  });

  it('formats minor units per currency, including zero-decimal ones and unknown codes', () => {
    expect(formatMoney(16050, 'usd')).toBe('USD 160.50');
    expect(formatMoney(16883.4167, 'USD')).toBe('USD 168.83');
    expect(formatMoney(5000, 'JPY')).toBe('JPY 5,000');
    expect(formatMoney(1234, 'XYZ')).toBe('XYZ 12.34');
    expect(formatMoney(null, 'USD')).toBe('—');
  });
});

describe.each(DIALECTS)('the billing overview on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  let admin: string;
  const team: Record<string, string> = {};

  // A hand-built book of subscriptions, one team each.
  const BOOK: Array<[string, Omit<SeedSubscription, 'teamId'>]> = [
    ['Monthly Co', { plan: 'pro', status: 'active', amountCents: 4900, currency: 'usd', interval: 'month' }],
    ['Yearly Co', { plan: 'business', status: 'active', amountCents: 99000, currency: 'usd', interval: 'year' }],
    ['Odd Yearly Co', { plan: 'team', status: 'active', amountCents: 10001, currency: 'usd', interval: 'year' }],
    ['Late Payer', { plan: 'pro', status: 'past_due', amountCents: 2900, currency: 'usd', interval: 'month', currentPeriodEnd: new Date(NOW.getTime() - 3 * DAY), externalId: 'sub_late' }],
    ['Trial Soon', { plan: 'pro', status: 'trialing', amountCents: 4900, currency: 'usd', interval: 'month', trialEndsAt: new Date(NOW.getTime() + 2 * DAY) }],
    ['Trial Later', { plan: 'pro', status: 'trialing', amountCents: 4900, currency: 'usd', interval: 'month', trialEndsAt: new Date(NOW.getTime() + 10 * DAY) }],
    ['Gone Recently', { plan: 'business', status: 'canceled', amountCents: 9900, currency: 'usd', interval: 'month', canceledAt: new Date(NOW.getTime() - 5 * DAY) }],
    ['Gone Long Ago', { plan: 'business', status: 'canceled', amountCents: 9900, currency: 'usd', interval: 'month', canceledAt: new Date(NOW.getTime() - 40 * DAY) }],
    ['Euro Yearly', { plan: 'business', status: 'active', amountCents: 120000, currency: 'eur', interval: 'year' }],
    ['Euro Monthly', { plan: 'starter', status: 'active', amountCents: 1999, currency: 'EUR', interval: 'month' }],
    ['Weekly Co', { plan: 'weekly', status: 'active', amountCents: 1000, currency: 'usd', interval: 'week' }],
  ];

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    await createInvitationsAndSubscriptions(testDb.db, dialect);
    [admin] = await insertUsers(testDb.db, dialect, [{ email: 'sam@ops.test', role: 'admin' }, { email: 'owner@customer.test' }]);
    for (const [name, subscription] of BOOK) {
      team[name] = await insertTeam(testDb.db, dialect, name, []);
      await insertSubscription(testDb.db, dialect, { teamId: team[name], ...subscription });
    }
    host = await createTestApp({
      db: testDb.db,
      admin: { now: () => NOW, billing: { externalUrl: (s) => (s.externalId ? `https://dashboard.stripe.test/subscriptions/${s.externalId}` : null) } },
    });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('MRR matches the hand-computed figure: monthly + yearly / 12, trialing and canceled excluded, per currency', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/billing').expect(200);
    const text = decoded(res.text);
    // USD: 4900 + 2900 (past due counts) + 99000 / 12 + 10001 / 12 = 16883.42 cents; trials and cancellations left out.
    expect(res.text).toMatch(/data-currency="USD"[\s\S]*?data-mrr-cents="16883"[\s\S]*?USD 168\.83[\s\S]*?data-arr-cents="202601"[\s\S]*?USD 2,026\.01/);
    // EUR: 120000 / 12 + 1999 = 11999 cents, never added to dollars.
    expect(res.text).toMatch(/data-currency="EUR"[\s\S]*?data-mrr-cents="11999"[\s\S]*?EUR 119\.99[\s\S]*?EUR 1,439\.88/);
    expect(text).toMatch(/USD 2,026\.01<\/span> · 4 paying subscriptions/);
    expect(text).toMatch(/EUR 1,439\.88<\/span> · 2 paying subscriptions/);
    expect(text).toContain('Not counted: 1 billed per “week”');
    expect(text).toContain('(trialing and canceled excluded)');
  });

  it('counts active subscriptions by plan and every subscription by status, each linking to the teams list', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/billing').expect(200);
    const plans = res.text.slice(res.text.indexOf('id="plans-title"'), res.text.indexOf('id="statuses-title"'));
    expect(plans).toMatch(/plan=business">business<\/a><\/td>\s*<td class="num">2<\/td>\s*<td class="num">EUR 100\.00 \+ USD 82\.50/);
    expect(plans).toMatch(/plan=pro">pro<\/a><\/td>\s*<td class="num">2</);
    const statuses = res.text.slice(res.text.indexOf('id="statuses-title"'), res.text.indexOf('id="past-due"'));
    expect(statuses).toMatch(/status=active">[\s\S]*?<td class="num">6</);
    expect(statuses).toMatch(/status=trialing">[\s\S]*?<td class="num">2</);
    expect(statuses).toMatch(/status=canceled">[\s\S]*?<td class="num">2</);
    expect(statuses).toMatch(/status=past_due">[\s\S]*?<td class="num">1</);
  });

  it('support lists: past due, trials ending within 7 days, cancellations within 30 days — each row links to its team', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/billing').expect(200);
    const section = (id: string) => res.text.slice(res.text.indexOf(`id="${id}"`)).split('</section>')[0];
    const pastDue = section('past-due');
    expect(pastDue).toContain(`<a href="/admin/teams/${team['Late Payer']}">Late Payer</a>`);
    expect(pastDue).toContain('https://dashboard.stripe.test/subscriptions/sub_late');
    expect(pastDue).not.toContain('Monthly Co');
    const trials = section('trials-ending');
    expect(trials).toContain(`<a href="/admin/teams/${team['Trial Soon']}">Trial Soon</a>`);
    expect(trials).not.toContain('Trial Later');
    const canceled = section('cancellations');
    expect(canceled).toContain(`<a href="/admin/teams/${team['Gone Recently']}">Gone Recently</a>`);
    expect(canceled).not.toContain('Gone Long Ago');
  });

  it('a provider link that is not http(s) is never rendered', async () => {
    const hostile = await createTestApp({ db: testDb.db, migrate: false, admin: { now: () => NOW, billing: { externalUrl: () => 'javascript:alert(1)' } } });
    const { agent } = await hostile.agentAs(admin);
    const res = await agent.get('/admin/billing').expect(200);
    expect(res.text).not.toContain('javascript:');
    const page = await agent.get(`/admin/teams/${team['Late Payer']}`).expect(200);
    expect(page.text).not.toContain('javascript:');
    expect(page.text).not.toContain('Open in the billing provider');
    const throwing = await createTestApp({ db: testDb.db, migrate: false, admin: { billing: { externalUrl: () => { throw new Error('boom'); } } } });
    await (await throwing.agentAs(admin)).agent.get('/admin/billing').expect(200);
    await hostile.admin.close();
    await throwing.admin.close();
  });

  it('figures come from aggregate queries: 300 more subscriptions do not mean 300 more rows in Node', async () => {
    const rows = [];
    for (let i = 0; i < 300; i++) rows.push({ team_id: Number(team['Monthly Co']), plan: 'bulk', status: 'active', amount_cents: 100, currency: 'usd', interval: 'month', current_period_end: dialect === 'sqlite' ? NOW.toISOString() : NOW });
    for (let i = 0; i < rows.length; i += 100) await testDb.db.insertInto('subscriptions').values(rows.slice(i, i + 100)).execute();
    const counter = new RowCounter();
    const counted = await createTestApp({ db: testDb.db.withPlugin(counter), migrate: false, admin: { now: () => NOW } });
    const { agent } = await counted.agentAs(admin);
    counter.rows = 0;
    const res = await agent.get('/admin/billing').expect(200);
    expect(res.text).toMatch(/data-currency="USD"[\s\S]*?data-mrr-cents="46883"/); // + 300 × 100
    expect(counter.rows).toBeLessThan(40);
    await counted.admin.close();
    await testDb.db.deleteFrom('subscriptions').where('plan', '=', 'bulk').execute();
  });

  it('the dashboard of a team shows its subscription: amount, period end, trial end, provider link', async () => {
    const { agent } = await host.agentAs(admin);
    const page = await agent.get(`/admin/teams/${team['Late Payer']}`).expect(200);
    const text = decoded(page.text);
    expect(text).toContain('USD 29.00 / month');
    expect(text).toContain('2026-03-12 12:00 UTC'); // period end
    expect(text).toContain('https://dashboard.stripe.test/subscriptions/sub_late');
    const trial = await agent.get(`/admin/teams/${team['Trial Soon']}`).expect(200);
    expect(decoded(trial.text)).toMatch(/Trial ends<\/dt><dd>2026-03-17 12:00 UTC/);
  });
});
