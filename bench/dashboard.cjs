#!/usr/bin/env node
/**
 * Dashboard server time with a large users table on SQLite (not a timed test).
 *
 *   node bench/dashboard.cjs [--users 3000000] [--subscriptions 1000000] [--runs 15]
 *
 * Seeds bench/data/dashboard.sqlite once (kept between runs; delete it to reseed)
 * with users spread over two years (indexed on (created_at, id) as DESIGN §8
 * assumes), teams and subscriptions, then measures GET /admin/ through HTTP:
 * "cold" with the console's figure cache empty (a new console each run; the
 * database's own pages warm, as on a running server), "cached" within the
 * cache's 10 s. Also times each aggregate alone. Medians of the runs.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const swc = require('@swc/core');

// Run the TypeScript sources directly (no build step): the same transform jest uses.
require.extensions['.ts'] = function compile(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = swc.transformSync(source, { filename, module: { type: 'commonjs' }, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } });
  module._compile(code, filename);
};

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const USERS = Number(args.users ?? 3_000_000);
const SUBSCRIPTIONS = Number(args.subscriptions ?? 1_000_000);
const RUNS = Number(args.runs ?? 15);
const DAY = 86_400_000;

const Database = require('better-sqlite3');
const { Kysely, SqliteDialect } = require('kysely');
const express = require('express');
const session = require('express-session');
const { createAdmin } = require('../src/index.ts');

const dataDir = path.join(__dirname, 'data');
const file = path.join(dataDir, `dashboard-${USERS}-${SUBSCRIPTIONS}.sqlite`);

function seed() {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec(`
    create table users (id integer primary key, email text not null unique, name text, role text not null default 'user', created_at text not null,
      banned_at text, confirmed_at text, last_sign_in_at text);
    create table teams (id integer primary key, name text not null, slug text, owner_id integer, created_at text not null);
    create table memberships (team_id integer not null, user_id integer not null, role text not null, created_at text not null, primary key (team_id, user_id));
    create table subscriptions (id integer primary key, team_id integer not null, plan text not null, status text not null, amount_cents integer not null,
      currency text not null, interval text not null, current_period_end text not null, trial_ends_at text, canceled_at text, external_id text);
  `);
  const started = performance.now();
  const now = Date.now();
  const span = 730 * DAY;
  const insertUser = db.prepare('insert into users (id, email, name, role, created_at) values (?, ?, ?, ?, ?)');
  const batch = 100_000;
  for (let start = 1; start <= USERS; start += batch) {
    db.transaction(() => {
      for (let id = start; id < Math.min(USERS + 1, start + batch); id++) {
        // Older users first; a little more recent growth, so the last 30 days hold ~5% of the table.
        const age = span * Math.pow(1 - id / (USERS + 1), 0.9);
        insertUser.run(id, `user${id}@bench.test`, `User ${id}`, id === 1 ? 'superuser' : 'user', new Date(now - age).toISOString());
      }
    })();
  }
  db.exec('create index users_created on users (created_at, id)');
  const teams = Math.max(1, Math.floor(SUBSCRIPTIONS / 2));
  const insertTeam = db.prepare('insert into teams (id, name, slug, owner_id, created_at) values (?, ?, ?, ?, ?)');
  const insertMember = db.prepare('insert into memberships (team_id, user_id, role, created_at) values (?, ?, ?, ?)');
  db.transaction(() => {
    for (let id = 1; id <= teams; id++) {
      const at = new Date(now - (id % 700) * DAY).toISOString();
      insertTeam.run(id, `Team ${id}`, `team-${id}`, id + 1, at);
      insertMember.run(id, id + 1, 'owner', at);
    }
  })();
  const insertSubscription = db.prepare('insert into subscriptions (id, team_id, plan, status, amount_cents, currency, interval, current_period_end) values (?, ?, ?, ?, ?, ?, ?, ?)');
  const plans = [['starter', 900], ['pro', 4900], ['business', 19900]];
  const statuses = ['active', 'active', 'active', 'active', 'trialing', 'past_due', 'canceled', 'canceled'];
  for (let start = 1; start <= SUBSCRIPTIONS; start += batch) {
    db.transaction(() => {
      for (let id = start; id < Math.min(SUBSCRIPTIONS + 1, start + batch); id++) {
        const [plan, amount] = plans[id % 3];
        const yearly = id % 5 === 0;
        insertSubscription.run(id, ((id - 1) % teams) + 1, plan, statuses[id % statuses.length], yearly ? amount * 10 : amount, id % 11 === 0 ? 'eur' : 'usd', yearly ? 'year' : 'month', new Date(now + (id % 30) * DAY).toISOString());
      }
    })();
  }
  db.exec('create index subscriptions_team on subscriptions (team_id)');
  db.close();
  return (performance.now() - started) / 1000;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function get(url) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    http
      .get(url, (res) => {
        res.resume();
        res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode }));
      })
      .on('error', reject);
  });
}

async function main() {
  let seconds = null;
  if (!fs.existsSync(file)) seconds = seed();
  const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(file, { readonly: false }) }) });
  const rows = await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  console.log(`SQLite ${file}: ${Number(rows.n).toLocaleString('en-US')} users, ${SUBSCRIPTIONS.toLocaleString('en-US')} subscriptions${seconds ? ` (seeded in ${seconds.toFixed(1)} s)` : ' (seeded earlier)'}`);

  const app = express();
  app.use(session({ secret: 'bench-secret-bench-secret', resave: false, saveUninitialized: false }));
  app.use((req, _res, next) => {
    req.user = { id: 1, email: 'root@bench.test', role: 'superuser' };
    next();
  });
  const admin = createAdmin({ db, getUser: (req) => req.user, errors: false });
  await admin.migrate();
  await admin.ready();
  let current = admin;
  app.use('/admin', (req, res, next) => current(req, res, next));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${server.address().port}/admin/`;

  const cold = [];
  const cached = [];
  for (let run = 0; run < RUNS; run++) {
    const fresh = createAdmin({ db, getUser: (req) => req.user, errors: false });
    await fresh.ready();
    const previous = current;
    current = fresh;
    await previous.close();
    const first = await get(url);
    if (first.status !== 200) throw new Error(`dashboard answered ${first.status}`);
    cold.push(first.ms);
    for (let i = 0; i < 5; i++) cached.push((await get(url)).ms);
  }
  console.log(`GET /admin/ cold (figure cache empty): median ${median(cold).toFixed(1)} ms, min ${Math.min(...cold).toFixed(1)}, max ${Math.max(...cold).toFixed(1)} (${RUNS} runs)`);
  console.log(`GET /admin/ cached (within 10 s):      median ${median(cached).toFixed(2)} ms (${cached.length} requests)`);

  // Each aggregate alone, uncached.
  const ctx = { db, dialect: 'sqlite', options: { now: () => new Date(), queues: [] } };
  const { signupsSource, signupFigures, userCount, subscriptionFigures } = require('../src/pages/home/queries.ts');
  const { kyselyUsersAdapter } = require('../src/models/kysely-users-adapter.ts');
  const { kyselySubscriptionsAdapter } = require('../src/models/kysely-subscriptions-adapter.ts');
  const usersModel = {
    table: 'users',
    columns: { id: 'id', email: 'email', name: 'name', role: 'role', createdAt: 'created_at', bannedAt: 'banned_at', confirmedAt: 'confirmed_at', lastSignInAt: 'last_sign_in_at' },
    role: { kind: 'string', values: ['user', 'admin', 'superuser'] },
    banned: { kind: 'timestamp' },
    dates: 'native',
    explicit: new Set(),
  };
  ctx.usersModel = usersModel;
  ctx.users = kyselyUsersAdapter(db, usersModel, 'sqlite', null);
  ctx.subscriptions = kyselySubscriptionsAdapter(
    db,
    { table: 'subscriptions', columns: { id: 'id', team_id: 'team_id', plan: 'plan', status: 'status', amount_cents: 'amount_cents', currency: 'currency', interval: 'interval', current_period_end: 'current_period_end', trial_ends_at: null, canceled_at: null, external_id: null }, explicit: new Set() },
    'sqlite',
  );
  const parts = {
    'signups per day (30 d) + per hour (24 h)': () => signupFigures(signupsSource(ctx), new Date()),
    'users tile (bounded count, then estimate)': () => userCount(ctx),
    'subscriptions by plan/status + MRR': () => subscriptionFigures(ctx),
  };
  for (const [name, run] of Object.entries(parts)) {
    const times = [];
    for (let i = 0; i < Math.max(5, Math.floor(RUNS / 2)); i++) {
      const started = performance.now();
      await run();
      times.push(performance.now() - started);
    }
    console.log(`  ${name}: median ${median(times).toFixed(1)} ms`);
  }

  await current.close();
  server.close();
  await db.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
