/**
 * What Bull and BullMQ have in common: the same Redis layout (a list or a
 * sorted set per state, one hash per job, `<prefix>:<queue>:<suffix>` keys
 * from `queue.toKey`). Counting, paging, locating a job, searching job data
 * and the batch loops are written once here, against a handful of plain Redis
 * commands; the subclasses supply the library calls (fetch a job, retry,
 * remove, promote, clean) and turn library jobs into plain fields.
 */
import {
  BaseQueueAdapter,
  JOB_STATES,
  type BatchOptions,
  type BatchProgress,
  type BulkResult,
  type CleanResult,
  type CleanableState,
  type FindJobsResult,
  type JobCounts,
  type JobId,
  type JobLogPage,
  type JobLogsOptions,
  type JobPage,
  type JobState,
  type JobView,
  type JobViewState,
  type LatestFailure,
  type PageOptions,
  type RemovableState,
  type RetryAllResult,
  REMOVABLE_STATES,
  sleep,
} from './queue-adapter';
import { parseJobData, type JobDataMatcher } from './job-search';
import { QueueAdapterError } from './queue-error';
import { redactSecrets } from './redact';
import {
  DEFAULT_REDIS_TIMEOUT_MS,
  isConnectionError,
  redisUnavailable,
  unavailableFor,
  waitUntilConnected,
  withRedisTimeout,
} from './redis-guard';

/**
 * The Redis commands the adapters send themselves: the subset that ioredis
 * (Bull) and BullMQ's client interface both offer.
 */
export interface RedisCommandsLike {
  /** ioredis connection status: `wait`, `connecting`, `connect`, `ready`, `reconnecting`, `close`, `end`. */
  readonly status?: string;
  llen(key: string): Promise<number>;
  zcard(key: string): Promise<number>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  zrange(key: string, start: number, stop: number): Promise<string[]>;
  zrevrange(key: string, start: number, stop: number): Promise<string[]>;
  zscore(key: string, member: string): Promise<string | null>;
  hget(key: string, field: string): Promise<string | null>;
  /** Redis ≥ 6.0.6. Without it, a job's state is asked of the library. */
  lpos?(key: string, element: string): Promise<number | null>;
  /** With both, lists read a big job's other fields without its data (see LIST_DATA_CAP). */
  hstrlen?(key: string, field: string): Promise<number>;
  hmget?(key: string, ...fields: string[]): Promise<Array<string | null>>;
}

/** Options shared by {@link BullQueueAdapter} and {@link BullMQQueueAdapter}. */
export interface RedisQueueAdapterOptions {
  /** The name pages show and address the queue by. Default: the queue's own name. */
  name?: string;
  /** How long a call may wait for Redis before rejecting with `REDIS_UNAVAILABLE`. Default 2,000 ms. */
  timeoutMs?: number;
  /**
   * How job data, options and return values are cleaned before an operator
   * sees them. Default {@link redactSecrets}; `false` shows them as stored.
   */
  redact?: false | ((value: unknown) => unknown);
}

/** A job's fields as the library holds them, before normalisation. */
export interface RawJobFields {
  id: unknown;
  name: unknown;
  data: unknown;
  opts: unknown;
  attemptsMade: unknown;
  progress: unknown;
  failedReason: unknown;
  stacktrace: unknown;
  returnValue: unknown;
  timestamp: unknown;
  processedOn: unknown;
  finishedOn: unknown;
  delay: unknown;
}

/** One Redis structure holding jobs of a state. */
export interface StateKey {
  state: JobViewState;
  /** Suffix given to `queue.toKey`: `wait`, `paused`, `active`, `delayed`, `completed`, `failed`, `prioritized`… */
  type: string;
  kind: 'list' | 'zset';
}

/** Delayed sets score a job `dueAtMs * 0x1000 + counter` in both libraries. */
const DELAY_SCORE_FACTOR = 0x1000;

/** Batch loops get more time per round trip than single reads: a batch of 1,000 retries is 2,000 commands. */
const BATCH_TIMEOUT_FACTOR = 5;

/**
 * Lists (a state's page, a team's jobs) do not load a job whose data is
 * bigger than this: they read its other fields and show a note instead of
 * the data, so a page of twenty 5 MB jobs never parses 100 MB. Its own page
 * (getJob) reads it whole.
 */
export const LIST_DATA_CAP = 64 * 1024;

/** The job hash fields both libraries write, minus `data`. */
const LIST_FIELDS = ['name', 'opts', 'attemptsMade', 'atm', 'progress', 'failedReason', 'stacktrace', 'returnvalue', 'timestamp', 'processedOn', 'finishedOn', 'delay'] as const;

/** Jobs acted on at once within a batch (see eachInSlices). */
const BATCH_SLICE = 100;

/**
 * Clean: the libraries remove a batch in ONE Lua script (about 7 commands per
 * job), so a batch of 1,000 blocks Redis for 10–40 ms. Batches start at 250
 * and halve while a call takes longer than CLEAN_SLOW_MS (down to 25), and
 * grow back while they are quick (bench/bulk-retry.mjs: no script over 10 ms
 * at 250).
 */
const CLEAN_START_BATCH = 250;
const CLEAN_MIN_BATCH = 25;
const CLEAN_SLOW_MS = 6;
const CLEAN_FAST_MS = 2;

/** Jobs read per round trip when scanning job data. */
const SCAN_CHUNK = 1000;

export abstract class RedisQueueAdapter<TJob> extends BaseQueueAdapter {
  readonly name: string;
  protected readonly timeoutMs: number;
  private readonly redactValue: (value: unknown) => unknown;

  protected constructor(defaultName: string, options: RedisQueueAdapterOptions, label: string) {
    super();
    const { name = defaultName, timeoutMs = DEFAULT_REDIS_TIMEOUT_MS, redact } = options;
    if (typeof name !== 'string' || name.length === 0) {
      throw new QueueAdapterError('INVALID_ARGUMENT', `${label}: options.name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new QueueAdapterError(
        'INVALID_ARGUMENT',
        `${label}: options.timeoutMs must be a positive number of milliseconds, got ${JSON.stringify(timeoutMs)}`,
      );
    }
    if (redact !== undefined && redact !== false && typeof redact !== 'function') {
      throw new QueueAdapterError('INVALID_ARGUMENT', `${label}: options.redact must be false or a function, got ${typeof redact}`);
    }
    this.name = name;
    this.timeoutMs = timeoutMs;
    this.redactValue = redact === false ? (v) => v : (redact ?? redactSecrets);
  }

  // ---- what each library supplies ----

  /** The client, connected or connecting (BullMQ's resolves once ready). */
  protected abstract connection(): Promise<RedisCommandsLike>;
  /** The client's status without waiting; `undefined` when not known yet. */
  protected abstract connectionStatus(): string | undefined;
  protected abstract key(type: string): string;
  /** Every structure that holds jobs, in the order `getJob` checks them and pages list them. */
  protected abstract stateKeys(): readonly StateKey[];
  protected abstract fetchJob(id: string): Promise<TJob | null>;
  protected abstract jobFields(job: TJob): RawJobFields;
  /** The library's own idea of a job's state, used only when LPOS is unavailable. */
  protected abstract libraryState(job: TJob): Promise<string>;
  protected abstract retryJob(job: TJob): Promise<void>;
  protected abstract removeJob(job: TJob): Promise<void>;
  protected abstract promoteJob(job: TJob): Promise<void>;
  /** The library's page of a job's log lines (both libraries: `getJobLogs(id, start, end, asc)`). */
  protected abstract readLogs(id: string, start: number, end: number, asc: boolean): Promise<{ logs: string[]; count: number }>;
  /** One bounded clean call; returns how many jobs it removed. */
  protected abstract cleanBatch(state: CleanableState, olderThanMs: number, limit: number): Promise<number>;

  // ---- guards ----

  /** A read: rejects at once if the connection is down, and after `timeoutMs` if Redis does not answer. */
  protected read<T>(action: string, run: (client: RedisCommandsLike) => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    const down = unavailableFor(this.connectionStatus(), this.name, action);
    if (down) return Promise.reject(down);
    return withRedisTimeout(
      this.name,
      action,
      timeoutMs,
      async () => {
        const client = await this.connection();
        const lost = unavailableFor(client.status, this.name, action);
        if (lost) throw lost;
        return run(client);
      },
      () => this.connectionStatus(),
    );
  }

  /**
   * A write: as `read`, but only sends once the connection is ready, so
   * nothing is queued while Redis is away. Getting ready always has the normal
   * timeout; `timeoutMs` (longer for batches) applies to the work itself.
   */
  protected async write<T>(action: string, run: (client: RedisCommandsLike) => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    const down = unavailableFor(this.connectionStatus(), this.name, action);
    if (down) throw down;
    const started = Date.now();
    const client = await withRedisTimeout(
      this.name,
      action,
      this.timeoutMs,
      async () => {
        const connected = await this.connection();
        await waitUntilConnected(() => connected.status, this.name, action, Math.max(1, this.timeoutMs - (Date.now() - started)));
        return connected;
      },
      () => this.connectionStatus(),
    );
    return withRedisTimeout(this.name, action, timeoutMs, () => run(client), () => this.connectionStatus());
  }

  // ---- Required ----

  async counts(): Promise<JobCounts> {
    return this.read('counts', async (client) => {
      const keys = this.stateKeys().filter((k): k is StateKey & { state: JobState } => isListState(k.state));
      const sizes = await Promise.all(keys.map((k) => this.size(client, k)));
      const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCounts;
      keys.forEach((k, i) => {
        counts[k.state] += sizes[i];
      });
      return counts;
    });
  }

  async listJobs(state: JobState, page?: PageOptions): Promise<JobPage> {
    const checked = this.checkState(state);
    const { start, size } = this.checkPage(page);
    const { ids, total } = await this.read('listJobs', (client) => this.rangeIds(client, checked, start, size));
    const jobs = await this.read('listJobs', (client) => this.loadViews(client, ids.map((id) => ({ id, state: checked }))));
    return { state: checked, jobs, total, start, size };
  }

  async getJob(id: JobId): Promise<JobView | null> {
    const jobId = this.checkJobId(id);
    return this.read('getJob', async (client) => {
      const [job, located] = await Promise.all([this.fetchJob(jobId), this.locate(client, jobId)]);
      if (!job) return null;
      const state = located ? located.state : normaliseLibraryState(await this.libraryState(job));
      return this.toView(job, state, located?.score ?? null);
    });
  }

  // ---- Optional, done the Redis way ----

  override async jobLogs(id: JobId, page: JobLogsOptions = {}): Promise<JobLogPage> {
    const jobId = this.checkJobId(id);
    const { start, size } = this.checkPage(page);
    const { logs, count } = await this.read('jobLogs', () => this.readLogs(jobId, start, start + size - 1, page.newestFirst !== true));
    return { logs: logs.map(String), total: Number(count) || 0, start, size };
  }

  /** One ZREVRANGE and three HGETs: the card of a queue whose newest failure carries megabytes of data stays cheap. */
  override async latestFailure(): Promise<LatestFailure | null> {
    return this.read('latestFailure', async (client) => {
      const [id] = await client.zrevrange(this.key('failed'), 0, 0);
      if (id === undefined) return null;
      const [name, reason, finished] = await Promise.all(['name', 'failedReason', 'finishedOn'].map((field) => client.hget(this.key(id), field)));
      if (name === null && reason === null && finished === null) return null;
      return { id, name: name || '__default__', failedReason: reason || null, finishedAt: toTimestamp(finished) };
    });
  }

  async retry(id: JobId): Promise<void> {
    const jobId = this.checkJobId(id);
    await this.write('retry', async (client) => {
      const job = await this.jobInState(client, jobId, ['failed'], 'only failed jobs can be retried');
      await this.libraryAction(client, 'retry', jobId, () => this.retryJob(job));
    });
  }

  async remove(id: JobId): Promise<void> {
    const jobId = this.checkJobId(id);
    await this.write('remove', async (client) => {
      const job = await this.fetchJob(jobId);
      if (!job) throw this.jobNotFound(jobId);
      await this.libraryAction(client, 'remove', jobId, () => this.removeJob(job));
    });
  }

  async promote(id: JobId): Promise<void> {
    const jobId = this.checkJobId(id);
    await this.write('promote', async (client) => {
      const job = await this.jobInState(client, jobId, ['delayed'], 'only delayed jobs can be promoted');
      await this.libraryAction(client, 'promote', jobId, () => this.promoteJob(job));
    });
  }

  /**
   * Retries the jobs that were failed when the call began, oldest failure
   * first (see {@link drain}) with the library's own single-job retry (atomic
   * per job, resets the failure fields, emits the library's events). Jobs that
   * fail again land at the newest end of the failed set and are not picked up twice.
   */
  override async retryAllFailed(options: BatchOptions = {}): Promise<RetryAllResult> {
    const { done, ...rest } = await this.drain('retryAllFailed', 'failed', (job) => this.retryJob(job), options);
    return { retried: done, ...rest };
  }

  /** Promotes the jobs that were delayed when the call began, soonest due first (see {@link drain}). */
  override async promoteAllDelayed(options: BatchOptions = {}): Promise<BulkResult> {
    return this.drain('promoteAllDelayed', 'delayed', (job) => this.promoteJob(job), options);
  }

  /** Removes the jobs that were waiting, delayed or paused when the call began, oldest first (see {@link drain}). */
  override async removeAll(state: RemovableState, options: BatchOptions = {}): Promise<BulkResult> {
    const checked = this.checkState(state, REMOVABLE_STATES);
    return this.drain('removeAll', checked, (job) => this.removeJob(job), options);
  }

  /**
   * The bulk loop behind retry-all, promote-all and remove-all: per batch one
   * ZRANGE/LRANGE for the oldest `batchSize` ids of the state, then the
   * library's single-job action on each, pipelined. No Redis command ever
   * touches more than one job, so a run over a million jobs never blocks
   * Redis; `pauseMs` between batches leaves it to the workers meanwhile.
   * Done jobs leave the state; skipped ones (a worker held them) stay at the
   * old end, so the next batch starts after them. Stops at `max`, at the
   * number present when it began, or between two batches when `signal` aborts.
   */
  private async drain(action: string, state: JobState, act: (job: TJob) => Promise<void>, options: BatchOptions): Promise<BulkResult> {
    const { batchSize, max } = this.checkBatch(options);
    const segments = this.segments(state);
    const sizes = await this.read(action, (client) => Promise.all(segments.map((k) => this.size(client, k))));
    const initial = sizes.reduce((a, b) => a + b, 0);
    const limit = Math.min(max, initial);
    const progress: BatchProgress = { done: 0, skipped: 0, batches: 0 };
    let cancelled = false;
    let exhausted = 0;
    try {
      run: for (const segment of segments) {
        let skippedHere = 0;
        for (;;) {
          if (progress.done + progress.skipped >= limit) break run;
          // Paused first, so a cancel that arrives during the pause is seen before the next batch.
          if (progress.batches > 0 && options.pauseMs) await sleep(options.pauseMs);
          if (options.signal?.aborted) {
            cancelled = true;
            break run;
          }
          const want = Math.min(batchSize, limit - progress.done - progress.skipped);
          const ids = await this.read(action, (client) => this.oldestIds(client, segment, skippedHere, want));
          if (ids.length === 0) {
            exhausted++;
            break;
          }
          progress.batches++;
          const results = await this.write(action, () => this.eachInSlices(ids, act), this.timeoutMs * BATCH_TIMEOUT_FACTOR);
          const lost = results.find((r) => r.status === 'rejected' && isConnectionError(r.reason));
          if (lost && lost.status === 'rejected') throw redisUnavailable(this.name, action, String(lost.reason), lost.reason);
          const ok = results.filter((r) => r.status === 'fulfilled').length;
          progress.done += ok;
          progress.skipped += results.length - ok;
          skippedHere += results.length - ok;
          options.onBatch?.({ ...progress });
        }
      }
    } catch (err) {
      throw this.withProgress(err, progress.done, action);
    }
    const complete = !cancelled && (exhausted === segments.length || progress.done + progress.skipped >= initial);
    return { ...progress, complete, cancelled };
  }

  /**
   * The action on each job of a batch, `BATCH_SLICE` jobs in flight at a time
   * with a turn of the event loop between slices: a thousand calls started at
   * once made the app's own requests wait behind them (bench/bulk-retry.mjs).
   */
  private async eachInSlices(ids: readonly string[], act: (job: TJob) => Promise<void>): Promise<PromiseSettledResult<void>[]> {
    const results: PromiseSettledResult<void>[] = [];
    for (let at = 0; at < ids.length; at += BATCH_SLICE) {
      if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const slice = ids.slice(at, at + BATCH_SLICE);
      results.push(
        ...(await Promise.allSettled(
          slice.map(async (id) => {
            const job = await this.fetchJob(id);
            if (!job) throw this.jobNotFound(id);
            await act(job);
          }),
        )),
      );
    }
    return results;
  }

  /** The `size` oldest ids of one structure after skipping `skip`: lowest scores of a set, the tail of a (LPUSHed) list. */
  private oldestIds(client: RedisCommandsLike, k: StateKey, skip: number, size: number): Promise<string[]> {
    if (k.kind === 'zset') return client.zrange(this.key(k.type), skip, skip + size - 1);
    return client.lrange(this.key(k.type), -(skip + size), -(skip + 1)).then((ids) => ids.reverse());
  }

  /**
   * Removes finished jobs older than `olderThanMs` through the library's own
   * clean, one bounded call per batch (a ZRANGEBYSCORE … LIMIT on the finish
   * time index inside the library's script), until a batch comes back short.
   * Only completed and failed: the libraries' clean of lists (waiting, active)
   * walks the whole list in one script when few jobs qualify.
   */
  override async clean(state: CleanableState, olderThanMs: number, options: BatchOptions = {}): Promise<CleanResult> {
    const checked = this.checkState(state, ['completed', 'failed']) as CleanableState;
    this.checkInteger('olderThanMs', olderThanMs, 0, Number.MAX_SAFE_INTEGER);
    const { batchSize, max } = this.checkBatch(options);
    let size = Math.min(batchSize, CLEAN_START_BATCH);
    let removed = 0;
    let batches = 0;
    let exhausted = false;
    let cancelled = false;
    try {
      while (removed < max) {
        if (batches > 0 && options.pauseMs) await sleep(options.pauseMs);
        if (options.signal?.aborted) {
          cancelled = true;
          break;
        }
        const want = Math.min(size, max - removed);
        const started = performance.now();
        const n = await this.write('clean', () => this.cleanBatch(checked, olderThanMs, want), this.timeoutMs * BATCH_TIMEOUT_FACTOR);
        const took = performance.now() - started;
        if (took > CLEAN_SLOW_MS) size = Math.max(Math.min(CLEAN_MIN_BATCH, batchSize), Math.floor(size / 2));
        else if (took < CLEAN_FAST_MS) size = Math.min(batchSize, size * 2);
        batches++;
        removed += n;
        options.onBatch?.({ done: removed, skipped: 0, batches });
        if (n < want) {
          exhausted = true;
          break;
        }
      }
      const complete = !cancelled && (exhausted || !(await this.hasFinishedBefore(checked, Date.now() - olderThanMs)));
      return { removed, batches, complete, cancelled };
    } catch (err) {
      throw this.withProgress(err, removed, 'clean');
    }
  }

  /** Scans only each job's `data` field (one HGET per job, a chunk per round trip), then loads the matches. */
  protected override async scanForMatches(
    states: readonly JobState[],
    matches: JobDataMatcher,
    scanLimit: number,
    limit: number,
    action: 'findJobs' | 'findJobsByLinks' = 'findJobs',
  ): Promise<FindJobsResult> {
    const hits: Array<{ id: string; state: JobState }> = [];
    const seen = new Set<string>();
    let scanned = 0;
    let complete = true;
    scan: for (const state of states) {
      for (const stateKey of this.segments(state)) {
        let offset = 0;
        for (;;) {
          if (scanned >= scanLimit || hits.length >= limit) {
            complete = false;
            break scan;
          }
          const chunk = Math.min(SCAN_CHUNK, scanLimit - scanned);
          const rows = await this.read(action, async (client) => {
            const ids = await this.range(client, stateKey, offset, offset + chunk - 1);
            const data = await Promise.all(ids.map((id) => client.hget(this.key(id), 'data')));
            return ids.map((id, i) => ({ id, data: data[i] }));
          });
          scanned += rows.length;
          offset += rows.length;
          for (const row of rows) {
            if (seen.has(row.id) || !matches(parseJobData(row.data))) continue;
            if (hits.length >= limit) {
              complete = false;
              break scan;
            }
            seen.add(row.id);
            hits.push({ id: row.id, state });
          }
          if (rows.length < chunk) break;
        }
      }
    }
    const jobs = await this.read(action, (client) => this.loadViews(client, hits));
    return { jobs, scanned, complete };
  }

  // ---- helpers ----

  protected segments(state: JobState): StateKey[] {
    return this.stateKeys().filter((k) => k.state === state);
  }

  private size(client: RedisCommandsLike, k: StateKey): Promise<number> {
    return k.kind === 'list' ? client.llen(this.key(k.type)) : client.zcard(this.key(k.type));
  }

  /**
   * Newest first: lists are LPUSHed, so index 0 is the newest; sorted sets
   * are read with ZREVRANGE (completed/failed scored by finish time, delayed
   * by due time, prioritized by priority then arrival).
   */
  private range(client: RedisCommandsLike, k: StateKey, start: number, stop: number): Promise<string[]> {
    return k.kind === 'list' ? client.lrange(this.key(k.type), start, stop) : client.zrevrange(this.key(k.type), start, stop);
  }

  /** The ids of one page across the state's structures (BullMQ's waiting = wait list, then prioritized set). */
  private async rangeIds(client: RedisCommandsLike, state: JobState, start: number, size: number) {
    const segments = this.segments(state);
    const [sizes, first] = await Promise.all([
      Promise.all(segments.map((k) => this.size(client, k))),
      this.range(client, segments[0], start, start + size - 1),
    ]);
    const total = sizes.reduce((a, b) => a + b, 0);
    const ids = [...first];
    let offset = Math.max(0, start - sizes[0]);
    for (let i = 1; i < segments.length && ids.length < size; i++) {
      if (offset >= sizes[i]) {
        offset -= sizes[i];
        continue;
      }
      ids.push(...(await this.range(client, segments[i], offset, offset + (size - ids.length) - 1)));
      offset = 0;
    }
    return { ids: [...new Set(ids)].slice(0, size), total };
  }

  /** Fetches jobs in parallel (pipelined on one connection) and drops those removed meanwhile. */
  private async loadViews(client: RedisCommandsLike, entries: ReadonlyArray<{ id: string; state: JobViewState }>): Promise<JobView[]> {
    return (await this.loadEach(client, entries)).filter((v): v is JobView => v !== null);
  }

  /** As loadViews, keeping each job's place (null for one removed meanwhile); data over LIST_DATA_CAP is left in Redis. */
  private loadEach(client: RedisCommandsLike, entries: ReadonlyArray<{ id: string; state: JobViewState }>): Promise<Array<JobView | null>> {
    const delayedKey = this.key('delayed');
    const hstrlen = client.hstrlen?.bind(client);
    const hmget = client.hmget?.bind(client);
    return Promise.all(
      entries.map(async ({ id, state }) => {
        const [size, score] = await Promise.all([
          hstrlen && hmget ? hstrlen(this.key(id), 'data') : Promise.resolve(0),
          state === 'delayed' ? client.zscore(delayedKey, id) : Promise.resolve(null),
        ]);
        if (size > LIST_DATA_CAP && hmget) {
          const values = await hmget(this.key(id), ...LIST_FIELDS);
          if (values.every((value) => value === null)) return null;
          return this.viewOf(this.fieldsWithoutData(id, size, values), state, score);
        }
        const job = await this.fetchJob(id);
        return job ? this.toView(job, state, score) : null;
      }),
    );
  }

  /** A big job's fields as the library would give them, its data replaced by a note saying how big it is. */
  private fieldsWithoutData(id: string, size: number, values: ReadonlyArray<string | null>): RawJobFields {
    const field = Object.fromEntries(LIST_FIELDS.map((name, i) => [name, values[i]])) as Record<(typeof LIST_FIELDS)[number], string | null>;
    const json = (text: string | null): unknown => {
      if (text === null || text === '') return null;
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    };
    const kb = size >= 1024 * 1024 ? `${(size / 1024 / 1024).toFixed(1)} MB` : `${(size / 1024).toFixed(1)} KB`;
    return {
      id,
      name: field.name,
      data: `[${kb} of data, not loaded in lists: open the job]`,
      opts: json(field.opts),
      attemptsMade: field.attemptsMade ?? field.atm,
      progress: json(field.progress),
      failedReason: field.failedReason,
      stacktrace: json(field.stacktrace),
      returnValue: json(field.returnvalue),
      timestamp: field.timestamp,
      processedOn: field.processedOn,
      finishedOn: field.finishedOn,
      delay: field.delay,
    };
  }

  /**
   * Several jobs at once; a job whose state the caller already knows (the job
   * index's ZSCOREs) is not located again, which saves most of getJob's commands.
   */
  override async getJobs(ids: readonly JobId[], knownStates: ReadonlyArray<JobViewState | null> = []): Promise<Array<JobView | null>> {
    const checked = ids.map((id) => this.checkJobId(id));
    const known = checked.map((id, i) => ({ id, state: knownStates[i] ?? null, i }));
    const located = known.filter((entry): entry is { id: string; state: JobViewState; i: number } => entry.state !== null);
    const out: Array<JobView | null> = new Array(checked.length).fill(null);
    const [views, others] = await Promise.all([
      this.read('getJobs', (client) => this.loadEach(client, located)),
      Promise.all(known.filter((entry) => entry.state === null).map(async (entry) => ({ i: entry.i, view: await this.getJob(entry.id) }))),
    ]);
    located.forEach((entry, n) => {
      out[entry.i] = views[n];
    });
    for (const { i, view } of others) out[i] = view;
    return out;
  }

  /**
   * Where a job is: ZSCORE on every sorted set first (O(1) each, where most
   * jobs an operator opens live: failed, completed, delayed); only if it is
   * in none of them, LPOS on the lists (active first, it is short). Says
   * `unknown` when the job is nowhere, and `null` only when LPOS is missing
   * (Redis < 6.0.6), in which case the library is asked instead.
   */
  private async locate(client: RedisCommandsLike, id: string): Promise<{ state: JobViewState; score: string | null } | null> {
    if (typeof client.lpos !== 'function') return null;
    const lpos = client.lpos.bind(client);
    const sets = this.stateKeys().filter((k) => k.kind === 'zset');
    const lists = this.stateKeys().filter((k) => k.kind === 'list');
    try {
      const scores = await Promise.all(sets.map((k) => client.zscore(this.key(k.type), id)));
      const inSet = scores.findIndex((v) => v !== null && v !== undefined);
      if (inSet !== -1) {
        return { state: sets[inSet].state, score: sets[inSet].type === 'delayed' ? String(scores[inSet]) : null };
      }
      const positions = await Promise.all(lists.map((k) => lpos(this.key(k.type), id)));
      const inList = positions.findIndex((v) => v !== null && v !== undefined);
      return { state: inList === -1 ? 'unknown' : lists[inList].state, score: null };
    } catch (err) {
      if (isConnectionError(err)) throw err;
      return null; // LPOS refused by an old Redis
    }
  }

  private async jobInState(client: RedisCommandsLike, id: string, allowed: JobViewState[], rule: string): Promise<TJob> {
    const [job, located] = await Promise.all([this.fetchJob(id), this.locate(client, id)]);
    if (!job) throw this.jobNotFound(id);
    const state = located ? located.state : normaliseLibraryState(await this.libraryState(job));
    if (!allowed.includes(state)) {
      throw new QueueAdapterError('INVALID_STATE', `job ${id} in queue "${this.name}" is ${state}; ${rule}`, { queue: this.name });
    }
    return job;
  }

  /** Library refusals (locked by a worker, moved meanwhile) become INVALID_STATE; connection errors pass through. */
  private async libraryAction(client: RedisCommandsLike, action: string, id: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (err instanceof QueueAdapterError || isConnectionError(err)) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      const now = await this.locate(client, id).catch(() => null);
      const locked = now?.state === 'active' || /lock/i.test(reason);
      throw new QueueAdapterError(
        'INVALID_STATE',
        locked
          ? `job ${id} in queue "${this.name}" is being processed by a worker, so it cannot be ${pastTense(action)} now (${reason})`
          : `could not ${action} job ${id} in queue "${this.name}": ${reason}`,
        { queue: this.name, cause: err },
      );
    }
  }

  private async hasFinishedBefore(state: CleanableState, cutoff: number): Promise<boolean> {
    const key = this.key(state);
    return this.read('clean', async (client) => {
      const [oldest] = await client.zrange(key, 0, 0);
      if (oldest === undefined) return false;
      const score = await client.zscore(key, oldest);
      return score !== null && Number(score) < cutoff;
    });
  }

  private jobNotFound(id: string): QueueAdapterError {
    return new QueueAdapterError('JOB_NOT_FOUND', `queue "${this.name}" has no job ${id}`, { queue: this.name });
  }

  /** Adds how far a batch run got to a REDIS_UNAVAILABLE error, so the operator knows what was already done. */
  private withProgress(err: unknown, done: number, what: string): unknown {
    if (!(err instanceof QueueAdapterError) || err.code !== 'REDIS_UNAVAILABLE' || done === 0) return err;
    const detail = /\): (.*?)\. The console reconnects/.exec(err.message)?.[1] ?? 'the connection was lost';
    return redisUnavailable(this.name, what, `${detail}, after ${done} jobs were already done`, err.cause ?? err);
  }

  protected toView(job: TJob, state: JobViewState, delayedScore: string | null): JobView {
    return this.viewOf(this.jobFields(job), state, delayedScore);
  }

  private viewOf(f: RawJobFields, state: JobViewState, delayedScore: string | null): JobView {
    const opts = asRecord(toPlainJson(f.opts));
    const created = toTimestamp(f.timestamp);
    let delayedUntil: number | null = null;
    if (state === 'delayed') {
      const score = delayedScore === null ? NaN : Number(delayedScore);
      const delay = typeof f.delay === 'number' ? f.delay : Number(f.delay);
      delayedUntil = Number.isFinite(score)
        ? Math.floor(score / DELAY_SCORE_FACTOR)
        : created !== null && Number.isFinite(delay)
          ? created + delay
          : null;
    }
    const attempts = Number(opts.attempts);
    return {
      id: String(f.id),
      queue: this.name,
      name: typeof f.name === 'string' && f.name !== '' ? f.name : '__default__',
      state,
      data: this.redactValue(toPlainJson(f.data)),
      opts: asRecord(this.redactValue(opts)),
      attemptsMade: toCount(f.attemptsMade),
      attemptsAllowed: Number.isInteger(attempts) && attempts > 0 ? attempts : 1,
      progress: toPlainJson(f.progress) ?? 0,
      failedReason: typeof f.failedReason === 'string' && f.failedReason !== '' ? f.failedReason : null,
      stacktrace: Array.isArray(f.stacktrace) ? f.stacktrace.filter((s): s is string => typeof s === 'string') : [],
      returnValue: this.redactValue(toPlainJson(f.returnValue)),
      timestamps: {
        created,
        processed: toTimestamp(f.processedOn),
        finished: toTimestamp(f.finishedOn),
        delayedUntil,
      },
    };
  }
}

function isListState(state: string): state is JobState {
  return (JOB_STATES as readonly string[]).includes(state);
}

/** Bull says `stuck` for a job in no list, BullMQ `prioritized`/`unknown`. */
function normaliseLibraryState(state: string): JobViewState {
  if (state === 'prioritized' || state === 'wait') return 'waiting';
  if (isListState(state) || state === 'waiting-children') return state;
  return 'unknown';
}

function pastTense(action: string): string {
  return action === 'retry' ? 'retried' : action.endsWith('e') ? `${action}d` : `${action}ed`;
}

/** A JSON-safe deep copy: library objects, functions and cycles cannot leak into a view. */
function toPlainJson(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return '[unserialisable]';
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function toTimestamp(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : null;
}

function toCount(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
}

