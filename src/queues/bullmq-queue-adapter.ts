/**
 * The adapter for BullMQ queues. BullMQ is the host's dependency, not ours:
 * the queue object is typed structurally and never `require`d here.
 */
import type { CleanableState, JobIndexSource } from './queue-adapter';
import { QueueAdapterError } from './queue-error';
import { describeValue, isBullMQQueue, isBullQueue } from './queue-shape';
import { UNREACHED } from './redis-guard';
import {
  RedisQueueAdapter,
  type RawJobFields,
  type RedisCommandsLike,
  type RedisQueueAdapterOptions,
  type StateKey,
} from './redis-queue-adapter';

/** The subset of a BullMQ `Job` the adapter reads and calls. */
export interface BullMQJobLike {
  id?: string;
  name: string;
  data: unknown;
  opts: object;
  attemptsMade: number;
  progress: unknown;
  failedReason: string;
  stacktrace: string[] | null;
  returnvalue: unknown;
  timestamp: number;
  processedOn?: number;
  finishedOn?: number;
  delay: number;
  getState(): Promise<string>;
  retry(state?: 'failed' | 'completed'): Promise<void>;
  remove(): Promise<void>;
  promote(): Promise<void>;
}

/** The subset of BullMQ's `Queue` the adapter uses. */
export interface BullMQQueueLike {
  name: string;
  qualifiedName: string;
  /** Resolves to the connected client once it is ready. */
  readonly client: Promise<RedisCommandsLike>;
  toKey(type: string): string;
  getJob(jobId: string): Promise<BullMQJobLike | undefined>;
  getJobLogs(jobId: string, start?: number, end?: number, asc?: boolean): Promise<{ logs: string[]; count: number }>;
  isPaused(): Promise<boolean>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  clean(grace: number, limit: number, type?: 'completed' | 'failed'): Promise<string[]>;
}

/**
 * BullMQ's waiting jobs are the `wait` list plus the `prioritized` set; a
 * parent job waiting for its children sits in `waiting-children` (found by
 * `getJob`, not counted among the page states).
 */
const BULLMQ_STATE_KEYS: readonly StateKey[] = [
  { state: 'active', type: 'active', kind: 'list' },
  { state: 'waiting', type: 'wait', kind: 'list' },
  { state: 'waiting', type: 'prioritized', kind: 'zset' },
  { state: 'paused', type: 'paused', kind: 'list' },
  { state: 'delayed', type: 'delayed', kind: 'zset' },
  { state: 'completed', type: 'completed', kind: 'zset' },
  { state: 'failed', type: 'failed', kind: 'zset' },
  { state: 'waiting-children', type: 'waiting-children', kind: 'zset' },
];

/**
 * Wraps a BullMQ queue for the console's queue pages.
 *
 * @example
 * import { Queue } from 'bullmq';
 * const billing = new Queue('billing', { connection: { host: '127.0.0.1', port: 6379 } });
 * createAdmin({ queues: [new BullMQQueueAdapter(billing)] });
 * // or simply queues: [billing]: backstage picks this adapter itself.
 */
export class BullMQQueueAdapter extends RedisQueueAdapter<BullMQJobLike> {
  private readonly queue: BullMQQueueLike;
  /** Kept once BullMQ hands it over, so later calls can read its status without waiting. */
  private client: RedisCommandsLike | undefined;
  private connecting: Promise<RedisCommandsLike> | undefined;
  /** BullMQ hands the client over only once connected; past the timeout, later calls fail at once until it does. */
  private unreached = false;

  constructor(queue: BullMQQueueLike, options: RedisQueueAdapterOptions = {}) {
    if (isBullQueue(queue)) {
      throw new QueueAdapterError(
        'INVALID_ARGUMENT',
        `BullMQQueueAdapter was given a Bull queue ("${(queue as { name: string }).name}"); use BullQueueAdapter, ` +
          'or pass the queue itself in options.queues and backstage picks the adapter',
      );
    }
    if (!isBullMQQueue(queue)) {
      throw new QueueAdapterError(
        'INVALID_ARGUMENT',
        `BullMQQueueAdapter expects a BullMQ queue (new Queue(name, { connection }) from 'bullmq'), got ${describeValue(queue)}`,
      );
    }
    super(queue.name, options, 'BullMQQueueAdapter');
    this.queue = queue;
  }

  override async isPaused(): Promise<boolean> {
    return this.read('isPaused', () => this.queue.isPaused());
  }

  override async pause(): Promise<void> {
    await this.write('pause', () => this.queue.pause());
  }

  override async resume(): Promise<void> {
    await this.write('resume', () => this.queue.resume());
  }

  protected readLogs(id: string, start: number, end: number, asc: boolean): Promise<{ logs: string[]; count: number }> {
    return this.queue.getJobLogs(id, start, end, asc);
  }

  override indexSource(): JobIndexSource | null {
    return {
      client: () => this.connection(),
      key: (type) => this.key(type),
      stateKeys: () => BULLMQ_STATE_KEYS.map(({ type, kind }) => ({ type, kind })),
      eventsStream: () => this.key('events'),
    };
  }

  protected connection(): Promise<RedisCommandsLike> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = Promise.resolve(this.queue.client).then(
        (client) => {
          this.client = client;
          this.unreached = false;
          return client;
        },
        (err: unknown) => {
          this.connecting = undefined;
          throw err;
        },
      );
      setTimeout(() => {
        if (!this.client && this.connecting) this.unreached = true;
      }, this.timeoutMs).unref();
    }
    return this.connecting;
  }

  protected connectionStatus(): string | undefined {
    return this.client?.status ?? (this.unreached ? UNREACHED : undefined);
  }

  protected key(type: string): string {
    return this.queue.toKey(type);
  }

  protected stateKeys(): readonly StateKey[] {
    return BULLMQ_STATE_KEYS;
  }

  protected async fetchJob(id: string): Promise<BullMQJobLike | null> {
    return (await this.queue.getJob(id)) ?? null;
  }

  protected jobFields(job: BullMQJobLike): RawJobFields {
    return {
      id: job.id,
      name: job.name,
      data: job.data,
      opts: job.opts,
      attemptsMade: job.attemptsMade,
      progress: job.progress,
      failedReason: job.failedReason,
      stacktrace: job.stacktrace,
      returnValue: job.returnvalue,
      timestamp: job.timestamp,
      processedOn: job.processedOn,
      finishedOn: job.finishedOn,
      delay: job.delay,
    };
  }

  protected libraryState(job: BullMQJobLike): Promise<string> {
    return job.getState();
  }

  protected retryJob(job: BullMQJobLike): Promise<void> {
    return job.retry('failed');
  }

  protected removeJob(job: BullMQJobLike): Promise<void> {
    return job.remove();
  }

  protected promoteJob(job: BullMQJobLike): Promise<void> {
    return job.promote();
  }

  /** BullMQ's `clean(grace, limit, type)`: with a limit, one ZRANGEBYSCORE … LIMIT over the finish-time index. */
  protected async cleanBatch(state: CleanableState, olderThanMs: number, limit: number): Promise<number> {
    const removed = await this.queue.clean(olderThanMs, limit, state);
    return removed.length;
  }
}
