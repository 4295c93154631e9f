/**
 * Several instances of the host app behind a load balancer, sharing one
 * Redis: an event published on one reaches the pages open on the other, and
 * the runtime page sees every instance's figures under its own id.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { createTestApp, type TestApp } from './helpers/test-app';
import { openStream, serve, signInCookie, sleep, type Served } from './live-helpers';

const REDIS_URL = process.env.TEST_REDIS_URL;
if (process.env.CI && !REDIS_URL) throw new Error('CI must set TEST_REDIS_URL: suites are never skipped silently in CI');
const describeWithRedis = REDIS_URL ? describe : describe.skip;

describeWithRedis('live updates over Redis pub/sub, two instances', () => {
  let testDb: TestDb;
  let hostClient: Redis;
  let a: TestApp;
  let b: TestApp;
  let servedA: Served;
  let servedB: Served;
  let cookieA: string;
  let cookieB: string;
  const prefix = `backstage-test:${randomBytes(4).toString('hex')}:`;
  const idA = `instance-a-${randomBytes(2).toString('hex')}`;
  const idB = `instance-b-${randomBytes(2).toString('hex')}`;

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }]);
    // Instance A is given a URL; instance B the host's own ioredis client, which the console duplicates.
    hostClient = new Redis(REDIS_URL!);
    a = await createTestApp({ db: testDb.db, admin: { live: { redis: REDIS_URL, channelPrefix: prefix, instanceId: idA, sampleMs: 100 } } });
    b = await createTestApp({ db: testDb.db, admin: { live: { redis: hostClient, channelPrefix: prefix, instanceId: idB, sampleMs: 100 } } });
    servedA = await serve(a.app);
    servedB = await serve(b.app);
    cookieA = await signInCookie(servedA.url, '1');
    cookieB = await signInCookie(servedB.url, '1');
  });

  afterAll(async () => {
    await a?.admin.close();
    await b?.admin.close();
    await servedA?.close();
    await servedB?.close();
    await hostClient?.quit();
    await testDb?.destroy();
  });

  it('a signup published on one instance reaches the dashboards open on both, marked with where it came from', async () => {
    const onB = await openStream(servedB.url, '/admin/live?topics=signups', { cookie: cookieB });
    const onA = await openStream(servedA.url, '/admin/live?topics=signups', { cookie: cookieA });
    // `ready` is sent once Redis has confirmed the subscription.
    await onB.waitFor((frames) => frames.some((f) => f.event === 'ready'), 3000, 'B subscribed');
    await onA.waitFor((frames) => frames.some((f) => f.event === 'ready'), 3000, 'A subscribed');
    await a.admin.publish('signups', { at: '2026-03-15T14:20:00.000Z' });
    const fromA = (e: { data: any }) => e.data.origin === idA && e.data.payload?.at === '2026-03-15T14:20:00.000Z';
    await onB.waitFor(() => onB.events('signups').some(fromA), 3000, 'the signup on B');
    await onA.waitFor(() => onA.events('signups').some(fromA), 3000, 'the signup on A');
    // Exactly once each: the publishing instance does not also deliver it locally.
    expect(onA.events('signups').filter(fromA)).toHaveLength(1);
    expect(onB.events('signups').filter(fromA)).toHaveLength(1);
    onA.close();
    onB.close();
  });

  it('the runtime page on one instance receives every instance’s figures, each under its own id, while someone watches', async () => {
    const watcher = new Redis(REDIS_URL!);
    const published: string[] = [];
    await watcher.subscribe(`${prefix}runtime`);
    watcher.on('message', (_channel, message) => published.push(JSON.parse(message).origin));
    try {
      const page = await openStream(servedB.url, '/admin/live?topics=runtime', { cookie: cookieB });
      await page.waitFor(
        () => {
          const origins = new Set(page.events('runtime').map((e) => e.data.origin));
          return origins.has(idA) && origins.has(idB);
        },
        5000,
        'samples from both instances',
      );
      const sample = page.events('runtime').find((e) => e.data.origin === idA)!.data.payload;
      expect(sample.instance).toBe(idA);
      expect(sample.sections.map((s: any) => s.id)).toEqual(expect.arrayContaining(['process', 'eventLoop', 'os', 'database', 'redis']));
      const redis = sample.sections.find((s: any) => s.id === 'redis');
      expect(redis.facts.find((f: string[]) => f[0] === 'Version')[1]).toMatch(/^Redis \d/);
      page.close();
      // Nobody watches any more: this instance stops at once, the other after its window (3 signals).
      await sleep(300);
      published.length = 0;
      await sleep(500);
      expect(published.filter((origin) => origin === idB)).toEqual([]);
      await sleep(3500);
      published.length = 0;
      await sleep(500);
      expect(published).toEqual([]);
    } finally {
      await watcher.quit();
    }
  }, 20_000);

  it('admin.close() closes the two connections each console opened, and leaves the host’s client alone', async () => {
    const c = await createTestApp({ db: testDb.db, admin: { live: { redis: hostClient, channelPrefix: prefix, instanceId: 'instance-c' } } });
    const names = async () => {
      const list = (await hostClient.client('LIST')) as string;
      return list.split('\n').filter((line) => line.includes('name=backstage-live-') && line.includes('-instance-c'));
    };
    await sleep(200);
    expect(await names()).toHaveLength(2);
    await c.admin.close();
    await sleep(200);
    expect(await names()).toHaveLength(0);
    expect(hostClient.status).toBe('ready');
    expect(await hostClient.ping()).toBe('PONG');
  });
});
