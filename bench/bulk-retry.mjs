// Bulk actions at scale (issue 10 target: "retry-all over 100,000 failed jobs
// completes with no single Redis command over 10 ms, the console responsive
// meanwhile"). For a Bull queue (and a BullMQ one with --bullmq):
//   1. SIZE failed jobs written straight into the library's Redis structures
//      (job hash + the failed sorted set + the id counter, the shape the
//      library leaves after the last attempt fails), read back through the
//      library; then "Retry all failed" started over HTTP as a signed-in
//      superuser, exactly as the confirmation page posts it;
//   2. SIZE completed jobs finished two days ago, then "Clean completed older
//      than 1 hour" the same way (the library's clean, LIMIT 1,000 per batch).
// Around each run: SLOWLOG at 1 ms (every command over 1 ms is logged; the
// config is restored afterwards), INFO commandstats before and after, the
// progress events on the SSE `bulk` topic, and the console's latency while it
// runs: the queue page, the overview and the run's progress page requested one
// after another in a loop, compared with the same loop just before the run.
//
// 3. (what-if, CLEAN_WHATIF=250) the same clean through the adapter in process
//    with a smaller batch, to show what a smaller LIMIT per clean script gives.
//
//   npm run build && node bench/bulk-retry.mjs [--bullmq]
//   (REDIS_URL, SIZE=100000, CLEAN=0 to skip the cleans, CLEAN_WHATIF=250 (0 skips it), BASELINE_S=5)
// Redis is shared with other runs: SLOWLOG entries are split into ours (an
// argument carries this run's key prefix) and others'; the commandstats deltas
// are server-wide, so the idle rate and the page loop's own commands are
// measured before the run and subtracted.
import Bull from 'bull';
import { Queue as QueueMQ } from 'bullmq';
import Redis from 'ioredis';
import { BullMQQueueAdapter, BullQueueAdapter, createAdmin } from '../dist/index.js';
import { percentile, readLiveStream, request, signedInConsole } from './lib.mjs';

const REDIS_URL = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIZE = Number(process.env.SIZE ?? 100_000);
const WITH_CLEAN = process.env.CLEAN !== '0';
const BASELINE_S = Number(process.env.BASELINE_S ?? 5);
/** Also clean through the adapter in process with this batch size (what a smaller clean LIMIT would give); 0 skips it. */
const CLEAN_WHATIF = Number(process.env.CLEAN_WHATIF ?? 250);
const LIBS = process.argv.includes('--bullmq') || process.env.BULLMQ === '1' ? ['bull', 'bullmq'] : ['bull'];
const PREFIX = `bs-bench-bulk-${process.pid}`;
const CHUNK = 5000;
const DAY = 86_400_000;

const redis = new Redis(REDIS_URL);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- seeding

const STACK = 'Error: SMTP 451 4.7.1 temporary failure, try again later (bench)\n    at sendInvitation (/app/src/jobs/send-invitation.js:42:11)';

/** Job `id` as the library leaves it once finished (failed after 3 attempts, or completed). */
function jobFields(lib, id, finished, failed) {
  const created = finished - 5;
  const fields = {
    name: lib === 'bull' ? '__default__' : 'send-invitation',
    data: JSON.stringify({ type: 'send-invitation', invitationId: id, teamId: id % 5000, userId: id % 20000, email: `user${id}@example.test` }),
    opts: JSON.stringify({ attempts: 3, backoff: { type: 'exponential', delay: 1000 }, delay: 0, ...(lib === 'bull' ? { timestamp: created } : {}) }),
    timestamp: String(created),
    delay: '0',
    priority: '0',
    processedOn: String(created + 3),
    finishedOn: String(finished),
  };
  if (lib === 'bull') fields.attemptsMade = failed ? '3' : '1';
  else Object.assign(fields, { atm: failed ? '3' : '1', ats: failed ? '3' : '1' });
  if (failed) Object.assign(fields, { failedReason: 'SMTP 451 4.7.1 temporary failure, try again later (bench)', stacktrace: JSON.stringify([STACK]) });
  else fields.returnvalue = JSON.stringify({ messageId: `<${id}@mail.example.test>` });
  return fields;
}

async function seed(lib, key, size, state, finishedFrom) {
  const started = Date.now();
  for (let from = 1; from <= size; from += CHUNK) {
    const pipe = redis.pipeline();
    for (let id = from; id < Math.min(from + CHUNK, size + 1); id++) {
      const finished = finishedFrom + id * 10;
      pipe.hset(key(String(id)), jobFields(lib, id, finished, state === 'failed'));
      pipe.zadd(key(state), finished, String(id));
    }
    await pipe.exec();
  }
  await redis.set(key('id'), String(size));
  return (Date.now() - started) / 1000;
}

/** The library must see real finished jobs, or the run below means nothing. */
async function verifySeed(queue, size, state) {
  const counts = await queue.getJobCounts();
  if (counts[state] !== size) throw new Error(`${state} count read back ${counts[state]}, expected ${size}`);
  const job = await queue.getJob(String(Math.ceil(size / 2)));
  if (!job || (await job.getState()) !== state || job.attemptsMade !== (state === 'failed' ? 3 : 1) || job.data.invitationId !== Math.ceil(size / 2)) {
    throw new Error(`job ${Math.ceil(size / 2)} read back wrong: ${JSON.stringify(job && job.toJSON())}`);
  }
}

function openQueue(lib, name) {
  if (lib === 'bull') {
    const queue = new Bull(name, REDIS_URL, { prefix: PREFIX });
    queue.on('error', () => undefined);
    return queue;
  }
  const url = new URL(REDIS_URL);
  return new QueueMQ(name, { prefix: PREFIX, connection: { host: url.hostname, port: Number(url.port || 6379), password: url.password || undefined, db: Number(url.pathname.slice(1) || 0) } });
}

// ---------------------------------------------------------------- the console

// A cap above SIZE: the second confirmation (type the number) is tested elsewhere; here it would only add a request.
const consoleFor = (queues) => signedInConsole(createAdmin, { queues, queueBulkCap: SIZE * 10 });

/** The `bulk` topic as a progress page receives it; keeps the last view of each run and counts the events. */
async function watchBulk(base, cookie) {
  const state = { events: 0, runs: new Map() };
  const stream = await readLiveStream(base, cookie, 'bulk', (view) => {
    state.events++;
    state.runs.set(view.id, view);
  });
  state.close = stream.close;
  return state;
}

// ---------------------------------------------------------------- Redis figures

async function commandstats() {
  const text = await redis.info('commandstats');
  const calls = {};
  for (const line of text.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m) calls[m[1]] = Number(m[2]);
  }
  return calls;
}

function delta(before, after) {
  const out = {};
  for (const [cmd, n] of Object.entries(after)) {
    const d = n - (before[cmd] ?? 0);
    if (d > 0) out[cmd] = d;
  }
  return out;
}

const sum = (calls) => Object.values(calls).reduce((a, b) => a + b, 0);
const calls = (calls, ignore = []) => Object.fromEntries(Object.entries(calls).filter(([cmd]) => !ignore.includes(cmd)));

/** SLOWLOG GET: [id, unix seconds, microseconds, argv, client address, client name]. */
async function slowlog() {
  const entries = await redis.slowlog('GET', 10_000);
  const ours = [];
  const others = [];
  for (const [, , micros, argv] of entries) {
    // The SLOWLOG/INFO/CONFIG calls this script makes itself are not the run's.
    if (/^(slowlog|info|config)$/i.test(String(argv[0]))) continue;
    const entry = { us: Number(micros), argv: argv.map(String) };
    (entry.argv.some((a) => a.includes(PREFIX)) ? ours : others).push(entry);
  }
  return { ours, others };
}

/** EVALSHA's argv is a hash: name it by the library script whose keys it touches. */
function describeCommand(entry) {
  const [cmd, ...rest] = entry.argv;
  const keys = rest.filter((a) => a.includes(PREFIX)).map((a) => a.slice(PREFIX.length + 1));
  return `${cmd.toUpperCase()} ${keys.slice(0, 3).join(' ')}${keys.length > 3 ? ' …' : ''}`.trim();
}

// ---------------------------------------------------------------- the console's latency

/** Requests `paths` one after another until `done()` (or for `seconds`); latencies per path. */
async function pageLoop(app, paths, { seconds = null, done = null }) {
  const samples = Object.fromEntries(paths.map((p) => [p, []]));
  const until = seconds ? Date.now() + seconds * 1000 : Infinity;
  let rounds = 0;
  let finished = false;
  while (!finished && Date.now() < until) {
    rounds++;
    for (const p of paths) {
      const res = await request(app.base, p, { cookie: app.cookie });
      if (res.status !== 200) throw new Error(`${p} answered ${res.status}: ${res.body.slice(0, 300)}`);
      samples[p].push(res.ms);
      if (done && done(p, res)) finished = true;
    }
  }
  return { samples, rounds };
}

const lat = (s) => (s.length ? `${percentile(s, 50).toFixed(1)} / ${percentile(s, 95).toFixed(1)} / ${Math.max(...s).toFixed(1)} ms` : '—');

// ---------------------------------------------------------------- one bulk run

async function measureRun({ lib, label, queueName, app, post, verify }) {
  const q = `/admin/dev/queues/${encodeURIComponent(queueName)}`;
  const loopPaths = [q, '/admin/dev/queues'];

  // Before: the idle command rate of the server (others' runs included), then the page loop alone.
  const idle0 = await commandstats();
  await sleep(2000);
  const idleRate = sum(delta(idle0, await commandstats())) / 2; // per second, includes our INFO calls
  const loop0 = await commandstats();
  const loopStarted = Date.now();
  const before = await pageLoop(app, loopPaths, { seconds: BASELINE_S });
  const loopSeconds = (Date.now() - loopStarted) / 1000;
  const perRound = Math.max(0, (sum(delta(loop0, await commandstats())) - idleRate * loopSeconds) / before.rounds);

  const bulk = await watchBulk(app.base, app.cookie);
  await sleep(200);
  await redis.slowlog('RESET');
  const stats0 = await commandstats();
  const started = Date.now();
  const res = await request(app.base, `${q}/${post.path}`, { method: 'POST', cookie: app.cookie, body: new URLSearchParams({ _csrf: app.csrf, ...post.body }).toString() });
  if (res.status !== 303 || !/\/runs\//.test(res.headers.location ?? '')) throw new Error(`${post.path} answered ${res.status}: ${res.body.slice(0, 400)}`);
  const runPath = new URL(res.headers.location, app.base).pathname;
  const runId = decodeURIComponent(runPath.split('/').pop());
  const during = await pageLoop(app, [...loopPaths, runPath], { done: (p, r) => p === runPath && r.body.includes('with these counts') });
  const seenEnded = Date.now();
  const stats1 = await commandstats();
  const slow = await slowlog();
  await sleep(300);
  bulk.close();

  const view = bulk.runs.get(runId);
  if (!view || view.status !== 'done' || view.audit !== 'written') throw new Error(`run ended ${JSON.stringify(view)}`);
  if (view.done !== SIZE || view.skipped !== 0 || view.complete !== true) throw new Error(`run counts wrong: ${JSON.stringify(view)}`);
  await verify();

  const seconds = (view.finishedAt - view.startedAt) / 1000;
  const d = delta(stats0, stats1);
  const windowSeconds = (seenEnded - started) / 1000;
  const noise = idleRate * windowSeconds + perRound * during.rounds;
  const runCommands = sum(d) - noise;
  const top = Object.entries(calls(d, ['info', 'slowlog', 'config|set', 'config|get']))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([cmd, n]) => `${cmd} ${(n / SIZE).toFixed(2)}`)
    .join(', ');
  const ours = slow.ours.sort((a, b) => b.us - a.us);
  const overMs = (list, ms) => list.filter((e) => e.us > ms * 1000).length;
  const byCommand = {};
  for (const e of ours) {
    const k = describeCommand(e).split(' ')[0];
    byCommand[k] = byCommand[k] ?? [];
    byCommand[k].push(e.us / 1000);
  }
  return {
    lib,
    label,
    seconds,
    jobsPerSecond: SIZE / seconds,
    batches: view.batches,
    events: bulk.events,
    slowest: ours[0] ? `${(ours[0].us / 1000).toFixed(2)} ms (${describeCommand(ours[0])})` : 'none over 1 ms',
    over10: overMs(ours, 10),
    over1: overMs(ours, 1),
    others: slow.others.length ? `${slow.others.length} (slowest ${(Math.max(...slow.others.map((e) => e.us)) / 1000).toFixed(2)} ms, ${slow.others[0].argv[0]})` : '0',
    byCommand: Object.entries(byCommand)
      .map(([cmd, list]) => `${cmd}: ${list.length} over 1 ms, median ${percentile(list, 50).toFixed(2)} ms, max ${Math.max(...list).toFixed(2)} ms`)
      .join('; '),
    commandsPerJob: runCommands / SIZE,
    top,
    noise: `${Math.round(idleRate)} cmd/s idle on the server, ${perRound.toFixed(1)} cmd per page-loop round × ${during.rounds} rounds subtracted`,
    before: before.samples,
    during: during.samples,
    runPath,
    loopPaths,
  };
}

// ---------------------------------------------------------------- what-if: a smaller clean batch

async function cleanWhatIf(lib, queue, name) {
  const key = (suffix) => `${PREFIX}:${name}:${suffix}`;
  await seed(lib, key, SIZE, 'completed', Date.now() - 2 * DAY - SIZE * 10);
  await verifySeed(queue, SIZE, 'completed');
  const adapter = lib === 'bull' ? new BullQueueAdapter(queue) : new BullMQQueueAdapter(queue);
  await redis.slowlog('RESET');
  const started = Date.now();
  const result = await adapter.clean('completed', 3_600_000, { batchSize: CLEAN_WHATIF, pauseMs: 25 });
  const seconds = (Date.now() - started) / 1000;
  const slow = await slowlog();
  if (result.removed !== SIZE || (await redis.zcard(key('completed'))) !== 0) throw new Error(`what-if clean removed ${result.removed}`);
  const scripts = slow.ours.filter((e) => /^eval/i.test(e.argv[0])).map((e) => e.us / 1000);
  const ours = slow.ours.sort((a, b) => b.us - a.us);
  return {
    lib,
    label: `clean ${SIZE.toLocaleString('en-US')} completed, adapter in process, batch ${CLEAN_WHATIF}`,
    seconds,
    jobsPerSecond: SIZE / seconds,
    batches: result.batches,
    slowest: ours[0] ? `${(ours[0].us / 1000).toFixed(2)} ms (${describeCommand(ours[0])})` : 'none over 1 ms',
    over10: ours.filter((e) => e.us > 10_000).length,
    over1: ours.filter((e) => e.us > 1000).length,
    scripts: scripts.length ? `${scripts.length} of ${result.batches} clean scripts over 1 ms, median of those ${percentile(scripts, 50).toFixed(2)} ms` : `none of ${result.batches} clean scripts over 1 ms`,
  };
}

// ---------------------------------------------------------------- main

const savedConfig = {};
async function restoreConfig() {
  for (const [k, v] of Object.entries(savedConfig)) await redis.config('SET', k, v);
}

async function unlinkPrefix() {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}

process.on('SIGINT', async () => {
  await restoreConfig();
  await unlinkPrefix();
  process.exit(130);
});

const results = [];
const whatIfs = [];
try {
  for (const key of ['slowlog-log-slower-than', 'slowlog-max-len']) savedConfig[key] = (await redis.config('GET', key))[1];
  await redis.config('SET', 'slowlog-max-len', '10000');
  await redis.config('SET', 'slowlog-log-slower-than', '1000');

  for (const lib of LIBS) {
    const retryName = `${lib}-retry`;
    const cleanName = `${lib}-clean`;
    const retryQueue = openQueue(lib, retryName);
    const cleanQueue = WITH_CLEAN ? openQueue(lib, cleanName) : null;
    const keyOf = (name) => (suffix) => `${PREFIX}:${name}:${suffix}`;

    const seeded = await seed(lib, keyOf(retryName), SIZE, 'failed', Date.now() - 3_600_000 - SIZE * 10);
    await verifySeed(retryQueue, SIZE, 'failed');
    console.error(`${lib}: seeded ${SIZE.toLocaleString('en-US')} failed jobs in ${seeded.toFixed(1)} s; the library reads them back`);
    if (cleanQueue) {
      const s = await seed(lib, keyOf(cleanName), SIZE, 'completed', Date.now() - 2 * DAY - SIZE * 10);
      await verifySeed(cleanQueue, SIZE, 'completed');
      console.error(`${lib}: seeded ${SIZE.toLocaleString('en-US')} completed jobs (two days old) in ${s.toFixed(1)} s`);
    }

    const app = await consoleFor(cleanQueue ? [retryQueue, cleanQueue] : [retryQueue]);
    results.push(
      await measureRun({
        lib,
        label: `retry all ${SIZE.toLocaleString('en-US')} failed`,
        queueName: retryName,
        app,
        post: { path: 'retry-failed', body: { count: String(SIZE), reason: 'bench: SMTP outage over' } },
        verify: async () => {
          const [failed, waiting] = await Promise.all([redis.zcard(keyOf(retryName)('failed')), redis.llen(keyOf(retryName)('wait'))]);
          if (failed !== 0 || waiting !== SIZE) throw new Error(`after the retry: ${failed} failed, ${waiting} waiting`);
          const job = await retryQueue.getJob('1');
          if ((await job.getState()) !== 'waiting' || job.failedReason) throw new Error('job 1 is not waiting after the retry');
        },
      }),
    );
    console.error(`${lib}: retry done`);
    if (cleanQueue) {
      results.push(
        await measureRun({
          lib,
          label: `clean ${SIZE.toLocaleString('en-US')} completed (older than 1 hour)`,
          queueName: cleanName,
          app,
          post: { path: 'clean', body: { state: 'completed', hours: '1', count: String(SIZE), reason: 'bench: housekeeping' } },
          verify: async () => {
            const left = await redis.zcard(keyOf(cleanName)('completed'));
            const hashes = await Promise.all(['1', String(SIZE / 2), String(SIZE)].map((id) => redis.exists(keyOf(cleanName)(id))));
            if (left !== 0 || hashes.some(Boolean)) throw new Error(`after the clean: ${left} completed left, job hashes ${hashes}`);
          },
        }),
      );
      console.error(`${lib}: clean done`);
    }
    await app.close();
    if (cleanQueue && CLEAN_WHATIF > 0) {
      whatIfs.push(await cleanWhatIf(lib, cleanQueue, cleanName));
      console.error(`${lib}: what-if clean done`);
    }
    await retryQueue.close();
    await cleanQueue?.close();
  }
} finally {
  await restoreConfig();
  const n = await unlinkPrefix();
  console.error(`restored slowlog config ${JSON.stringify(savedConfig)}; removed ${n.toLocaleString('en-US')} keys under ${PREFIX}:`);
}

console.log(`\nBulk actions over ${SIZE.toLocaleString('en-US')} jobs through the console (HTTP POST as the confirmation page sends it), Redis ${REDIS_URL.replace(/\/\/[^@]*@/, '//')}, default pause between batches (queueBulkPauseMs 25).`);
console.log('Time and jobs/s from the run itself (startedAt → finishedAt of its last `bulk` event). SLOWLOG threshold 1 ms; "ours" = an argument carries this run\'s key prefix.\n');
console.log('| library | action | time | jobs/s | batches | SSE progress events | slowest Redis command | ours > 10 ms | ours > 1 ms | others\' > 1 ms (shared Redis) | Redis commands / job |');
console.log('|---|---|---:|---:|---:|---:|---|---:|---:|---|---:|');
for (const r of results) {
  console.log(`| ${r.lib} | ${r.label} | ${r.seconds.toFixed(1)} s | ${Math.round(r.jobsPerSecond).toLocaleString('en-US')} | ${r.batches} | ${r.events} | ${r.slowest} | ${r.over10} | ${r.over1} | ${r.others} | ${r.commandsPerJob.toFixed(2)} |`);
}
console.log('\nConsole latency, p50 / p95 / max, sequential requests (loopback, keep-alive): the loop just before the run vs. the same loop while it runs.\n');
console.log('| library | action | page | before | during the run | requests during |');
console.log('|---|---|---|---:|---:|---:|');
for (const r of results) {
  for (const p of [...r.loopPaths, r.runPath]) {
    const name = p === r.runPath ? 'progress page (/runs/:id)' : p === '/admin/dev/queues' ? 'overview (/dev/queues)' : 'queue page (/dev/queues/:name)';
    console.log(`| ${r.lib} | ${r.label} | ${name} | ${lat(r.before[p] ?? [])} | ${lat(r.during[p])} | ${r.during[p].length} |`);
  }
}
if (whatIfs.length) {
  console.log(`\nWhat-if: the same clean through the adapter in process (no HTTP, no page loop) with ${CLEAN_WHATIF} jobs per clean script instead of 1,000.\n`);
  console.log('| library | action | time | jobs/s | batches | slowest Redis command | ours > 10 ms | ours > 1 ms | clean scripts |');
  console.log('|---|---|---:|---:|---:|---|---:|---:|---|');
  for (const r of whatIfs) console.log(`| ${r.lib} | ${r.label} | ${r.seconds.toFixed(1)} s | ${Math.round(r.jobsPerSecond).toLocaleString('en-US')} | ${r.batches} | ${r.slowest} | ${r.over10} | ${r.over1} | ${r.scripts} |`);
}
console.log('');
for (const r of results) {
  console.log(`- ${r.lib}, ${r.label}: over 1 ms by command: ${r.byCommand || 'none'}. commandstats per job (server-wide, before subtracting): ${r.top}. Noise: ${r.noise}.`);
}
await redis.quit();
process.exit(0);
