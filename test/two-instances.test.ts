/**
 * Two instances of the host app behind a load balancer, on one database and
 * one session store: a browser's requests land on either. The two consoles
 * share nothing in memory — separate createAdmin, separate database
 * connections, separate express-session middleware — only what production
 * instances share: the database and the session store. (express-session's
 * MemoryStore, one instance handed to both, stands in for a shared Redis
 * store: it keeps sessions as JSON, so nothing is shared by reference.)
 *
 * Whichever instance serves a request, the impersonation, its stop, its
 * expiry, a superuser's kill and the audit log are the same story.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import session, { MemoryStore } from 'express-session';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import { Pool } from 'pg';
import { createAdmin, type Admin } from '../src';
import { DIALECTS, openTestDb, type DialectName, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { csrfTokenIn, formBody, RawClient } from './helpers/raw-http';
import { sessionUserIdSignIn } from './helpers/test-app';
import { listen, type Listening } from './browser/helpers';

jest.setTimeout(60_000);

const T0 = Date.UTC(2026, 4, 4, 10, 0, 0);
/** Wall-clock time, as both machines see it (NTP): one clock the test can move. */
let clock = T0;
const now = () => new Date(clock);

function words(html: string): string {
  return decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

/** The test's database namespace, opened a second time: instance B's own connections. */
async function secondConnection(dialect: DialectName, first: TestDb, sqliteFile: string | null): Promise<Kysely<any>> {
  if (dialect === 'sqlite') {
    const database = new Database(sqliteFile!);
    database.pragma('busy_timeout = 5000');
    return new Kysely<any>({ dialect: new SqliteDialect({ database }) });
  }
  if (dialect === 'postgres') {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(first.db);
    return new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.TEST_POSTGRES_URL, max: 4, options: `-c search_path=${rows[0].schema}` }) }) });
  }
  const { rows } = await sql<{ name: string }>`select database() as name`.execute(first.db);
  const url = new URL(process.env.TEST_MYSQL_URL!);
  url.pathname = `/${rows[0].name}`;
  return new Kysely<any>({ dialect: new MysqlDialect({ pool: createPool({ uri: url.toString(), connectionLimit: 4 }) as any }) });
}

interface Instance {
  name: string;
  admin: Admin;
  server: Listening;
}

/** One instance of the host app: its own express app, session middleware, sign-in and console. */
async function startInstance(name: string, db: Kysely<any>, store: session.Store): Promise<Instance> {
  const app = express();
  app.use(session({ store, secret: 'the-secret-both-instances-are-deployed-with', resave: false, saveUninitialized: false }));
  app.get('/test/sign-in/:id', (req, res) => {
    (req.session as any).userId = req.params.id;
    res.send('ok');
  });
  app.use(async (req: any, _res, next) => {
    try {
      req.user = req.session?.userId ? ((await db.selectFrom('users').selectAll().where('id', '=', Number(req.session.userId)).executeTakeFirst()) ?? null) : null;
      next();
    } catch (err) {
      next(err);
    }
  });
  const admin = createAdmin({ db, getUser: (req: any) => req.user ?? null, now, live: false, impersonation: { signIn: sessionUserIdSignIn, landingPath: '/app' } });
  app.use(admin.guard);
  app.use('/admin', admin);
  app.get('/app', (req: any, res) => res.send(`<!doctype html><html><body><p id="who">Signed in as ${req.user?.email ?? 'nobody'}</p><p id="instance">${name}</p></body></html>`));
  await admin.ready().catch(() => undefined);
  return { name, admin, server: await listen(app) };
}

describe.each(DIALECTS)('two instances on one %s database and one session store', (dialect) => {
  let testDb: TestDb;
  let dbB: Kysely<any>;
  let tmpDir: string | null = null;
  let a: Instance;
  let b: Instance;
  let ids: Record<'root' | 'sam' | 'jane' | 'bob', string>;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    let sqliteFile: string | null = null;
    if (dialect === 'sqlite') {
      // Two connections need a file; an in-memory SQLite database belongs to one connection.
      tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-two-instances-'));
      sqliteFile = path.join(tmpDir, 'app.sqlite');
      const database = new Database(sqliteFile);
      database.pragma('journal_mode = WAL');
      database.pragma('busy_timeout = 5000');
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
      testDb = { dialect, db, destroy: () => db.destroy() };
    } else {
      testDb = await openTestDb(dialect);
    }
    await createHostSchema(testDb.db, dialect);
    const [root, sam, jane, bob] = await insertUsers(testDb.db, dialect, [
      { email: 'root@ops.test', role: 'superuser' },
      { email: 'sam@ops.test', role: 'admin' },
      { email: 'jane@acme.test', name: 'Jane Doe' },
      { email: 'bob@acme.test' },
    ]);
    ids = { root, sam, jane, bob };
    dbB = await secondConnection(dialect, testDb, sqliteFile);
    const store = new MemoryStore();
    a = await startInstance('A', testDb.db, store);
    b = await startInstance('B', dbB, store);
    // Both instances run their migrations at start-up, at the same time; exactly one applies them.
    const [ra, rb] = await Promise.all([a.admin.migrate(), b.admin.migrate()]);
    expect([...ra.applied, ...rb.applied].sort()).toEqual([...new Set([...ra.applied, ...rb.applied])].sort());
    expect(ra.applied.length + rb.applied.length).toBeGreaterThan(0);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const instance of [a, b]) {
      await instance?.server.close();
      await instance?.admin.close();
    }
    await dbB?.destroy();
    await testDb?.destroy();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    clock = T0;
  });

  /** A browser behind the load balancer: one cookie jar, each request sent to the instance named. */
  async function browser(userId: string, signInOn: Instance = a) {
    const client = new RawClient(a.server.url);
    clients.push(client);
    const on = (instance: Instance) => ({
      get: (p: string) => client.get(p, { origin: instance.server.url }),
      post: (p: string, fields: Record<string, string>) => client.post(p, formBody(fields), { origin: instance.server.url }),
    });
    await on(signInOn).get(`/test/sign-in/${userId}`);
    return { on };
  }

  async function auditActions(): Promise<string[]> {
    const rows = await testDb.db.selectFrom('backstage_audit_events').select(['action', 'subject_id']).orderBy('id').execute();
    return rows.map((r) => `${r.action} ${r.subject_id}`);
  }

  it('one session for both: signed in through A, the console on B knows the operator, and a token from A works on B', async () => {
    const sam = await browser(ids.sam);
    const consoleB = await sam.on(b).get('/admin/');
    expect(consoleB.status).toBe(200);
    expect(words(consoleB.text)).toContain('sam@ops.test');
    const tokenFromA = csrfTokenIn((await sam.on(a).get(`/admin/users/${ids.bob}`)).text)!;
    const ban = await sam.on(b).post(`/admin/users/${ids.bob}/ban`, { _csrf: tokenFromA, reason: 'spam, seen on A, banned on B' });
    expect(ban.status).toBe(303);
    const unban = await sam.on(a).post(`/admin/users/${ids.bob}/unban`, { _csrf: tokenFromA });
    expect(unban.status).toBe(303);
  });

  it('an impersonation started through A shows its banner on B, is stopped through B, and the app on A is the operator again', async () => {
    const sam = await browser(ids.sam);
    const before = (await auditActions()).length;
    const start = await sam.on(a).get(`/admin/users/${ids.jane}/impersonate`);
    const res = await sam.on(a).post(`/admin/users/${ids.jane}/impersonate`, { _csrf: csrfTokenIn(start.text)!, reason: 'Ticket 88: invoices missing', minutes: '15', mode: 'read-only' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app');

    const onB = await sam.on(b).get('/app');
    expect(words(onB.text)).toContain('Signed in as jane@acme.test');
    expect(words(onB.text)).toMatch(/You are sam@ops\.test ?, acting as Jane Doe <jane@acme\.test>/);
    expect(words(onB.text)).toContain('15 minutes left');
    // The console is closed on both.
    expect((await sam.on(a).get('/admin/')).status).toBe(403);
    expect((await sam.on(b).get('/admin/users')).status).toBe(403);
    // Read-only on both.
    const write = await sam.on(a).post('/app', { name: 'x' });
    expect(write.status).toBe(403);

    const stop = await sam.on(b).post('/admin/impersonation/stop', { _csrf: csrfTokenIn(onB.text)! });
    expect(stop.status).toBe(303);
    expect(stop.headers.location).toBe(`/admin/users/${ids.jane}`);
    const onA = await sam.on(a).get('/app');
    expect(words(onA.text)).toContain('Signed in as sam@ops.test');
    expect(onA.text).not.toContain('backstage-imp');
    expect((await sam.on(a).get('/admin/')).status).toBe(200);

    expect((await auditActions()).slice(before)).toEqual([`impersonation.started ${ids.jane}`, `impersonation.write_refused ${ids.jane}`, `impersonation.stopped ${ids.jane}`]);
  });

  it('an impersonation started on A expires on B when its time is up, exactly once', async () => {
    const sam = await browser(ids.sam);
    const before = (await auditActions()).length;
    const start = await sam.on(a).get(`/admin/users/${ids.jane}/impersonate`);
    await sam.on(a).post(`/admin/users/${ids.jane}/impersonate`, { _csrf: csrfTokenIn(start.text)!, reason: 'Ticket 89', minutes: '5', mode: 'read-only' });
    clock += 4 * 60_000;
    expect(words((await sam.on(b).get('/app')).text)).toContain('1 minute left');
    clock += 2 * 60_000;
    const expired = await sam.on(b).get('/app');
    expect(expired.status).toBe(303);
    expect(expired.headers.location).toBe(`/admin/users/${ids.jane}`);
    const consoleA = await sam.on(a).get(`/admin/users/${ids.jane}`);
    expect(consoleA.status).toBe(200);
    expect(words(consoleA.text)).toContain('Your impersonation of jane@acme.test has ended: its 5 minutes were up.');
    expect(words((await sam.on(a).get('/app')).text)).toContain('Signed in as sam@ops.test');
    expect(words((await sam.on(b).get('/app')).text)).toContain('Signed in as sam@ops.test');
    expect((await auditActions()).slice(before)).toEqual([`impersonation.started ${ids.jane}`, `impersonation.expired ${ids.jane}`]);
  });

  it('a superuser on A ends an impersonation whose browser is served by B; B ends it on the next request', async () => {
    const sam = await browser(ids.sam);
    const start = await sam.on(b).get(`/admin/users/${ids.bob}/impersonate`);
    await sam.on(b).post(`/admin/users/${ids.bob}/impersonate`, { _csrf: csrfTokenIn(start.text)!, reason: 'Ticket 90', minutes: '15', mode: 'full' });
    expect(words((await sam.on(b).get('/app')).text)).toContain('Signed in as bob@acme.test');

    const root = await browser(ids.root, b);
    const list = await root.on(a).get('/admin/impersonations');
    const running = words(list.text.slice(list.text.indexOf('id="running-title"'), list.text.indexOf('id="recent-title"')));
    expect(running).toContain('sam@ops.test admin bob@acme.test full Ticket 90');
    const form = /action="\/admin\/impersonations\/(\d+)\/end"/.exec(list.text);
    expect(form).not.toBeNull();
    const kill = await root.on(a).post(`/admin/impersonations/${form![1]}/end`, { _csrf: csrfTokenIn(list.text)!, reason: 'Full mode was not approved' });
    expect(kill.status).toBe(303);

    const next = await sam.on(b).get('/app');
    expect(next.status).toBe(303);
    const console = await sam.on(a).get(`/admin/users/${ids.bob}`);
    expect(words(console.text)).toContain('A superuser (root@ops.test) ended your impersonation of bob@acme.test');
    expect(words((await sam.on(a).get('/app')).text)).toContain('Signed in as sam@ops.test');
    const afterB = words((await root.on(b).get('/admin/impersonations')).text);
    expect(afterB).toContain('Nobody is impersonating anyone right now.');
    expect(afterB).toMatch(/sam@ops\.test bob@acme\.test full, 15 min Ticket 90 ended by a superuser by root@ops\.test/);
  });

  it('the audit log is the same story on A and on B: every event once, in the same order', async () => {
    const root = await browser(ids.root);
    const pageA = await root.on(a).get('/admin/audit?limit=200');
    const pageB = await root.on(b).get('/admin/audit?limit=200');
    const rowsOf = (html: string) => [...html.matchAll(/<span class="badge accent mono">([^<]+)<\/span>/g)].map((m) => m[1]);
    expect(rowsOf(pageA.text).length).toBeGreaterThan(8);
    expect(rowsOf(pageB.text)).toEqual(rowsOf(pageA.text));
    const all = await testDb.db.selectFrom('backstage_audit_events').select(['id', 'action', 'created_at']).execute();
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    expect(all.filter((r) => r.action === 'impersonation.started')).toHaveLength(3);
    expect(all.filter((r) => ['impersonation.stopped', 'impersonation.expired', 'impersonation.ended'].includes(r.action))).toHaveLength(3);
    expect(all.filter((r) => r.action === 'impersonation.killed')).toHaveLength(1);
  });
});
