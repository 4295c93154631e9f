/**
 * A host on another ORM passes its own adapter objects for teams, invitations
 * and subscriptions; the pages only ever talk to the adapter interfaces.
 */
import { Kysely, SqliteDialect } from 'kysely';
import Database from 'better-sqlite3';
import { createAdmin } from '../src';
import type { BackstageInvitation, InvitationsAdapter } from '../src/models/invitations-adapter';
import type { BackstageSubscription, SubscriptionsAdapter } from '../src/models/subscriptions-adapter';
import type { BackstageTeam, TeamMember, TeamsAdapter } from '../src/models/teams-adapter';
import type { Page } from '../src/pagination/keyset';
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';

function onePage<T>(rows: T[]): Page<T> {
  return { rows, hasNextPage: false, hasPrevPage: false, startCursor: null, endCursor: null };
}

describe('custom adapters for hosts on another ORM', () => {
  let testDb: TestDb;
  let host: TestApp;
  let admin: string;
  let owner: string;
  const calls: string[] = [];

  const TEAMS: BackstageTeam[] = [
    { id: 'org_1', name: 'Prisma Team', slug: 'prisma-team', ownerId: '', createdAt: new Date('2026-01-01T00:00:00Z') },
    { id: 'org_2', name: 'Drizzle Team', slug: null, ownerId: null, createdAt: new Date('2026-01-02T00:00:00Z') },
  ];

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    [admin, owner] = await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }, { email: 'owner@prisma.test', name: 'Olive Owner' }]);
    TEAMS[0].ownerId = owner;
    const members: TeamMember[] = [{ userId: owner, role: 'owner', joinedAt: new Date('2026-01-01T00:00:00Z') }];

    const teams: TeamsAdapter = {
      features: { slug: true, owner: true, memberRoles: true, joinedAt: true, subscriptionFilters: false },
      sortKeys: (field, direction) => (field === 'name' ? [{ key: 'name', column: 'teams.name', direction }, { key: 'id', column: 'teams.id', direction }] : null),
      async list(query) {
        calls.push(`list:${query.words.join(' ')}`);
        return onePage(TEAMS.filter((t) => query.words.every((w) => t.name.toLowerCase().includes(w.toLowerCase()))));
      },
      get: async (id) => TEAMS.find((t) => t.id === id) ?? null,
      getMany: async (ids) => new Map(TEAMS.filter((t) => ids.includes(t.id)).map((t) => [t.id, t])),
      count: async () => ({ value: TEAMS.length, exact: true }),
      members: async (teamId) => onePage(teamId === 'org_1' ? members : []),
      membership: async (teamId, userId) => (teamId === 'org_1' ? (members.find((m) => m.userId === userId) ?? null) : null),
      teamsOfUser: async (userId) => (userId === owner ? [{ id: 'org_1', name: 'Prisma Team', role: 'owner', joinedAt: null }] : []),
    };
    const invitation: BackstageInvitation = { id: 'inv_1', teamId: 'org_1', email: 'owner@prisma.test', role: 'member', invitedById: null, createdAt: new Date('2026-01-05T00:00:00Z'), acceptedAt: null, expiresAt: null };
    const invitations: InvitationsAdapter = {
      features: { role: true, invitedBy: false, accepted: true, expiry: false },
      forTeam: async (teamId) => (teamId === 'org_1' ? [invitation] : []),
      forEmail: async (email) => (email === invitation.email ? [invitation] : []),
      get: async (id) => (id === invitation.id ? invitation : null),
    };
    const subscription: BackstageSubscription = {
      id: 'sub_1', teamId: 'org_1', plan: 'scale', status: 'active', amountCents: 30000, currency: 'CHF', interval: 'month',
      currentPeriodEnd: new Date('2026-04-01T00:00:00Z'), trialEndsAt: null, canceledAt: null, externalId: 'cus_9',
    };
    const subscriptions: SubscriptionsAdapter = {
      features: { trialEnd: false, canceledAt: false, externalId: true },
      forTeams: async (ids) => (ids.includes('org_1') ? [subscription] : []),
      summary: async () => ({ revenue: [{ plan: 'scale', currency: 'CHF', interval: 'month', subscriptions: 1, amountCents: 30000 }], byStatus: [{ status: 'active', subscriptions: 1 }] }),
      watchList: async () => [],
      plans: async () => ['scale'],
    };
    host = await createTestApp({ db: testDb.db, admin: { models: { teams, invitations, subscriptions } } });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('lists, shows and bills teams through the adapters', async () => {
    const { agent } = await host.agentAs(admin);
    const list = await agent.get('/admin/teams?q=prisma&sort=name').expect(200);
    expect(list.text).toContain('Prisma Team');
    expect(list.text).not.toContain('Drizzle Team');
    expect(calls).toContain('list:prisma');
    await agent.get('/admin/teams?sort=created_at').expect(400); // the adapter does not offer it

    const page = await agent.get('/admin/teams/org_1').expect(200);
    expect(page.text).toContain('href="/admin/users/' + owner + '"');
    expect(page.text).toContain('CHF 300.00 / month');
    expect(page.text).toContain('owner@prisma.test');
    // Optional methods absent: their actions are not offered.
    expect(page.text).not.toContain('/resend"');
    expect(page.text).not.toContain('Transfer ownership');

    const billing = await agent.get('/admin/billing').expect(200);
    expect(decoded(billing.text)).toContain('CHF 300.00');
    const user = await agent.get(`/admin/users/${owner}`).expect(200);
    expect(user.text).toContain('<a href="/admin/teams/org_1">Prisma Team</a>');
    expect(user.text).toContain('Invitations sent to owner@prisma.test');
  });

  it('refuses actions the adapters do not implement, with a clear status', async () => {
    const su = await insertUsers(testDb.db, 'sqlite', [{ email: 'root@ops.test', role: 'superuser' }]);
    const { agent, csrf } = await host.agentAs(su[0]);
    const resend = await agent.post('/admin/teams/org_1/invitations/inv_1/resend').type('form').send({ _csrf: await csrf() }).expect(409);
    expect(resend.text).toContain('no resend method');
    const transfer = await agent.post('/admin/teams/org_1/transfer').type('form').send({ _csrf: await csrf(), user_id: owner }).expect(409);
    expect(transfer.text).toContain('no owner column');
  });
});

describe('billing and team model options are validated', () => {
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  const getUser = () => null;
  afterAll(() => db.destroy());

  it.each<[string, Record<string, unknown>, string]>([
    ['billing not an object', { billing: 'stripe' }, 'express-backstage: options.billing must be false or an object ({ externalUrl(subscription) }), got "stripe"'],
    ['externalUrl not a function', { billing: { externalUrl: 'https://stripe.test' } }, 'options.billing.externalUrl must be a function, got "https://stripe.test"'],
    ['an unknown subscriptions column', { models: { subscriptions: { columns: { price: 'amount' } } } }, 'options.models.subscriptions.columns must be an object with keys among id, team_id, plan, status, amount_cents'],
    ['an invitations column that is not a name', { models: { invitations: { columns: { email: 42 } } } }, 'options.models.invitations.columns.email must be a column name or null, got 42'],
  ])('%s', (_name, options, message) => {
    expect(() => createAdmin({ db, getUser, ...options } as any)).toThrow(message);
  });
});

describe('team pages on Express 4', () => {
  let testDb: TestDb;

  afterAll(async () => {
    await testDb?.destroy();
  });

  it('lists, shows, scopes and resends on an Express 4 host', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const express4 = require('express4');
    testDb = await openTestDb('sqlite');
    const { createInvitationsAndSubscriptions, insertInvitation, insertSubscription, insertTeam } = await import('./helpers/host-schema');
    await createHostSchema(testDb.db, 'sqlite');
    await createInvitationsAndSubscriptions(testDb.db, 'sqlite');
    const [admin, owner] = await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }, { email: 'owner@four.test' }]);
    const team = await insertTeam(testDb.db, 'sqlite', 'Express Four Co', [[owner, 'owner']]);
    const invitation = await insertInvitation(testDb.db, 'sqlite', { teamId: team, email: 'new@four.test', expiresAt: new Date(Date.now() - 1000) });
    await insertSubscription(testDb.db, 'sqlite', { teamId: team, plan: 'pro', status: 'active', amountCents: 1000 });
    const host = await createTestApp({ db: testDb.db, express: express4 });
    const { agent, csrf } = await host.agentAs(admin);
    expect((await agent.get('/admin/teams?q=four').expect(200)).text).toContain('Express Four Co');
    expect((await agent.get(`/admin/teams/${team}`).expect(200)).text).toContain('new@four.test');
    await agent.get('/admin/teams/1?after=broken').expect(400);
    await agent.post(`/admin/teams/${team}/invitations/${invitation}/resend`).type('form').send({ _csrf: await csrf() }).expect(303);
    await agent.post(`/admin/teams/${team}/scope`).type('form').send({ _csrf: await csrf() }).expect(303);
    expect((await agent.get('/admin/users').expect(200)).text).toMatch(/id="team-scope"[\s\S]*Express Four Co/);
    await agent.post('/admin/scope/exit').type('form').send({ _csrf: await csrf() }).expect(303);
    expect((await agent.get('/admin/billing').expect(200)).text).toContain('USD 10.00');
    await host.admin.close();
  });
});
