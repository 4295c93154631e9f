#!/usr/bin/env node
/**
 * CPU cost of open live streams (not a timed test).
 *
 *   node bench/sse.cjs [--clients 200] [--rate 10] [--seconds 10] [--redis redis://127.0.0.1:6379]
 *
 * The console runs in a child process (SQLite in memory, in-process bus); this
 * process opens `clients` streams on `/admin/live?topics=signups` and counts
 * what arrives. The child reports its own CPU time (process.cpuUsage) for
 * three windows of the same length: idle streams (heartbeats only), then
 * `rate` events per second published with admin.publish, then no streams.
 * With --redis the events go through Redis pub/sub (live.redis) instead of
 * the in-process bus.
 */
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const { fork } = require('node:child_process');
const { performance } = require('node:perf_hooks');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const CLIENTS = Number(args.clients ?? 200);
const RATE = Number(args.rate ?? 10);
const SECONDS = Number(args.seconds ?? 10);
const REDIS = args.redis ?? null;

if (process.argv.includes('--child')) {
  child();
} else {
  parent().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

function child() {
  const swc = require('@swc/core');
  require.extensions['.ts'] = function compile(module, filename) {
    const source = fs.readFileSync(filename, 'utf8');
    const { code } = swc.transformSync(source, { filename, module: { type: 'commonjs' }, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } });
    module._compile(code, filename);
  };
  const Database = require('better-sqlite3');
  const { Kysely, SqliteDialect } = require('kysely');
  const express = require('express');
  const session = require('express-session');
  const { createAdmin } = require('../src/index.ts');

  (async () => {
    const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    await db.schema.createTable('users').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('email', 'text').addColumn('role', 'text').addColumn('created_at', 'text').execute();
    await db.insertInto('users').values({ id: 1, email: 'ops@bench.test', role: 'admin', created_at: new Date().toISOString() }).execute();
    const admin = createAdmin({ db, getUser: () => ({ id: 1, email: 'ops@bench.test', role: 'admin' }), errors: false, live: { maxClients: 10_000, ...(REDIS ? { redis: REDIS } : {}) } });
    await admin.migrate();
    await admin.ready();
    const app = express();
    app.use(session({ secret: 'bench-secret-bench-secret', resave: false, saveUninitialized: false }));
    app.use('/admin', admin);
    const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
    process.on('message', async (message) => {
      if (message.measure) {
        const cpu = process.cpuUsage();
        const started = performance.now();
        const elu = performance.eventLoopUtilization();
        let sent = 0;
        let timer = null;
        if (message.measure.rate > 0) {
          timer = setInterval(() => {
            sent++;
            void admin.publish('signups', { at: new Date().toISOString(), sentAt: Date.now(), n: sent });
          }, 1000 / message.measure.rate);
        }
        setTimeout(() => {
          if (timer) clearInterval(timer);
          const used = process.cpuUsage(cpu);
          const wall = performance.now() - started;
          process.send({ cpu: { userMs: used.user / 1000, systemMs: used.system / 1000, wallMs: wall, elu: performance.eventLoopUtilization(elu).utilization, sent, rssMiB: process.memoryUsage().rss / 1048576 } });
        }, message.measure.seconds * 1000);
      }
      if (message.stop) {
        await admin.close();
        server.close();
        await db.destroy();
        process.exit(0);
      }
    });
  })();
}

function ask(worker, message) {
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.send(message);
  });
}

function openStream(port, onEvent) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/admin/live?topics=signups', headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let at;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          if (block.startsWith('event: signups\n')) onEvent(JSON.parse(block.slice(block.indexOf('data: ') + 6)));
        }
      });
      resolve(req);
    });
    req.on('error', reject);
  });
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function describe(label, cpu) {
  const total = cpu.userMs + cpu.systemMs;
  return `${label}: ${total.toFixed(0)} ms CPU in ${(cpu.wallMs / 1000).toFixed(1)} s = ${((total / cpu.wallMs) * 100).toFixed(1)}% of one core (user ${cpu.userMs.toFixed(0)}, system ${cpu.systemMs.toFixed(0)}), event loop busy ${(cpu.elu * 100).toFixed(1)}%, RSS ${cpu.rssMiB.toFixed(0)} MiB`;
}

async function parent() {
  const worker = fork(__filename, ['--child'], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve) => worker.once('message', resolve));
  const latencies = [];
  let received = 0;
  const streams = [];
  for (let i = 0; i < CLIENTS; i++) {
    streams.push(
      await openStream(port, (event) => {
        // The dashboard's own snapshots travel on the same topic; count only the published events.
        if (typeof event.payload?.sentAt !== 'number') return;
        received++;
        latencies.push(Date.now() - event.payload.sentAt);
      }),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  console.log(`${CLIENTS} open streams on /admin/live?topics=signups (server in its own process, ${REDIS ? 'Redis pub/sub' : 'in-process bus'})`);
  const idle = await ask(worker, { measure: { rate: 0, seconds: SECONDS } });
  console.log(describe(`  idle streams, ${SECONDS} s`, idle.cpu));
  const busy = await ask(worker, { measure: { rate: RATE, seconds: SECONDS } });
  await new Promise((resolve) => setTimeout(resolve, 300));
  console.log(describe(`  ${RATE} events/s to every stream, ${SECONDS} s`, busy.cpu));
  const expected = busy.cpu.sent * CLIENTS;
  console.log(`  delivered ${received.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} events (${busy.cpu.sent} published × ${CLIENTS}); publish→receive p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${Math.max(...latencies)} ms`);
  for (const req of streams) req.destroy();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const none = await ask(worker, { measure: { rate: 0, seconds: SECONDS } });
  console.log(describe(`  no streams, ${SECONDS} s`, none.cpu));
  worker.send({ stop: true });
}
