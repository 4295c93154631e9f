/**
 * The adapter for Bull (v3/v4) queues. Bull is the host's dependency, not
 * ours: the queue object is typed structurally and never `require`d here.
 */
import type { CleanableState, JobIndexSource } from './queue-adapter';
import { QueueAdapterError } from './queue-error';
import { describeValue, isBullMQQueue, isBullQueue } from './queue-shape';
import {
  RedisQueueAdapter,
  type RawJobFields,
  type RedisCommandsLike,
  type RedisQueueAdapterOptions,
  type StateKey,
} from './redis-queue-adapter';

/** The subset of a Bull `Job` the adapter reads and calls. */
export interface BullJobLike {
  id: string | number;
  name: string;
  data: unknown;
  opts: object;
  attemptsMade: number;
  /** Bull keeps the progress here; `progress()` is its getter/setter. */
  _progress?: unknown;
  failedReason?: string;
  stacktrace: string[] | null;
  returnvalue: unknown;
  timestamp: number;
  processedOn?: number | null;
  finishedOn?: number | null;
  delay?: number;
  getState(): Promise<string>;
  retry(): Promise<void>;
  remove(): Promise<void>;
  promote(): Promise<void>;
}

/** The subset of Bull's `Queue` the adapter uses. */
export interface BullQueueLike {
  name: string;
  /** Bull's non-blocking ioredis connection. */
  client: RedisCommandsLike;
  toKey(type: string): string;
  getJob(jobId: string): Promise<BullJobLike | null>;
  getJobLogs(jobId: string, start?: number, end?: number, asc?: boolean): Promise<{ logs: string[]; count: number }>;
  isPaused(isLocal?: boolean): Promise<boolean>;
  pause(isLocal?: boolean, doNotWaitActive?: boolean): Promise<void>;
  resume(isLocal?: boolean): Promise<void>;
  clean(grace: number, status?: string, limit?: number): Promise<unknown[]>;
  /** Bull's event emitter: `global:waiting` subscribes to every instance's new jobs. */
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Bull keeps waiting jobs in `wait` (or `paused` while the queue is paused), all LPUSHed. */
const BULL_STATE_KEYS: readonly StateKey[] = [
  { state: 'active', type: 'active', kind: 'list' },
  { state: 'waiting', type: 'wait', kind: 'list' },
  { state: 'paused', type: 'paused', kind: 'list' },
  { state: 'delayed', type: 'delayed', kind: 'zset' },
  { state: 'completed', type: 'completed', kind: 'zset' },
  { state: 'failed', type: 'failed', kind: 'zset' },
];

/**
 * Wraps a Bull queue for the console's queue pages.
 *
 * @example
 * import Queue from 'bull';
 * const emails = new Queue('emails', process.env.REDIS_URL);
 * createAdmin({ queues: [new BullQueueAdapter(emails, { timeoutMs: 1500 })] });
 * // or simply queues: [emails]: backstage picks this adapter itself.
 */
export class BullQueueAdapter extends RedisQueueAdapter<BullJobLike> {
  private readonly queue: BullQueueLike;

  constructor(queue: BullQueueLike, options: RedisQueueAdapterOptions = {}) {
    if (isBullMQQueue(queue)) {
      throw new QueueAdapterError(
        'INVALID_ARGUMENT',
        `BullQueueAdapter was given a BullMQ queue ("${(queue as { name: string }).name}"); use BullMQQueueAdapter, ` +
          'or pass the queue itself in options.queues and backstage picks the adapter',
      );
    }
    if (!isBullQueue(queue)) {
      throw new QueueAdapterError(
        'INVALID_ARGUMENT',
        `BullQueueAdapter expects a Bull queue (new Queue(name) from 'bull'), got ${describeValue(queue)}`,
      );
    }
    super(queue.name, options, 'BullQueueAdapter');
    this.queue = queue;
  }

  override async isPaused(): Promise<boolean> {
    return this.read('isPaused', () => this.queue.isPaused(false));
  }

  /** Global pause (every worker, every process): Bull's `pause(false)`. */
  override async pause(): Promise<void> {
    await this.write('pause', () => this.queue.pause(false));
  }

  override async resume(): Promise<void> {
    await this.write('resume', () => this.queue.resume(false));
  }

  protected readLogs(id: string, start: number, end: number, asc: boolean): Promise<{ logs: string[]; count: number }> {
    return this.queue.getJobLogs(id, start, end, asc);
  }

  override indexSource(): JobIndexSource | null {
    const queue = this.queue;
    if (typeof queue.on !== 'function') return null;
    return {
      client: () => this.connection(),
      key: (type) => this.key(type),
      stateKeys: () => BULL_STATE_KEYS.map(({ type, kind }) => ({ type, kind })),
      onNewJob(listener) {
        const onWaiting = (id: unknown) => listener(String(id));
        queue.on!('global:waiting', onWaiting);
        return () => void queue.removeListener?.('global:waiting', onWaiting);
      },
    };
  }

  protected connection(): Promise<RedisCommandsLike> {
    return Promise.resolve(this.queue.client);
  }

  protected connectionStatus(): string | undefined {
    return this.queue.client?.status;
  }

  protected key(type: string): string {
    return this.queue.toKey(type);
  }

  protected stateKeys(): readonly StateKey[] {
    return BULL_STATE_KEYS;
  }

  protected async fetchJob(id: string): Promise<BullJobLike | null> {
    return (await this.queue.getJob(id)) ?? null;
  }

  protected jobFields(job: BullJobLike): RawJobFields {
    return {
      id: job.id,
      name: job.name,
      data: job.data,
      opts: job.opts,
      attemptsMade: job.attemptsMade,
      progress: job._progress,
      failedReason: job.failedReason,
      stacktrace: job.stacktrace,
      returnValue: job.returnvalue,
      timestamp: job.timestamp,
      processedOn: job.processedOn,
      finishedOn: job.finishedOn,
      delay: job.delay,
    };
  }

  protected libraryState(job: BullJobLike): Promise<string> {
    return job.getState();
  }

  protected retryJob(job: BullJobLike): Promise<void> {
    return job.retry();
  }

  protected removeJob(job: BullJobLike): Promise<void> {
    return job.remove();
  }

  protected promoteJob(job: BullJobLike): Promise<void> {
    return job.promote();
  }

  /** Bull's `clean(grace, status, limit)`: with a limit, one ZRANGEBYSCORE … LIMIT over the finish-time index. */
  protected async cleanBatch(state: CleanableState, olderThanMs: number, limit: number): Promise<number> {
    const removed = await this.queue.clean(olderThanMs, state, limit);
    return removed.length;
  }
}
