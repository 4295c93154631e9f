/**
 * The job index (src/queues/job-index.ts): support opens a team and sees its
 * jobs from the index, whoever queued them and whenever, with real Redis and
 * real Bull and BullMQ queues.
 */
import Bull from 'bull';
import { Queue as BullMQQueue } from 'bullmq';
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertTeam, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';
import { createFixture, redisOptions, uniquePrefix, type QueueFixture } from './queues/helpers/queue-fixtures';
import { BullQueueAdapter } from '../src/queues/bull-queue-adapter';
import { BullMQQueueAdapter } from '../src/queues/bullmq-queue-adapter';
import { jobIndexOf } from '../src/queues/job-index';
import type { QueueAdapter } from '../src/queues/queue-adapter';

const PREFIX = uniquePrefix('job-index');

function words(html: string): string {
  return decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

function listed(html: string): string[] {
  return [...html.matchAll(/href="\/admin\/dev\/queues\/([^/"]+)\/jobs\/([^"]+)"/g)].map((m) => `${m[1]}#${m[2]}`);
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let testDb: TestDb;
let bull: QueueFixture;
let bullmq: QueueFixture;
/** Other queue objects on the same queues: the host's producers, not the console's. */
let bullProducer: Bull.Queue;
let bullmqProducer: BullMQQueue;
let ids: { admin: string; root: string; team: string; other: string };
const hosts: TestApp[] = [];

async function startConsole(admin: Record<string, unknown> = {}): Promise<{ host: TestApp; adapters: QueueAdapter[] }> {
  const adapters: QueueAdapter[] = [new BullQueueAdapter(bull.queue as Bull.Queue), new BullMQQueueAdapter(bullmq.queue as BullMQQueue)];
  const host = await createTestApp({ db: testDb.db, admin: { queues: adapters, ...admin } });
  hosts.push(host);
  // Bull subscribes to its global events asynchronously.
  await new Promise((r) => setTimeout(r, 300));
  return { host, adapters };
}

async function stopConsole(host: TestApp): Promise<void> {
  await host.admin.close();
  hosts.splice(hosts.indexOf(host), 1);
}

function indexed(fx: QueueFixture, team: string): Promise<string[]> {
  return fx.redis.zrevrange(fx.key(`idx:team:${team}`), 0, -1);
}

async function teamJobs(host: TestApp, team: string): Promise<string> {
  const { agent } = await host.agentAs(ids.admin);
  const res = await agent.get(`/admin/dev/linked-jobs?team=${team}`);
  expect(res.status).toBe(200);
  return res.text;
}

beforeAll(async () => {
  testDb = await openTestDb('sqlite');
  await createHostSchema(testDb.db, 'sqlite');
  const [admin, root, alice, bob] = await insertUsers(testDb.db, 'sqlite', [
    { email: 'sam@ops.test', role: 'admin' },
    { email: 'root@ops.test', role: 'superuser' },
    { email: 'alice@acme.test' },
    { email: 'bob@globex.test' },
  ]);
  const team = await insertTeam(testDb.db, 'sqlite', 'Acme', [[alice!, 'owner']]);
  const other = await insertTeam(testDb.db, 'sqlite', 'Globex', [[bob!, 'owner']]);
  ids = { admin: admin!, root: root!, team, other };
  bull = await createFixture('bull', PREFIX);
  bullmq = await createFixture('bullmq', PREFIX);
  bullProducer = new Bull(bull.name, { redis: redisOptions(), prefix: bull.prefix });
  bullmqProducer = new BullMQQueue(bullmq.name, { connection: redisOptions(), prefix: bullmq.prefix });
}, 30_000);

afterAll(async () => {
  for (const host of [...hosts]) await host.admin.close();
  await bullProducer?.close();
  await bullmqProducer?.close();
  await bull?.close();
  await bullmq?.close();
  await testDb?.destroy();
});

describe('the job index', () => {
  it('indexes jobs another process queues, and the team page lists them from the index', async () => {
    const { host } = await startConsole();
    const a = await bullProducer.add({ type: 'send-invitation', teamId: Number(ids.team) });
    const b = await bullmqProducer.add('report', { type: 'monthly-report', teamId: ids.team });
    await bullProducer.add({ type: 'welcome', teamId: ids.other });
    await waitFor(async () => (await indexed(bull, ids.team)).includes(String(a.id)), 'the bull job in the index');
    await waitFor(async () => (await indexed(bullmq, ids.team)).includes(String(b.id)), 'the bullmq job in the index');
    expect(await indexed(bull, ids.other)).toHaveLength(1);

    const html = await teamJobs(host, ids.team);
    expect(listed(html).sort()).toEqual([`${bull.name}#${a.id}`, `${bullmq.name}#${b.id}`].sort());
    expect(words(html)).toContain('from the job index of');
    expect(words(html)).toContain('waiting: 2');
    await stopConsole(host);
  }, 30_000);

  it('BullMQ: jobs queued while the console was down are indexed from the stream when it starts', async () => {
    const added = await bullmqProducer.add('report', { type: 'while-down', teamId: ids.team });
    expect(await indexed(bullmq, ids.team)).not.toContain(String(added.id));
    const { host } = await startConsole();
    await waitFor(async () => (await indexed(bullmq, ids.team)).includes(String(added.id)), 'the job queued while down');
    expect(listed(await teamJobs(host, ids.team))).toContain(`${bullmq.name}#${added.id}`);
    await stopConsole(host);
  }, 30_000);

  it('Bull: jobs queued while the console was down are indexed by the backfill a superuser starts, shown on the queue page', async () => {
    const added = await bullProducer.add({ type: 'while-down', teamId: ids.team });
    // Bull's pub/sub keeps nothing for a console that was not listening.
    await new Promise((r) => setTimeout(r, 500));
    const { host, adapters } = await startConsole();
    expect(await indexed(bull, ids.team)).not.toContain(String(added.id));

    const admin = await host.agentAs(ids.admin);
    const denied = await admin.agent.post(`/admin/dev/queues/${bull.name}/index-backfill`).type('form').send({ _csrf: await admin.csrf() });
    expect(denied.status).toBe(403);

    const root = await host.agentAs(ids.root);
    const res = await root.agent.post(`/admin/dev/queues/${bull.name}/index-backfill`).type('form').send({ _csrf: await root.csrf() });
    expect(res.status).toBe(303);
    await jobIndexOf(adapters[0]!)!.whenBackfilled();
    expect(await indexed(bull, ids.team)).toContain(String(added.id));

    const page = await root.agent.get(`/admin/dev/queues/${bull.name}`);
    expect(words(page.text)).toMatch(/Job index: \d+ of \d+ jobs indexed \(backfill finished/);
    const audit = await testDb.db.selectFrom('backstage_audit_events').selectAll().where('action', '=', 'queue.index_backfill_started').execute();
    expect(audit.map((e) => e.subject_id)).toEqual([bull.name]);
    await stopConsole(host);
  }, 30_000);

  it('lists the failed job first, with counts per state', async () => {
    const { host } = await startConsole();
    const failing = await bull.add({ kind: 'fail', type: 'send-invitation', to: 'new@acme.test', teamId: ids.team }, { attempts: 1 });
    await waitFor(async () => (await indexed(bull, ids.team)).includes(failing), 'the failing job in the index');
    bull.startWorker();
    await bull.waitForCounts((c) => c.failed >= 1 && c.waiting === 0, 'the failure');
    await bull.stopWorker();
    const html = await teamJobs(host, ids.team);
    expect(listed(html)[0]).toBe(`${bull.name}#${failing}`);
    expect(words(html)).toContain('failed: 1');
    expect(words(html)).toContain('boom: could not deliver to new@acme.test');
    await stopConsole(host);
  }, 30_000);

  it('drops the entries of removed jobs when the team page meets them', async () => {
    const { host } = await startConsole();
    const doomed = await bullProducer.add({ type: 'doomed', teamId: ids.team });
    await waitFor(async () => (await indexed(bull, ids.team)).includes(String(doomed.id)), 'the doomed job in the index');
    expect(listed(await teamJobs(host, ids.team))).toContain(`${bull.name}#${doomed.id}`);
    await doomed.remove();
    expect(listed(await teamJobs(host, ids.team))).not.toContain(`${bull.name}#${doomed.id}`);
    expect(await indexed(bull, ids.team)).not.toContain(String(doomed.id));
    await stopConsole(host);
  }, 30_000);

  it('two consoles on one Redis keep one entry per job, and only one runs the backfill', async () => {
    const one = await startConsole();
    const two = await startConsole();
    const before = (await indexed(bullmq, ids.other)).length;
    const jobs = await bullmqProducer.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'bulk', data: { i, teamId: ids.other } })));
    await waitFor(async () => (await indexed(bullmq, ids.other)).length === before + 30, 'the 30 jobs in the index');
    const entries = await indexed(bullmq, ids.other);
    expect(new Set(entries).size).toBe(entries.length);
    for (const job of jobs) expect(entries).toContain(String(job.id));

    // Enough jobs that the backfill takes several steps.
    await bullProducer.addBulk(Array.from({ length: 2500 }, (_, i) => ({ data: { i, teamId: ids.other } })));
    const [a, b] = [jobIndexOf(one.adapters[0]!)!, jobIndexOf(two.adapters[0]!)!];
    const started = await Promise.all([a.startBackfill(), b.startBackfill()]);
    expect(started.sort()).toEqual(['running', 'started']);
    expect(await b.startBackfill()).toBe('running');
    await Promise.all([a.whenBackfilled(), b.whenBackfilled()]);
    const progress = await a.progress();
    expect(progress.status).toBe('done');
    expect(progress.indexed).toBe(progress.total);
    expect(await bull.redis.zcard(bull.key(`idx:team:${ids.other}`))).toBeGreaterThanOrEqual(2501);
    await stopConsole(one.host);
    await stopConsole(two.host);
  }, 60_000);

  it('answers a data search on an indexed field from the index, in every state, and says so; other fields are scanned', async () => {
    const { host } = await startConsole();
    const failing = await bull.add({ kind: 'fail', type: 'send-invitation', teamId: ids.team }, { attempts: 1 });
    await waitFor(async () => (await indexed(bull, ids.team)).includes(failing), 'the failing job in the index');
    bull.startWorker();
    await bull.waitForCounts((c) => c.failed >= 1 && c.waiting === 0, 'the failure');
    await bull.stopWorker();
    const { agent } = await host.agentAs(ids.admin);

    const fromIndex = await agent.get(`/admin/dev/queues/${bull.name}?field=teamId&op=eq&value=${ids.team}&states=failed,completed`);
    expect(fromIndex.status).toBe(200);
    expect(words(fromIndex.text)).toMatch(/From the job index \(no scan\): \d+ jobs are indexed under team "\d+" in every state/);
    expect(listed(fromIndex.text)[0]).toBe(`${bull.name}#${failing}`);
    expect(words(fromIndex.text)).not.toContain('Scanned');

    const scanned = await agent.get(`/admin/dev/queues/${bull.name}?field=type&op=eq&value=send-invitation&states=failed`);
    expect(words(scanned.text)).toMatch(/Scanned \d+ jobs? \(failed, newest first\)/);
    expect(listed(scanned.text)).toContain(`${bull.name}#${failing}`);
    // "contains" on an indexed field cannot use the index either.
    const contains = await agent.get(`/admin/dev/queues/${bull.name}?field=teamId&op=contains&value=${ids.team}&states=failed`);
    expect(words(contains.text)).toContain('Scanned');
    await stopConsole(host);
  }, 30_000);

  it('deletes the sets of the old paths when jobLinks change, and writes nothing with jobIndex: false', async () => {
    const first = await startConsole();
    await stopConsole(first.host);
    expect((await bull.redis.keys(`${bull.prefix}:${bull.name}:idx:team:*`)).length).toBeGreaterThan(0);
    const before = await bull.redis.keys(`${bull.prefix}:${bull.name}:idx:user:*`);

    const moved = await startConsole({ jobLinks: { team: 'meta.team.id' } });
    const index = jobIndexOf(moved.adapters[0]!)!;
    await waitFor(async () => (await bull.redis.keys(`${bull.prefix}:${bull.name}:idx:team:*`)).length === 0, 'the old team sets to be deleted');
    await index.whenCleanedUp();
    // The user link did not change: its sets stay.
    expect(await bull.redis.keys(`${bull.prefix}:${bull.name}:idx:user:*`)).toEqual(expect.arrayContaining(before));
    const nested = await bullProducer.add({ type: 'nested', meta: { team: { id: 'acme-9' } } });
    await waitFor(async () => (await indexed(bull, 'acme-9')).includes(String(nested.id)), 'the job indexed by its new path');
    await stopConsole(moved.host);

    const off = await startConsole({ jobIndex: false });
    expect(jobIndexOf(off.adapters[0]!)).toBeNull();
    const unindexed = await bullProducer.add({ type: 'unindexed', teamId: 'off-1' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await indexed(bull, 'off-1')).toEqual([]);
    const { agent } = await off.host.agentAs(ids.admin);
    const page = await agent.get(`/admin/dev/queues/${bull.name}?field=teamId&op=eq&value=off-1&states=waiting`);
    expect(words(page.text)).toContain('Scanned');
    expect(listed(page.text)).toEqual([`${bull.name}#${unindexed.id}`]);
    await stopConsole(off.host);
  }, 30_000);
});
