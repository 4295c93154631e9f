/**
 * The job index: which jobs belong to which user or team, without scanning.
 *
 * For every job, the values at the `jobLinks` data paths (`{ user: 'userId',
 * team: 'teamId' }`) are recorded in Redis sorted sets next to the queue's own
 * keys, `<prefix>:<queue>:idx:team:42` → job ids scored by the job's
 * timestamp, written with the queue's own Redis client. It is kept up to date
 * from the queue's own events, so the host's `queue.add` calls stay as they are:
 * - Bull: `global:waiting` (every instance of the host publishes it) gives the
 *   job id; its data is read once (HMGET) and indexed.
 * - BullMQ: the queue's event stream (`…:events`) is read from the last
 *   position seen, stored in Redis, so jobs added while the console was down
 *   are indexed when it starts again. On the very first start there is no
 *   position: history is the backfill's job, and reading starts at the end.
 * A backfill walks existing jobs in chunks of at most 1,000 ids per state,
 * pausing between chunks, resumable (a cursor per state in Redis), one
 * instance at a time (a lock `SET key token NX PX 30000`, renewed per chunk).
 *
 * Writes are ZADDs, so indexing twice is harmless and several instances may
 * index the same queue. Entries of jobs that no longer exist are dropped
 * (ZREM) by the readers that meet them.
 */
import { randomBytes } from 'node:crypto';
import type { JobLinkKind } from '../options';
import { parseJobData, readDataPath } from './job-search';
import type { JobIndexSource, QueueAdapter } from './queue-adapter';

/** The Redis commands the index sends (ioredis, as both Bull and BullMQ use). */
interface IndexRedis {
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>;
  zadd(key: string, ...args: Array<string | number>): Promise<unknown>;
  zrem(key: string, ...members: string[]): Promise<unknown>;
  zrevrange(key: string, start: number, stop: number): Promise<string[]>;
  zrange(key: string, start: number, stop: number): Promise<string[]>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  zcard(key: string): Promise<number>;
  llen(key: string): Promise<number>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ...args: Array<string | number>): Promise<unknown>;
  del(key: string): Promise<unknown>;
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  unlink(...keys: string[]): Promise<unknown>;
  hset(key: string, ...args: Array<string | number>): Promise<unknown>;
  hincrby(key: string, field: string, increment: number): Promise<number>;
  hgetall(key: string): Promise<Record<string, string>>;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  xrevrange(key: string, end: string, start: string, count: 'COUNT', n: number): Promise<Array<[string, string[]]>>;
  xread(count: 'COUNT', n: number, streams: 'STREAMS', key: string, id: string): Promise<Array<[string, Array<[string, string[]]>]> | null>;
  pipeline(): { hmget(key: string, ...fields: string[]): unknown; zadd(key: string, ...args: Array<string | number>): unknown; exec(): Promise<Array<[Error | null, unknown]> | null> };
}

/** Ids read per step of the backfill, and per read of the BullMQ stream. */
export const INDEX_CHUNK = 1000;
const LOCK_MS = 30_000;
/** A link value longer than this is not indexed (it is not an id). */
const MAX_VALUE_LENGTH = 200;

const RENEW_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export interface BackfillProgress {
  /** `idle` (never run), `running`, `stopped` (its instance stopped or lost the lock: start it again to resume), `done`. */
  status: 'idle' | 'running' | 'stopped' | 'done';
  indexed: number;
  /** Jobs in the queue when the backfill began. */
  total: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface IndexLookup {
  /** Newest first, at most the limit asked. */
  ids: string[];
  /** Entries in the index for that link. */
  total: number;
  /** True once a backfill has indexed every job that existed before the indexer ran. */
  complete: boolean;
}

export interface JobIndexOptions {
  /** How often the BullMQ event stream is read. Default 1,000 ms. */
  pollMs?: number;
  /** Pause between backfill steps. Default 50 ms. */
  pauseMs?: number;
  /** How long a page waits for the index before falling back to the scan. Default 2,000 ms. */
  timeoutMs?: number;
  log?: (message: string, err?: unknown) => void;
}

/** Rejects when `promise` takes longer than `ms`. */
function guard<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

/** A literal for a SCAN MATCH pattern (queue names and prefixes may hold glob characters). */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** The scalar values at a path (an array of ids gives each of them). */
function linkValues(data: unknown, segments: readonly string[]): string[] {
  const value = readDataPath(data, segments);
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'bigint') {
      const text = String(item);
      if (text.length > 0 && text.length <= MAX_VALUE_LENGTH) out.push(text);
    }
  }
  return out;
}

/** The index of one queue. */
export class QueueJobIndex {
  readonly queue: string;
  private readonly links: Array<{ kind: JobLinkKind; segments: string[] }>;
  private readonly pathsSignature: string;
  private readonly pollMs: number;
  private readonly pauseMs: number;
  private readonly log: (message: string, err?: unknown) => void;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private polling = false;
  private stopped = false;
  private running: Promise<void> | null = null;
  /** Deleting the sets of paths `jobLinks` no longer names (see dropStaleLinks). */
  private cleanup: Promise<void> | null = null;
  private warned = false;

  constructor(
    private readonly source: JobIndexSource,
    queueName: string,
    jobLinks: Partial<Record<JobLinkKind, string | null>>,
    options: JobIndexOptions = {},
  ) {
    this.queue = queueName;
    this.links = (Object.entries(jobLinks) as Array<[JobLinkKind, string | null]>)
      .filter(([, path]) => typeof path === 'string' && path.length > 0)
      .map(([kind, path]) => ({ kind, segments: (path as string).split('.') }));
    this.pathsSignature = JSON.stringify(Object.fromEntries(this.links.map((l) => [l.kind, l.segments.join('.')])));
    this.pollMs = options.pollMs ?? 1000;
    this.pauseMs = options.pauseMs ?? 50;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.log = options.log ?? ((message, err) => console.error(message, err ?? ''));
  }

  /** `<prefix>:<queue>:idx:team:42`. */
  linkKey(kind: JobLinkKind, value: string): string {
    return this.source.key(`idx:${kind}:${value}`);
  }

  private metaKey(): string {
    return this.source.key('idx:meta');
  }

  private backfillKey(): string {
    return this.source.key('idx:backfill');
  }

  private lockKey(): string {
    return this.source.key('idx:backfill:lock');
  }

  private positionKey(): string {
    return this.source.key('idx:stream-position');
  }

  /** The queue's client, only when it is connected: with Redis down, ioredis would queue commands until it returns. */
  private async redis(): Promise<IndexRedis> {
    const client = (await guard(this.source.client(), this.timeoutMs)) as IndexRedis & { status?: string; once?: (event: string, listener: () => void) => unknown };
    // Still connecting (the app just started): wait for it, up to the timeout, rather than count it as an outage.
    if ((client.status === 'connect' || client.status === 'connecting' || client.status === 'wait') && typeof client.once === 'function') {
      await guard(new Promise<void>((resolve) => client.once!('ready', () => resolve())), this.timeoutMs).catch(() => undefined);
    }
    if (client.status !== undefined && client.status !== 'ready') throw new Error(`Redis is not connected (status "${client.status}")`);
    return client;
  }

  private failed(what: string, err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.log(`express-backstage: the job index of queue "${this.queue}" could not ${what}; it keeps trying (logged once). Jobs it missed are indexed by a backfill (the queue page), and pages scan where the index has nothing`, err);
  }

  /** Starts following the queue's events. Never throws: a Redis outage is logged once and retried. */
  start(): void {
    if (this.links.length === 0 || this.timer || this.unsubscribe) return;
    this.stopped = false;
    void this.recordPaths();
    if (this.source.onNewJob) {
      // Ids arriving together (a burst of adds) are indexed in one pipelined round trip.
      let pending: string[] = [];
      this.unsubscribe = this.source.onNewJob((id) => {
        pending.push(id);
        if (pending.length > 1) return;
        setImmediate(() => {
          const ids = pending;
          pending = [];
          for (let i = 0; i < ids.length; i += INDEX_CHUNK) {
            this.indexIds(ids.slice(i, i + INDEX_CHUNK)).catch((err) => this.failed('index new jobs', err));
          }
        });
      });
    }
    if (this.source.eventsStream) {
      this.timer = setInterval(() => void this.pollStream(), this.pollMs);
      this.timer.unref();
      void this.pollStream();
    }
  }

  /** Stops following events and stops a backfill this instance runs (it resumes from its cursors when started again). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.running) await guard(this.running, this.timeoutMs).catch(() => undefined);
    if (this.cleanup) await guard(this.cleanup, this.timeoutMs).catch(() => undefined);
    // A read in flight finishes on its own; closing never waits on a Redis that does not answer.
    for (let waited = 0; this.polling && waited < this.timeoutMs; waited += 10) await sleep(10);
  }

  /** The paths the index was built with; when they change, the old entries mean nothing and the backfill starts over. */
  private async recordPaths(): Promise<void> {
    try {
      const redis = await this.redis();
      const [paths] = await redis.hmget(this.metaKey(), 'paths');
      if (paths !== this.pathsSignature) {
        await redis.hset(this.metaKey(), 'paths', this.pathsSignature);
        if (paths !== null) {
          await redis.del(this.backfillKey());
          this.cleanup ??= this.dropStaleLinks(redis, paths).finally(() => {
            this.cleanup = null;
          });
        }
      }
    } catch (err) {
      this.failed('record its paths', err);
    }
  }

  /**
   * After `jobLinks` changed, the sets of a kind whose path changed (or that
   * is off now) hold ids found at the old path: deleted, a SCAN step of 1,000
   * keys at a time with UNLINK (freed off Redis's main thread) and a pause
   * between steps. Only the instance that saw the change first does it.
   */
  private async dropStaleLinks(redis: IndexRedis, previous: string): Promise<void> {
    let old: Record<string, string> = {};
    try {
      old = JSON.parse(previous) as Record<string, string>;
    } catch {
      // An unreadable record: every kind it might have held is dropped below.
    }
    const now = Object.fromEntries(this.links.map((l) => [l.kind, l.segments.join('.')]));
    const kinds = [...new Set([...Object.keys(old), ...Object.keys(now)])].filter((kind) => old[kind] !== now[kind]);
    try {
      for (const kind of kinds) {
        const pattern = `${globEscape(this.source.key(`idx:${kind}:`))}*`;
        let cursor = '0';
        do {
          if (this.stopped) return;
          const [next, keys] = await guard(redis.scan(cursor, 'MATCH', pattern, 'COUNT', INDEX_CHUNK), this.timeoutMs);
          if (keys.length > 0) await guard(redis.unlink(...keys), this.timeoutMs);
          cursor = next;
          if (cursor !== '0') await sleep(this.pauseMs);
        } while (cursor !== '0');
      }
      if (kinds.length > 0) this.log(`express-backstage: options.jobLinks changed for queue "${this.queue}" (${kinds.join(', ')}): the old index entries are deleted; start a backfill on the queue page to index existing jobs by the new paths`);
    } catch (err) {
      this.failed('delete the entries of its old jobLinks paths', err);
    }
  }

  /** Reads the BullMQ event stream from the stored position and indexes added jobs. */
  async pollStream(): Promise<number> {
    if (this.polling || this.stopped || !this.source.eventsStream) return 0;
    this.polling = true;
    let indexed = 0;
    try {
      const redis = await this.redis();
      const stream = this.source.eventsStream();
      let position = await redis.get(this.positionKey());
      if (position === null) {
        // First start: begin at the end of the stream (the backfill covers history).
        const last = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
        position = last[0]?.[0] ?? '0-0';
        await redis.set(this.positionKey(), position);
      }
      for (;;) {
        const reply = await redis.xread('COUNT', INDEX_CHUNK, 'STREAMS', stream, position);
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) break;
        const ids = new Set<string>();
        for (const [, fields] of entries) {
          const event = fieldOf(fields, 'event');
          const jobId = fieldOf(fields, 'jobId');
          if (jobId && (event === 'added' || event === 'waiting' || event === 'delayed')) ids.add(jobId);
        }
        indexed += await this.indexIds([...ids]);
        position = entries[entries.length - 1]![0];
        await redis.set(this.positionKey(), position);
        if (entries.length < INDEX_CHUNK) break;
      }
      this.warned = false;
    } catch (err) {
      this.failed('read the event stream', err);
    } finally {
      this.polling = false;
    }
    return indexed;
  }

  /** Indexes jobs by id: one pipelined HMGET per job, then the ZADDs. Returns how many jobs existed. */
  async indexIds(ids: readonly string[]): Promise<number> {
    if (ids.length === 0 || this.links.length === 0) return 0;
    const redis = await this.redis();
    const read = redis.pipeline();
    for (const id of ids) read.hmget(this.source.key(id), 'data', 'timestamp');
    const replies = (await read.exec()) ?? [];
    const write = redis.pipeline();
    let writes = 0;
    let found = 0;
    replies.forEach(([err, value], i) => {
      if (err || !Array.isArray(value)) return;
      const [raw, timestamp] = value as Array<string | null>;
      if (raw === null) return;
      found++;
      const data = parseJobData(raw);
      const score = Number(timestamp) || 0;
      for (const link of this.links) {
        for (const linked of linkValues(data, link.segments)) {
          write.zadd(this.linkKey(link.kind, linked), score, ids[i]!);
          writes++;
        }
      }
    });
    if (writes > 0) await write.exec();
    return found;
  }

  /** The newest `limit` job ids of one user or team. */
  async lookup(kind: JobLinkKind, value: string, limit: number): Promise<IndexLookup> {
    const redis = await this.redis();
    const key = this.linkKey(kind, value);
    const [total, ids, backfill] = await guard(
      Promise.all([redis.zcard(key), redis.zrevrange(key, 0, limit - 1), redis.hmget(this.backfillKey(), 'status')]),
      this.timeoutMs,
    );
    return { ids, total, complete: backfill[0] === 'done' };
  }

  /**
   * Which sorted-set state each job is in (failed, completed, delayed, waiting
   * for prioritized jobs), in one pipelined round trip of ZSCOREs; `null` for a
   * job in a list (waiting, active, paused) or gone. Lets a page fetch only the
   * jobs it shows, failed first.
   */
  async classify(ids: readonly string[]): Promise<Array<string | null>> {
    if (ids.length === 0) return [];
    const redis = await this.redis();
    const sets = this.source
      .stateKeys()
      .filter((s) => s.kind === 'zset')
      .map((s) => ({ key: this.source.key(s.type), state: s.type === 'prioritized' ? 'waiting' : s.type }));
    const pipe = redis.pipeline() as ReturnType<IndexRedis['pipeline']> & { zscore(key: string, member: string): unknown };
    for (const id of ids) for (const set of sets) pipe.zscore(set.key, id);
    const replies = (await guard(pipe.exec(), this.timeoutMs)) ?? [];
    return ids.map((_, i) => {
      for (let j = 0; j < sets.length; j++) {
        const [err, score] = replies[i * sets.length + j] ?? [null, null];
        if (!err && score !== null && score !== undefined) return sets[j]!.state;
      }
      return null;
    });
  }

  /** Drops the entries of jobs that no longer exist. */
  async drop(kind: JobLinkKind, value: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const redis = await this.redis();
    await guard(redis.zrem(this.linkKey(kind, value), ...ids), this.timeoutMs);
  }

  async progress(): Promise<BackfillProgress> {
    const redis = await this.redis();
    const [hash, lock] = await guard(Promise.all([redis.hgetall(this.backfillKey()), redis.get(this.lockKey())]), this.timeoutMs);
    const status = hash.status === 'done' ? 'done' : hash.status === 'running' ? (lock ? 'running' : 'stopped') : 'idle';
    return {
      status,
      indexed: Number(hash.indexed) || 0,
      total: Number(hash.total) || 0,
      startedAt: hash.startedAt ? Number(hash.startedAt) : null,
      finishedAt: hash.finishedAt ? Number(hash.finishedAt) : null,
    };
  }

  /**
   * Starts (or resumes) the backfill in the background on this instance.
   * `'running'` when another instance (or this one) holds the lock.
   */
  async startBackfill(): Promise<'started' | 'running'> {
    if (this.running) return 'running';
    const redis = await this.redis();
    const token = randomBytes(12).toString('hex');
    const ok = await guard(redis.set(this.lockKey(), token, 'PX', LOCK_MS, 'NX'), this.timeoutMs);
    if (ok !== 'OK') return 'running';
    try {
      const state = await redis.hgetall(this.backfillKey());
      if (state.status !== 'running') {
        // A fresh run: count what there is to walk, reset the cursors.
        let total = 0;
        for (const s of this.source.stateKeys()) {
          const key = this.source.key(s.type);
          total += s.kind === 'list' ? await redis.llen(key) : await redis.zcard(key);
        }
        await redis.del(this.backfillKey());
        await redis.hset(this.backfillKey(), 'status', 'running', 'indexed', 0, 'total', total, 'startedAt', Date.now());
      }
    } catch (err) {
      await redis.eval(RELEASE_SCRIPT, 1, this.lockKey(), token).catch(() => undefined);
      throw err;
    }
    this.stopped = false;
    this.running = this.runBackfill(redis, token)
      .catch((err) => this.log(`express-backstage: the job index backfill of queue "${this.queue}" stopped`, err))
      .finally(() => {
        this.running = null;
      });
    return 'started';
  }

  /** Resolves when this instance's backfill (if any) ends. */
  /** Resolves when deleting the sets of old `jobLinks` paths is over (tests). */
  whenCleanedUp(): Promise<void> {
    return this.cleanup ?? Promise.resolve();
  }

  whenBackfilled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async runBackfill(redis: IndexRedis, token: string): Promise<void> {
    try {
      for (const s of this.source.stateKeys()) {
        const key = this.source.key(s.type);
        const field = `cursor:${s.type}`;
        for (;;) {
          if (this.stopped) return;
          const [saved] = await redis.hmget(this.backfillKey(), field);
          const cursor = Number(saved) || 0;
          // Lists grow at the head (LPUSH): walk from the tail, the oldest end. Sorted sets: by score, oldest first.
          const ids =
            s.kind === 'list'
              ? (await redis.lrange(key, -(cursor + INDEX_CHUNK), -(cursor + 1))).reverse()
              : await redis.zrange(key, cursor, cursor + INDEX_CHUNK - 1);
          const found = await this.indexIds(ids);
          await redis.hset(this.backfillKey(), field, cursor + ids.length);
          await redis.hincrby(this.backfillKey(), 'indexed', found);
          const renewed = await redis.eval(RENEW_SCRIPT, 1, this.lockKey(), token, LOCK_MS);
          if (Number(renewed) !== 1) return; // Lost the lock: another instance carries on from the cursors.
          if (ids.length < INDEX_CHUNK) break;
          await sleep(this.pauseMs);
        }
      }
      await redis.hset(this.backfillKey(), 'status', 'done', 'finishedAt', Date.now());
    } finally {
      await redis.eval(RELEASE_SCRIPT, 1, this.lockKey(), token).catch(() => undefined);
    }
  }
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

const INDEXES = new WeakMap<QueueAdapter, QueueJobIndex>();

/** The index a console keeps for a queue, or null (no Redis behind it, no links, or switched off). */
export function jobIndexOf(queue: QueueAdapter): QueueJobIndex | null {
  return INDEXES.get(queue) ?? null;
}

/**
 * Creates and starts an index for each queue that can have one. `close()`
 * stops them (the queues themselves stay open: they are the host's).
 */
export function startJobIndexes(
  queues: readonly QueueAdapter[],
  jobLinks: Partial<Record<JobLinkKind, string | null>>,
  options: JobIndexOptions = {},
): { indexes: QueueJobIndex[]; close(): Promise<void> } {
  const indexes: QueueJobIndex[] = [];
  if (Object.values(jobLinks).some((path) => typeof path === 'string' && path.length > 0)) {
    for (const queue of queues) {
      const source = queue.indexSource?.() ?? null;
      if (!source) continue;
      const index = new QueueJobIndex(source, queue.name, jobLinks, options);
      INDEXES.set(queue, index);
      indexes.push(index);
      index.start();
    }
  }
  return {
    indexes,
    async close() {
      await Promise.all(indexes.map((index) => index.stop()));
    },
  };
}
