/**
 * No page load counts a big table in full (DESIGN §8: COUNT(*) over a million
 * rows costs 30–140 ms on every load). Every query the console sends is
 * recorded while an operator opens every list page, its searches and filters,
 * the detail pages and the dashboard; a `count(` over a table that grows with
 * the business must count through a LIMIT subquery, or be one of the few
 * index-range counts listed below with the reason it is bounded.
 */
import type { Kysely, KyselyPlugin } from 'kysely';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, createInvitationsAndSubscriptions, insertInvitation, insertManyUsers, insertSubscription, insertTeam, insertUsers } from './helpers/host-schema';
import { listRoutes } from './helpers/route-census';
import { createTestApp, type TestApp } from './helpers/test-app';

/** Tables that grow with the business: the host's, and the console's own audit log and error occurrences. */
const GROWING_TABLES = ['users', 'teams', 'memberships', 'invitations', 'subscriptions', 'backstage_audit_events', 'backstage_error_occurrences'];

/**
 * Counts that are bounded without a LIMIT, each by an index range the page
 * itself limits. Anything else that counts a growing table fails the test.
 */
const BOUNDED_BY_RANGE: Array<{ why: string; pattern: RegExp }> = [
  {
    why: 'member counts of the teams on one page (or of the one team shown): one range of the (team_id, user_id) key per team',
    pattern: /count\(\*\).*from ["`]memberships["`] where ["`]memberships["`]\.["`]team_id["`] in \(/i,
  },
  {
    why: "the signups chart: one GROUP BY over the chart's window (30 days, 24 hours) of the created_at index, cached by the dashboard",
    pattern: /count\(\*\) as n from ["`]users["`] where ["`]users["`]\.["`]created_at["`] >= .* group by 1/i,
  },
  {
    // Not bounded, and known: a revenue total has no bounded form. Tracked apart from this issue; it must
    // stay the only one. The dashboard caches these figures for 10 s; the billing page reads them per load.
    why: 'billing figures: MRR per plan and subscriptions per status, one GROUP BY over the subscriptions (a sum over every paying subscription)',
    pattern: /^select ["`]subscriptions["`]\.["`](plan|status)["`] as ["`](plan|status)["`], .*count\(\*\) as ["`]n["`].* from ["`]subscriptions["`]( where ["`]subscriptions["`]\.["`]status["`] in \([^)]*\))? group by /i,
  },
];

/** Records the SQL of every query sent through the returned Kysely (the console's own and the host's). */
function recording(db: Kysely<any>, log: string[]): Kysely<any> {
  const executor = db.getExecutor();
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      log.push(executor.compileQuery(args.node, args.queryId).sql);
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
  return db.withPlugin(plugin);
}

/** True when every count in the statement counts rows of a LIMIT subquery (`select count(*) from (select … limit …)`). */
function countsThroughLimit(statement: string): boolean {
  return /^select count\(\*\) as \w+(, \w+\([\w.]+\) as \w+)* from \(select [^]*\blimit (\?|\$\d+)\) as \w+$/i.test(statement);
}

function growingTablesIn(statement: string): string[] {
  return GROWING_TABLES.filter((table) => new RegExp(`(from|join) ["\`]${table}["\`]`, 'i').test(statement));
}

describe('the check', () => {
  it('tells a count through a LIMIT subquery from a full count', () => {
    expect(countsThroughLimit('select count(*) as n from (select 1 as one from "users" limit ?) as bounded')).toBe(true);
    expect(countsThroughLimit('select count(*) as n, min(newest.recency) as boundary from (select "users"."created_at" as recency from "users" order by "users"."created_at" desc limit $1) as newest')).toBe(true);
    expect(countsThroughLimit('select count(*) as n from "users"')).toBe(false);
    expect(countsThroughLimit('select count(*) as n from "users" where "id" in (select "user_id" from "memberships" limit ?)')).toBe(false);
    expect(countsThroughLimit('select count(*) as n from (select 1 from "users") as everyone')).toBe(false);
  });
});

describe.each(DIALECTS)('no page counts a whole table on %s', (dialect) => {
  let t: TestDb;
  let host: TestApp;
  const log: string[] = [];
  let ids: { admin: string; superuser: string; jane: string; team: string };

  beforeAll(async () => {
    t = await openTestDb(dialect);
    await createHostSchema(t.db, dialect);
    await createInvitationsAndSubscriptions(t.db, dialect);
    const [superuser, admin, jane, bob] = await insertUsers(t.db, dialect, [
      { email: 'root@ops.test', name: 'Rita Root', role: 'superuser' },
      { email: 'sam@ops.test', name: 'Sam Support', role: 'admin' },
      { email: 'jane@acme.test', name: 'Jane Doe' },
      { email: 'bob@acme.test', name: 'Bob Stone' },
    ]);
    await insertManyUsers(t.db, dialect, 60);
    const team = await insertTeam(t.db, dialect, 'Acme Inc', [[jane, 'owner'], [bob, 'member']]);
    await insertInvitation(t.db, dialect, { teamId: team, email: 'new@acme.test', invitedById: jane });
    await insertSubscription(t.db, dialect, { teamId: team, plan: 'pro', status: 'active', amountCents: 4900 });
    ids = { admin, superuser, jane, team };
    host = await createTestApp({ db: recording(t.db, log) });
    // Something in the audit log, so its pages have rows to show.
    const { agent, csrf } = await host.agentAs(superuser);
    await agent.post(`/admin/users/${bob}/ban`).type('form').send({ _csrf: await csrf(), reason: 'spam' }).expect(303);
  }, 60_000);

  afterAll(async () => {
    await host?.admin.close();
    await t?.destroy();
  });

  it('support opens every list, search, filter and detail page and the dashboard: no unbounded count', async () => {
    const pages = [
      '/admin/',
      '/admin/users',
      '/admin/users?q=acme',
      '/admin/users?q=jane@acme.test',
      '/admin/users?q=jane@',
      '/admin/users?role=admin',
      '/admin/users?status=banned&sort=email',
      `/admin/users/${ids.jane}`,
      '/admin/teams',
      '/admin/teams?q=acme',
      '/admin/teams?status=active&plan=pro',
      `/admin/teams/${ids.team}`,
      '/admin/audit',
      '/admin/audit?action=user.',
      '/admin/errors',
      '/admin/billing',
    ];
    // Every other parameterless page the router has (a new list page is checked without editing this test).
    const others = listRoutes(host.admin)
      .filter((r) => r.method === 'GET' && !r.path.includes(':') && r.path !== '/live')
      .map((r) => `/admin${r.path}`)
      .filter((path) => !pages.includes(path) && !pages.includes(`${path}/`));
    const { agent } = await host.agentAs(ids.superuser);
    log.length = 0;
    for (const page of pages) {
      const res = await agent.get(page);
      expect([page, res.status]).toEqual([page, 200]);
    }
    for (const page of others) {
      // Some need parameters (a 400 then); none may fail.
      const res = await agent.get(page);
      expect([page, res.status < 500]).toEqual([page, true]);
    }
    const counted = log.filter((statement) => /count\s*\(/i.test(statement) && growingTablesIn(statement).length > 0);
    // The lists did count (the headers), so the recording works.
    expect(counted.some(countsThroughLimit)).toBe(true);
    const unbounded = counted.filter((statement) => !countsThroughLimit(statement) && !BOUNDED_BY_RANGE.some((range) => range.pattern.test(statement)));
    expect(unbounded).toEqual([]);
  });
});
