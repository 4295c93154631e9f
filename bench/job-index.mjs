// The job index at scale: a Bull queue seeded with 100k and 1,000,000 finished
// jobs (99% completed, 1% failed; teamId = id % 5000, so 20 or 200 jobs per
// team) with bench/bull-seed.mjs's pipelined seeder, then:
//   - the backfill: every job walked 1,000 ids per step with the default pause
//     between steps (PAUSE_MS, default 50), reported as jobs per second, with
//     and without the pauses;
//   - one team's jobs as the user/team pages read them (jobsForLinks, in
//     process): from the index (ZREVRANGE + the jobs fetched), and, with the
//     index switched off, the bounded scan the pages fall back to (2,000
//     newest jobs per queue: fast but incomplete);
//   - the full scan of job data for that team through the adapter (its
//     maximum scanLimit, 100,000 jobs; at 1M the figure is that part of it).
//
//   npx tsc -p tsconfig.build.json --outDir /tmp/bs-dist && BS_DIST=/tmp/bs-dist node bench/job-index.mjs
//   (or npm run build && node bench/job-index.mjs; REDIS_URL, SIZES=100000,1000000, RUNS=30, PAUSE_MS=50)
import Bull from 'bull';
import Redis from 'ioredis';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { seed, unseed, verify } from './bull-seed.mjs';
import { summary } from './lib.mjs';

const DIST = process.env.BS_DIST ? path.resolve(process.env.BS_DIST) : path.resolve(import.meta.dirname, '../dist');
const load = (file) => import(pathToFileURL(path.join(DIST, file)).href);
const { BullQueueAdapter } = await load('queues/bull-queue-adapter.js');
const { startJobIndexes } = await load('queues/job-index.js');
const { jobsForLinks, searchByIndex } = await load('pages/queues/queries.js');

const REDIS_URL = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIZES = (process.env.SIZES ?? '100000,1000000').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 30);
const PAUSE_MS = Number(process.env.PAUSE_MS ?? 50);
const PREFIX = `bs-bench-job-index-${process.pid}`;
const TEAM = '42';

const redis = new Redis(REDIS_URL);

async function timeCalls(fn, runs = RUNS) {
  const samples = [];
  for (let i = 0; i < runs + 3; i++) {
    const started = process.hrtime.bigint();
    await fn();
    if (i >= 3) samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return summary(samples);
}

const fmt = (s) => `median ${s.p50.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms`;
const rows = [];
for (const size of SIZES) {
  const name = `bench-index-${size}`;
  const queue = new Bull(name, REDIS_URL, { prefix: PREFIX });
  queue.on('error', () => undefined);
  await unseed(redis, queue, size);
  const { seconds, detail } = await seed(redis, queue, size);
  await verify(queue, size, detail);
  console.error(`seeded ${size.toLocaleString('en-US')} jobs in ${seconds.toFixed(1)} s`);

  const adapter = new BullQueueAdapter(queue, { timeoutMs: 60_000 });
  const links = { team: 'teamId', user: null };
  const ctx = { options: { jobLinks: links }, queues: [adapter] };

  // The scan the pages fall back to, before anything is indexed.
  const bounded = await timeCalls(() => jobsForLinks(ctx, { team: TEAM }));
  const boundedFound = (await jobsForLinks(ctx, { team: TEAM })).jobs.length;
  const fullScan = await timeCalls(() => adapter.findJobsByLinks({ teamId: TEAM }, { scanLimit: 100_000, limit: 1000 }), 3);
  const fullFound = (await adapter.findJobsByLinks({ teamId: TEAM }, { scanLimit: 100_000, limit: 1000 })).jobs.length;

  const indexes = startJobIndexes([adapter], links, { pauseMs: PAUSE_MS, timeoutMs: 60_000 });
  const [index] = indexes.indexes;
  const started = Date.now();
  if ((await index.startBackfill()) !== 'started') throw new Error('backfill did not start');
  await index.whenBackfilled();
  const backfillSeconds = (Date.now() - started) / 1000;
  const progress = await index.progress();
  if (progress.status !== 'done' || progress.indexed !== size) throw new Error(`backfill ended ${JSON.stringify(progress)}`);
  const steps = Math.ceil((size - Math.floor(size / 100)) / 1000) + Math.ceil(Math.floor(size / 100) / 1000);
  const working = backfillSeconds - (steps * PAUSE_MS) / 1000;
  console.error(`backfill: ${size.toLocaleString('en-US')} jobs in ${backfillSeconds.toFixed(1)} s`);

  const fromIndex = await timeCalls(() => jobsForLinks(ctx, { team: TEAM }));
  const linked = await jobsForLinks(ctx, { team: TEAM });
  if (linked.indexedQueues.length !== 1) throw new Error('the index was not used');
  const lookupOnly = await timeCalls(() => index.lookup('team', TEAM, 200));
  // The queue page's "teamId equals 42" search, answered from the index (failed and completed, 100 shown at most).
  const search = await timeCalls(() => searchByIndex(adapter, 'team', TEAM, ['failed', 'completed'], 100));
  const searched = await searchByIndex(adapter, 'team', TEAM, ['failed', 'completed'], 100);

  rows.push({
    size,
    backfill: `${backfillSeconds.toFixed(1)} s (${Math.round(size / backfillSeconds).toLocaleString('en-US')} jobs/s; ${Math.round(size / Math.max(working, 0.001)).toLocaleString('en-US')} jobs/s without the ${PAUSE_MS} ms pauses, ${steps} steps)`,
    fromIndex: `${fmt(fromIndex)} (${linked.jobs.length} shown of ${(await redis.zcard(queue.toKey(`idx:team:${TEAM}`))).toLocaleString('en-US')} indexed; ZREVRANGE alone ${fmt(lookupOnly)})`,
    bounded: `${fmt(bounded)} (found ${boundedFound}; reads only the newest 2,000 jobs)`,
    search: `${fmt(search)} (${searched.jobs.length} shown, ${searched.entries} indexed, failed first: ${searched.jobs[0]?.state})`,
    fullScan: `${fmt(fullScan)} over ${Math.min(size, 100_000).toLocaleString('en-US')} jobs (found ${fullFound})`,
  });

  await indexes.close();
  const idx = await redis.keys(`${PREFIX}:${name}:idx:*`);
  for (let i = 0; i < idx.length; i += 1000) await redis.unlink(...idx.slice(i, i + 1000));
  await unseed(redis, queue, size);
  await queue.close();
}

for (const row of rows) {
  console.log(`\n## ${row.size.toLocaleString('en-US')} jobs`);
  console.log(`- backfill: ${row.backfill}`);
  console.log(`- team ${TEAM} from the index (jobsForLinks): ${row.fromIndex}`);
  console.log(`- team ${TEAM} by the pages' bounded scan: ${row.bounded}`);
  console.log(`- the queue page's search teamId = ${TEAM} (failed, completed) from the index: ${row.search}`);
  console.log(`- team ${TEAM} by scanning job data: ${row.fullScan}`);
}
await redis.quit();
