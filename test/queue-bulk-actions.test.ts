/**
 * Bulk queue actions at scale, on real Bull and BullMQ queues: thousands of
 * failed jobs retried in batches with their progress on the live stream,
 * cancelled between two batches (every job still in exactly one state, the
 * audit event saying how far it got), a second confirmation above the cap,
 * one run per queue at a time, promote-all and remove-all.
 */
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type SignedInAgent, type TestApp } from './helpers/test-app';
import { openStream, serve, signInCookie, type Served } from './live-helpers';
import { createFixture, LIBRARIES, sleep, uniquePrefix, type Library, type QueueFixture } from './queues/helpers/queue-fixtures';

const PREFIX = uniquePrefix('queue-bulk-actions');
/** Enough failed jobs for several batches of 1,000. */
const MANY = 3500;

let testDb: TestDb;
let host: TestApp;
let slowHost: TestApp;
let served: Served;
let ids: { superuser: string; admin: string };
const fixtures = {} as Record<Library, QueueFixture>;

async function failJobs(fx: QueueFixture, n: number): Promise<void> {
  const before = (await fx.adapter.counts()).failed;
  await fx.addBulk(Array.from({ length: n }, (_, i) => ({ data: { kind: 'fail', n: i }, opts: { attempts: 1 } })));
  fx.startWorker(n > 100 ? 100 : 2);
  await fx.waitForCounts((c) => c.failed === before + n, `${n} failed jobs`, 60_000);
  await fx.stopWorker();
}

beforeAll(async () => {
  testDb = await openTestDb('sqlite');
  await createHostSchema(testDb.db, 'sqlite');
  const [superuser, admin] = await insertUsers(testDb.db, 'sqlite', [
    { email: 'root@ops.test', role: 'superuser' },
    { email: 'sam@ops.test', role: 'admin' },
  ]);
  ids = { superuser, admin };
  for (const library of LIBRARIES) fixtures[library] = await createFixture(library, PREFIX);
  host = await createTestApp({ db: testDb.db, admin: { queues: LIBRARIES.map((l) => fixtures[l].queue), queueBulkCap: 2000 } });
  // Slow enough between batches that a cancel always lands during the first batch or the pause after it.
  slowHost = await createTestApp({ db: testDb.db, admin: { queues: LIBRARIES.map((l) => fixtures[l].queue), queueBulkPauseMs: 1500, live: false } });
  served = await serve(host.app);
}, 60_000);

afterAll(async () => {
  await served?.close();
  await host?.admin.close();
  await slowHost?.admin.close();
  for (const library of LIBRARIES) await fixtures[library]?.close();
  await testDb?.destroy();
});

async function auditRows(action: string, queue: string): Promise<Array<Record<string, any>>> {
  const rows: Array<Record<string, any>> = await testDb.db.selectFrom('backstage_audit_events').selectAll().where('action', '=', action).where('subject_id', '=', queue).orderBy('id').execute();
  return rows.map((row) => ({ ...row, data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data }));
}

/** Reads a run's page until it has ended and its audit event is written. */
async function finishedRun(agent: SignedInAgent['agent'], url: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const page = await agent.get(url);
    expect(page.status).toBe(200);
    if (page.text.includes('with these counts')) return decoded(page.text);
    await sleep(100);
  }
  throw new Error(`the bulk run at ${url} did not end within 60 s`);
}

describe.each(LIBRARIES)('%s: retry all failed jobs, at scale', (library) => {
  it(`retries ${MANY} failed jobs after a second confirmation above the cap, with progress on the live stream and one audit event`, async () => {
    const fx = fixtures[library];
    await failJobs(fx, MANY);
    const { agent, csrf } = await host.agentAs(ids.superuser);
    const confirm = await agent.get(`/admin/dev/queues/${fx.name}/retry-failed`);
    expect(decoded(confirm.text)).toContain(`This will retry <span class="confirm-count">3,500</span> failed jobs.`);
    expect(decoded(confirm.text)).toContain('This is more than the cap of 2,000 jobs per action: you will be asked to confirm once more.');

    // Above the cap the first POST only asks again; a wrong number is a 400 that says what to type; nothing moves meanwhile.
    const first = await agent.post(`/admin/dev/queues/${fx.name}/retry-failed`).type('form').send({ _csrf: await csrf(), count: String(MANY), reason: 'SMTP outage over' });
    expect(first.status).toBe(200);
    expect(decoded(first.text)).toContain("3,500 jobs is more than this console's cap of 2,000 per action");
    expect(first.text).toContain('name="confirmLarge"');
    const wrong = await agent.post(`/admin/dev/queues/${fx.name}/retry-failed`).type('form').send({ _csrf: await csrf(), count: String(MANY), confirmLarge: '350' });
    expect(wrong.status).toBe(400);
    expect(decoded(wrong.text)).toContain('You typed "350"; type 3500 (the number of jobs) to go on.');
    expect((await fx.adapter.counts()).failed).toBe(MANY);

    const cookie = await signInCookie(served.url, ids.admin);
    const stream = await openStream(served.url, '/admin/live?topics=bulk', { cookie });
    expect(stream.status).toBe(200);
    const started = await agent
      .post(`/admin/dev/queues/${fx.name}/retry-failed`)
      .type('form')
      .send({ _csrf: await csrf(), count: String(MANY), confirmLarge: '3,500', reason: 'SMTP outage over' });
    expect(started.status).toBe(303);
    const runId = /\/runs\/([0-9a-f-]{36})$/.exec(started.headers.location)![1];

    // While it runs, a second bulk action on the same queue is refused.
    const second = await agent.post(`/admin/dev/queues/${fx.name}/promote-delayed`).type('form').send({ _csrf: await csrf(), count: '1' });
    expect(second.status).toBe(409);
    expect(decoded(second.text)).toContain(`Another bulk action is running on queue "${fx.name}" (Retry 3,500 failed jobs, started by root@ops.test)`);

    const page = await finishedRun(agent, started.headers.location);
    expect(page).toContain('<strong data-run-field="done">3,500</strong> done');
    expect(page).toContain('Finished.');
    expect(await fx.adapter.counts()).toMatchObject({ failed: 0, waiting: MANY });

    await stream.waitFor(() => stream.events('bulk').some((e) => e.data.payload?.id === runId && e.data.payload.audit === 'written'), 10_000, 'the final bulk event');
    const mine = stream.events('bulk').map((e) => e.data.payload).filter((p) => p.id === runId);
    const progress = mine.map((p) => p.done);
    expect(progress[0]).toBe(0);
    expect(progress.some((done) => done > 0 && done < MANY)).toBe(true);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(mine.at(-1)).toMatchObject({ status: 'done', done: MANY, target: MANY, batches: 4, complete: true });
    stream.close();

    const events = await auditRows('queue.retry_all_failed', fx.name);
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ queue: fx.name, confirmed: MANY, retried: MANY, skipped: 0, batches: 4, complete: true, cancelled: false });
    expect(events[0].reason).toBe('SMTP outage over');
    expect(events[0].actor_email).toBe('root@ops.test');
    await fx.adapter.removeAll('waiting');
  }, 120_000);

  it('stops between two batches when cancelled: every job is failed or waiting, and the audit event says how far it got and who stopped it', async () => {
    const fx = fixtures[library];
    await failJobs(fx, MANY);
    const { agent, csrf } = await slowHost.agentAs(ids.superuser);
    const started = await agent.post(`/admin/dev/queues/${fx.name}/retry-failed`).type('form').send({ _csrf: await csrf(), count: '1999' });
    expect(started.status).toBe(303);
    // Cancelled once the first batch is done, during the pause after it.
    for (let i = 0; i < 200 && !(await agent.get(started.headers.location)).text.includes('<strong data-run-field="done">1,000</strong>'); i++) await sleep(25);
    const cancel = await agent.post(`${started.headers.location}/cancel`).type('form').send({ _csrf: await csrf() });
    expect(cancel.status).toBe(303);
    const admin = await slowHost.agentAs(ids.admin);
    expect((await admin.agent.post(`${started.headers.location}/cancel`).type('form').send({ _csrf: await admin.csrf() })).status).toBe(403);

    const page = await finishedRun(agent, started.headers.location);
    expect(page).toContain('Cancelled by root@ops.test: the jobs already done stay done, the rest were not touched.');
    expect(page).toContain('<strong data-run-field="done">1,000</strong> done');
    // The first batch went through whole, the rest was not touched.
    expect(await fx.adapter.counts()).toMatchObject({ failed: MANY - 1000, waiting: 1000 });
    const [event] = await auditRows('queue.retry_all_failed', fx.name).then((rows) => rows.slice(-1));
    expect(event.data).toMatchObject({ confirmed: 1999, retried: 1000, batches: 1, cancelled: true, cancelledBy: 'root@ops.test', complete: false });

    const again = await agent.post(`${started.headers.location}/cancel`).type('form').send({ _csrf: await csrf() });
    expect(again.status).toBe(303);
    expect(decoded((await agent.get(again.headers.location)).text)).toContain('That run had already ended; nothing to cancel.');
    await fx.adapter.removeAll('waiting');
    await fx.adapter.clean('failed', 0);
  }, 120_000);
});

describe.each(LIBRARIES)('%s: promote all delayed, remove all', (library) => {
  it('promotes every delayed job and removes every waiting job, each confirmed, superuser-only, audited once', async () => {
    const fx = fixtures[library];
    const delayed = await fx.addBulk(Array.from({ length: 5 }, (_, i) => ({ data: { kind: 'ok', n: i }, opts: { delay: 3_600_000 } })));
    const admin = await host.agentAs(ids.admin);
    expect((await admin.agent.get(`/admin/dev/queues/${fx.name}/promote-delayed`)).status).toBe(403);
    expect((await admin.agent.post(`/admin/dev/queues/${fx.name}/remove-all`).type('form').send({ _csrf: await admin.csrf(), state: 'waiting', count: '5' })).status).toBe(403);

    const { agent, csrf } = await host.agentAs(ids.superuser);
    const confirm = await agent.get(`/admin/dev/queues/${fx.name}/promote-delayed`);
    expect(decoded(confirm.text)).toContain('This will promote <span class="confirm-count">5</span> delayed jobs.');
    const promoted = await agent.post(`/admin/dev/queues/${fx.name}/promote-delayed`).type('form').send({ _csrf: await csrf(), count: '5' });
    await finishedRun(agent, promoted.headers.location);
    expect(await fx.adapter.counts()).toMatchObject({ delayed: 0, waiting: 5 });
    expect((await auditRows('queue.promote_all_delayed', fx.name))[0].data).toMatchObject({ confirmed: 5, promoted: 5, complete: true });

    expect((await agent.get(`/admin/dev/queues/${fx.name}/remove-all?state=failed`)).status).toBe(400);
    const removeConfirm = await agent.get(`/admin/dev/queues/${fx.name}/remove-all?state=waiting`);
    expect(decoded(removeConfirm.text)).toContain('This will permanently remove <span class="confirm-count">5</span> waiting jobs.');
    expect(decoded(removeConfirm.text)).toContain('gone for good');
    const removed = await agent.post(`/admin/dev/queues/${fx.name}/remove-all`).type('form').send({ _csrf: await csrf(), state: 'waiting', count: '5', reason: 'stale test jobs' });
    await finishedRun(agent, removed.headers.location);
    expect(await fx.redis.exists(...delayed.map((id) => fx.key(id)))).toBe(0);
    const [event] = await auditRows('queue.removed_all', fx.name);
    expect(event.data).toMatchObject({ state: 'waiting', confirmed: 5, removed: 5, complete: true });
    expect(event.reason).toBe('stale test jobs');
  }, 60_000);
});

describe('bad input to the bulk routes', () => {
  it('an unknown run is a 404 that says why it may be gone, a run id too long a 400, a bad state or count a 400', async () => {
    const fx = fixtures.bull;
    const { agent, csrf } = await host.agentAs(ids.superuser);
    const unknown = await agent.get(`/admin/dev/queues/${fx.name}/runs/no-such-run`);
    expect(unknown.status).toBe(404);
    expect(decoded(unknown.text)).toContain('No such bulk action here. Runs are kept for an hour by the instance of the app that ran them');
    expect((await agent.post(`/admin/dev/queues/${fx.name}/runs/no-such-run/cancel`).type('form').send({ _csrf: await csrf() })).status).toBe(404);
    const long = await agent.get(`/admin/dev/queues/${fx.name}/runs/${'x'.repeat(300)}`);
    expect(long.status).toBe(400);
    expect(decoded(long.text)).toContain('That run id is too long to be real.');
    const state = await agent.post(`/admin/dev/queues/${fx.name}/remove-all`).type('form').send({ _csrf: await csrf(), state: 'active', count: '1' });
    expect(state.status).toBe(400);
    expect(decoded(state.text)).toContain('Only waiting, delayed, paused jobs can be removed all at once');
    const count = await agent.post(`/admin/dev/queues/${fx.name}/promote-delayed`).type('form').send({ _csrf: await csrf(), count: 'many' });
    expect(count.status).toBe(400);
    expect((await agent.post(`/admin/dev/queues/${fx.name}/promote-delayed`).type('form').send({ _csrf: await csrf() })).status).toBe(400);
  });
});

describe('two instances of the app on one Redis (live: { redis })', () => {
  it('a run on A shows its progress on B, B refuses a second run on that queue, and Cancel pressed on B stops it on A', async () => {
    const fx = fixtures.bull;
    await failJobs(fx, MANY);
    const channelPrefix = `${PREFIX}:live:`;
    const live = (instanceId: string) => ({ redis: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', channelPrefix, instanceId });
    const a = await createTestApp({ db: testDb.db, admin: { queues: [fx.queue], queueBulkPauseMs: 1500, live: live('bulk-a') } });
    const b = await createTestApp({ db: testDb.db, admin: { queues: [fx.queue], queueBulkPauseMs: 1500, live: live('bulk-b') } });
    try {
      // Both subscribed to the bus before the run starts.
      await Promise.all([a.admin.ready(), b.admin.ready()]);
      await sleep(300);
      const onA = await a.agentAs(ids.superuser);
      const onB = await b.agentAs(ids.superuser);
      const started = await onA.agent.post(`/admin/dev/queues/${fx.name}/retry-failed`).type('form').send({ _csrf: await onA.csrf(), count: '3000', confirmLarge: '3000' });
      expect(started.status).toBe(303);
      const runPath = started.headers.location;
      let seenOnB = '';
      for (let i = 0; i < 200 && !seenOnB.includes('<strong data-run-field="done">1,000</strong>'); i++) {
        await sleep(25);
        const res = await onB.agent.get(runPath);
        seenOnB = res.status === 200 ? res.text : '';
      }
      expect(seenOnB).toContain('<strong data-run-field="done">1,000</strong>');
      const second = await onB.agent.post(`/admin/dev/queues/${fx.name}/retry-failed`).type('form').send({ _csrf: await onB.csrf(), count: '10' });
      expect(second.status).toBe(409);

      const cancel = await onB.agent.post(`${runPath}/cancel`).type('form').send({ _csrf: await onB.csrf() });
      expect(cancel.status).toBe(303);
      const page = await finishedRun(onA.agent, runPath);
      expect(page).toContain('Cancelled by root@ops.test');
      expect(await fx.adapter.counts()).toMatchObject({ failed: MANY - 1000, waiting: 1000 });
      const [event] = (await auditRows('queue.retry_all_failed', fx.name)).slice(-1);
      expect(event.data).toMatchObject({ retried: 1000, cancelled: true, cancelledBy: 'root@ops.test' });
    } finally {
      await a.admin.close();
      await b.admin.close();
      await fx.adapter.removeAll('waiting');
      await fx.adapter.clean('failed', 0);
    }
  }, 120_000);
});
