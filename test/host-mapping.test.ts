/**
 * A host whose schema is not ours: `accounts` instead of `users`, `full_name`,
 * a boolean `is_admin` instead of a role string, an inverted `is_active` flag
 * instead of a ban date, epoch-millisecond dates and no confirmation column.
 */
import { sql } from 'kysely';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createTestApp, type TestApp } from './helpers/test-app';
import { decoded } from './helpers/html';

describe.each(DIALECTS)('a host with its own users schema on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  let ids: Record<string, string>;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    const db = testDb.db;
    await db.schema
      .createTable('accounts')
      .addColumn('account_id', dialect === 'postgres' ? 'serial' : 'integer', (col) => (dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement()))
      .addColumn('login_email', 'varchar(200)', (col) => col.notNull())
      .addColumn('full_name', 'varchar(200)')
      .addColumn('is_admin', 'boolean', (col) => col.notNull())
      .addColumn('is_active', 'boolean')
      .addColumn('signed_up_ms', 'bigint', (col) => col.notNull())
      .execute();
    const rows = [
      ['ops@host.test', 'Olga Ops', true, true],
      ['cust@host.test', 'Carl Customer', false, true],
      ['gone@host.test', 'Gina Gone', false, false],
    ] as const;
    for (const [i, [email, name, isAdmin, active]] of rows.entries()) {
      await db
        .insertInto('accounts')
        .values({ login_email: email, full_name: name, is_admin: dialect === 'sqlite' ? Number(isAdmin) : isAdmin, is_active: dialect === 'sqlite' ? Number(active) : active, signed_up_ms: Date.UTC(2026, 0, 1) + i * 1000 })
        .execute();
    }
    const all = await db.selectFrom('accounts').select(['account_id', 'login_email']).execute();
    ids = Object.fromEntries(all.map((r) => [String(r.login_email).split('@')[0], String(r.account_id)]));
    host = await createTestApp({
      db,
      hostUsers: { table: 'accounts', id: 'account_id' },
      admin: {
        roleOf: (user: any) => (user.is_admin === true || user.is_admin === 1 ? 'admin' : 'customer'),
        idOf: (user: any) => user.account_id,
        roles: ['admin'],
        superuserRoles: ['admin'],
        models: {
          users: {
            table: 'accounts',
            columns: { id: 'account_id', email: 'login_email', name: 'full_name', role: 'is_admin', createdAt: 'signed_up_ms', bannedAt: 'is_active', confirmedAt: null, lastSignInAt: null },
            role: { kind: 'boolean', trueValue: 'admin', falseValue: 'customer' },
            banned: { kind: 'active-flag' },
            dates: 'epoch-ms',
          },
        },
      },
    });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('lists the accounts with roles and statuses read through the mapping', async () => {
    const { agent } = await host.agentAs(ids.ops);
    const res = await agent.get('/admin/users').expect(200);
    const text = decoded(res.text);
    expect(text).toContain('Carl Customer');
    expect(text).toContain('2026-01-01');
    const banned = await agent.get('/admin/users?status=banned').expect(200);
    expect(banned.text).toContain('gone@host.test');
    expect(banned.text).not.toContain('cust@host.test');
    const admins = await agent.get('/admin/users?role=admin').expect(200);
    expect(admins.text).toContain('ops@host.test');
    expect(admins.text).not.toContain('cust@host.test');
    expect(res.text).not.toContain('unconfirmed');
  });

  it('bans by clearing is_active and promotes by setting is_admin', async () => {
    const { agent, csrf } = await host.agentAs(ids.ops);
    await agent.post(`/admin/users/${ids.cust}/ban`).type('form').send({ _csrf: await csrf(), reason: 'test' }).expect(303);
    let row = await testDb.db.selectFrom('accounts').select(['is_active', 'is_admin']).where('account_id', '=', ids.cust).executeTakeFirstOrThrow();
    expect(Boolean(row.is_active)).toBe(false);
    await agent.post(`/admin/users/${ids.cust}/unban`).type('form').send({ _csrf: await csrf() }).expect(303);
    await agent.post(`/admin/users/${ids.cust}/role`).type('form').send({ _csrf: await csrf(), role: 'admin' }).expect(303);
    row = await testDb.db.selectFrom('accounts').select(['is_active', 'is_admin']).where('account_id', '=', ids.cust).executeTakeFirstOrThrow();
    expect(Boolean(row.is_active)).toBe(true);
    expect(Boolean(row.is_admin)).toBe(true);
  });

  it('a column named in the mapping that does not exist fails at start-up with the columns it found', async () => {
    const errorLog = jest.spyOn(console, 'error').mockImplementation(() => {});
    const { createAdmin } = await import('../src');
    const admin = createAdmin({ db: testDb.db, getUser: () => null, models: { users: { table: 'accounts', columns: { id: 'account_id', email: 'email_address' } } } });
    await expect(admin.ready()).rejects.toThrow(/options\.models\.users\.columns\.email is "email_address", but table "accounts" has no such column \(columns: account_id, login_email/);
    errorLog.mockRestore();
  });

  it('an optional default column that is absent hides its feature instead of failing', async () => {
    await sql`select 1`.execute(testDb.db);
    const { agent } = await host.agentAs(ids.ops);
    const res = await agent.get(`/admin/users/${ids.cust}`).expect(200);
    expect(res.text).not.toContain('Confirmed');
  });
});
