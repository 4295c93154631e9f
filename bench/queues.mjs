// Queue pages at scale: a Bull queue seeded with 10k, 100k and 1,000,000 jobs
// (99% completed, 1% failed), written straight into Bull's Redis structures with
// pipelined commands (job hashes + the completed/failed sorted sets + the id
// counter, the shape Bull's own moveToFinished leaves), checked by reading
// them back through Bull, then:
//   - our pages' server time over HTTP on loopback (overview, a failed-jobs
//     page at 90% depth, a completed-jobs page at 90% depth, a job page, a
//     bounded data search over the failed jobs);
//   - the same reads through our adapter in-process (no HTTP, no rendering);
//   - the naive alternative, in-process: the Bull calls bull-board's API makes
//     for the same views on each poll (getJobCounts + isPaused [+ getJobs];
//     getJob + getState + getJobLogs), awaited one after another as it does.
// bull-board itself is not installed here, so it is not measured.
//
//   npm run build && node bench/queues.mjs            (REDIS_URL, SIZES=10000,100000,1000000, RUNS=50, ROUNDS=3)
import Bull from 'bull';
import Redis from 'ioredis';
import { createAdmin, BullQueueAdapter } from '../dist/index.js';
import { seed, unseed, verify } from './bull-seed.mjs';
import { ms, request, signedInConsole, summary, timeRequests } from './lib.mjs';

const REDIS_URL = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIZES = (process.env.SIZES ?? '10000,100000,1000000').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PREFIX = `bs-bench-queues-${process.pid}`;
const PAGE = 20;

const redis = new Redis(REDIS_URL);

/** Times an in-process call `RUNS` times after 5 warm-up runs. */
async function timeCalls(fn, runs = RUNS) {
  const samples = [];
  for (let i = 0; i < runs + 5; i++) {
    const started = process.hrtime.bigint();
    await fn();
    if (i >= 5) samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return summary(samples);
}

const consoleFor = (queue) => signedInConsole(createAdmin, { queues: [queue] });

const table = [];
for (const size of SIZES) {
  const name = `bench-${size}`;
  const queue = new Bull(name, REDIS_URL, { prefix: PREFIX });
  queue.on('error', () => undefined);
  await unseed(redis, queue, size);
  const { seconds, detail } = await seed(redis, queue, size);
  await verify(queue, size, detail);
  console.error(`seeded ${size.toLocaleString('en-US')} jobs in ${seconds.toFixed(1)} s; Bull reads them back`);

  const failed = Math.floor(size / 100);
  const failedPage = Math.max(1, Math.floor((failed / PAGE) * 0.9));
  const completedPage = Math.max(1, Math.floor(((size - failed) / PAGE) * 0.9));
  const adapter = new BullQueueAdapter(queue);
  const app = await consoleFor(queue);
  const q = `/admin/dev/queues/${encodeURIComponent(name)}`;

  const check = await request(app.base, `${q}?state=failed&page=${failedPage}`, { cookie: app.cookie });
  if (check.status !== 200 || !check.body.includes('SMTP 451')) throw new Error(`failed page answered ${check.status}`);
  const detailPage = await request(app.base, `${q}/jobs/${detail}`, { cookie: app.cookie });
  if (!detailPage.body.includes('RCPT TO refused')) throw new Error('job page without its logs');

  const rows = [
    {
      view: 'overview (/dev/queues)',
      page: () => timeRequests(app.base, '/admin/dev/queues', { cookie: app.cookie, runs: RUNS }),
      adapter: () => timeCalls(() => Promise.all([adapter.counts(), adapter.isPaused()])),
      naive: () =>
        timeCalls(async () => {
          await queue.getJobCounts();
          await queue.isPaused();
        }),
      naiveWhat: 'getJobCounts(); isPaused()',
    },
    {
      view: `failed jobs, page ${failedPage.toLocaleString('en-US')} of ${Math.ceil(failed / PAGE).toLocaleString('en-US')} (90% deep)`,
      page: () => timeRequests(app.base, `${q}?state=failed&page=${failedPage}`, { cookie: app.cookie, runs: RUNS }),
      adapter: () => timeCalls(() => adapter.listJobs('failed', { start: (failedPage - 1) * PAGE, size: PAGE })),
      naive: () =>
        timeCalls(async () => {
          await queue.getJobCounts();
          await queue.isPaused();
          await queue.getJobs(['failed'], (failedPage - 1) * PAGE, failedPage * PAGE - 1);
        }),
      naiveWhat: "getJobCounts(); isPaused(); getJobs(['failed'], start, end)",
    },
    {
      view: `completed jobs, page ${completedPage.toLocaleString('en-US')} (90% deep)`,
      page: () => timeRequests(app.base, `${q}?state=completed&page=${completedPage}`, { cookie: app.cookie, runs: RUNS }),
      adapter: () => timeCalls(() => adapter.listJobs('completed', { start: (completedPage - 1) * PAGE, size: PAGE })),
      naive: () =>
        timeCalls(async () => {
          await queue.getJobCounts();
          await queue.isPaused();
          await queue.getJobs(['completed'], (completedPage - 1) * PAGE, completedPage * PAGE - 1);
        }),
      naiveWhat: "getJobCounts(); isPaused(); getJobs(['completed'], start, end)",
    },
    {
      view: 'job page (failed, stack, 3 log lines)',
      page: () => timeRequests(app.base, `${q}/jobs/${detail}`, { cookie: app.cookie, runs: RUNS }),
      adapter: () => timeCalls(() => Promise.all([adapter.getJob(String(detail)), adapter.jobLogs(String(detail))])),
      naive: () =>
        timeCalls(async () => {
          const job = await queue.getJob(String(detail));
          await job.getState();
          await queue.getJobLogs(String(detail));
        }),
      naiveWhat: 'getJob(id); job.getState(); getJobLogs(id)',
    },
    {
      view: `search failed by teamId (scans ${failed.toLocaleString('en-US')} failed jobs)`,
      page: () => timeRequests(app.base, `${q}?field=teamId&op=eq&value=4200&states=failed`, { cookie: app.cookie, runs: Math.min(RUNS, 20), warmup: 2 }),
      adapter: () => timeCalls(() => adapter.findJobs({ field: 'teamId', value: 4200, states: ['failed'], scanLimit: 10_000 }), Math.min(RUNS, 20)),
      naive: null,
      naiveWhat: '(no equivalent: bull-board has no data search)',
    },
  ];
  // The machine is shared: each figure is the round (of ROUNDS) with the lowest p50, ours and the naive calls measured side by side.
  const best = rows.map(() => ({ ours: null, adapterCall: null, naive: null }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, r] of rows.entries()) {
      for (const [key, fn] of [['ours', r.page], ['adapterCall', r.adapter], ['naive', r.naive]]) {
        if (!fn) continue;
        const s = await fn();
        if (!best[i][key] || s.p50 < best[i][key].p50) best[i][key] = s;
      }
    }
  }
  rows.forEach((r, i) => table.push({ size, view: r.view, naiveWhat: r.naiveWhat, ...best[i] }));

  await app.close();
  await unseed(redis, queue, size);
  await queue.close();
}

console.log(`\nQueue pages on a Bull queue (99% completed, 1% failed), Redis at ${REDIS_URL.replace(/\/\/[^@]*@/, '//')}, p50 / p95 of ${RUNS} runs after warm-up (20 for searches), best of ${ROUNDS} rounds.`);
console.log('"page" = our HTTP page, loopback, keep-alive (role gate, session, EJS); "adapter" = our adapter calls in-process;');
console.log('"naive" = the Bull calls bull-board\'s API makes for the same view on each poll, in-process, awaited in turn (bull-board itself not installed).\n');
console.log('| jobs | view | page p50 | page p95 | adapter p50 | adapter p95 | naive p50 | naive p95 | naive calls |');
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---|');
for (const r of table) {
  console.log(
    `| ${r.size.toLocaleString('en-US')} | ${r.view} | ${ms(r.ours.p50)} | ${ms(r.ours.p95)} | ${ms(r.adapterCall.p50)} | ${ms(r.adapterCall.p95)} | ${r.naive ? ms(r.naive.p50) : '—'} | ${r.naive ? ms(r.naive.p95) : '—'} | ${r.naiveWhat} |`,
  );
}
redis.disconnect();
process.exit(0);
