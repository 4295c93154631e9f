/**
 * Redis down: a queue whose Redis does not answer shows a clear notice in its
 * card, its own pages are a 503 that says why (never a 500, never a hang), the
 * other queues and the rest of the console keep working, and when Redis comes
 * back the pages work again without a restart.
 */
import Bull from 'bull';
import { Queue as BullMQQueue } from 'bullmq';
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertTeam, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';
import { createFixture, sleep, uniquePrefix, type QueueFixture } from './queues/helpers/queue-fixtures';
import { freePort, privateRedis, type PrivateRedis } from './helpers/private-redis';

// The adapters give up after 2 s; this only proves nothing waits for Redis's own
// reconnect (up to 20 s), with room for a busy CI machine.
const GIVES_UP_WITHIN_MS = 6000;

const PREFIX = uniquePrefix('queues-pages-redis-down');
const noop = () => undefined;

function words(html: string): string {
  return decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}



// What a host would configure: reconnect quickly (the libraries' default backs off up to 20 s).
const quickRetry = (port: number) => ({ host: '127.0.0.1', port, retryStrategy: () => 100 });

async function closeBull(queue: Bull.Queue): Promise<void> {
  for (const client of queue.clients) client.disconnect();
  await queue.close().catch(noop);
}

describe('a queue whose Redis is unreachable', () => {
  let testDb: TestDb;
  let host: TestApp;
  let healthy: QueueFixture;
  let deadBull: Bull.Queue;
  let deadBullMQ: BullMQQueue;
  let ids: { admin: string; superuser: string; alice: string; team: string };

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    const [admin, superuser, alice] = await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }, { email: 'root@ops.test', role: 'superuser' }, { email: 'alice@acme.test' }]);
    ids = { admin, superuser, alice, team: await insertTeam(testDb.db, 'sqlite', 'Acme', [[alice, 'owner']]) };
    healthy = await createFixture('bull', PREFIX);
    await healthy.add({ kind: 'ok', userId: alice });
    const port = await freePort();
    deadBull = new Bull('emails-dead', { redis: quickRetry(port), prefix: PREFIX });
    deadBull.on('error', noop);
    deadBullMQ = new BullMQQueue('billing-dead', { connection: quickRetry(port), prefix: PREFIX });
    deadBullMQ.on('error', noop);
    host = await createTestApp({ db: testDb.db, admin: { queues: [healthy.queue, deadBull, deadBullMQ] } });
    await sleep(300); // let the dead connections fail once
  });

  afterAll(async () => {
    await host?.admin.close();
    await healthy?.close();
    if (deadBull) await closeBull(deadBull);
    await deadBullMQ?.close().catch(noop);
    await testDb?.destroy();
    // ioredis gives a socket it is closing 2 s before destroying it (AbstractConnector.disconnect); wait it out so jest exits cleanly.
    await sleep(2100);
  });

  it('shows a notice with the error in its card, while the other queue shows its counts', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const started = Date.now();
    const res = await agent.get('/admin/dev/queues');
    expect(Date.now() - started).toBeLessThan(GIVES_UP_WITHIN_MS);
    expect(res.status).toBe(200);
    const text = words(res.text);
    for (const name of ['emails-dead', 'billing-dead']) {
      expect(res.text).toContain(`aria-label="Queue ${name}"`);
      expect(text).toMatch(new RegExp(`Redis is unreachable for queue "${name}" \\(counts\\)`));
    }
    expect(text).toContain("This queue's Redis is not answering. The other queues and the rest of the console work; this card recovers by itself when Redis is back.");
    expect(res.text).toMatch(new RegExp(`data-live-tile="queue:${healthy.name}:waiting"[^>]*>\\s*<dt><a [^>]*>waiting</a></dt>\\s*<dd data-tile-value>1</dd>`));
    // While a queue is down the cards re-read themselves, so the notice goes away on its own.
    expect(res.text).toContain('hx-trigger="every 5s"');
  });

  it('answers its queue and job pages with a 503 that says why, quickly', async () => {
    const { agent } = await host.agentAs(ids.admin);
    for (const url of ['/admin/dev/queues/emails-dead', '/admin/dev/queues/emails-dead/jobs/1', '/admin/dev/queues/billing-dead?state=completed', '/admin/dev/queues/billing-dead/jobs/1']) {
      const started = Date.now();
      const res = await agent.get(url);
      expect(Date.now() - started).toBeLessThan(GIVES_UP_WITHIN_MS);
      expect({ url, status: res.status }).toEqual({ url, status: 503 });
      expect(decoded(res.text)).toMatch(/Redis is unreachable for queue "(emails|billing)-dead" \(\w+\): .+ The console reconnects by itself once Redis is back; no restart is needed\./);
      expect(res.text).not.toContain('express-backstage:');
    }
    const json = await agent.get('/admin/dev/queues/emails-dead').set('Accept', 'application/json');
    expect(json.status).toBe(503);
    expect(json.body.error).toMatch(/^Redis is unreachable for queue "emails-dead"/);
  });

  it('refuses actions with a 503 and audits nothing', async () => {
    const { agent, csrf } = await host.agentAs(ids.superuser);
    const token = await csrf();
    for (const [url, body] of [
      ['/admin/dev/queues/emails-dead/jobs/1/retry', {}],
      ['/admin/dev/queues/emails-dead/pause', {}],
      ['/admin/dev/queues/billing-dead/retry-failed', { count: '5' }],
    ] as const) {
      const res = await agent.post(url).type('form').send({ _csrf: token, ...body });
      expect({ url, status: res.status }).toEqual({ url, status: 503 });
    }
    const rows = await testDb.db.selectFrom('backstage_audit_events').select('action').where('action', 'in', ['job.retried', 'queue.paused']).execute();
    expect(rows).toEqual([]);
  });

  it('leaves the rest of the console working: users, a user page (with a notice in its jobs), a team\'s jobs', async () => {
    const { agent } = await host.agentAs(ids.admin);
    expect((await agent.get('/admin/users')).status).toBe(200);
    const user = await agent.get(`/admin/users/${ids.alice}`);
    expect(user.status).toBe(200);
    const section = words(user.text.slice(user.text.indexOf('id="user-jobs"'), user.text.indexOf('id="trail-title"')));
    expect(section).toContain('Queue "emails-dead" did not answer.');
    expect(section).toContain('Queue "billing-dead" did not answer.');
    expect(section).toMatch(new RegExp(`#\\d+ __default__ ${healthy.name}`));
    const team = await agent.get(`/admin/dev/linked-jobs?team=${ids.team}`).set('HX-Request', 'true');
    expect(team.status).toBe(200);
  });
});

describe('when Redis goes away and comes back', () => {
  let redis: PrivateRedis;
  let port: number;
  let queue: Bull.Queue;
  let testDb: TestDb;
  let host: TestApp;
  let admin: string;

  beforeAll(async () => {
    redis = await privateRedis();
    port = redis.port;
    await redis.start();
    queue = new Bull('flaky', { redis: quickRetry(port), prefix: PREFIX });
    queue.on('error', noop);
    await queue.add({ hello: 'world' });
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    [admin] = await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }]);
    host = await createTestApp({ db: testDb.db, admin: { queues: [queue] } });
  });

  afterAll(async () => {
    await host?.admin.close();
    if (queue) await closeBull(queue);
    await redis.stop();
    await testDb?.destroy();
  });

  it('the pages say Redis is down, then work again without a restart', async () => {
    const { agent } = await host.agentAs(admin);
    const before = await agent.get('/admin/dev/queues/flaky?state=waiting');
    expect(before.status).toBe(200);
    expect(before.text).toContain('#1<');

    await redis.stop();
    const down = await agent.get('/admin/dev/queues');
    expect(down.status).toBe(200);
    expect(words(down.text)).toMatch(/Redis is unreachable for queue "flaky"/);
    expect((await agent.get('/admin/dev/queues/flaky')).status).toBe(503);

    await redis.start();
    await queue.add({ hello: 'again' }).catch(noop);
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await agent.get('/admin/dev/queues/flaky?state=waiting')).status;
      if (status !== 200) await sleep(200);
    }
    expect(status).toBe(200);
    const overview = await agent.get('/admin/dev/queues');
    expect(words(overview.text)).not.toContain('Redis is unreachable');
    expect(overview.text).not.toContain('hx-trigger="every 5s"');
  }, 40_000);
});
