/**
 * A host on another queue system writes its own adapter: only the Required
 * methods, and BaseQueueAdapter fills in the rest, so adding an Optional
 * method to the interface later breaks nobody.
 */
import {
  BaseQueueAdapter,
  JOB_STATES,
  type JobCounts,
  type JobId,
  type JobPage,
  type JobState,
  type JobView,
  type PageOptions,
} from '../../src/queues/queue-adapter';
import { QueueAdapterError } from '../../src/queues/queue-error';

function view(id: number, state: JobState, data: unknown): JobView {
  return {
    id: String(id),
    queue: 'memory',
    name: 'job',
    state,
    data,
    opts: {},
    attemptsMade: 0,
    attemptsAllowed: 1,
    progress: 0,
    failedReason: null,
    stacktrace: [],
    returnValue: null,
    timestamps: { created: id, processed: null, finished: null, delayedUntil: null },
  };
}

/** The smallest possible adapter: an in-memory list, newest last. */
class MemoryQueueAdapter extends BaseQueueAdapter {
  readonly name = 'memory';
  constructor(readonly jobs: JobView[]) {
    super();
  }
  async counts(): Promise<JobCounts> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCounts;
    for (const job of this.jobs) counts[job.state as JobState]++;
    return counts;
  }
  async listJobs(state: JobState, page?: PageOptions): Promise<JobPage> {
    const { start, size } = this.checkPage(page);
    const all = this.jobs.filter((j) => j.state === state).reverse();
    return { state, jobs: all.slice(start, start + size), total: all.length, start, size };
  }
  async getJob(id: JobId): Promise<JobView | null> {
    return this.jobs.find((j) => j.id === String(id)) ?? null;
  }
}

/** The same, able to retry. */
class RetryingMemoryQueueAdapter extends MemoryQueueAdapter {
  override async retry(id: JobId): Promise<void> {
    const job = this.jobs.find((j) => j.id === String(id));
    if (!job || job.state !== 'failed') throw new QueueAdapterError('INVALID_STATE', `job ${id} has not failed`);
    job.state = 'waiting';
  }
}

function world(): JobView[] {
  return [
    view(1, 'completed', { teamId: 7, meta: { team: { id: 7 } } }),
    view(2, 'failed', { teamId: 7 }),
    view(3, 'failed', { teamId: 8 }),
    view(4, 'completed', { teamId: 8, meta: { team: { id: 7 } } }),
    view(5, 'failed', { userId: 'u-1' }),
  ];
}

describe('a host-written adapter that extends BaseQueueAdapter', () => {
  it('offers no optional action it does not implement', () => {
    const adapter = new MemoryQueueAdapter(world());
    for (const action of ['pause', 'resume', 'jobLogs', 'retry', 'remove', 'promote', 'retryAllFailed', 'clean'] as const) {
      expect([action, adapter.supports(action)]).toEqual([action, false]);
    }
  });

  it('rejects unimplemented actions with NOT_SUPPORTED and a clear message', async () => {
    const adapter = new MemoryQueueAdapter(world());
    await expect(adapter.pause()).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      message: 'express-backstage: queue "memory" does not support pause()',
    });
    await expect(adapter.clean('completed', 0)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await expect(adapter.promote('1')).rejects.toBeInstanceOf(QueueAdapterError);
  });

  it('has harmless defaults for reads: not paused, no logs', async () => {
    const adapter = new MemoryQueueAdapter(world());
    expect(await adapter.isPaused()).toBe(false);
    expect(await adapter.jobLogs('1')).toEqual({ logs: [], total: 0, start: 0, size: 20 });
  });

  it('searches job data through listJobs, failed first, newest first', async () => {
    const adapter = new MemoryQueueAdapter(world());
    const result = await adapter.findJobs({ field: 'teamId', value: '7' });
    expect(result.jobs.map((j) => j.id)).toEqual(['2', '1']);
    expect(result).toMatchObject({ scanned: 5, complete: true });
    const nested = await adapter.findJobsByLinks({ 'meta.team.id': 7 });
    expect(nested.jobs.map((j) => j.id)).toEqual(['4', '1']);
    // The two newest failed jobs are 5 and 3; job 4 (completed) is never reached.
    const limited = await adapter.findJobs({ field: 'teamId', value: 8, scanLimit: 2 });
    expect(limited).toMatchObject({ scanned: 2, complete: false });
    expect(limited.jobs.map((j) => j.id)).toEqual(['3']);
  });

  it('retries all failed jobs through its own retry(), once it has one', async () => {
    const adapter = new RetryingMemoryQueueAdapter(world());
    expect(adapter.supports('retry')).toBe(true);
    expect(adapter.supports('retryAllFailed')).toBe(true);
    expect(await adapter.retryAllFailed({ batchSize: 2 })).toEqual({ retried: 3, skipped: 0, batches: 2, complete: true, cancelled: false });
    expect((await adapter.counts()).failed).toBe(0);
  });
});
