// "50 tabs ≈ 1 tab" (issue 10 target: Redis commands per second from the
// console with 50 open dashboard tabs within 10% of the figure with 1 tab).
//
// A Bull queue with 10,000 finished jobs (bench/bull-seed.mjs), createAdmin
// with live: { pollMs: 1000 } in a real Express app, and signed-in operators'
// tabs as the queue pages open them: an SSE stream on /admin/live?topics=queues.
// For each window of WINDOW_S seconds (0 tabs, 1 tab, 50 tabs, 0 tabs again)
// we count the Redis commands the console's process sends, two ways:
//   - exactly, by MONITOR: every command from this process's own connections
//     (each named `<prefix>-…`, matched by address through CLIENT LIST), plus
//     the commands run inside its Lua scripts (their keys carry the prefix);
//   - server-wide, as INFO stats total_commands_processed deltas: what the
//     issue names, but Redis is shared with other runs, so it carries their
//     noise (the 0-tab windows before and after show how much).
// For contrast, per-tab polling as bull-board does it: bull-board is not
// installed in bench/bull-board (no node_modules; this bench does not install
// it), so each simulated tab makes, in process on the same queue client, the
// Bull calls bull-board 9's GET /api/queues handler makes on every poll of
// every open tab (packages/api/src/handlers/queues.ts + queueAdapters/bull.ts):
// getJobCounts(); isPaused(); getJobs(all 6 states, 0, 9); getWorkers()
// (CLIENT LIST); then INFO once — every BB_POLL_S seconds (default 5, its UI's
// interval, and 1, ours), tabs spread evenly over the interval.
//
// With tabs open, a window runs from one re-read of the dashboard's failed-jobs
// figure (every ~10 s, once per process: 100 HGETALLs) to the CYCLES-th next,
// so 1 tab and 50 tabs hold the same number of them; other windows last WINDOW_S.
//
//   npm run build && node bench/tabs.mjs        (REDIS_URL, TABS=50, CYCLES=2, WINDOW_S=15, BB_POLL_S=5,1)
import Bull from 'bull';
import Redis from 'ioredis';
import { createAdmin } from '../dist/index.js';
import { seed, unseed, verify } from './bull-seed.mjs';
import { readLiveStream, request, signedInConsole } from './lib.mjs';

const REDIS_URL = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TABS = Number(process.env.TABS ?? 50);
const WINDOW_S = Number(process.env.WINDOW_S ?? 15);
const CYCLES = Number(process.env.CYCLES ?? 2);
const BB_POLL_S = (process.env.BB_POLL_S ?? '5,1').split(',').filter(Boolean).map(Number);
const SIZE = 10_000;
const PREFIX = `bs-bench-tabs-${process.pid}`;
const NAME = 'invitations';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// The control connection (seeding, INFO, CLIENT LIST) is unnamed: its commands are not the console's.
const control = new Redis(REDIS_URL);
const monitorClient = new Redis(REDIS_URL);

// Every connection Bull opens for the queue (client, subscriber, bclient) carries a name we can find in CLIENT LIST.
const queue = new Bull(NAME, REDIS_URL, {
  prefix: PREFIX,
  createClient: (type) => new Redis(REDIS_URL, { connectionName: `${PREFIX}-${type}`, maxRetriesPerRequest: null, enableReadyCheck: false }),
});
queue.on('error', () => undefined);

async function ourAddresses() {
  const list = await control.client('LIST');
  const ours = new Set();
  for (const line of list.split('\n')) {
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '';
    const addr = /(?:^| )addr=(\S+)/.exec(line)?.[1];
    if (addr && name.startsWith(PREFIX)) ours.add(addr);
  }
  return ours;
}

async function totalCommands() {
  return Number(/total_commands_processed:(\d+)/.exec(await control.info('stats'))[1]);
}

// MONITOR: counts per window, filtered to this process's connections.
const counter = { on: false, ours: 0, lua: 0, byCommand: {}, addresses: new Set(), cycle: null };
const monitor = await monitorClient.monitor();
monitor.on('monitor', (time, args, source) => {
  if (!counter.on) return;
  const fromUs = counter.addresses.has(source);
  const inOurScript = source === 'lua' && args.some((a) => String(a).includes(PREFIX));
  if (!fromUs && !inOurScript) return;
  const cmd = String(args[0]).toLowerCase();
  const cycle = counter.cycle;
  if (cycle && fromUs && cmd === 'zrevrange' && String(args[1]).endsWith(':failed')) {
    // The dashboard's failed-jobs figure is re-read every ~10 s: count whole cycles, from one re-read to the next.
    cycle.reloads++;
    if (cycle.reloads === 1) cycle.from = Number(time);
    if (cycle.reloads === cycle.want + 1) {
      cycle.to = Number(time);
      counter.on = false;
      cycle.done();
      return;
    }
  }
  if (cycle && cycle.reloads === 0) return;
  if (inOurScript) counter.lua++;
  else counter.ours++;
  counter.byCommand[cmd] = (counter.byCommand[cmd] ?? 0) + 1;
});

/**
 * One measurement. Fixed: WINDOW_S seconds. With `cycles` (tabs open): from
 * one re-read of the dashboard's failed-jobs figure (cached 10 s, read by the
 * same per-process poller) to the `cycles`-th next, so every window holds the
 * same share of those reads whatever its phase; about 10 s per cycle.
 */
async function window(label, { cycles = 0 } = {}) {
  counter.addresses = await ourAddresses();
  Object.assign(counter, { ours: 0, lua: 0, byCommand: {}, cycle: null });
  const total0 = await totalCommands();
  const started = Date.now();
  let seconds;
  if (cycles > 0) {
    const ended = new Promise((done) => (counter.cycle = { want: cycles, reloads: 0, from: 0, to: 0, done }));
    counter.on = true;
    const timedOut = await Promise.race([ended.then(() => false), sleep(cycles * 15_000 + 15_000).then(() => true)]);
    counter.on = false;
    if (timedOut) throw new Error(`${label}: the failed-jobs figure was not re-read ${cycles + 1} times`);
    seconds = counter.cycle.to - counter.cycle.from;
  } else {
    counter.on = true;
    await sleep(WINDOW_S * 1000);
    counter.on = false;
    seconds = (Date.now() - started) / 1000;
  }
  const wall = (Date.now() - started) / 1000;
  const total1 = await totalCommands();
  const row = {
    label,
    seconds,
    ours: (counter.ours + counter.lua) / seconds,
    lua: counter.lua / seconds,
    server: (total1 - total0 - 1) / wall, // minus our first INFO call (each is counted once it has run)
    byCommand: Object.entries(counter.byCommand)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${(n / seconds).toFixed(1)}`)
      .join(', '),
  };
  console.error(`${label}: ${row.ours.toFixed(2)} cmd/s over ${seconds.toFixed(1)} s from the console's connections, ${row.server.toFixed(0)} cmd/s server-wide (${row.byCommand || 'none'})`);
  return row;
}

// ---------------------------------------------------------------- the console

const consoleFor = () => signedInConsole(createAdmin, { role: 'admin', queues: [queue], live: { pollMs: 1000 } });

/** One tab's stream on the `queues` topic; counts the count snapshots it receives. */
function openTab(app, tally) {
  return readLiveStream(app.base, app.cookie, 'queues', (payload) => {
    if (payload?.tiles?.[`queue:${NAME}:failed`]) tally.snapshots++;
  });
}

async function withTabs(app, n, label) {
  const tally = { snapshots: 0 };
  const tabs = [];
  for (let i = 0; i < n; i++) tabs.push(await openTab(app, tally));
  await sleep(2500); // the poller starts with the first tab
  tally.snapshots = 0;
  const started = Date.now();
  const row = await window(label, { cycles: CYCLES });
  row.snapshots = tally.snapshots / n / ((Date.now() - started) / 1000);
  for (const tab of tabs) tab.close();
  await sleep(1500); // the poller stops when the last tab leaves
  return row;
}

// ---------------------------------------------------------------- bull-board's per-tab poll, modelled

const ALL_STATES = ['active', 'completed', 'delayed', 'failed', 'paused', 'waiting'];

/** What bull-board 9's GET /api/queues?activeQueue=<name>&status=latest does per poll (one queue). */
async function bullBoardPoll() {
  await queue.getJobCounts();
  await queue.isPaused();
  await queue.getJobs(ALL_STATES, 0, 9);
  await queue.getWorkers();
  await queue.client.info();
}

async function withPollingTabs(n, everyS, label) {
  let stop = false;
  let polls = 0;
  const tabs = Array.from({ length: n }, async (_, i) => {
    await sleep(((everyS * 1000) / n) * i); // tabs opened at different moments
    while (!stop) {
      const next = Date.now() + everyS * 1000;
      await bullBoardPoll();
      polls++;
      await sleep(Math.max(0, next - Date.now()));
    }
  });
  await sleep(everyS * 1000 + 500);
  polls = 0;
  const row = await window(label);
  row.polls = polls / row.seconds;
  // getWorkers() sends CLIENT LIST, which MONITOR never shows (an admin command): one per poll, added here.
  row.ours += row.polls;
  row.byCommand += `, client|list ${row.polls.toFixed(1)} (not seen by MONITOR, one per poll)`;
  stop = true;
  await Promise.all(tabs);
  return row;
}

// ---------------------------------------------------------------- main

const rows = [];
let app = null;
try {
  await unseed(control, queue, SIZE);
  const { detail } = await seed(control, queue, SIZE);
  await verify(queue, SIZE, detail);
  app = await consoleFor();
  await sleep(2000);

  rows.push(await window('0 tabs (baseline)'));
  const one = await withTabs(app, 1, '1 tab');
  rows.push(one);
  const many = await withTabs(app, TABS, `${TABS} tabs`);
  rows.push(many);
  rows.push(await window('0 tabs (after)'));
  await app.close();
  app = null;

  const board = [];
  for (const everyS of BB_POLL_S) {
    board.push(await withPollingTabs(1, everyS, `bull-board model, 1 tab polling every ${everyS} s`));
    board.push(await withPollingTabs(TABS, everyS, `bull-board model, ${TABS} tabs polling every ${everyS} s`));
  }
  rows.push(...board);

  const base = (rows[0].ours + rows[3].ours) / 2;
  const serverBase = (rows[0].server + rows[3].server) / 2;
  console.log(`\nRedis commands per second from the console's process, Bull queue with ${SIZE.toLocaleString('en-US')} jobs, live.pollMs 1000; windows of ${WINDOW_S} s, or ${CYCLES} whole ~10 s cycles with tabs open; Redis ${REDIS_URL.replace(/\/\/[^@]*@/, '//')}.`);
  console.log('"console" = counted by MONITOR on this process\'s own connections (+ commands inside its Lua scripts); "server-wide" = INFO stats total_commands_processed delta (Redis is shared: includes other runs).\n');
  console.log('| window | seconds | console cmd/s | minus 0-tab baseline | server-wide cmd/s | count snapshots per tab per s | commands (per s) |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const extra = r.snapshots !== undefined ? r.snapshots.toFixed(2) : r.polls !== undefined ? `(${r.polls.toFixed(1)} polls/s)` : '—';
    console.log(`| ${r.label} | ${r.seconds.toFixed(1)} | ${r.ours.toFixed(2)} | ${(r.ours - base).toFixed(2)} | ${r.server.toFixed(0)} | ${extra} | ${r.byCommand || '—'} |`);
  }
  const ratio = (many.ours - base) / (one.ours - base);
  console.log(`\n${TABS} tabs ÷ 1 tab (console, minus baseline): ${(many.ours - base).toFixed(2)} ÷ ${(one.ours - base).toFixed(2)} = ${ratio.toFixed(3)} (target ≤ 1.10); without subtracting the baseline ${(many.ours / one.ours).toFixed(3)}.`);
  console.log(`Server-wide, minus its 0-tab mean (${serverBase.toFixed(0)} cmd/s): 1 tab ${(one.server - serverBase).toFixed(0)}, ${TABS} tabs ${(many.server - serverBase).toFixed(0)} cmd/s (noise between the two 0-tab windows: ${Math.abs(rows[0].server - rows[3].server).toFixed(0)} cmd/s).`);
  for (let i = 0; i < board.length; i += 2) {
    console.log(`bull-board model every ${BB_POLL_S[i / 2]} s: ${TABS} tabs ÷ 1 tab = ${((board[i + 1].ours - base) / (board[i].ours - base)).toFixed(1)}.`);
  }
} finally {
  if (app) await app.close();
  await unseed(control, queue, SIZE);
  const left = await control.keys(`${PREFIX}:*`);
  if (left.length) await control.unlink(...left);
  await queue.close();
  monitorClient.disconnect();
  await control.quit();
}
process.exit(0);
