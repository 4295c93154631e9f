/**
 * `<mount>/live`: Server-Sent Events for signed-in operators, same-origin,
 * allow-listed topics, heartbeats, slow pages dropped, clean shutdown, and
 * the dashboard's own live figures.
 */
import net from 'node:net';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createAdmin } from '../src';
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { createTestApp, type TestApp } from './helpers/test-app';
import { openStream, serve, signInCookie, sleep, type Served } from './live-helpers';

describe('the live stream', () => {
  let testDb: TestDb;
  let host: TestApp;
  let served: Served;
  let ids: { superuser: string; admin: string; user: string };
  let cookie: string;

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    const [superuser, admin, user] = await insertUsers(testDb.db, 'sqlite', [
      { email: 'root@ops.test', role: 'superuser' },
      { email: 'sam@ops.test', role: 'admin' },
      { email: 'plain@customer.test' },
    ]);
    ids = { superuser, admin, user };
    host = await createTestApp({ db: testDb.db, admin: { live: { heartbeatMs: 50, pollMs: 100 } } });
    served = await serve(host.app);
    cookie = await signInCookie(served.url, admin);
  });

  afterAll(async () => {
    await host?.admin.close();
    await served?.close();
    await testDb?.destroy();
  });

  it('is for signed-in operators only: anonymous visitors are sent to log in, plain users refused', async () => {
    const anonymous = await openStream(served.url, '/admin/live?topics=signups');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login\?next=/);
    const htmx = await openStream(served.url, '/admin/live?topics=signups', { 'hx-request': 'true' });
    expect(htmx.status).toBe(401);
    const plain = await openStream(served.url, '/admin/live?topics=signups', { cookie: await signInCookie(served.url, ids.user) });
    expect(plain.status).toBe(403);
    expect(plain.headers['content-type']).not.toMatch(/event-stream/);
  });

  it('refuses requests from other sites', async () => {
    const crossSite = await openStream(served.url, '/admin/live?topics=signups', { cookie, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    await crossSite.ended;
    expect(crossSite.body).toContain('only streamed to the console');
    const otherOrigin = await openStream(served.url, '/admin/live?topics=signups', { cookie, origin: 'https://evil.example' });
    expect(otherOrigin.status).toBe(403);
    const sameOrigin = await openStream(served.url, '/admin/live?topics=signups', { cookie, origin: served.url, 'sec-fetch-site': 'same-origin' });
    expect(sameOrigin.status).toBe(200);
    sameOrigin.close();
  });

  it('streams only allow-listed topics and says which exist', async () => {
    const none = await openStream(served.url, '/admin/live', { cookie, accept: 'application/json' });
    expect(none.status).toBe(400);
    await none.ended;
    expect(JSON.parse(none.body).error).toBe('Say which updates to stream with ?topics=… (any of signups, subscriptions, jobs, queues, runtime, bulk).');
    const unknown = await openStream(served.url, '/admin/live?topics=signups,secrets', { cookie, accept: 'application/json' });
    expect(unknown.status).toBe(400);
    await unknown.ended;
    expect(JSON.parse(unknown.body).error).toBe('Unknown live topic "secrets"; the console streams signups, subscriptions, jobs, queues, runtime, bulk.');
  });

  it('opens an event stream that tells the page how to reconnect, and delivers the topics asked for', async () => {
    const stream = await openStream(served.url, '/admin/live?topics=signups', { cookie });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-store, no-transform');
    await stream.waitFor((frames) => frames.some((f) => f.event === 'ready'), 2000, 'the ready event');
    expect(stream.frames[0].retry).toBe(3000);
    await host.admin.publish('jobs', { queue: 'emails' });
    await host.admin.publish('signups', { at: '2026-03-15T14:20:00.000Z' });
    await stream.waitFor((frames) => frames.some((f) => f.event === 'signups' && f.data !== null && JSON.parse(f.data).payload?.at !== undefined), 2000, 'the signup');
    const signup = stream.events('signups').find((e) => e.data.payload?.at)!;
    expect(signup.data).toMatchObject({ topic: 'signups', payload: { at: '2026-03-15T14:20:00.000Z' } });
    expect(typeof signup.data.origin).toBe('string');
    expect(stream.events('jobs')).toEqual([]);
    stream.close();
  });

  it('sends a heartbeat comment on the configured interval', async () => {
    const stream = await openStream(served.url, '/admin/live?topics=runtime', { cookie });
    await stream.waitFor((frames) => frames.filter((f) => f.comment === 'heartbeat').length >= 2, 2000, 'two heartbeats');
    stream.close();
  });

  it('host events are checked: a wrong topic or a payload that is not small JSON rejects with the reason', async () => {
    await expect(host.admin.publish('runtime' as any, {})).rejects.toThrow('admin.publish(topic, payload): topic must be one of signups, subscriptions, jobs, got "runtime"');
    await expect(host.admin.publish('signups', { blob: 'x'.repeat(20_000) })).rejects.toThrow(/at most 16384 are sent/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(host.admin.publish('signups', cyclic)).rejects.toThrow('payload must be plain JSON');
  });

  it('a signup moves the tiles and the chart: the event itself, then the re-read figures', async () => {
    const stream = await openStream(served.url, '/admin/live?topics=signups', { cookie });
    await stream.waitFor((frames) => frames.some((f) => f.event === 'ready'), 2000, 'the ready event');
    const snapshots = () => stream.events('signups').filter((e) => e.data.payload?.kind === 'snapshot');
    // The poller's first read arrives on its own.
    await stream.waitFor(() => snapshots().length >= 1, 3000, 'a first snapshot');
    const before = snapshots().at(-1)!.data.payload;
    const created = new Date();
    await insertUsers(testDb.db, 'sqlite', [{ email: 'new-signup@acme.test', createdAt: created }]);
    await host.admin.publish('signups', { at: created.toISOString() });
    await stream.waitFor(() => snapshots().length >= 2, 3000, 'a snapshot with the new signup');
    const after = snapshots().at(-1)!.data.payload;
    expect(Number(after.tiles.users.value)).toBe(Number(before.tiles.users.value) + 1);
    expect(Number(after.tiles.signups7.value)).toBe(Number(before.tiles.signups7.value) + 1);
    const day = after.charts['signups-day'];
    expect(day.datasets[0].data.at(-1)).toBe(before.charts['signups-day'].datasets[0].data.at(-1) + 1);
    stream.close();
  });

  it('a page that stops reading is disconnected instead of growing the server’s memory; the others carry on', async () => {
    const smallBuffer = await createTestApp({ db: testDb.db, admin: { live: { maxBufferBytes: 64 * 1024 } } });
    const server = await serve(smallBuffer.app);
    try {
      const session = await signInCookie(server.url, ids.admin);
      // A client that sends its request and never reads a byte of the answer.
      const stuck = net.connect(Number(new URL(server.url).port), '127.0.0.1');
      await new Promise<void>((resolve) => stuck.once('connect', () => resolve()));
      stuck.pause();
      stuck.write(`GET /admin/live?topics=jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${session}\r\nAccept: text/event-stream\r\n\r\n`);
      const healthy = await openStream(server.url, '/admin/live?topics=jobs', { cookie: session });
      await healthy.waitFor((frames) => frames.some((f) => f.event === 'ready'), 2000, 'the ready event');
      await sleep(100);
      const payload = { note: 'x'.repeat(15_000) };
      let sent = 0;
      // Enough to fill the kernel's socket buffers and then the server's allowance many times over;
      // one event at a time, so the healthy page (read by this same process) keeps up.
      for (let i = 0; i < 2000; i++) {
        await smallBuffer.admin.publish('jobs', payload);
        sent += 15_000;
        await new Promise((resolve) => setImmediate(resolve));
      }
      let received = 0;
      const closed = new Promise<void>((resolve) => {
        stuck.on('data', (chunk) => {
          received += chunk.length;
        });
        stuck.on('close', () => resolve());
        stuck.on('error', () => resolve());
      });
      stuck.resume();
      await Promise.race([closed, sleep(5000).then(() => Promise.reject(new Error('the stuck client was never disconnected')))]);
      expect(received).toBeLessThan(sent / 2);
      await smallBuffer.admin.publish('jobs', { after: true });
      await healthy.waitFor(() => healthy.events('jobs').some((e) => e.data.payload?.after), 3000, 'the event after the drop');
      healthy.close();
    } finally {
      await smallBuffer.admin.close();
      await server.close();
    }
  }, 30_000);

  it('admin.close() ends every open stream, and new ones are refused while it is closed', async () => {
    const closing = await createTestApp({ db: testDb.db });
    const server = await serve(closing.app);
    try {
      const session = await signInCookie(server.url, ids.superuser);
      const a = await openStream(server.url, '/admin/live?topics=signups', { cookie: session });
      const b = await openStream(server.url, '/admin/live?topics=runtime,jobs', { cookie: session });
      await b.waitFor((frames) => frames.some((f) => f.event === 'ready'), 2000, 'the ready event');
      await closing.admin.close();
      await Promise.all([a.ended, b.ended]);
      const again = await openStream(server.url, '/admin/live?topics=signups', { cookie: session, accept: 'application/json' });
      expect(again.status).toBe(503);
      expect(again.headers['retry-after']).toBe('10');
    } finally {
      await server.close();
    }
  });
});

describe('live figures are polled once per process, not once per open tab', () => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    await insertUsers(testDb.db, 'sqlite', [{ email: 'ops@ops.test', role: 'admin' }]);
  });

  afterAll(() => testDb?.destroy());

  it('three pages watching the jobs chart cost what one does, and the reading stops when they leave', async () => {
    let counts = { waiting: 1, active: 0, delayed: 0, completed: 5, failed: 0, paused: 0 };
    let calls = 0;
    const emails = {
      name: 'emails',
      counts: async () => {
        calls++;
        return { ...counts };
      },
      listJobs: async (state: string, page: { start?: number; size?: number } = {}) => ({ state, jobs: [], total: 0, start: page.start ?? 0, size: page.size ?? 20 }),
      getJob: async () => null,
    };
    const host = await createTestApp({ db: testDb.db, admin: { queues: [emails], live: { pollMs: 200 } } });
    const server = await serve(host.app);
    try {
      const session = await signInCookie(server.url, '1');
      const ready = (tab: Awaited<ReturnType<typeof openStream>>) => tab.waitFor((frames) => frames.some((f) => f.event === 'ready'), 3000, 'the ready event');
      const first = await openStream(server.url, '/admin/live?topics=jobs', { cookie: session });
      await ready(first);
      await sleep(300);
      calls = 0;
      await sleep(1000);
      const withOneTab = calls;
      const more = await Promise.all([2, 3].map(() => openStream(server.url, '/admin/live?topics=jobs', { cookie: session })));
      await Promise.all(more.map(ready));
      await sleep(300);
      calls = 0;
      await sleep(1000);
      const withThreeTabs = calls;
      // Readers run per process (every 200 ms here): three tabs cost what one does, not three times as much.
      expect(withOneTab).toBeGreaterThanOrEqual(1);
      expect(withThreeTabs).toBeLessThanOrEqual(withOneTab + 2);
      const tabs = [first, ...more];

      counts = { ...counts, completed: 6, failed: 1 };
      await host.admin.publish('jobs', { queue: 'emails', state: 'failed' });
      for (const tab of tabs) {
        await tab.waitFor(() => tab.events('jobs').some((e) => e.data.payload?.charts?.jobs?.datasets.find((d: any) => d.label === 'failed')?.data[0] === 1), 3000, 'the failed job on the bar chart');
      }
      for (const tab of tabs) tab.close();
      await sleep(300);
      calls = 0;
      await sleep(700);
      expect(calls).toBe(0);
    } finally {
      await host.admin.close();
      await server.close();
    }
  });
});

describe('on Express 4', () => {
  it('the stream opens, delivers and ends the same way', async () => {
    const testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }]);
    const host = await createTestApp({ db: testDb.db, express: require('express4') });
    const server = await serve(host.app);
    try {
      const cookie = await signInCookie(server.url, '1');
      const stream = await openStream(server.url, '/admin/live?topics=signups', { cookie });
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      await stream.waitFor((frames) => frames.some((f) => f.event === 'ready'), 2000, 'the ready event');
      await host.admin.publish('signups', { at: '2026-03-15T14:20:00.000Z' });
      await stream.waitFor(() => stream.events('signups').some((e) => e.data.payload?.at), 2000, 'the signup');
      await host.admin.close();
      await stream.ended;
    } finally {
      await host.admin.close();
      await server.close();
      await testDb.destroy();
    }
  });
});

describe('with live: false', () => {
  it('the charts render still, the stream says it is off, and admin.publish still checks what it is given', async () => {
    const testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }]);
    const host = await createTestApp({ db: testDb.db, admin: { live: false } });
    try {
      const { agent } = await host.agentAs('1');
      const page = await agent.get('/admin/').expect(200);
      expect(page.text).toContain('data-chart=');
      expect(page.text).not.toContain('data-chart-live');
      expect(page.text).not.toContain('data-live-status');
      const stream = await agent.get('/admin/live?topics=signups').set('Accept', 'application/json').expect(404);
      expect(stream.body.error).toBe('Live updates are switched off in this console (options.live is false).');
      await expect(host.admin.publish('signups', { at: new Date().toISOString() })).resolves.toBeUndefined();
      await expect(host.admin.publish('nope' as any, {})).rejects.toThrow('topic must be one of signups, subscriptions, jobs');
    } finally {
      await host.admin.close();
      await testDb.destroy();
    }
  });
});

describe('options.live is validated like every other option', () => {
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  const getUser = () => null;
  afterAll(() => db.destroy());

  it.each<[string, unknown, string]>([
    ['not an object', 'yes', 'express-backstage: options.live must be false or an object ({ redis }), got "yes"'],
    ['an unknown key', { redis_url: 'redis://x' }, 'express-backstage: options.live has no option "redis_url"; it accepts redis, channelPrefix'],
    ['a redis that is neither', { redis: 42 }, 'express-backstage: options.live.redis must be an ioredis client (with duplicate(), publish() and subscribe()) or a redis:// URL, got 42'],
    ['a heartbeat too short', { heartbeatMs: 5 }, 'express-backstage: options.live.heartbeatMs must be a whole number from 10 to 600,000, got 5'],
    ['an odd instance id', { instanceId: 'a b' }, 'express-backstage: options.live.instanceId must be up to 100 letters, digits and . : @ _ -, got "a b"'],
  ])('%s', (_name, live, message) => {
    expect(() => createAdmin({ db, getUser, live } as any)).toThrow(message);
  });

  it('never prints the password of a Redis URL it rejects', () => {
    let message = '';
    try {
      createAdmin({ db, getUser, live: { redis: 'http://ops:hunter2-secret@redis.internal:6379' } } as any);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('options.live.redis must be an ioredis client or a redis:// URL');
    expect(message).not.toContain('hunter2');
  });
});
