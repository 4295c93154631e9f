// What error capture adds to a request that fails: the same failing route in two
// Express apps, one with `app.use(admin.errorHandler)` before the host's own error
// handler and one without, timed over loopback HTTP with keep-alive.
//
//   npm run build && node bench/error-capture.mjs [--requests 2000] [--concurrency 1] [--url <database url>]
//
// Without --url the console writes to a SQLite file in the temp folder (journal
// mode as the host would leave it). With --url (postgres://…, mysql://…) it writes
// to that database; give it a database of its own, the benchmark creates a
// `users` table there if there is none and the console's tables through migrate().
// Rounds alternate between the two apps so that drift (JIT, GC, disk) hits both.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import express from 'express';
import { listen, percentile } from './lib.mjs';

const require = createRequire(import.meta.url);
const { createAdmin } = require('../dist/index.js');
const { kyselyFromUrl } = require('../dist/db/connect-url.js');
const { ErrorCapture } = require('../dist/errors/error-capture.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const REQUESTS = Number(arg('requests', 2000));
const CONCURRENCY = Number(arg('concurrency', 1));
const ROUNDS = 20;
const WARMUP = 300;
const URL_ARG = arg('url', null);

// The host's failing code: a few frames deep, with the report id in the message, as real failures are.
class ReportExportError extends Error {}
function loadRows(id) {
  throw new ReportExportError(`Report ${id} could not be exported: column "plan_id" does not exist`);
}
function buildCsv(id) {
  return loadRows(id).map((row) => row.join(',')).join('\n');
}

function hostApp(errorHandler) {
  const app = express();
  app.get('/app/reports/:id/export', (req, res) => {
    res.type('text/csv').send(buildCsv(req.params.id));
  });
  if (errorHandler) app.use(errorHandler);
  // The host's own error handler answers in both apps.
  app.use((err, _req, res, _next) => {
    res.status(500).json({ error: 'Something went wrong on our side.' });
  });
  return app;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(1, CONCURRENCY) });

function hit(base, id) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(`${base}/app/reports/${id}/export`, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 500) reject(new Error(`expected the host's 500, got ${res.statusCode}`));
        else resolve(Number(process.hrtime.bigint() - started) / 1e6);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** `count` requests, `CONCURRENCY` in flight; returns each request's latency. */
async function run(base, count, offset) {
  const samples = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      samples.push(await hit(base, offset + i));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, CONCURRENCY) }, worker));
  return samples;
}

async function openDb() {
  if (URL_ARG) return { db: kyselyFromUrl(URL_ARG, 4), label: URL_ARG.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@').split('?')[0], cleanup: async () => {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backstage-bench-'));
  const file = path.join(dir, 'app.sqlite');
  return { db: kyselyFromUrl(`sqlite:${file}`), label: `SQLite file (${file})`, cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const fmt = (v) => `${v.toFixed(3)} ms`;

async function main() {
  const { db, label, cleanup } = await openDb();
  await db.schema
    .createTable('users')
    .ifNotExists()
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('email', 'varchar(320)')
    .addColumn('name', 'varchar(200)')
    .addColumn('role', 'varchar(32)')
    .addColumn('created_at', 'varchar(40)')
    .execute();
  const admin = createAdmin({ db, getUser: () => null });
  await admin.migrate();
  await admin.ready().catch(() => {});
  const before = Number((await db.selectFrom('backstage_error_occurrences').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  const without = await listen(hostApp(null));
  const withCapture = await listen(hostApp(admin.errorHandler));
  const apps = { without, with: withCapture };

  await run(without.base, WARMUP, 0);
  await run(withCapture.base, WARMUP, 0);

  const samples = { without: [], with: [] };
  // CPU time of this process (server and client alike) per phase, after a pause long enough for the
  // capture's batch (written 50 ms after the first error) to land in the phase that caused it.
  const cpu = { without: 0, with: 0 };
  const per = Math.ceil(REQUESTS / ROUNDS);
  const started = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
    for (const name of order) {
      const c0 = process.cpuUsage();
      samples[name].push(...(await run(apps[name].base, per, round * per)));
      await new Promise((resolve) => setTimeout(resolve, 120));
      const used = process.cpuUsage(c0);
      cpu[name] += used.user + used.system;
    }
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;

  // The synchronous part of capture, alone: what admin.errorHandler costs before next(err).
  const probe = new ErrorCapture({ db, dialect: 'sqlite', now: () => new Date(), userIdOf: () => null, warn: () => {}, maxQueue: 1_000_000, flushDelayMs: 3_600_000 });
  const fakeReq = { method: 'GET', originalUrl: '/app/reports/41/export?format=csv', url: '/app/reports/41/export?format=csv', baseUrl: '', route: { path: '/app/reports/:id/export' }, query: { format: 'csv' }, headers: { host: 'localhost', 'user-agent': 'bench', cookie: 'sid=1', accept: '*/*' }, ip: '127.0.0.1' };
  const errors = Array.from({ length: 20_000 }, (_, i) => { try { buildCsv(i); } catch (err) { return err; } return null; });
  const t0 = process.hrtime.bigint();
  for (const err of errors) probe.errorHandler(err, { ...fakeReq }, {}, () => {});
  const syncMicros = Number(process.hrtime.bigint() - t0) / 1e3 / errors.length;

  const flushStarted = process.hrtime.bigint();
  await admin.close();
  const drainMs = Number(process.hrtime.bigint() - flushStarted) / 1e6;
  const after = Number((await db.selectFrom('backstage_error_occurrences').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const groups = await db.selectFrom('backstage_errors').select(['error_class', 'occurrence_count']).execute();

  const row = (name, s) => `| ${name} | ${s.length} | ${fmt(percentile(s, 50))} | ${fmt(percentile(s, 95))} | ${fmt(percentile(s, 99))} | ${fmt(s.reduce((a, b) => a + b, 0) / s.length)} |`;
  console.log(`\n### Error capture: a failing request, ${REQUESTS} requests per app, concurrency ${CONCURRENCY}, ${label}`);
  console.log(`Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}; ${ROUNDS} alternating rounds after ${WARMUP} warm-up requests each; ${elapsed.toFixed(1)} s measured.\n`);
  console.log('| app | requests | p50 | p95 | p99 | mean |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('host error handler only', samples.without));
  console.log(row('admin.errorHandler → host error handler', samples.with));
  const delta = (p) => percentile(samples.with, p) - percentile(samples.without, p);
  console.log(`\nAdded latency: p50 ${fmt(delta(50))}, p95 ${fmt(delta(95))}, p99 ${fmt(delta(99))}.`);
  const perRequest = (name) => cpu[name] / samples[name].length;
  console.log(`CPU per failing request (whole process, client included): ${perRequest('without').toFixed(1)} µs without, ${perRequest('with').toFixed(1)} µs with capture (+${(perRequest('with') - perRequest('without')).toFixed(1)} µs, writes included).`);
  console.log(`Synchronous cost of admin.errorHandler itself (request snapshot + enqueue): ${syncMicros.toFixed(2)} µs per error.`);
  console.log(`Recorded: ${after - before} occurrences in ${groups.length} group(s) (${groups.map((g) => `${g.error_class} × ${g.occurrence_count}`).join(', ')}); writes still pending at the end drained in ${drainMs.toFixed(0)} ms by admin.close().`);

  without.server.close();
  withCapture.server.close();
  agent.destroy();
  await db.destroy();
  await cleanup();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
