/**
 * Turns whatever the host put in `options.queues` into queue adapters.
 */
import { BullMQQueueAdapter, type BullMQQueueLike } from './bullmq-queue-adapter';
import { BullQueueAdapter, type BullQueueLike } from './bull-queue-adapter';
import {
  BaseQueueAdapter,
  type JobCounts,
  type JobId,
  type JobPage,
  type JobState,
  type JobView,
  type PageOptions,
  type QueueAction,
  type QueueAdapter,
} from './queue-adapter';
import { QueueAdapterError } from './queue-error';
import { describeValue, isBullMQQueue, isBullQueue } from './queue-shape';
import type { RedisQueueAdapterOptions } from './redis-queue-adapter';

/** What `options.queues` may hold: Bull queues, BullMQ queues, or adapters. */
export type QueueInput = BullQueueLike | BullMQQueueLike | QueueAdapter | PartialQueueAdapter;

/** An adapter object written by hand: the Required members, and any Optional ones it can do. */
export type PartialQueueAdapter = Pick<QueueAdapter, 'name' | 'counts' | 'listJobs' | 'getJob'> &
  Partial<Omit<QueueAdapter, 'name' | 'counts' | 'listJobs' | 'getJob'>>;

/** Options applied to the adapters backstage creates for raw Bull/BullMQ queues. */
export type ToQueueAdapterOptions = Omit<RedisQueueAdapterOptions, 'name'>;

const REQUIRED_MEMBERS = ['counts', 'listJobs', 'getJob'] as const;
const OPTIONAL_MEMBERS = [
  'getJobs',
  'isPaused',
  'pause',
  'resume',
  'jobLogs',
  'retry',
  'remove',
  'promote',
  'retryAllFailed',
  'promoteAllDelayed',
  'removeAll',
  'clean',
  'findJobs',
  'findJobsByLinks',
  'latestFailure',
] as const;

function label(index: number | undefined): string {
  return index === undefined ? 'the queue' : `options.queues[${index}]`;
}

/** An object with any of the Required methods is taken as an attempt at an adapter, so its error can say what is missing. */
function looksLikeAdapter(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    REQUIRED_MEMBERS.some((m) => typeof (value as Record<string, unknown>)[m] === 'function')
  );
}

/**
 * Returns an adapter for one entry of `options.queues`: a Bull queue gets a
 * {@link BullQueueAdapter}, a BullMQ queue a {@link BullMQQueueAdapter}, an
 * adapter is used as it is (a hand-written object missing Optional methods
 * gets {@link BaseQueueAdapter}'s defaults). Anything else throws an error
 * naming `options.queues[index]` and what was given.
 *
 * @example
 * const adapters = options.queues.map((q, i) => toQueueAdapter(q, i));
 */
export function toQueueAdapter(queue: QueueInput, index?: number, options: ToQueueAdapterOptions = {}): QueueAdapter {
  if (queue instanceof BaseQueueAdapter) return queue;
  if (isBullQueue(queue)) return new BullQueueAdapter(queue as BullQueueLike, options);
  if (isBullMQQueue(queue)) return new BullMQQueueAdapter(queue as BullMQQueueLike, options);
  if (looksLikeAdapter(queue)) {
    const missing = [
      ...(typeof queue.name === 'string' && queue.name !== '' ? [] : ['name (a non-empty string)']),
      ...REQUIRED_MEMBERS.filter((m) => typeof queue[m] !== 'function').map((m) => `${m}()`),
    ];
    if (missing.length > 0) {
      throw new QueueAdapterError(
        'INVALID_ARGUMENT',
        `${label(index)} looks like a queue adapter but lacks ${missing.join(', ')}; see the QueueAdapter interface`,
      );
    }
    return new ObjectQueueAdapter(queue as unknown as PartialQueueAdapter);
  }
  throw new QueueAdapterError(
    'INVALID_ARGUMENT',
    `${label(index)} is not a Bull or BullMQ queue, got ${describeValue(queue)}. ` +
      "Pass a queue instance (new Queue('emails') from 'bull' or 'bullmq') or an object implementing QueueAdapter",
  );
}

/**
 * Validates and wraps the whole `options.queues` list. Queue pages are
 * addressed by name, so two queues with the same name are refused.
 */
export function toQueueAdapters(queues: unknown, options: ToQueueAdapterOptions = {}): QueueAdapter[] {
  if (!Array.isArray(queues)) {
    throw new QueueAdapterError(
      'INVALID_ARGUMENT',
      `options.queues must be an array of Bull or BullMQ queues, got ${describeValue(queues)}`,
    );
  }
  const adapters = queues.map((q, i) => toQueueAdapter(q as QueueInput, i, options));
  const firstIndex = new Map<string, number>();
  adapters.forEach((adapter, i) => {
    const earlier = firstIndex.get(adapter.name);
    if (earlier !== undefined) {
      throw new QueueAdapterError(
        'INVALID_ARGUMENT',
        `options.queues[${i}] and options.queues[${earlier}] are both named "${adapter.name}"; queue pages are addressed by name, ` +
          `so give one a display name: new BullQueueAdapter(queue, { name: '${adapter.name}-2' }) (or BullMQQueueAdapter)`,
      );
    }
    firstIndex.set(adapter.name, i);
  });
  return adapters;
}

/** A hand-written adapter object, completed with the base class's defaults. */
class ObjectQueueAdapter extends BaseQueueAdapter {
  readonly name: string;

  constructor(private readonly impl: PartialQueueAdapter) {
    super();
    this.name = impl.name;
    // Own properties shadow the base defaults, so `supports()` sees exactly what the object implements.
    for (const member of OPTIONAL_MEMBERS) {
      const fn = impl[member];
      if (typeof fn === 'function') {
        Object.defineProperty(this, member, { value: (fn as (...a: unknown[]) => unknown).bind(impl), writable: true });
      }
    }
  }

  counts(): Promise<JobCounts> {
    return this.impl.counts();
  }

  listJobs(state: JobState, page?: PageOptions): Promise<JobPage> {
    return this.impl.listJobs(state, page);
  }

  getJob(id: JobId): Promise<JobView | null> {
    return this.impl.getJob(id);
  }

  override supports(action: QueueAction): boolean {
    return typeof this.impl.supports === 'function' ? this.impl.supports(action) : super.supports(action);
  }
}
