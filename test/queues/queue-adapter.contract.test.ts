/**
 * One contract, run against every built-in queue adapter (bull-board's
 * runServerAdapterContract): whatever library is behind a queue, the queue
 * pages see the same counts, the same newest-first pages, the same job view
 * and the same effect of every action on Redis.
 */
import type { JobView, QueueAdapter } from '../../src/queues/queue-adapter';
import { QueueAdapterError } from '../../src/queues/queue-error';
import {
  LIBRARIES,
  createFixture,
  recordingAdapter,
  sleep,
  uniquePrefix,
  type Library,
  type QueueFixture,
} from './helpers/queue-fixtures';

const PREFIX = uniquePrefix('contract');
const HOUR = 60 * 60 * 1000;

async function rejection(promise: Promise<unknown>): Promise<QueueAdapterError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(QueueAdapterError);
    return err as QueueAdapterError;
  }
  throw new Error('expected a rejection');
}

describe.each(LIBRARIES)('%s queue adapter contract', (library: Library) => {
  describe('an operator reads a queue that real workers have used', () => {
    let fx: QueueFixture;
    let adapter: QueueAdapter;
    const ids = { completed: [] as string[], failed: [] as string[], delayed: [] as string[], active: '', waiting: [] as string[] };

    beforeAll(async () => {
      fx = await createFixture(library, PREFIX);
      adapter = fx.adapter;
      for (let i = 1; i <= 4; i++) {
        ids.completed.push(await fx.add({ kind: 'ok', n: i, teamId: `team-${i % 2}`, userId: 100 + i, meta: { team: { id: i } } }));
      }
      for (let i = 1; i <= 3; i++) {
        ids.failed.push(
          await fx.add(
            { kind: 'fail', n: i, to: `user${i}@example.com`, teamId: 'team-1', userId: 200 + i, password: 'hunter2', nested: { apiKey: 'k' } },
            { attempts: 2 },
          ),
        );
      }
      ids.delayed.push(await fx.add({ kind: 'ok', n: 'later-1' }, { delay: HOUR }));
      ids.delayed.push(await fx.add({ kind: 'ok', n: 'later-2' }, { delay: 2 * HOUR }));
      fx.startWorker(1);
      await fx.waitForCounts((c) => c.completed === 4 && c.failed === 3, 'completed and failed jobs');
      ids.active = await fx.add({ kind: 'block', teamId: 'team-1' });
      await fx.waitForCounts((c) => c.active === 1, 'the blocking job to be active');
      for (let i = 1; i <= 3; i++) ids.waiting.push(await fx.add({ kind: 'ok', n: `queued-${i}`, teamId: 'team-9' }));
    });

    afterAll(async () => {
      await fx.close();
    });

    it('counts every state from O(1) counters', async () => {
      expect(await adapter.counts()).toEqual({ waiting: 3, active: 1, delayed: 2, completed: 4, failed: 3, paused: 0 });
    });

    it('counts without fetching a single job (only LLEN and ZCARD)', async () => {
      const { adapter: recorded, calls } = recordingAdapter(fx);
      expect(await recorded.counts()).toEqual(await adapter.counts());
      expect(new Set(calls.map((c) => c.command))).toEqual(new Set(['llen', 'zcard']));
    });

    it('lists completed jobs newest first, one page at a time', async () => {
      const first = await adapter.listJobs('completed', { start: 0, size: 3 });
      expect(first.total).toBe(4);
      expect(first.jobs.map((j) => j.id)).toEqual([...ids.completed].reverse().slice(0, 3));
      const second = await adapter.listJobs('completed', { start: 3, size: 3 });
      expect(second.jobs.map((j) => j.id)).toEqual([ids.completed[0]]);
      const finished = first.jobs.map((j) => j.timestamps.finished!);
      expect([...finished].sort((a, b) => b - a)).toEqual(finished);
      expect(first.jobs.every((j) => j.state === 'completed' && j.queue === adapter.name)).toBe(true);
    });

    it('lists failed jobs newest first', async () => {
      const page = await adapter.listJobs('failed', { size: 2 });
      expect(page.total).toBe(3);
      expect(page.jobs.map((j) => j.id)).toEqual([ids.failed[2], ids.failed[1]]);
    });

    it('lists waiting, active and delayed jobs newest first', async () => {
      expect((await adapter.listJobs('waiting')).jobs.map((j) => j.id)).toEqual([...ids.waiting].reverse());
      expect((await adapter.listJobs('active')).jobs.map((j) => j.id)).toEqual([ids.active]);
      const delayed = await adapter.listJobs('delayed');
      expect(delayed.jobs.map((j) => j.id)).toEqual([ids.delayed[1], ids.delayed[0]]);
      expect((await adapter.listJobs('paused')).jobs).toEqual([]);
    });

    it('fetches only the jobs of the page asked for', async () => {
      const spy = jest.spyOn(fx.queue as unknown as { getJob: (id: string) => Promise<unknown> }, 'getJob');
      try {
        await adapter.listJobs('completed', { start: 1, size: 2 });
        expect(spy).toHaveBeenCalledTimes(2);
      } finally {
        spy.mockRestore();
      }
    });

    it('shows a failed job with every attempt, its stack traces and its data with secrets redacted', async () => {
      const job = (await adapter.getJob(ids.failed[0]))!;
      expect(job).toMatchObject({
        id: ids.failed[0],
        queue: adapter.name,
        state: 'failed',
        attemptsMade: 2,
        attemptsAllowed: 2,
        failedReason: 'boom: could not deliver to user1@example.com',
        returnValue: null,
        data: { kind: 'fail', n: 1, to: 'user1@example.com', teamId: 'team-1', password: '[redacted]', nested: { apiKey: '[redacted]' } },
      });
      expect(job.stacktrace).toHaveLength(2);
      expect(job.stacktrace[0]).toMatch(/^Error: boom: could not deliver to user1@example\.com\n\s+at /);
      expect(job.timestamps.created).toEqual(expect.any(Number));
      expect(job.timestamps.processed).toBeGreaterThanOrEqual(job.timestamps.created!);
      expect(job.timestamps.finished).toBeGreaterThanOrEqual(job.timestamps.processed!);
      expect(job.timestamps.delayedUntil).toBeNull();
    });

    it('gives plain JSON views: no library object leaks out', async () => {
      const views: JobView[] = [
        (await adapter.getJob(ids.completed[0]))!,
        (await adapter.getJob(ids.failed[0]))!,
        ...(await adapter.listJobs('delayed')).jobs,
      ];
      for (const view of views) {
        expect(JSON.parse(JSON.stringify(view))).toEqual(view);
        expect(Object.getPrototypeOf(view)).toBe(Object.prototype);
        expect(Object.getPrototypeOf(view.opts)).toBe(Object.prototype);
      }
    });

    it('shows a completed job with its progress, return value (redacted) and logs', async () => {
      const job = (await adapter.getJob(ids.completed[1]))!;
      expect(job).toMatchObject({ state: 'completed', progress: 100, returnValue: { delivered: true, apiToken: '[redacted]' } });
      expect(job.failedReason).toBeNull();
      expect(job.stacktrace).toEqual([]);
      expect(await adapter.jobLogs(ids.completed[1])).toEqual({ logs: ['step 1', 'step 2', 'step 3'], total: 3, start: 0, size: 20 });
      expect((await adapter.jobLogs(ids.completed[1], { start: 1, size: 1 })).logs).toEqual(['step 2']);
      expect((await adapter.jobLogs(ids.completed[1], { size: 2, newestFirst: true })).logs).toEqual(['step 3', 'step 2']);
    });

    it('knows which state a job is in, and when a delayed job is due', async () => {
      expect((await adapter.getJob(ids.active))!.state).toBe('active');
      expect((await adapter.getJob(ids.waiting[0]))!.state).toBe('waiting');
      const delayed = (await adapter.getJob(ids.delayed[0]))!;
      expect(delayed.state).toBe('delayed');
      expect(Math.abs(delayed.timestamps.delayedUntil! - (delayed.timestamps.created! + HOUR))).toBeLessThan(5);
      const listed = (await adapter.listJobs('delayed')).jobs.find((j) => j.id === ids.delayed[0])!;
      expect(listed.timestamps.delayedUntil).toBe(delayed.timestamps.delayedUntil);
    });

    it('answers null for an id the queue does not have', async () => {
      expect(await adapter.getJob('no-such-job')).toBeNull();
      expect(await adapter.getJob(987654)).toBeNull();
    });

    it('finds jobs by a data field, saying how much it scanned', async () => {
      const result = await adapter.findJobs({ field: 'teamId', value: 'team-1' });
      // failed first (3), then the active one, then completed jobs 1 and 3.
      expect(result.jobs.map((j) => j.id)).toEqual([...[...ids.failed].reverse(), ids.active, ids.completed[2], ids.completed[0]]);
      expect(result.complete).toBe(true);
      expect(result.scanned).toBe(3 + 1 + 3 + 2 + 4);
    });

    it('finds jobs by a nested data path, matching numbers with the text typed in a URL', async () => {
      const result = await adapter.findJobs({ field: 'meta.team.id', value: '2', states: ['completed'] });
      expect(result.jobs.map((j) => j.id)).toEqual([ids.completed[1]]);
      expect(result.scanned).toBe(4);
    });

    it('finds jobs whose field contains a text, case-insensitively', async () => {
      const result = await adapter.findJobs({ field: 'to', op: 'contains', value: 'USER2@', states: ['failed'] });
      expect(result.jobs.map((j) => j.id)).toEqual([ids.failed[1]]);
    });

    it('stops at scanLimit and says the scan was incomplete', async () => {
      const result = await adapter.findJobs({ field: 'teamId', value: 'team-0', states: ['failed', 'completed'], scanLimit: 4 });
      expect(result).toMatchObject({ scanned: 4, complete: false });
      expect(result.jobs.map((j) => j.id)).toEqual([ids.completed[3]]);
    });

    it('refuses to search by a secret', async () => {
      const err = await rejection(adapter.findJobs({ field: 'password', value: 'hunter2' }));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toMatch(/^express-backstage: .*looks like a secret/);
    });

    it("shows a user's jobs through their links, failed first", async () => {
      const result = await adapter.findJobsByLinks({ userId: 202, 'meta.team.id': 3 });
      expect(result.jobs.map((j) => [j.id, j.state])).toEqual([
        [ids.failed[1], 'failed'],
        [ids.completed[2], 'completed'],
      ]);
      expect(result.complete).toBe(true);
    });

    it('reports the queue as running', async () => {
      expect(await adapter.isPaused()).toBe(false);
      expect(adapter.supports('pause')).toBe(true);
      expect(adapter.supports('retryAllFailed')).toBe(true);
      expect(adapter.supports('clean')).toBe(true);
    });

    it('rejects bad arguments with a message an operator understands', async () => {
      expect((await rejection(adapter.listJobs('stuck' as never))).message).toBe(
        `express-backstage: state must be one of waiting, active, delayed, completed, failed, paused, got "stuck"`,
      );
      expect((await rejection(adapter.listJobs('failed', { size: 1001 }))).code).toBe('INVALID_ARGUMENT');
      expect((await rejection(adapter.listJobs('failed', { start: -1 }))).code).toBe('INVALID_ARGUMENT');
      expect((await rejection(adapter.retryAllFailed({ batchSize: 5000 }))).message).toMatch(/batchSize must be an integer from 1 to 1,000/);
      expect((await rejection(adapter.clean('waiting' as never, 1000))).message).toMatch(/state must be one of completed, failed/);
      expect((await rejection(adapter.getJob(''))).code).toBe('INVALID_ARGUMENT');
    });
  });

  describe('an operator acts on jobs', () => {
    let fx: QueueFixture;

    beforeEach(async () => {
      fx = await createFixture(library, PREFIX);
    });

    afterEach(async () => {
      await fx.close();
    });

    async function failedJobs(n: number, attempts = 1): Promise<string[]> {
      const added = await fx.addBulk(Array.from({ length: n }, (_, i) => ({ data: { kind: 'fail', n: i }, opts: { attempts } })));
      fx.startWorker(n > 100 ? 100 : 1);
      await fx.waitForCounts((c) => c.failed === n, `${n} failed jobs`, 60_000);
      await fx.stopWorker();
      return added;
    }

    it('pauses and resumes the queue; waiting jobs wait as paused meanwhile', async () => {
      await fx.add({ kind: 'ok' });
      await fx.add({ kind: 'ok' });
      await fx.adapter.pause();
      expect(await fx.adapter.isPaused()).toBe(true);
      expect(await fx.adapter.counts()).toMatchObject({ waiting: 0, paused: 2 });
      expect((await fx.adapter.listJobs('paused')).jobs).toHaveLength(2);
      const [one] = (await fx.adapter.listJobs('paused')).jobs;
      expect((await fx.adapter.getJob(one.id))!.state).toBe('paused');
      await fx.adapter.resume();
      expect(await fx.adapter.isPaused()).toBe(false);
      expect(await fx.adapter.counts()).toMatchObject({ waiting: 2, paused: 0 });
    });

    it('counts and pages prioritized jobs as waiting, across every structure that holds them', async () => {
      const plain = [await fx.add({ kind: 'ok', n: 1 }), await fx.add({ kind: 'ok', n: 2 })];
      const urgent = [await fx.add({ kind: 'ok', n: 3 }, { priority: 1 }), await fx.add({ kind: 'ok', n: 4 }, { priority: 5 })];
      expect(await fx.adapter.counts()).toMatchObject({ waiting: 4 });
      const first = await fx.adapter.listJobs('waiting', { start: 0, size: 3 });
      const second = await fx.adapter.listJobs('waiting', { start: 3, size: 3 });
      expect([first.total, first.jobs.length, second.jobs.length]).toEqual([4, 3, 1]);
      expect([...first.jobs, ...second.jobs].map((j) => j.id).sort()).toEqual([...plain, ...urgent].sort());
      expect((await fx.adapter.getJob(urgent[0]))!.state).toBe('waiting');
      const found = await fx.adapter.findJobs({ field: 'n', value: 4, states: ['waiting'] });
      expect(found).toMatchObject({ scanned: 4, complete: true });
      expect(found.jobs.map((j) => j.id)).toEqual([urgent[1]]);
    });

    it('retries a failed job: it goes back to waiting, then completes once the bug is fixed', async () => {
      const [id] = await failedJobs(1, 2);
      await fx.adapter.retry(id);
      expect(await fx.adapter.counts()).toMatchObject({ failed: 0, waiting: 1 });
      const job = (await fx.adapter.getJob(id))!;
      expect(job).toMatchObject({ state: 'waiting', failedReason: null, attemptsMade: 2 });
      expect(job.timestamps.finished).toBeNull();
      fx.heal();
      fx.startWorker(1);
      await fx.waitForCounts((c) => c.completed === 1, 'the retried job to complete');
      expect((await fx.adapter.getJob(id))!.state).toBe('completed');
    });

    it('refuses to retry a job that has not failed, or that does not exist', async () => {
      const id = await fx.add({ kind: 'ok' });
      const wrong = await rejection(fx.adapter.retry(id));
      expect(wrong.code).toBe('INVALID_STATE');
      expect(wrong.message).toBe(`express-backstage: job ${id} in queue "${fx.name}" is waiting; only failed jobs can be retried`);
      expect((await rejection(fx.adapter.retry('nope'))).code).toBe('JOB_NOT_FOUND');
      expect(await fx.adapter.counts()).toMatchObject({ waiting: 1, failed: 0 });
    });

    it('removes a job: its hash, its logs and its place in the state set are gone', async () => {
      fx.startWorker(1);
      const id = await fx.add({ kind: 'ok' });
      await fx.waitForCounts((c) => c.completed === 1, 'the job to complete');
      await fx.stopWorker();
      expect(await fx.redis.exists(fx.key(id), fx.key(`${id}:logs`))).toBe(2);
      await fx.adapter.remove(id);
      expect(await fx.redis.exists(fx.key(id), fx.key(`${id}:logs`))).toBe(0);
      expect(await fx.redis.zscore(fx.key('completed'), id)).toBeNull();
      expect((await fx.adapter.counts()).completed).toBe(0);
      expect(await fx.adapter.getJob(id)).toBeNull();
      expect((await rejection(fx.adapter.remove(id))).code).toBe('JOB_NOT_FOUND');
    });

    it('refuses to remove a job a worker is processing', async () => {
      fx.startWorker(1);
      const id = await fx.add({ kind: 'block' });
      await fx.waitForCounts((c) => c.active === 1, 'the job to be active');
      const err = await rejection(fx.adapter.remove(id));
      expect(err.code).toBe('INVALID_STATE');
      expect(err.message).toMatch(/is being processed by a worker/);
      expect(await fx.redis.exists(fx.key(id))).toBe(1);
      fx.releaseBlocked();
    });

    it('promotes a delayed job to waiting', async () => {
      const id = await fx.add({ kind: 'ok' }, { delay: HOUR });
      const other = await fx.add({ kind: 'ok' }, { delay: HOUR });
      await fx.adapter.promote(id);
      expect(await fx.adapter.counts()).toMatchObject({ delayed: 1, waiting: 1 });
      expect((await fx.adapter.getJob(id))!.state).toBe('waiting');
      expect((await fx.adapter.getJob(other))!.state).toBe('delayed');
      const err = await rejection(fx.adapter.promote(id));
      expect(err.code).toBe('INVALID_STATE');
      expect(err.message).toMatch(/is waiting; only delayed jobs can be promoted/);
    });

    it('lists a job with over 64 KB of data without loading its data; its own page gets it whole', async () => {
      const big = await fx.add({ kind: 'ok', blob: 'x'.repeat(200 * 1024) }, { delay: HOUR, attempts: 2 });
      const small = await fx.add({ kind: 'ok', n: 1 }, { delay: HOUR });
      const { adapter, calls } = recordingAdapter(fx);
      const page = await adapter.listJobs('delayed', { size: 10 });
      const listed = page.jobs.find((job) => job.id === big)!;
      expect(listed.data).toBe('[200.0 KB of data, not loaded in lists: open the job]');
      expect(listed).toMatchObject({ state: 'delayed', attemptsAllowed: 2, attemptsMade: 0 });
      expect(listed.timestamps.delayedUntil).toBeGreaterThan(Date.now());
      expect(page.jobs.find((job) => job.id === small)!.data).toEqual({ kind: 'ok', n: 1 });
      // Neither the library's job load nor an HGET of the data touched the big job.
      expect(calls.filter((c) => ['hgetall', 'hget'].includes(c.command) && c.args[0] === fx.key(big))).toEqual([]);
      const whole = await fx.adapter.getJob(big);
      expect((whole!.data as { blob: string }).blob).toHaveLength(200 * 1024);
      const [viaGetJobs] = await adapter.getJobs([big], ['delayed']);
      expect(viaGetJobs!.data).toBe(listed.data);
    });

    it('reads several jobs at once in the order asked, without locating those whose state is known', async () => {
      const [failed] = await failedJobs(1);
      const waiting = await fx.add({ kind: 'ok' });
      const located = await Promise.all([fx.adapter.getJob(failed), fx.adapter.getJob(waiting)]);
      const { adapter, calls } = recordingAdapter(fx);
      const jobs = await adapter.getJobs([waiting, 'no-such-job', failed], [null, 'failed', 'failed']);
      expect(jobs).toEqual([located[1], null, located[0]]);
      // The failed job is not looked for in every state; the waiting one (state unknown) is.
      const zscores = calls.filter((c) => c.command === 'zscore').map((c) => c.args[1]);
      expect(zscores).not.toContain(failed);
      expect(zscores).toContain(waiting);
    });

    it('reads the newest failure without its data: id, name, reason and time', async () => {
      expect(await fx.adapter.latestFailure!()).toBeNull();
      await failedJobs(2);
      const newest = (await fx.adapter.listJobs('failed', { size: 1 })).jobs[0];
      const { adapter, calls } = recordingAdapter(fx);
      const latest = await adapter.latestFailure!();
      expect(latest).toEqual({ id: newest.id, name: newest.name, failedReason: newest.failedReason, finishedAt: newest.timestamps.finished });
      expect(latest!.failedReason).toMatch(/boom/);
      expect(calls.map((c) => c.command).sort()).toEqual(['hget', 'hget', 'hget', 'zrevrange']);
      expect(calls.filter((c) => c.command === 'hget').map((c) => c.args[1]).sort()).toEqual(['failedReason', 'finishedOn', 'name']);
    });

    it('retries all 2,500 failed jobs in batches of at most 1,000', async () => {
      await failedJobs(2500);
      const { adapter, calls } = recordingAdapter(fx);
      const result = await adapter.retryAllFailed();
      expect(result).toEqual({ retried: 2500, skipped: 0, batches: 3, complete: true, cancelled: false });
      const ranges = calls.filter((c) => c.command === 'zrange');
      expect(ranges.map((c) => (c.args[2] as number) - (c.args[1] as number) + 1)).toEqual([1000, 1000, 500]);
      expect(ranges.every((c) => (c.result as string[]).length <= 1000)).toBe(true);
      expect(await fx.adapter.counts()).toMatchObject({ failed: 0, waiting: 2500 });
    }, 120_000);

    it('stops retrying at max and says more failed jobs remain', async () => {
      await failedJobs(30);
      const result = await fx.adapter.retryAllFailed({ batchSize: 7, max: 20 });
      expect(result).toEqual({ retried: 20, skipped: 0, batches: 3, complete: false, cancelled: false });
      expect(await fx.adapter.counts()).toMatchObject({ failed: 10, waiting: 20 });
      // The oldest failures went first.
      const left = (await fx.adapter.listJobs('failed', { size: 100 })).jobs.map((j) => (j.data as { n: number }).n);
      expect(left.sort((a, b) => a - b)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    });

    it('cleans only the completed jobs older than asked, in batches', async () => {
      fx.startWorker(5);
      const old = await fx.addBulk(Array.from({ length: 25 }, (_, i) => ({ data: { kind: 'ok', n: i } })));
      await fx.waitForCounts((c) => c.completed === 25, 'old jobs to complete');
      await sleep(1500);
      const fresh = await fx.addBulk(Array.from({ length: 5 }, (_, i) => ({ data: { kind: 'ok', n: 100 + i } })));
      await fx.waitForCounts((c) => c.completed === 30, 'fresh jobs to complete');
      await fx.stopWorker();

      const result = await fx.adapter.clean('completed', 1000, { batchSize: 10 });
      expect(result).toEqual({ removed: 25, batches: 3, complete: true, cancelled: false });
      expect((await fx.adapter.counts()).completed).toBe(5);
      expect(await fx.redis.exists(...old.map((id) => fx.key(id)))).toBe(0);
      expect(await fx.redis.exists(...fresh.map((id) => fx.key(id)))).toBe(5);
    });

    it('stops cleaning at max and says older jobs remain', async () => {
      await failedJobs(12);
      await sleep(50);
      const result = await fx.adapter.clean('failed', 0, { batchSize: 5, max: 8 });
      expect(result).toEqual({ removed: 8, batches: 2, complete: false, cancelled: false });
      expect((await fx.adapter.counts()).failed).toBe(4);
    });

    it('reports each batch and stops between two batches when cancelled, leaving every job in one state or the other', async () => {
      await failedJobs(50);
      const controller = new AbortController();
      const seen: Array<{ done: number; batches: number }> = [];
      const result = await fx.adapter.retryAllFailed({
        batchSize: 10,
        signal: controller.signal,
        onBatch: (progress) => {
          seen.push({ done: progress.done, batches: progress.batches });
          if (progress.batches === 2) controller.abort();
        },
      });
      expect(seen).toEqual([{ done: 10, batches: 1 }, { done: 20, batches: 2 }]);
      expect(result).toEqual({ retried: 20, skipped: 0, batches: 2, complete: false, cancelled: true });
      expect(await fx.adapter.counts()).toMatchObject({ failed: 30, waiting: 20 });
    });

    it('promotes every delayed job, soonest due first, in batches', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await fx.add({ kind: 'ok', n: i }, { delay: HOUR + (12 - i) * 1000 }));
      const { adapter, calls } = recordingAdapter(fx);
      const result = await adapter.promoteAllDelayed({ batchSize: 5, max: 7 });
      expect(result).toEqual({ done: 7, skipped: 0, batches: 2, complete: false, cancelled: false });
      expect(await fx.adapter.counts()).toMatchObject({ delayed: 5, waiting: 7 });
      // Due latest were added first: the last seven added are due soonest and went first.
      for (const id of ids.slice(5)) expect((await fx.adapter.getJob(id))!.state).toBe('waiting');
      expect(calls.filter((c) => c.command === 'zrange').every((c) => (c.result as string[]).length <= 5)).toBe(true);
      expect(await fx.adapter.promoteAllDelayed()).toEqual({ done: 5, skipped: 0, batches: 1, complete: true, cancelled: false });
    });

    it('removes every waiting job oldest first, and every delayed job, with their hashes', async () => {
      const waiting: string[] = [];
      for (let i = 0; i < 9; i++) waiting.push(await fx.add({ kind: 'ok', n: i }));
      const delayed = await fx.add({ kind: 'ok' }, { delay: HOUR });
      const first = await fx.adapter.removeAll('waiting', { batchSize: 4, max: 5 });
      expect(first).toEqual({ done: 5, skipped: 0, batches: 2, complete: false, cancelled: false });
      expect(await fx.redis.exists(...waiting.slice(0, 5).map((id) => fx.key(id)))).toBe(0);
      expect(await fx.redis.exists(...waiting.slice(5).map((id) => fx.key(id)))).toBe(4);
      expect(await fx.adapter.removeAll('waiting')).toMatchObject({ done: 4, complete: true });
      expect(await fx.adapter.removeAll('delayed')).toMatchObject({ done: 1, complete: true });
      expect(await fx.redis.exists(fx.key(delayed))).toBe(0);
      expect(await fx.adapter.counts()).toMatchObject({ waiting: 0, delayed: 0 });
      expect((await rejection(fx.adapter.removeAll('failed' as never))).code).toBe('INVALID_ARGUMENT');
    });
  });
});
