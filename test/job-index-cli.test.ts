/**
 * `express-backstage index-jobs`: engineering backfills the job index of a big
 * queue from a terminal, and the team's old jobs are found by the index.
 */
import Bull from 'bull';
import { Queue as BullMQQueue } from 'bullmq';
import Redis from 'ioredis';
import { runCli } from '../src/cli';
import { REDIS_URL, redisOptions, uniquePrefix } from './queues/helpers/queue-fixtures';

const PREFIX = uniquePrefix('job-index-cli');
let redis: Redis;

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(args, (line) => lines.push(line), { cwd: process.cwd(), env: {} });
  return { code, out: lines.join('\n') };
}

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.unlink(...keys);
  await redis.quit();
});

it('indexes every job of a Bull queue and of a BullMQ queue, by team and user', async () => {
  const bull = new Bull('cli-bull', { redis: redisOptions(), prefix: PREFIX });
  const bullmq = new BullMQQueue('cli-bullmq', { connection: redisOptions(), prefix: PREFIX });
  try {
    const a = await bull.add({ teamId: 7, userId: 'u1' });
    const b = await bull.add({ teamId: 8 }, { delay: 60_000 });
    const c = await bullmq.add('x', { meta: { team: 7 } });
    expect((await cli(['index-jobs', '--redis', REDIS_URL, '--queue', 'cli-bull', '--prefix', PREFIX, '--pause', '0'])).out).toContain('Indexed 2 jobs of "cli-bull"');
    expect(await redis.zrange(`${PREFIX}:cli-bull:idx:team:7`, '0', '-1')).toEqual([String(a.id)]);
    expect(await redis.zrange(`${PREFIX}:cli-bull:idx:team:8`, '0', '-1')).toEqual([String(b.id)]);
    expect(await redis.zrange(`${PREFIX}:cli-bull:idx:user:u1`, '0', '-1')).toEqual([String(a.id)]);

    const run = await cli(['index-jobs', '--redis', REDIS_URL, '--queue', 'cli-bullmq', '--prefix', PREFIX, '--link', 'team=meta.team']);
    expect(run.code).toBe(0);
    expect(await redis.zrange(`${PREFIX}:cli-bullmq:idx:team:7`, '0', '-1')).toEqual([String(c.id)]);
  } finally {
    await bull.close();
    await bullmq.close();
  }
}, 20_000);

it('says what is missing or wrong on the command line', async () => {
  expect(await cli(['index-jobs', '--queue', 'q'])).toMatchObject({ code: 2, out: expect.stringContaining('--redis <url> is required') });
  expect(await cli(['index-jobs', '--redis', REDIS_URL, '--queue', 'q', '--link', 'org=orgId'])).toMatchObject({ code: 2, out: expect.stringContaining('--link must be user=<path> or team=<path>') });
});
