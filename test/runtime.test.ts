/**
 * /admin/dev/runtime: the Node process, the host, the database and Redis at a
 * glance, on every dialect, without ever showing a secret.
 */
import { sql } from 'kysely';
import { redactSql } from '../src/runtime/format';
import { parseInfo } from '../src/runtime/redis-figures';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';
import { openStream, serve, signInCookie, sleep } from './live-helpers';

const SECRET_LITERAL = 'sk_live_runtime_literal_4f2a';
const SECRET_ENV = 'env-secret-value-9c1d7e';

/** Passwords in the URLs the suites connect with, if any: the page must not show them. */
function urlPasswords(): string[] {
  return [process.env.TEST_POSTGRES_URL, process.env.TEST_MYSQL_URL, process.env.TEST_REDIS_URL]
    .filter((url): url is string => Boolean(url))
    .map((url) => decodeURIComponent(new URL(url).password))
    .filter((password) => password.length >= 6);
}

describe.each(DIALECTS)('the runtime page on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  let admin: string;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    process.env.STRIPE_SECRET_KEY = SECRET_ENV;
    process.env.DATABASE_URL = `postgres://app:${SECRET_ENV}@db.internal:5432/app`;
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    [, admin] = await insertUsers(testDb.db, dialect, [
      { email: 'root@ops.test', role: 'superuser' },
      { email: 'sam@ops.test', role: 'admin' },
    ]);
    host = await createTestApp({ db: testDb.db });
  });

  afterAll(async () => {
    process.env = savedEnv;
    await host?.admin.close();
    await testDb?.destroy();
  });

  if (dialect !== 'sqlite') {
    it('support sees the longest-running query with its literals taken out', async () => {
      const running =
        dialect === 'postgres'
          ? sql`select pg_sleep(1.5), ${sql.lit(SECRET_LITERAL)} as token`.execute(testDb.db)
          : sql`select sleep(1.5), ${sql.lit(SECRET_LITERAL)} as token`.execute(testDb.db);
      await sleep(300);
      const { agent } = await host.agentAs(admin);
      const res = await agent.get('/admin/dev/runtime').expect(200);
      await running;
      const text = decoded(res.text);
      expect(text).toContain('Longest-running queries');
      expect(text).toMatch(dialect === 'postgres' ? /select pg_sleep\(\?\), \? as token/ : /select sleep\(\?\), \? as token/);
      expect(text).not.toContain(SECRET_LITERAL);
    });
  }

  it('an operator sees the process, the host and the database, and no secret', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/dev/runtime').expect(200);
    const text = decoded(res.text);
    for (const heading of ['Node.js process', 'Event loop and GC', 'Host', 'Database', 'Active handles by type']) expect(text).toContain(heading);
    expect(text).toContain(process.versions.node);
    expect(text).toMatch(/Heap used \/ total<\/dt><dd>[\d.]+ MiB \/ [\d.]+ MiB/);
    if (dialect === 'sqlite') {
      expect(text).toMatch(/<dd>SQLite 3\.\d+/);
      for (const fact of ['Page size', 'Journal mode', 'File size']) expect(text).toContain(fact);
      expect(text).toContain('in memory');
    }
    if (dialect === 'postgres') {
      expect(text).toMatch(/<dd>PostgreSQL \d+/);
      for (const fact of ['Cache hit rate', 'Index hit rate', 'Database size', 'Largest tables', 'Database connections by state']) expect(text).toContain(fact);
      expect(text).toMatch(/<td>users<\/td>/);
    }
    if (dialect === 'mysql') {
      expect(text).toMatch(/<dt>Server<\/dt><dd>\d+\.\d+/);
      for (const fact of ['Buffer pool hit rate', 'Slow queries', 'Largest tables']) expect(text).toContain(fact);
      expect(text).toMatch(/<td>users<\/td>/);
    }
    expect(text).not.toContain(SECRET_ENV);
    for (const password of urlPasswords()) expect(text).not.toContain(password);
    expect(text).not.toContain('secret-hash-never-shown');
    expect(text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});

describe('the runtime page live', () => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }]);
  });

  afterAll(() => testDb?.destroy());

  it('figures are pushed on the sampling interval while the page is open, with the event-loop delay measured', async () => {
    const host = await createTestApp({ db: testDb.db, admin: { live: { sampleMs: 100, instanceId: 'web-1' } } });
    const server = await serve(host.app);
    try {
      const cookie = await signInCookie(server.url, '1');
      const page = await openStream(server.url, '/admin/live?topics=runtime', { cookie });
      await page.waitFor(() => page.events('runtime').length >= 3, 3000, 'three samples');
      const samples = page.events('runtime').map((e) => e.data);
      expect(samples.every((s) => s.origin === 'web-1' && s.payload.instance === 'web-1')).toBe(true);
      const last = samples.at(-1)!.payload;
      const loop = last.sections.find((s: any) => s.id === 'eventLoop');
      expect(loop.facts.find((f: string[]) => f[0] === 'Delay p99')[1]).toMatch(/ms$/);
      expect(typeof last.series.cpuPercent).toBe('number');
      expect(typeof last.series.eventLoopP99Ms).toBe('number');
      page.close();

      // The page's own HTML names this instance and offers no selector with one instance and no Redis.
      const { agent } = await host.agentAs('1');
      const html = (await agent.get('/admin/dev/runtime').expect(200)).text;
      expect(html).toContain('data-live-scope');
      expect(html).toContain('web-1');
      expect(html).not.toContain('data-live-instance');
    } finally {
      await host.admin.close();
      await server.close();
    }
  });
});

describe('what the runtime page reads is cleaned before it is shown', () => {
  it.each([
    ["select * from users where email = 'jane@acme.test' and id = 42", 'select * from users where email = ? and id = ?'],
    ["update tokens set value = 'it''s secret' where user_id = $1", 'update tokens set value = ? where user_id = $1'],
    ['select $body$ secret body $body$ as x, t1.id from t1', 'select ? as x, t1.id from t1'],
    ["insert into keys (k) values ('sk_live_abcdef", 'insert into keys (k) values (?…'],
    ['select   1.5,\n  -3   from dual', 'select ?, ? from dual'],
  ])('%s', (query, shown) => {
    expect(redactSql(query)).toBe(shown);
  });

  it('MySQL double-quoted strings are literals too', () => {
    expect(redactSql('select * from users where email = "jane@acme.test"', { doubleQuotedStrings: true })).toBe('select * from users where email = ?');
    expect(redactSql('select * from "users"')).toBe('select * from "users"');
  });

  it('INFO is read field by field', () => {
    const info = parseInfo('# Server\r\nredis_version:7.2.4\r\nexecutable:/usr/bin/redis-server\r\n\r\n# Clients\r\nconnected_clients:3\r\n');
    expect(info.get('redis_version')).toBe('7.2.4');
    expect(info.get('connected_clients')).toBe('3');
  });
});
