/**
 * Real Bull and BullMQ queues with real workers, for the adapter contract.
 *
 * Every fixture lives under a key prefix unique to its test file and process,
 * so jest workers running in parallel never see each other's jobs, and
 * `close()` obliterates the queue, sweeps the prefix and closes every
 * connection so jest exits without open handles.
 *
 * Workers run one processor whose behaviour is chosen by the job's data:
 * - `{ kind: 'ok' }`    logs three lines, reports progress 100, returns a value;
 * - `{ kind: 'fail' }`  throws (a real Error with a stack) until `heal()` is called;
 * - `{ kind: 'block' }` stays active until `releaseBlocked()`.
 */
import Bull from 'bull';
import { Queue as BullMQQueue, Worker as BullMQWorker, type Job as BullMQJob } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { BullMQQueueAdapter } from '../../../src/queues/bullmq-queue-adapter';
import { BullQueueAdapter } from '../../../src/queues/bull-queue-adapter';
import type { JobCounts, QueueAdapter } from '../../../src/queues/queue-adapter';
import type { RedisQueueAdapterOptions } from '../../../src/queues/redis-queue-adapter';

export type Library = 'bull' | 'bullmq';
export const LIBRARIES: Library[] = ['bull', 'bullmq'];

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface RedisConnectionOptions {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
}

export function redisOptions(url = REDIS_URL): RedisConnectionOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

/** A key prefix unique to one test file in one jest worker. */
export function uniquePrefix(file: string): string {
  return `bs-test-${file}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export interface AddOptions {
  delay?: number;
  priority?: number;
  attempts?: number;
  jobId?: string;
}

export interface WorkerJobLike {
  id?: string | number;
  data: { kind?: string } & Record<string, unknown>;
}

export interface QueueFixture {
  library: Library;
  name: string;
  prefix: string;
  adapter: QueueAdapter;
  /** The host's queue object the adapter wraps. */
  queue: Bull.Queue | BullMQQueue;
  /** A plain connection for checking Redis directly. */
  redis: Redis;
  key(type: string): string;
  add(data: Record<string, unknown>, opts?: AddOptions): Promise<string>;
  addBulk(items: Array<{ data: Record<string, unknown>; opts?: AddOptions }>): Promise<string[]>;
  startWorker(concurrency?: number): void;
  stopWorker(): Promise<void>;
  releaseBlocked(): void;
  /** From now on, `fail` jobs succeed. */
  heal(): void;
  /** Polls `adapter.counts()` until `check` holds. */
  waitForCounts(check: (c: JobCounts) => boolean, what: string, timeoutMs?: number): Promise<JobCounts>;
  close(): Promise<void>;
}

let counter = 0;

const noop = () => undefined;

export async function createFixture(
  library: Library,
  prefix: string,
  adapterOptions: RedisQueueAdapterOptions = {},
): Promise<QueueFixture> {
  const name = `${library}-q${++counter}`;
  const connection = redisOptions();
  const redis = new Redis({ ...connection, lazyConnect: false });
  let healed = false;
  let release: () => void = noop;
  let blocked = new Promise<void>((resolve) => (release = resolve));

  async function process(job: WorkerJobLike, log: (line: string) => Promise<unknown>, progress: (p: number) => Promise<unknown>) {
    const kind = job.data.kind ?? 'ok';
    if (kind === 'block') {
      await blocked;
      return { released: true };
    }
    if (kind === 'fail' && !healed) {
      throw new Error(`boom: could not deliver to ${String(job.data.to ?? 'nobody')}`);
    }
    for (const line of ['step 1', 'step 2', 'step 3']) await log(line);
    await progress(100);
    return { delivered: true, apiToken: 'tok_returned_secret' };
  }

  if (library === 'bull') {
    const queue = new Bull(name, { redis: connection, prefix });
    queue.on('error', noop);
    let worker: Bull.Queue | undefined;
    const fixture: QueueFixture = {
      library,
      name,
      prefix,
      queue,
      redis,
      adapter: new BullQueueAdapter(queue, adapterOptions),
      key: (type) => queue.toKey(type),
      async add(data, opts = {}) {
        const job = await queue.add(data, { ...opts, removeOnComplete: false, removeOnFail: false });
        return String(job.id);
      },
      async addBulk(items) {
        const jobs = await queue.addBulk(items.map(({ data, opts }) => ({ data, opts: { ...opts } })));
        return jobs.map((j) => String(j.id));
      },
      startWorker(concurrency = 1) {
        worker = new Bull(name, { redis: connection, prefix });
        worker.on('error', noop);
        void worker.process(concurrency, (job) =>
          process(
            job,
            (line) => job.log(line),
            (p) => job.progress(p),
          ),
        );
      },
      async stopWorker() {
        if (!worker) return;
        const w = worker;
        worker = undefined;
        await w.close();
      },
      releaseBlocked() {
        release();
        blocked = new Promise<void>((resolve) => (release = resolve));
      },
      heal() {
        healed = true;
      },
      waitForCounts: (check, what, timeoutMs) => waitForCounts(fixture.adapter, check, what, timeoutMs),
      async close() {
        release();
        await fixture.stopWorker();
        await queue.obliterate({ force: true }).catch(noop);
        await queue.close();
        await sweep(redis, prefix);
        redis.disconnect();
      },
    };
    return fixture;
  }

  const queue = new BullMQQueue(name, { connection, prefix });
  queue.on('error', noop);
  let worker: BullMQWorker | undefined;
  const fixture: QueueFixture = {
    library,
    name,
    prefix,
    queue,
    redis,
    adapter: new BullMQQueueAdapter(queue, adapterOptions),
    key: (type) => queue.toKey(type),
    async add(data, opts = {}) {
      const job = await queue.add('deliver', data, { ...opts, removeOnComplete: false, removeOnFail: false });
      return String(job.id);
    },
    async addBulk(items) {
      const jobs = await queue.addBulk(items.map(({ data, opts }) => ({ name: 'deliver', data, opts: { ...opts } })));
      return jobs.map((j) => String(j.id));
    },
    startWorker(concurrency = 1) {
      worker = new BullMQWorker(
        name,
        (job: BullMQJob) =>
          process(
            job,
            (line) => job.log(line),
            (p) => job.updateProgress(p),
          ),
        { connection, prefix, concurrency },
      );
      worker.on('error', noop);
    },
    async stopWorker() {
      if (!worker) return;
      const w = worker;
      worker = undefined;
      await w.close();
    },
    releaseBlocked() {
      release();
      blocked = new Promise<void>((resolve) => (release = resolve));
    },
    heal() {
      healed = true;
    },
    waitForCounts: (check, what, timeoutMs) => waitForCounts(fixture.adapter, check, what, timeoutMs),
    async close() {
      release();
      await fixture.stopWorker();
      await queue.obliterate({ force: true }).catch(noop);
      await queue.close();
      await sweep(redis, prefix);
      redis.disconnect();
    },
  };
  return fixture;
}

/** Records a Redis command the adapter sent itself (not those the library sends inside its own methods). */
export interface RecordedCommand {
  command: string;
  args: unknown[];
  result?: unknown;
}

function recordingClient<T extends object>(client: T, calls: RecordedCommand[]): T {
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const entry: RecordedCommand = { command: prop, args };
        calls.push(entry);
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (out instanceof Promise) void out.then((r) => (entry.result = r), noop);
        return out;
      };
    },
  });
}

/**
 * A second adapter over the fixture's queue whose own Redis commands are
 * recorded: the queue is seen through a proxy whose `client` records calls.
 */
export function recordingAdapter(fx: QueueFixture): { adapter: QueueAdapter; calls: RecordedCommand[] } {
  const calls: RecordedCommand[] = [];
  const real = fx.queue as unknown as Record<string | symbol, unknown>;
  const proxy = new Proxy(real, {
    get(target, prop) {
      if (prop === 'client') {
        const client = target.client as object;
        return fx.library === 'bull'
          ? recordingClient(client, calls)
          : (client as Promise<object>).then((c) => recordingClient(c, calls));
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const adapter =
    fx.library === 'bull'
      ? new BullQueueAdapter(proxy as unknown as Bull.Queue)
      : new BullMQQueueAdapter(proxy as unknown as BullMQQueue);
  return { adapter, calls };
}

export async function waitForCounts(
  adapter: QueueAdapter,
  check: (c: JobCounts) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<JobCounts> {
  const deadline = Date.now() + timeoutMs;
  let last: JobCounts | undefined;
  while (Date.now() < deadline) {
    last = await adapter.counts();
    if (check(last)) return last;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}; last counts ${JSON.stringify(last)}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deletes whatever a test left under its prefix (obliterate misses a few bookkeeping keys). */
export async function sweep(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
