import { sql } from 'kysely';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertManyUsers, insertTeam, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';

describe.each(DIALECTS)('users pages on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  let ids: Record<'superuser' | 'admin' | 'jane' | 'bob' | 'banned', string>;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    const [superuser, admin, jane, bob, banned] = await insertUsers(testDb.db, dialect, [
      { email: 'root@ops.test', name: 'Rita Root', role: 'superuser' },
      { email: 'sam@ops.test', name: 'Sam Support', role: 'admin' },
      { email: 'jane@acme.test', name: 'Jane Doe' },
      { email: 'bob@globex.test', name: 'Bob Stone', confirmedAt: null },
      { email: 'mallory@evil.test', name: 'Mallory', bannedAt: new Date('2026-02-01T00:00:00Z') },
    ]);
    ids = { superuser, admin, jane, bob, banned };
    await insertTeam(testDb.db, dialect, 'Acme Inc', [[jane, 'owner'], [bob, 'member']]);
    await insertManyUsers(testDb.db, dialect, 120);
    host = await createTestApp({ db: testDb.db });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('support finds a user by part of their email and opens them', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const list = await agent.get('/admin/users?q=acme').expect(200);
    expect(list.text).toContain('jane@acme.test');
    expect(list.text).not.toContain('bob@globex.test');
    const page = await agent.get(`/admin/users/${ids.jane}`).expect(200);
    expect(page.text).toContain('Jane Doe');
    expect(page.text).toContain('Acme Inc');
    expect(page.text).toContain('owner');
    expect(page.text).not.toContain('secret-hash-never-shown');
  });

  it('every word of a search must match the email or the name', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get('/admin/users?q=jane+acme').expect(200);
    expect(res.text).toContain('jane@acme.test');
    const none = await agent.get('/admin/users?q=jane+globex').expect(200);
    expect(none.text).not.toContain('jane@acme.test');
    expect(none.text).toContain('No users match');
  });

  it('a search for LIKE wildcards matches them literally', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get('/admin/users?q=%25').expect(200);
    expect(res.text).toContain('No users match');
  });

  it('filters by role and status', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const admins = await agent.get('/admin/users?role=admin').expect(200);
    expect(admins.text).toContain('sam@ops.test');
    expect(admins.text).not.toContain('jane@acme.test');
    const banned = await agent.get('/admin/users?status=banned').expect(200);
    expect(banned.text).toContain('mallory@evil.test');
    expect(banned.text).not.toContain('jane@acme.test');
    const unconfirmed = await agent.get('/admin/users?status=unconfirmed').expect(200);
    expect(unconfirmed.text).toContain('bob@globex.test');
    expect(unconfirmed.text).not.toContain('jane@acme.test');
  });

  it('pages through every user exactly once with cursors', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const seen: string[] = [];
    let url: string | null = '/admin/users?limit=25&sort=-created_at';
    while (url) {
      const res = await agent.get(url).expect(200);
      seen.push(...[...res.text.matchAll(/<span>([^<]+@[^<]+)<\/span><\/span>/g)].map((m) => m[1]));
      const next = /rel="next" href="([^"]+)"/.exec(res.text);
      url = next ? next[1].replace(/&amp;/g, '&') : null;
    }
    expect(seen).toHaveLength(125);
    expect(new Set(seen).size).toBe(125);
  });

  it('answers htmx requests with the results fragment only, and varies on HX-Request', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get('/admin/users?q=jane').set('HX-Request', 'true').set('HX-Request-Type', 'partial').expect(200);
    expect(res.text).not.toContain('<html');
    expect(res.text).toContain('jane@acme.test');
    expect(res.headers.vary).toMatch(/HX-Request/i);
  });

  it.each([
    ['?sort=password_hash', 'Cannot sort by "password_hash"'],
    ['?limit=5000', '"limit" must be a whole number from 1 to 200'],
    ['?role=emperor', '"role" must be one of'],
    ['?from=yesterday', '"from" must be a date'],
    ['?after=not-a-cursor', 'cursor'],
    ['?q=a&q=b', 'given more than once'],
  ])('a bad parameter %s gets a clear 400', async (query, message) => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get(`/admin/users${query}`).expect(400);
    expect(decoded(res.text)).toContain(message);
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('an unknown user is a 404 with a message', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get('/admin/users/999999').expect(404);
    expect(res.text).toContain('No user with id 999999');
  });

  it('a superuser changes a role, and the audit log tells who, what and why', async () => {
    const { agent, csrf } = await host.agentAs(ids.superuser);
    await agent
      .post(`/admin/users/${ids.bob}/role`)
      .type('form')
      .send({ _csrf: await csrf(), role: 'admin', reason: 'Promoted to support rota' })
      .expect(303);
    const row = await testDb.db.selectFrom('users').select('role').where('id', '=', ids.bob).executeTakeFirstOrThrow();
    expect(row.role).toBe('admin');
    const audit = await agent.get(`/admin/audit?subject_type=user&subject_id=${ids.bob}`).expect(200);
    expect(audit.text).toContain('user.role_changed');
    expect(audit.text).toContain('Promoted to support rota');
    expect(audit.text).toContain('root@ops.test');
    await agent.post(`/admin/users/${ids.bob}/role`).type('form').send({ _csrf: await csrf(), role: 'user' }).expect(303);
  });

  it('an admin cannot change roles: refused on the server, not only hidden', async () => {
    const { agent, csrf } = await host.agentAs(ids.admin);
    const page = await agent.get(`/admin/users/${ids.jane}`).expect(200);
    expect(page.text).not.toContain('/role"');
    await agent.post(`/admin/users/${ids.jane}/role`).type('form').send({ _csrf: await csrf(), role: 'superuser' }).expect(403);
    const row = await testDb.db.selectFrom('users').select('role').where('id', '=', ids.jane).executeTakeFirstOrThrow();
    expect(row.role).toBe('user');
  });

  it('refuses an unknown role value and a change of your own role', async () => {
    const { agent, csrf } = await host.agentAs(ids.superuser);
    const bad = await agent.post(`/admin/users/${ids.jane}/role`).type('form').send({ _csrf: await csrf(), role: 'emperor' }).expect(400);
    expect(bad.text).toContain('Choose one of these roles');
    const own = await agent.post(`/admin/users/${ids.superuser}/role`).type('form').send({ _csrf: await csrf(), role: 'user' }).expect(403);
    expect(own.text).toContain('cannot change your own role');
  });

  it('an admin bans and unbans a plain user, with audit events', async () => {
    const { agent, csrf } = await host.agentAs(ids.admin);
    await agent.post(`/admin/users/${ids.jane}/ban`).type('form').send({ _csrf: await csrf(), reason: 'Chargeback fraud' }).expect(303);
    let row = await testDb.db.selectFrom('users').select('banned_at').where('id', '=', ids.jane).executeTakeFirstOrThrow();
    expect(row.banned_at).not.toBeNull();
    const page = await agent.get(`/admin/users/${ids.jane}`).expect(200);
    expect(page.text).toContain('banned');
    expect(page.text).toContain('Chargeback fraud');
    await agent.post(`/admin/users/${ids.jane}/unban`).type('form').send({ _csrf: await csrf() }).expect(303);
    row = await testDb.db.selectFrom('users').select('banned_at').where('id', '=', ids.jane).executeTakeFirstOrThrow();
    expect(row.banned_at).toBeNull();
    const events = await testDb.db.selectFrom('backstage_audit_events').select(['action', 'actor_email']).where('subject_id', '=', ids.jane).orderBy('id').execute();
    expect(events.map((e) => e.action)).toEqual(['user.banned', 'user.unbanned']);
    expect(events[0].actor_email).toBe('sam@ops.test');
  });

  it('an admin cannot ban another operator', async () => {
    const { agent, csrf } = await host.agentAs(ids.admin);
    await agent.post(`/admin/users/${ids.superuser}/ban`).type('form').send({ _csrf: await csrf() }).expect(403);
  });

  it('a write without a CSRF token is refused and changes nothing', async () => {
    const { agent } = await host.agentAs(ids.superuser);
    const res = await agent.post(`/admin/users/${ids.jane}/ban`).type('form').send({ reason: 'x' }).expect(403);
    expect(res.text).toContain('security token');
    const row = await testDb.db.selectFrom('users').select('banned_at').where('id', '=', ids.jane).executeTakeFirstOrThrow();
    expect(row.banned_at).toBeNull();
  });
});

describe.each(DIALECTS.filter((d) => d !== 'sqlite'))('users sharing a millisecond on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    if (dialect === 'mysql') await sql`alter table users modify created_at datetime(6) not null`.execute(testDb.db);
    await insertUsers(testDb.db, dialect, [{ email: 'root@ops.test', role: 'superuser', createdAt: new Date('2025-01-01T00:00:00Z') }]);
    // Five users within one millisecond, apart only in microseconds, as `default now()` writes them.
    for (let i = 1; i <= 5; i++) {
      const at = dialect === 'postgres' ? sql`timestamptz '2026-03-01 10:00:00.123000+00' + ${`${i} microseconds`}::interval` : sql`timestamp('2026-03-01 10:00:00.123000') + interval ${i} microsecond`;
      await sql`insert into users (email, name, role, created_at) values (${`micro${i}@same.test`}, ${`Micro ${i}`}, 'user', ${at})`.execute(testDb.db);
    }
    host = await createTestApp({ db: testDb.db });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('pages through them without skipping any', async () => {
    const { agent } = await host.agentAs('1');
    const seen: string[] = [];
    let url: string | null = '/admin/users?q=same.test&limit=2';
    while (url) {
      const res = await agent.get(url).expect(200);
      seen.push(...[...res.text.matchAll(/<span>(micro\d@same\.test)<\/span>/g)].map((m) => m[1]));
      const next = /rel="next" href="([^"]+)"/.exec(res.text);
      url = next ? next[1].replace(/&amp;/g, '&') : null;
    }
    expect(seen).toEqual(['micro5@same.test', 'micro4@same.test', 'micro3@same.test', 'micro2@same.test', 'micro1@same.test']);
  });
});
