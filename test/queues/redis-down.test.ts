/**
 * When Redis is down, the queue pages must say so quickly, not hang; when it
 * comes back, they must work again without a restart of the host app.
 */
import Bull from 'bull';
import { Queue as BullMQQueue } from 'bullmq';
import { BullMQQueueAdapter } from '../../src/queues/bullmq-queue-adapter';
import { BullQueueAdapter } from '../../src/queues/bull-queue-adapter';
import type { QueueAdapter } from '../../src/queues/queue-adapter';
import { QueueAdapterError } from '../../src/queues/queue-error';
import { LIBRARIES, sleep, uniquePrefix, type Library } from './helpers/queue-fixtures';
import { freePort, privateRedis, type PrivateRedis } from '../helpers/private-redis';

// The adapters give up after 2 s; this only proves nothing waits for Redis's own
// reconnect (up to 20 s), with room for a busy CI machine.
const GIVES_UP_WITHIN_MS = 6000;

const PREFIX = uniquePrefix('redis-down');
const noop = () => undefined;



interface Opened {
  adapter: QueueAdapter;
  close(): Promise<void>;
}

function openQueue(library: Library, name: string, port: number): Opened {
  // What a host would configure: reconnect quickly (the libraries' default backs off up to 20 s).
  const connection = { host: '127.0.0.1', port, retryStrategy: () => 100 };
  if (library === 'bull') {
    const queue = new Bull(name, { redis: connection, prefix: PREFIX });
    queue.on('error', noop);
    return {
      adapter: new BullQueueAdapter(queue),
      close: async () => {
        for (const client of queue.clients) client.disconnect();
        await queue.close().catch(noop);
      },
    };
  }
  const queue = new BullMQQueue(name, { connection, prefix: PREFIX });
  queue.on('error', noop);
  return {
    adapter: new BullMQQueueAdapter(queue),
    close: async () => {
      await queue.close().catch(noop);
    },
  };
}

/** Every adapter method, with arguments that would be valid on a live queue. */
const EVERY_METHOD: Array<[string, (a: QueueAdapter) => Promise<unknown>]> = [
  ['counts', (a) => a.counts()],
  ['listJobs', (a) => a.listJobs('failed', { size: 10 })],
  ['getJob', (a) => a.getJob('1')],
  ['isPaused', (a) => a.isPaused()],
  ['pause', (a) => a.pause()],
  ['resume', (a) => a.resume()],
  ['jobLogs', (a) => a.jobLogs('1')],
  ['retry', (a) => a.retry('1')],
  ['remove', (a) => a.remove('1')],
  ['promote', (a) => a.promote('1')],
  ['retryAllFailed', (a) => a.retryAllFailed()],
  ['clean', (a) => a.clean('completed', 60_000)],
  ['findJobs', (a) => a.findJobs({ field: 'teamId', value: 7 })],
  ['findJobsByLinks', (a) => a.findJobsByLinks({ userId: 7 })],
];

async function timedRejection(run: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await run();
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
  throw new Error('expected a rejection');
}

function expectUnavailable(error: unknown, queue: string, action: string) {
  expect(error).toBeInstanceOf(QueueAdapterError);
  expect((error as QueueAdapterError).code).toBe('REDIS_UNAVAILABLE');
  expect((error as QueueAdapterError).queue).toBe(queue);
  expect((error as Error).message).toMatch(
    new RegExp(`^express-backstage: Redis is unreachable for queue "${queue}" \\(${action}\\): [^.]+\\. The console reconnects by itself once Redis is back; no restart is needed\\.$`),
  );
}

describe.each(LIBRARIES)('%s queue pages when Redis is unreachable', (library) => {
  let opened: Opened;

  beforeAll(async () => {
    opened = openQueue(library, `${library}-dead`, await freePort());
  });

  afterAll(async () => {
    await opened.close();
  });

  it('every adapter method rejects within about 2 s with a clear message', async () => {
    const results = await Promise.all(EVERY_METHOD.map(([, call]) => timedRejection(() => call(opened.adapter))));
    results.forEach(({ ms, error }, i) => {
      expectUnavailable(error, `${library}-dead`, EVERY_METHOD[i][0]);
      expect(ms).toBeLessThan(GIVES_UP_WITHIN_MS);
    });
  });

  it('keeps answering quickly on every later page load', async () => {
    for (let i = 0; i < 3; i++) {
      const { ms, error } = await timedRejection(() => opened.adapter.counts());
      expectUnavailable(error, `${library}-dead`, 'counts');
      expect(ms).toBeLessThan(GIVES_UP_WITHIN_MS);
    }
  });
});

describe.each(LIBRARIES)('%s queue pages when Redis goes away and comes back', (library) => {
  let redis: PrivateRedis;
  let opened: Opened;

  beforeAll(async () => {
    redis = await privateRedis();
    await redis.start();
    opened = openQueue(library, `${library}-flaky`, redis.port);
  });

  afterAll(async () => {
    await opened.close();
    await redis.stop();
  });

  it('fails fast while Redis is down, refuses writes rather than queueing them, and recovers without a restart', async () => {
    const { adapter } = opened;
    expect(await adapter.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, paused: 0 });

    await redis.stop();
    const down = await timedRejection(() => adapter.counts());
    expectUnavailable(down.error, `${library}-flaky`, 'counts');
    expect(down.ms).toBeLessThan(GIVES_UP_WITHIN_MS);
    const write = await timedRejection(() => adapter.pause());
    expectUnavailable(write.error, `${library}-flaky`, 'pause');
    expect(write.ms).toBeLessThan(GIVES_UP_WITHIN_MS);

    await redis.start();
    const deadline = Date.now() + 15_000;
    let counts: unknown;
    while (counts === undefined) {
      counts = await adapter.counts().catch((err: unknown) => {
        if (Date.now() > deadline) throw err;
        return undefined;
      });
      if (counts === undefined) await sleep(100);
    }
    expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, paused: 0 });
    // The pause refused while Redis was down was not carried out behind the operator's back.
    await sleep(300);
    expect(await adapter.isPaused()).toBe(false);
  }, 40_000);
});
