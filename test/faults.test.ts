/**
 * Faults, as they happen in production: the database connection drops (a
 * failover, a network partition), the audit log cannot be written (a full
 * disk, a revoked grant, a botched migration), Redis restarts. The console
 * says so clearly, never reports success for a change it did not make (or did
 * not audit), and works again when the service is back, without a restart of
 * the host app.
 */
import http from 'node:http';
import net from 'node:net';
import Bull from 'bull';
import { Kysely, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow, sql } from 'kysely';
import { DIALECTS, openTestDb, type DialectName, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { csrfTokenIn, formBody, RawClient, signIn } from './helpers/raw-http';
import { createTestApp, sessionUserIdSignIn, type TestApp } from './helpers/test-app';
import { listen, type Listening } from './browser/helpers';
import { privateRedis, type PrivateRedis } from './helpers/private-redis';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const noop = () => undefined;

function words(html: string): string {
  return decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

/** Retries `probe` until it returns true or `ms` pass; returns how long it took, or null. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await probe().catch(() => false)) return Date.now() - started;
    await sleep(100);
  }
  return null;
}



/**
 * A TCP proxy the test controls, in front of the database: `cut()` drops every
 * connection and refuses new ones (the port is closed), `restore()` opens it
 * again on the same port.
 */
class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  connections = 0;

  /** Milliseconds added to every answer from the database, so requests are in flight when the cut comes. */
  latencyMs = 0;

  constructor(
    private readonly target: { host: string; port: number },
  ) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      this.connections++;
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (this.latencyMs === 0) client.write(chunk);
        else setTimeout(() => client.destroyed || client.write(chunk), this.latencyMs);
      });
      upstream.on('end', () => client.end());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  restore(): Promise<void> {
    return this.open();
  }
}

/** The URL of the test's database namespace, reached through the proxy. */
async function urlThroughProxy(testDb: TestDb, proxyPort: number): Promise<string> {
  if (testDb.dialect === 'postgres') {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(testDb.db);
    const url = new URL(process.env.TEST_POSTGRES_URL!);
    url.host = `127.0.0.1:${proxyPort}`;
    url.searchParams.set('options', `-c search_path=${rows[0].schema}`);
    return url.toString();
  }
  const { rows } = await sql<{ name: string }>`select database() as name`.execute(testDb.db);
  const url = new URL(process.env.TEST_MYSQL_URL!);
  url.host = `127.0.0.1:${proxyPort}`;
  url.pathname = `/${rows[0].name}`;
  return url.toString();
}

const NETWORK_DIALECTS = DIALECTS.filter((d): d is Exclude<DialectName, 'sqlite'> => d !== 'sqlite');

describe.each(NETWORK_DIALECTS)('the console loses its %s connection and gets it back', (dialect) => {
  let testDb: TestDb;
  let proxy: TcpProxy;
  let host: TestApp;
  let server: Listening;
  let support: RawClient;
  let token: string;
  let ids: { root: string; jane: string };
  const logged: string[] = [];
  let errorSpy: jest.SpyInstance;
  let warnSpy: jest.SpyInstance;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    const [root, jane] = await insertUsers(testDb.db, dialect, [{ email: 'root@ops.test', role: 'superuser' }, { email: 'jane@acme.test' }]);
    ids = { root, jane };
    const target = new URL(dialect === 'postgres' ? process.env.TEST_POSTGRES_URL! : process.env.TEST_MYSQL_URL!);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || (dialect === 'postgres' ? 5432 : 3306)) });
    await proxy.open();
    // The host signs people in through its own connection (think: a session cache); the console has its own pool, through the proxy.
    errorSpy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
    warnSpy = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
    host = await createTestApp({ db: testDb.db, admin: { db: await urlThroughProxy(testDb, proxy.port), live: false } });
    server = await listen(host.app);
    support = new RawClient(server.url);
    token = await signIn(support, root);
  });

  afterAll(async () => {
    support?.close();
    await server?.close();
    await host?.admin.close();
    await proxy?.cut();
    await testDb?.destroy();
    errorSpy?.mockRestore();
    warnSpy?.mockRestore();
  });

  it('answers every page with a clear 503 while the database is gone, changes nothing, and recovers without a restart', async () => {
    expect((await support.get('/admin/users')).status).toBe(200);
    expect((await support.get(`/admin/users/${ids.jane}`)).status).toBe(200);
    expect(proxy.connections).toBeGreaterThan(0);

    // Requests in flight when the connection drops (a failover mid-query) fail as cleanly as the ones after it.
    proxy.latencyMs = 150;
    const inFlight = ['/admin/users', `/admin/users/${ids.jane}`, '/admin/audit', '/admin/users?q=jane'].map((path) => support.fork().get(path, { timeoutMs: 15_000 }));
    await sleep(60);
    await proxy.cut();
    proxy.latencyMs = 0;
    for (const res of await Promise.all(inFlight)) {
      expect(res.status).toBe(503);
      expect(words(res.text)).toContain('The database is not reachable right now.');
    }
    // Idle pool connections die with the proxy; nothing may crash the process meanwhile.
    await sleep(200);

    for (const path of ['/admin/users', `/admin/users/${ids.jane}`, '/admin/audit', '/admin/teams']) {
      const res = await support.get(path, { timeoutMs: 15_000 });
      expect({ path, status: res.status }).toEqual({ path, status: 503 });
      expect(words(res.text)).toContain('The database is not reachable right now. The console will work again as soon as it is back.');
      expect(res.ms).toBeLessThan(10_000);
    }
    const htmx = await support.get('/admin/users?q=jane', { headers: { 'hx-request': 'true' } });
    expect(htmx.status).toBe(503);
    expect(htmx.text).toContain('role="alert"');
    const json = await support.get('/admin/users', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(503);
    expect(JSON.parse(json.text).error).toMatch(/database is not reachable/);

    // A ban attempted during the outage is reported as failed and changes nothing.
    const ban = await support.post(`/admin/users/${ids.jane}/ban`, formBody({ _csrf: token, reason: 'during the outage' }));
    expect(ban.status).toBe(503);
    const jane = await testDb.db.selectFrom('users').select('banned_at').where('id', '=', Number(ids.jane)).executeTakeFirstOrThrow();
    expect(jane.banned_at).toBeNull();

    await proxy.restore();
    const recovered = await within(20_000, async () => (await support.get('/admin/users')).status === 200);
    expect(recovered).not.toBeNull();
    expect((await support.get(`/admin/users/${ids.jane}`)).status).toBe(200);
    const after = await support.post(`/admin/users/${ids.jane}/ban`, formBody({ _csrf: token, reason: 'after the outage' }));
    expect(after.status).toBe(303);
    const audit = await testDb.db.selectFrom('backstage_audit_events').select(['action', 'reason']).execute();
    expect(audit).toEqual([{ action: 'user.banned', reason: 'after the outage' }]);
    // Logged for engineering with a reference, never an unhandled 'error' event.
    expect(logged.some((line) => /failed \(ref [0-9a-f]{8}\)/.test(line))).toBe(true);
  });
});

/** Throws on any insert into the audit table while `failing` is set: a full disk, a revoked grant, a dropped table. */
class FailingAuditPlugin implements KyselyPlugin {
  failing = false;
  attempts = 0;

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node as { kind: string; into?: { table?: { identifier?: { name?: string } } } };
    if (this.failing && node.kind === 'InsertQueryNode' && node.into?.table?.identifier?.name === 'backstage_audit_events') {
      this.attempts++;
      throw Object.assign(new Error('permission denied for table backstage_audit_events'), { code: '42501' });
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

describe.each(DIALECTS)('an audit write that fails on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  let plugin: FailingAuditPlugin;
  let ids: { root: string; sam: string; jane: string; kim: string };
  let errorSpy: jest.SpyInstance;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    const [root, sam, jane, kim] = await insertUsers(testDb.db, dialect, [{ email: 'root@ops.test', role: 'superuser' }, { email: 'sam@ops.test', role: 'admin' }, { email: 'jane@acme.test' }, { email: 'kim@acme.test' }]);
    ids = { root, sam, jane, kim };
    plugin = new FailingAuditPlugin();
    errorSpy = jest.spyOn(console, 'error').mockImplementation(noop);
    host = await createTestApp({ db: testDb.db, admin: { db: (testDb.db as Kysely<any>).withPlugin(plugin), live: false, impersonation: { signIn: sessionUserIdSignIn } } });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
    errorSpy?.mockRestore();
  });

  async function usersRows() {
    return testDb.db.selectFrom('users').select(['id', 'role', 'banned_at']).orderBy('id').execute();
  }

  const ACTIONS: Array<[string, (id: string) => [string, Record<string, string>]]> = [
    ['a ban', (id) => [`/admin/users/${id}/ban`, { reason: 'spam' }]],
    ['a role change', (id) => [`/admin/users/${id}/role`, { role: 'admin', reason: 'new hire' }]],
  ];

  it.each(ACTIONS)('%s is reported as failed, and the users table is as it was', async (_what, action) => {
    const { agent, csrf } = await host.agentAs(ids.root);
    const token = await csrf();
    const before = await usersRows();
    const auditBefore = await testDb.db.selectFrom('backstage_audit_events').selectAll().execute();
    plugin.failing = true;
    const attempts = plugin.attempts;
    const [url, body] = action(ids.jane);
    const res = await agent.post(url).type('form').send({ _csrf: token, ...body });
    plugin.failing = false;
    expect(plugin.attempts).toBe(attempts + 1);
    expect(res.status).toBe(503);
    const text = words(res.text);
    expect(text).toContain('The action was not carried out: its entry in the audit log');
    expect(text).toContain('nothing was changed');
    expect(text).not.toMatch(/is now|is banned/);
    expect(await usersRows()).toEqual(before);
    expect(await testDb.db.selectFrom('backstage_audit_events').selectAll().execute()).toEqual(auditBefore);

    // The same action once the audit log can be written again: done, and audited.
    const again = await agent.post(url).type('form').send({ _csrf: token, ...body });
    expect(again.status).toBe(303);
    expect(await usersRows()).not.toEqual(before);
  });

  it('an impersonation does not start without its audit event', async () => {
    const { agent, csrf } = await host.agentAs(ids.sam);
    const token = await csrf();
    plugin.failing = true;
    const res = await agent.post(`/admin/users/${ids.kim}/impersonate`).type('form').send({ _csrf: token, reason: 'ticket 42', minutes: '5' });
    plugin.failing = false;
    expect(res.status).toBe(503);
    expect(words(res.text)).toContain('The action was not carried out: its entry in the audit log (impersonation.started) could not be written');
    // Still the operator, in the console, not signed in as Jane.
    const console = await agent.get('/admin/');
    expect(console.status).toBe(200);
    expect(words(console.text)).toContain('sam@ops.test');
  });
});

describe('Redis stops while the queue pages and live updates are in use, then comes back', () => {
  let redis: PrivateRedis;
  let port: number;
  let queue: Bull.Queue;
  let testDb: TestDb;
  let host: TestApp;
  let server: Listening;
  let support: RawClient;
  let warnSpy: jest.SpyInstance;
  let errorSpy: jest.SpyInstance;

  /** An open live stream: the events it has received so far, by topic. */
  function openStream(): { events: string[]; close(): void; ended: Promise<void> } {
    const events: string[] = [];
    let request: http.ClientRequest;
    const ended = new Promise<void>((resolve) => {
      request = http.get(`${server.url}/admin/live?topics=signups`, { headers: { cookie: support.cookieHeader(), accept: 'text/event-stream' } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          for (const match of chunk.matchAll(/^event: (\w+)$/gm)) events.push(match[1]);
        });
        res.on('close', () => resolve());
      });
      request.on('error', () => resolve());
    });
    return { events, close: () => request.destroy(), ended };
  }

  beforeAll(async () => {
    redis = await privateRedis();
    port = redis.port;
    await redis.start();
    queue = new Bull('mail', { redis: { host: '127.0.0.1', port, retryStrategy: () => 100 }, prefix: 'bs-test-faults' });
    queue.on('error', noop);
    await queue.add({ to: 'jane@acme.test' });
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    const [sam] = await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }]);
    warnSpy = jest.spyOn(console, 'warn').mockImplementation(noop);
    errorSpy = jest.spyOn(console, 'error').mockImplementation(noop);
    host = await createTestApp({ db: testDb.db, admin: { queues: [queue], live: { redis: `redis://127.0.0.1:${port}` } } });
    server = await listen(host.app);
    support = new RawClient(server.url);
    await signIn(support, sam);
  });

  afterAll(async () => {
    support?.close();
    await server?.close();
    await host?.admin.close();
    if (queue) {
      for (const client of queue.clients) client.disconnect();
      await queue.close().catch(noop);
    }
    await redis.stop();
    await testDb?.destroy();
    warnSpy?.mockRestore();
    errorSpy?.mockRestore();
    // ioredis keeps a closing socket 2 s before destroying it; let it go so jest exits cleanly.
    await sleep(2100);
  });

  it('says so on every queue page, keeps the rest of the console and the open stream alive, and resumes by itself', async () => {
    const stream = openStream();
    expect(await within(5000, async () => stream.events.includes('ready'))).not.toBeNull();
    await host.admin.publish('signups', { at: new Date().toISOString() });
    expect(await within(5000, async () => stream.events.includes('signups'))).not.toBeNull();
    expect((await support.get('/admin/dev/queues/mail?state=waiting')).status).toBe(200);

    await redis.stop();
    const overview = await support.get('/admin/dev/queues', { timeoutMs: 10_000 });
    expect(overview.status).toBe(200);
    expect(words(overview.text)).toMatch(/Redis is unreachable for queue "mail"/);
    expect(overview.ms).toBeLessThan(5000);
    const page = await support.get('/admin/dev/queues/mail', { timeoutMs: 10_000 });
    expect(page.status).toBe(503);
    expect(words(page.text)).toMatch(/The console reconnects by itself once Redis is back; no restart is needed\./);
    expect(page.ms).toBeLessThan(5000);
    // Publishing is best-effort: a host's signup handler is never broken by a Redis outage.
    await expect(host.admin.publish('signups', { at: new Date().toISOString() })).resolves.toBeUndefined();
    for (const path of ['/admin/', '/admin/users', '/admin/dev/runtime']) {
      const res = await support.get(path, { timeoutMs: 10_000 });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }

    await redis.start();
    const queueBack = await within(20_000, async () => (await support.get('/admin/dev/queues/mail?state=waiting')).status === 200);
    expect(queueBack).not.toBeNull();
    expect(words((await support.get('/admin/dev/queues')).text)).not.toContain('Redis is unreachable');
    // Live updates resume: on the stream that stayed open, or (as a browser's EventSource does) on a new one.
    const seen = stream.events.filter((e) => e === 'signups').length;
    const resumed = await within(20_000, async () => {
      await host.admin.publish('signups', { at: new Date().toISOString() });
      await sleep(200);
      return stream.events.filter((e) => e === 'signups').length > seen;
    });
    let fresh: ReturnType<typeof openStream> | null = null;
    if (resumed === null) {
      fresh = openStream();
      expect(
        await within(20_000, async () => {
          await host.admin.publish('signups', { at: new Date().toISOString() });
          await sleep(200);
          return fresh!.events.includes('signups');
        }),
      ).not.toBeNull();
    }
    stream.close();
    fresh?.close();
  });
});
