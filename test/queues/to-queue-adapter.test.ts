/**
 * createAdmin({ queues }) takes raw Bull and BullMQ queues (or adapters) and
 * must tell which is which by shape, and say clearly what is wrong otherwise.
 */
import Bull from 'bull';
import { Queue as BullMQQueue, Worker as BullMQWorker } from 'bullmq';
import { BullMQQueueAdapter } from '../../src/queues/bullmq-queue-adapter';
import { BullQueueAdapter } from '../../src/queues/bull-queue-adapter';
import { JOB_STATES, type JobCounts } from '../../src/queues/queue-adapter';
import { QueueAdapterError } from '../../src/queues/queue-error';
import { toQueueAdapter, toQueueAdapters, type QueueInput } from '../../src/queues/to-queue-adapter';
import { redisOptions, sweep, uniquePrefix } from './helpers/queue-fixtures';
import Redis from 'ioredis';

const PREFIX = uniquePrefix('to-adapter');
const noop = () => undefined;

afterAll(async () => {
  const redis = new Redis(redisOptions());
  await sweep(redis, PREFIX);
  redis.disconnect();
});

function errorOf(run: () => unknown): QueueAdapterError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(QueueAdapterError);
    return err as QueueAdapterError;
  }
  throw new Error('expected an error');
}

const emptyCounts = (): JobCounts => Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCounts;

/** What a host writes to plug in another queue system, without extending the base class. */
function handWrittenAdapter(name = 'sqs-emails') {
  return {
    name,
    counts: async () => emptyCounts(),
    listJobs: async (state: (typeof JOB_STATES)[number]) => ({ state, jobs: [], total: 0, start: 0, size: 20 }),
    getJob: async () => null,
    retry: async () => undefined,
  };
}

describe('toQueueAdapter', () => {
  let bullQueue: Bull.Queue;
  let bullmqQueue: BullMQQueue;

  beforeAll(() => {
    bullQueue = new Bull('emails', { redis: redisOptions(), prefix: PREFIX });
    bullQueue.on('error', noop);
    bullmqQueue = new BullMQQueue('billing', { connection: redisOptions(), prefix: PREFIX });
    bullmqQueue.on('error', noop);
  });

  afterAll(async () => {
    await bullQueue.close();
    await bullmqQueue.close();
  });

  it('wraps a Bull queue in the Bull adapter and a BullMQ queue in the BullMQ adapter', async () => {
    const bull = toQueueAdapter(bullQueue, 0);
    const bullmq = toQueueAdapter(bullmqQueue, 1);
    expect(bull).toBeInstanceOf(BullQueueAdapter);
    expect(bullmq).toBeInstanceOf(BullMQQueueAdapter);
    expect([bull.name, bullmq.name]).toEqual(['emails', 'billing']);
    expect(await bull.counts()).toEqual(emptyCounts());
    expect(await bullmq.counts()).toEqual(emptyCounts());
  });

  it('passes adapter options (timeout, redaction) to the adapters it creates', async () => {
    const adapter = toQueueAdapter(bullmqQueue, 0, { timeoutMs: 500, redact: false });
    expect(adapter).toBeInstanceOf(BullMQQueueAdapter);
    const explicit = new BullQueueAdapter(bullQueue, { name: 'emails-eu' });
    expect(toQueueAdapter(explicit, 0)).toBe(explicit);
    expect(explicit.name).toBe('emails-eu');
  });

  it("completes a hand-written adapter object with the base class's defaults", async () => {
    const adapter = toQueueAdapter(handWrittenAdapter(), 2);
    expect(adapter.name).toBe('sqs-emails');
    expect(adapter.supports('retry')).toBe(true);
    expect(adapter.supports('retryAllFailed')).toBe(true);
    expect(adapter.supports('pause')).toBe(false);
    expect(await adapter.isPaused()).toBe(false);
    await expect(adapter.pause()).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    expect(await adapter.findJobs({ field: 'teamId', value: 1 })).toEqual({ jobs: [], scanned: 0, complete: true });
  });

  it('names the entry and describes a plain object', () => {
    expect(errorOf(() => toQueueAdapter({ host: 'localhost', port: 6379 } as unknown as QueueInput, 1)).message).toBe(
      'express-backstage: options.queues[1] is not a Bull or BullMQ queue, got a plain object with keys host, port. ' +
        "Pass a queue instance (new Queue('emails') from 'bull' or 'bullmq') or an object implementing QueueAdapter",
    );
  });

  it.each([
    ['emails', 'got a string ("emails")'],
    [undefined, 'got undefined'],
    [null, 'got null'],
    [42, 'got number 42'],
    [[], 'got an array of 0'],
    [Promise.resolve(1), 'got a Promise; await it first'],
    [new (class Mailer {})(), 'got an instance of Mailer with no keys'],
  ])('describes %p', (value, expected) => {
    const err = errorOf(() => toQueueAdapter(value as unknown as QueueInput, 3));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain(`express-backstage: options.queues[3] is not a Bull or BullMQ queue, ${expected}`);
  });

  it('spots the classic slip of passing the Queue class itself', () => {
    expect(errorOf(() => toQueueAdapter(Bull as unknown as QueueInput, 0)).message).toMatch(
      /options\.queues\[0\] is not a Bull or BullMQ queue, got a function \(\w+\); did you pass the Queue class instead of an instance\?/,
    );
  });

  it('spots a BullMQ Worker passed instead of its Queue', async () => {
    const worker = new BullMQWorker('billing', async () => undefined, { connection: redisOptions(), prefix: PREFIX, autorun: false });
    worker.on('error', noop);
    try {
      expect(errorOf(() => toQueueAdapter(worker as unknown as QueueInput, 4)).message).toContain(
        'options.queues[4] is not a Bull or BullMQ queue, got a BullMQ Worker rather than a Queue; pass the Queue instance',
      );
    } finally {
      await worker.close();
    }
  });

  it('says what a half-written adapter lacks', () => {
    const partial = { name: 'half', counts: async () => emptyCounts() };
    expect(errorOf(() => toQueueAdapter(partial as unknown as QueueInput, 5)).message).toBe(
      'express-backstage: options.queues[5] looks like a queue adapter but lacks listJobs(), getJob(); see the QueueAdapter interface',
    );
  });

  it('says "the queue" when no index is given', () => {
    expect(errorOf(() => toQueueAdapter({} as QueueInput)).message).toMatch(/^express-backstage: the queue is not a Bull or BullMQ queue, got a plain object with no keys/);
  });
});

describe('adapter constructors check what they are given', () => {
  let bullQueue: Bull.Queue;
  let bullmqQueue: BullMQQueue;

  beforeAll(() => {
    bullQueue = new Bull('emails', { redis: redisOptions(), prefix: PREFIX });
    bullQueue.on('error', noop);
    bullmqQueue = new BullMQQueue('billing', { connection: redisOptions(), prefix: PREFIX });
    bullmqQueue.on('error', noop);
  });

  afterAll(async () => {
    await bullQueue.close();
    await bullmqQueue.close();
  });

  it('says so when a BullMQ queue is given to the Bull adapter', () => {
    expect(errorOf(() => new BullQueueAdapter(bullmqQueue as never)).message).toBe(
      'express-backstage: BullQueueAdapter was given a BullMQ queue ("billing"); use BullMQQueueAdapter, ' +
        'or pass the queue itself in options.queues and backstage picks the adapter',
    );
  });

  it('says so when a Bull queue is given to the BullMQ adapter', () => {
    expect(errorOf(() => new BullMQQueueAdapter(bullQueue as never)).message).toBe(
      'express-backstage: BullMQQueueAdapter was given a Bull queue ("emails"); use BullQueueAdapter, ' +
        'or pass the queue itself in options.queues and backstage picks the adapter',
    );
  });

  it('describes anything else', () => {
    expect(errorOf(() => new BullQueueAdapter({ name: 'x' } as never)).message).toBe(
      "express-backstage: BullQueueAdapter expects a Bull queue (new Queue(name) from 'bull'), got a plain object with keys name",
    );
  });

  it('checks its options', () => {
    expect(errorOf(() => new BullQueueAdapter(bullQueue, { timeoutMs: 0 })).message).toBe(
      'express-backstage: BullQueueAdapter: options.timeoutMs must be a positive number of milliseconds, got 0',
    );
    expect(errorOf(() => new BullMQQueueAdapter(bullmqQueue, { name: '' })).message).toMatch(/options\.name must be a non-empty string/);
    expect(errorOf(() => new BullMQQueueAdapter(bullmqQueue, { redact: true as never })).message).toMatch(
      /options\.redact must be false or a function/,
    );
  });
});

describe('toQueueAdapters', () => {
  it('requires an array', () => {
    expect(errorOf(() => toQueueAdapters({ emails: 1 })).message).toBe(
      'express-backstage: options.queues must be an array of Bull or BullMQ queues, got a plain object with keys emails',
    );
  });

  it('refuses two queues with the same name, since pages are addressed by name', () => {
    const err = errorOf(() => toQueueAdapters([handWrittenAdapter('emails'), handWrittenAdapter('billing'), handWrittenAdapter('emails')]));
    expect(err.message).toMatch(/^express-backstage: options\.queues\[2\] and options\.queues\[0\] are both named "emails"/);
  });

  it('wraps every entry, naming the bad one', () => {
    expect(toQueueAdapters([handWrittenAdapter('a'), handWrittenAdapter('b')]).map((a) => a.name)).toEqual(['a', 'b']);
    expect(errorOf(() => toQueueAdapters([handWrittenAdapter('a'), 'b'])).message).toMatch(/options\.queues\[1\] is not a Bull or BullMQ queue/);
  });
});
