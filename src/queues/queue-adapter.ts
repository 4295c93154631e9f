/**
 * The queue adapter: the only thing queue pages know about a queue.
 *
 * Pages never see Bull or BullMQ objects. Each queue given to `createAdmin`
 * is wrapped in an adapter ({@link BullQueueAdapter}, {@link BullMQQueueAdapter},
 * or the host's own object implementing {@link QueueAdapter}), and every page
 * talks to that adapter only.
 *
 * Every method rejects with a {@link QueueAdapterError} whose `code` tells the
 * page what happened (Redis down, job not found, wrong state…).
 */
import {
  checkSearchValue,
  fieldMatcher,
  linksMatcher,
  parseDataPath,
  type JobDataMatcher,
} from './job-search';
import { QueueAdapterError } from './queue-error';

export { QueueAdapterError, type QueueErrorCode } from './queue-error';

/** The states a queue page shows, in the order it shows them. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'paused'] as const;

/**
 * A job's state, as an operator sees it.
 * - `waiting`: ready to run (for BullMQ this includes prioritized jobs).
 * - `paused`: waiting in a queue that is paused.
 * - `active`, `delayed`, `completed`, `failed`: as the libraries mean them.
 */
export type JobState = (typeof JOB_STATES)[number];

/** What `getJob` may report beyond the list states: a BullMQ parent waiting for its children, or a job found in no state list. */
export type JobViewState = JobState | 'waiting-children' | 'unknown';

/** Number of jobs per state. */
export type JobCounts = Record<JobState, number>;

/** Job ids are strings in Redis; numbers are accepted for convenience. */
export type JobId = string | number;

/** When things happened to a job, in milliseconds since the epoch, or `null` when they have not. */
export interface JobTimestamps {
  /** When the job was added. */
  created: number | null;
  /** When a worker last started it. */
  processed: number | null;
  /** When it last completed or failed. */
  finished: number | null;
  /** When a delayed job becomes due; `null` unless the job is delayed. */
  delayedUntil: number | null;
}

/**
 * One job, normalised across libraries. Every value is plain JSON
 * (`JSON.parse(JSON.stringify(view))` gives it back unchanged), and
 * secret-looking keys in `data`, `opts` and `returnValue` are redacted.
 */
export interface JobView {
  id: string;
  /** The queue's name. */
  queue: string;
  /** The job's name (Bull's unnamed jobs are `'__default__'`). */
  name: string;
  state: JobViewState;
  data: unknown;
  /** The options the job was added with (attempts, backoff, delay, priority…). */
  opts: Record<string, unknown>;
  attemptsMade: number;
  /** `opts.attempts`, or 1. */
  attemptsAllowed: number;
  /** A number (percent) or whatever object the job reported. */
  progress: unknown;
  failedReason: string | null;
  /** One stack trace per failed attempt, oldest first. */
  stacktrace: string[];
  returnValue: unknown;
  timestamps: JobTimestamps;
}

export interface PageOptions {
  /** Zero-based offset of the first item. Default 0. */
  start?: number;
  /** How many items. Default 20, at most 1,000. */
  size?: number;
}

export interface JobPage {
  state: JobState;
  /** Newest first (see {@link QueueAdapter.listJobs}). */
  jobs: JobView[];
  /** How many jobs are in that state now (an O(1) count, for the pager). */
  total: number;
  start: number;
  size: number;
}

export interface JobLogsOptions extends PageOptions {
  /** Default false: log lines in the order they were written. */
  newestFirst?: boolean;
}

export interface JobLogPage {
  logs: string[];
  total: number;
  start: number;
  size: number;
}

export interface BatchOptions {
  /** Jobs touched per round trip, 1 to 1,000. Default 1,000. */
  batchSize?: number;
  /** Stop after this many jobs. */
  max?: number;
  /** Looked at before each batch: once aborted, the run stops between two batches and reports what it did (`cancelled: true`). */
  signal?: AbortSignal;
  /** Called after each batch with the totals so far (a progress bar). */
  onBatch?: (progress: BatchProgress) => void;
  /** Milliseconds to wait between batches, so the host's workers and other clients have Redis to themselves meanwhile. Default 0. */
  pauseMs?: number;
}

/** How far a batch run has got. */
export interface BatchProgress {
  /** Jobs the action was done to. */
  done: number;
  /** Jobs it could not be done to (a worker held them, or they were removed meanwhile). */
  skipped: number;
  batches: number;
}

export interface RetryAllResult {
  /** Failed jobs moved back to waiting. */
  retried: number;
  /** Failed jobs that could not be retried (locked, removed meanwhile). */
  skipped: number;
  batches: number;
  /** False when `max` or a cancellation stopped the run while failed jobs remained. */
  complete: boolean;
  /** True when `signal` stopped the run between two batches. */
  cancelled: boolean;
}

/** What `promoteAllDelayed` and `removeAll` did. */
export interface BulkResult extends BatchProgress {
  /** False when `max` or a cancellation stopped the run while jobs remained. */
  complete: boolean;
  cancelled: boolean;
}

/** The newest failed job, in a few fields: what a queue's card shows without loading the job's data. */
export interface LatestFailure {
  id: string;
  name: string;
  failedReason: string | null;
  /** When it failed, ms since the epoch. */
  finishedAt: number | null;
}

/** The states `removeAll` empties one job at a time (finished jobs are removed with `clean`). */
export const REMOVABLE_STATES = ['waiting', 'delayed', 'paused'] as const;
export type RemovableState = (typeof REMOVABLE_STATES)[number];

/** The states `clean` accepts: finished jobs, indexed by finish time. */
export type CleanableState = 'completed' | 'failed';

export interface CleanResult {
  removed: number;
  batches: number;
  /** False when `max` or a cancellation stopped the run while older jobs remained. */
  complete: boolean;
  cancelled: boolean;
}

export interface FindJobsQuery {
  /** States to scan, in order. Default: failed, active, waiting, paused, delayed, completed. */
  states?: readonly JobState[];
  /** A path into the job's data: `'teamId'`, `'meta.team.id'`, `'items.0.sku'`. */
  field: string;
  /** `eq` (default) compares as strings; `contains` is a case-insensitive substring test. */
  op?: 'eq' | 'contains';
  value: string | number | boolean;
  /** How many jobs to read at most, newest first, across the states in order. Default 10,000, at most 100,000. */
  scanLimit?: number;
  /** Stop after this many matches. Default 100, at most 1,000. */
  limit?: number;
}

export interface FindJobsByLinksOptions {
  /** As {@link FindJobsQuery.scanLimit}. */
  scanLimit?: number;
  /** As {@link FindJobsQuery.limit}. */
  limit?: number;
  /** As {@link FindJobsQuery.states}; failed first by default. */
  states?: readonly JobState[];
}

export interface FindJobsResult {
  /** Matches in scan order: by state in the order asked, newest first within a state. */
  jobs: JobView[];
  /** How many jobs were read. */
  scanned: number;
  /** True when every job in the chosen states was read; false when `scanLimit` or `limit` cut the scan short. */
  complete: boolean;
}

/**
 * What the job index (src/queues/job-index.ts) needs from a Redis-backed
 * queue: the queue's own client and key names, and a way to hear of new jobs.
 */
export interface JobIndexSource {
  /** The queue's own (non-blocking) Redis client. */
  client(): Promise<unknown>;
  /** `<prefix>:<queue>:<type>`, as the library names its keys. */
  key(type: string): string;
  /** The lists and sorted sets holding jobs, walked by the backfill. */
  stateKeys(): ReadonlyArray<{ type: string; kind: 'list' | 'zset' }>;
  /** Bull: calls `listener` with the id of each job that starts waiting (any instance); returns an unsubscribe function. */
  onNewJob?(listener: (id: string) => void): () => void;
  /** BullMQ: the key of the queue's event stream. */
  eventsStream?(): string;
}

/** The optional actions; a page asks `supports(action)` before showing its button. */
export type QueueAction = 'pause' | 'resume' | 'jobLogs' | 'retry' | 'remove' | 'promote' | 'retryAllFailed' | 'promoteAllDelayed' | 'removeAll' | 'clean';

/** Limits every adapter applies. */
export const QUEUE_LIMITS = {
  defaultPageSize: 20,
  maxPageSize: 1000,
  maxBatchSize: 1000,
  defaultScanLimit: 10_000,
  maxScanLimit: 100_000,
  defaultFindLimit: 100,
  maxFindLimit: 1000,
} as const;

/** The order in which searches scan states: failed first, completed (the biggest) last. */
export const SEARCH_ORDER: readonly JobState[] = ['failed', 'active', 'waiting', 'paused', 'delayed', 'completed'];

/**
 * What a queue page needs from a queue. Extend {@link BaseQueueAdapter} to
 * write one: it supplies every Optional method, so only the Required ones are
 * yours to write, and methods added later never break your adapter.
 *
 * @example
 * class SqsQueueAdapter extends BaseQueueAdapter {
 *   readonly name = 'emails';
 *   async counts() { ... }
 *   async listJobs(state, page) { ... }
 *   async getJob(id) { ... }
 * }
 * createAdmin({ queues: [new SqsQueueAdapter()] });
 */
export interface QueueAdapter {
  /** Required. The queue's name, unique among the console's queues (pages are addressed by it). */
  readonly name: string;

  /** Required. Jobs per state, from O(1) counters (LLEN/ZCARD), never by loading jobs. */
  counts(): Promise<JobCounts>;

  /**
   * Required. One page of jobs in a state, newest first, reading only that page.
   * Bull and BullMQ adapters leave a job's data in Redis when it is over 64 KB
   * and give a short note instead (`getJob` reads it whole).
   * "Newest first" means: completed and failed by finish time, most recent first;
   * waiting, paused and active most recently queued/started first; delayed
   * latest due first.
   */
  listJobs(state: JobState, page?: PageOptions): Promise<JobPage>;

  /** Required. One job by id, or `null` when the queue has no such job. */
  getJob(id: JobId): Promise<JobView | null>;

  /**
   * Optional (default: `getJob` for each). Several jobs, in the order asked, `null` for a job that
   * is gone. `knownStates[i]`, when given, is the state the caller already knows the job is in
   * (from the job index), so an adapter need not look it up again.
   */
  getJobs(ids: readonly JobId[], knownStates?: ReadonlyArray<JobViewState | null>): Promise<Array<JobView | null>>;

  /** Optional (default: every action this adapter overrides). Whether a page should offer an action. */
  supports(action: QueueAction): boolean;

  /** Optional (default `false`). Whether the queue is paused globally. */
  isPaused(): Promise<boolean>;

  /** Optional (default: rejects with `NOT_SUPPORTED`). Pauses the queue globally: workers finish their current job and take no new one. */
  pause(): Promise<void>;

  /** Optional (default: rejects with `NOT_SUPPORTED`). Resumes a paused queue. */
  resume(): Promise<void>;

  /** Optional (default: no logs). A page of the lines a job logged. */
  jobLogs(id: JobId, page?: JobLogsOptions): Promise<JobLogPage>;

  /** Optional (default `NOT_SUPPORTED`). Moves a failed job back to waiting. `JOB_NOT_FOUND` or `INVALID_STATE` otherwise. */
  retry(id: JobId): Promise<void>;

  /** Optional (default `NOT_SUPPORTED`). Deletes a job and its logs. `INVALID_STATE` for a job a worker holds. */
  remove(id: JobId): Promise<void>;

  /** Optional (default `NOT_SUPPORTED`). Moves a delayed job to waiting now. */
  promote(id: JobId): Promise<void>;

  /**
   * Optional (default: `listJobs('failed')` then `retry` per job, in batches).
   * Retries every job that was failed when the call began, in batches of at
   * most `batchSize` (≤ 1,000), never loading all failed jobs at once.
   */
  retryAllFailed(options?: BatchOptions): Promise<RetryAllResult>;

  /**
   * Optional (default: `listJobs('delayed')` then `promote` per job, in batches).
   * Promotes every job that was delayed when the call began, soonest due first.
   */
  promoteAllDelayed(options?: BatchOptions): Promise<BulkResult>;

  /**
   * Optional (default: `listJobs(state)` then `remove` per job, in batches).
   * Removes every job that was waiting, delayed or paused when the call began,
   * oldest first; a job a worker took meanwhile is skipped.
   */
  removeAll(state: RemovableState, options?: BatchOptions): Promise<BulkResult>;

  /**
   * Optional (default `NOT_SUPPORTED`). Removes completed or failed jobs that
   * finished more than `olderThanMs` ago, in batches of at most `batchSize`.
   */
  clean(state: CleanableState, olderThanMs: number, options?: BatchOptions): Promise<CleanResult>;

  /**
   * Optional (default: a scan through `listJobs`). A bounded scan over the
   * newest `scanLimit` jobs of the chosen states for jobs whose data at `field`
   * matches `value`. Says how much it read and whether that was everything.
   */
  findJobs(query: FindJobsQuery): Promise<FindJobsResult>;

  /**
   * Optional (default: one `findJobs`-style scan). Jobs tied to a user or team:
   * `links` maps data paths to the id sought (`{ teamId: 7 }`, or several paths
   * `{ teamId: 7, 'meta.team.id': 7 }`); a job matches when any path holds its
   * value. Failed jobs come first.
   */
  findJobsByLinks(links: Record<string, string | number>, options?: FindJobsByLinksOptions): Promise<FindJobsResult>;

  /**
   * Optional (default: the first job of `listJobs('failed')`). The newest failed job's id, name,
   * reason and time, or null; Redis-backed adapters read those fields only, never the job's data.
   */
  latestFailure?(): Promise<LatestFailure | null>;

  /** Optional (default `null`: no index). What the job index needs to index this queue's jobs by user and team. */
  indexSource?(): JobIndexSource | null;
}

const OPTIONAL_ACTIONS: readonly QueueAction[] = ['pause', 'resume', 'jobLogs', 'retry', 'remove', 'promote', 'retryAllFailed', 'promoteAllDelayed', 'removeAll', 'clean'];

/** The single-job action a bulk action falls back to when an adapter does not override it. */
const BULK_FALLBACK: Partial<Record<QueueAction, QueueAction>> = { retryAllFailed: 'retry', promoteAllDelayed: 'promote', removeAll: 'remove' };

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Defaults for every Optional method of {@link QueueAdapter}, plus the
 * argument checks all adapters share. Subclasses write `name`, `counts`,
 * `listJobs` and `getJob`, and override whatever else they can do better.
 */
export abstract class BaseQueueAdapter implements QueueAdapter {
  abstract readonly name: string;
  abstract counts(): Promise<JobCounts>;
  abstract listJobs(state: JobState, page?: PageOptions): Promise<JobPage>;
  abstract getJob(id: JobId): Promise<JobView | null>;

  supports(action: QueueAction): boolean {
    if (!OPTIONAL_ACTIONS.includes(action)) return false;
    const fallback = BULK_FALLBACK[action];
    if (fallback && !this.overrides(action)) return this.overrides(fallback);
    return this.overrides(action);
  }

  async isPaused(): Promise<boolean> {
    return false;
  }

  async getJobs(ids: readonly JobId[], _knownStates?: ReadonlyArray<JobViewState | null>): Promise<Array<JobView | null>> {
    return Promise.all(ids.map((id) => this.getJob(id)));
  }

  indexSource(): JobIndexSource | null {
    return null;
  }

  async latestFailure(): Promise<LatestFailure | null> {
    const [job] = (await this.listJobs('failed', { size: 1 })).jobs;
    return job ? { id: job.id, name: job.name, failedReason: job.failedReason, finishedAt: job.timestamps.finished } : null;
  }

  async pause(): Promise<void> {
    throw this.notSupported('pause');
  }

  async resume(): Promise<void> {
    throw this.notSupported('resume');
  }

  async jobLogs(id: JobId, page: JobLogsOptions = {}): Promise<JobLogPage> {
    this.checkJobId(id);
    const { start, size } = this.checkPage(page);
    return { logs: [], total: 0, start, size };
  }

  async retry(_id: JobId): Promise<void> {
    throw this.notSupported('retry');
  }

  async remove(_id: JobId): Promise<void> {
    throw this.notSupported('remove');
  }

  async promote(_id: JobId): Promise<void> {
    throw this.notSupported('promote');
  }

  async retryAllFailed(options: BatchOptions = {}): Promise<RetryAllResult> {
    const { done, ...rest } = await this.eachInBatches('failed', (id) => this.retry(id), options);
    return { retried: done, ...rest };
  }

  async promoteAllDelayed(options: BatchOptions = {}): Promise<BulkResult> {
    return this.eachInBatches('delayed', (id) => this.promote(id), options);
  }

  async removeAll(state: RemovableState, options: BatchOptions = {}): Promise<BulkResult> {
    const checked = this.checkState(state, REMOVABLE_STATES);
    return this.eachInBatches(checked, (id) => this.remove(id), options);
  }

  /**
   * The default bulk loop: pages of `state` through `listJobs`, the single-job
   * action on each, `batchSize` at a time. Done jobs leave the state, skipped
   * ones stay in front, so each page starts after the skipped ones.
   */
  protected async eachInBatches(state: JobState, act: (id: string) => Promise<void>, options: BatchOptions): Promise<BulkResult> {
    const { batchSize, max } = this.checkBatch(options);
    const limit = Math.min(max, (await this.counts())[state]);
    const progress: BatchProgress = { done: 0, skipped: 0, batches: 0 };
    let exhausted = false;
    let cancelled = false;
    while (progress.done + progress.skipped < limit) {
      if (progress.batches > 0 && options.pauseMs) await sleep(options.pauseMs);
      if (options.signal?.aborted) {
        cancelled = true;
        break;
      }
      const want = Math.min(batchSize, limit - progress.done - progress.skipped);
      const page = await this.listJobs(state, { start: progress.skipped, size: want });
      if (page.jobs.length === 0) {
        exhausted = true;
        break;
      }
      progress.batches++;
      const results = await Promise.allSettled(page.jobs.map((job) => act(job.id)));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      progress.done += ok;
      progress.skipped += results.length - ok;
      options.onBatch?.({ ...progress });
    }
    const complete = !cancelled && (exhausted || options.max === undefined || (await this.counts())[state] <= progress.skipped);
    return { ...progress, complete, cancelled };
  }

  async clean(_state: CleanableState, _olderThanMs: number, _options?: BatchOptions): Promise<CleanResult> {
    throw this.notSupported('clean');
  }

  async findJobs(query: FindJobsQuery): Promise<FindJobsResult> {
    if (query === null || typeof query !== 'object') {
      throw new QueueAdapterError('INVALID_ARGUMENT', `findJobs expects { field, value }, got ${JSON.stringify(query)}`, {
        queue: this.name,
      });
    }
    const op = query.op ?? 'eq';
    if (op !== 'eq' && op !== 'contains') {
      throw new QueueAdapterError('INVALID_ARGUMENT', `op must be "eq" or "contains", got ${JSON.stringify(op)}`, { queue: this.name });
    }
    const segments = parseDataPath(query.field, this.name);
    const value = checkSearchValue(query.value, this.name);
    return this.scanForMatches(
      this.checkStates(query.states ?? SEARCH_ORDER),
      fieldMatcher(segments, op, value),
      this.checkScanLimit(query.scanLimit),
      this.checkFindLimit(query.limit),
      'findJobs',
    );
  }

  async findJobsByLinks(
    links: Record<string, string | number>,
    options: FindJobsByLinksOptions = {},
  ): Promise<FindJobsResult> {
    if (links === null || typeof links !== 'object' || Object.keys(links).length === 0) {
      throw new QueueAdapterError(
        'INVALID_ARGUMENT',
        `findJobsByLinks expects data paths mapped to ids, such as { teamId: 7 }, got ${JSON.stringify(links)}`,
        { queue: this.name },
      );
    }
    const parsed = Object.entries(links).map(([path, value]) => ({
      segments: parseDataPath(path, this.name, 'link path'),
      value: checkSearchValue(value, this.name, `links["${path}"]`),
    }));
    return this.scanForMatches(
      this.checkStates(options.states ?? SEARCH_ORDER),
      linksMatcher(parsed),
      this.checkScanLimit(options.scanLimit),
      this.checkFindLimit(options.limit),
      'findJobsByLinks',
    );
  }

  /**
   * The scan behind `findJobs` and `findJobsByLinks`. This default reads pages
   * through `listJobs` and matches the (redacted) `JobView.data`; Redis-backed
   * adapters override it to read only each job's data field.
   */
  protected async scanForMatches(
    states: readonly JobState[],
    matches: JobDataMatcher,
    scanLimit: number,
    limit: number,
    _action: 'findJobs' | 'findJobsByLinks' = 'findJobs',
  ): Promise<FindJobsResult> {
    const found: JobView[] = [];
    const seen = new Set<string>();
    let scanned = 0;
    for (const state of states) {
      let start = 0;
      for (;;) {
        if (scanned >= scanLimit || found.length >= limit) return { jobs: found, scanned, complete: false };
        const size = Math.min(200, scanLimit - scanned);
        const page = await this.listJobs(state, { start, size });
        scanned += page.jobs.length;
        for (const job of page.jobs) {
          if (found.length < limit && !seen.has(job.id) && matches(job.data)) {
            seen.add(job.id);
            found.push(job);
          }
        }
        start += page.jobs.length;
        if (page.jobs.length < size || start >= page.total) break;
      }
    }
    return { jobs: found, scanned, complete: true };
  }

  // ---- argument checks shared by every adapter ----

  protected overrides(action: QueueAction): boolean {
    const own = (this as unknown as Record<string, unknown>)[action];
    return typeof own === 'function' && own !== (BaseQueueAdapter.prototype as unknown as Record<string, unknown>)[action];
  }

  protected notSupported(action: QueueAction): QueueAdapterError {
    return new QueueAdapterError('NOT_SUPPORTED', `queue "${this.name}" does not support ${action}()`, { queue: this.name });
  }

  protected checkState(state: unknown, allowed: readonly string[] = JOB_STATES): JobState {
    if (typeof state !== 'string' || !allowed.includes(state)) {
      throw new QueueAdapterError(
        'INVALID_ARGUMENT',
        `state must be one of ${allowed.join(', ')}, got ${JSON.stringify(state)}`,
        { queue: this.name },
      );
    }
    return state as JobState;
  }

  protected checkStates(states: readonly unknown[]): JobState[] {
    if (!Array.isArray(states) || states.length === 0) {
      throw new QueueAdapterError('INVALID_ARGUMENT', `states must be a non-empty array of ${JOB_STATES.join(', ')}`, {
        queue: this.name,
      });
    }
    return [...new Set(states.map((s) => this.checkState(s)))];
  }

  protected checkJobId(id: unknown): string {
    const text = typeof id === 'number' && Number.isFinite(id) ? String(id) : id;
    if (typeof text !== 'string' || text.length === 0 || text.length > 512) {
      throw new QueueAdapterError('INVALID_ARGUMENT', `job id must be a non-empty string or number, got ${JSON.stringify(id)}`, {
        queue: this.name,
      });
    }
    return text;
  }

  protected checkPage(page: PageOptions | undefined): { start: number; size: number } {
    const start = page?.start ?? 0;
    const size = page?.size ?? QUEUE_LIMITS.defaultPageSize;
    this.checkInteger('start', start, 0, Number.MAX_SAFE_INTEGER);
    this.checkInteger('size', size, 1, QUEUE_LIMITS.maxPageSize);
    return { start, size };
  }

  protected checkBatch(options: BatchOptions | undefined): { batchSize: number; max: number } {
    const batchSize = options?.batchSize ?? QUEUE_LIMITS.maxBatchSize;
    this.checkInteger('batchSize', batchSize, 1, QUEUE_LIMITS.maxBatchSize);
    if (options?.pauseMs !== undefined) this.checkInteger('pauseMs', options.pauseMs, 0, 60_000);
    if (options?.max === undefined) return { batchSize, max: Number.POSITIVE_INFINITY };
    this.checkInteger('max', options.max, 0, Number.MAX_SAFE_INTEGER);
    return { batchSize, max: options.max };
  }

  protected checkScanLimit(scanLimit: number | undefined): number {
    const value = scanLimit ?? QUEUE_LIMITS.defaultScanLimit;
    this.checkInteger('scanLimit', value, 1, QUEUE_LIMITS.maxScanLimit);
    return value;
  }

  protected checkFindLimit(limit: number | undefined): number {
    const value = limit ?? QUEUE_LIMITS.defaultFindLimit;
    this.checkInteger('limit', value, 1, QUEUE_LIMITS.maxFindLimit);
    return value;
  }

  protected checkInteger(option: string, value: unknown, min: number, max: number): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max.toLocaleString('en-US')}`;
      throw new QueueAdapterError('INVALID_ARGUMENT', `${option} must be an integer ${range}, got ${JSON.stringify(value)}`, {
        queue: this.name,
      });
    }
  }
}
