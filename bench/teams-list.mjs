// Teams list server time at 100,000 teams: the first page, a deep page (90 %
// of the way down, reached by a cursor), and the same with the subscription
// filters and a name search. SQLite always; PostgreSQL and MariaDB when
// BENCH_POSTGRES_URL / BENCH_MYSQL_URL (or TEST_POSTGRES_URL / TEST_MYSQL_URL) are set.
//
//   npm run build && NODE_ENV=production node bench/teams-list.mjs
//
// "Server time" is measured inside the process, from the request entering the
// host app to the response's 'finish' (console middleware, queries, EJS), and
// the loopback round trip is shown beside it.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import express from 'express';
import session from 'express-session';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { createAdmin } from '../dist/index.js';
import { encodeCursor } from '../dist/pagination/keyset.js';
import { listen, ms, percentile, request } from './lib.mjs';

const TEAMS = Number(process.env.BENCH_TEAMS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const WARMUP = 20;
const PLANS = ['starter', 'pro', 'business'];
const STATUSES = ['active', 'active', 'active', 'trialing', 'past_due', 'canceled'];

async function openDb(kind) {
  if (kind === 'sqlite') {
    const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    return { db, dialect: 'sqlite', drop: () => db.destroy() };
  }
  const name = `bench_teams_${process.pid}_${randomBytes(3).toString('hex')}`;
  if (kind === 'postgres') {
    const url = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL;
    const admin = new pg.Pool({ connectionString: url, max: 1 });
    await admin.query(`create schema "${name}"`);
    const db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${name}` }) }) });
    return { db, dialect: 'postgres', drop: async () => { await db.destroy(); await admin.query(`drop schema "${name}" cascade`); await admin.end(); } };
  }
  const url = new URL(process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL);
  const adminDb = new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: url.toString(), connectionLimit: 1 }) }) });
  await sql`create database ${sql.id(name)}`.execute(adminDb);
  url.pathname = `/${name}`;
  const db = new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: url.toString(), connectionLimit: 4 }) }) });
  return { db, dialect: 'mysql', drop: async () => { await db.destroy(); await sql`drop database ${sql.id(name)}`.execute(adminDb); await adminDb.destroy(); } };
}

const ts = (dialect) => (dialect === 'postgres' ? 'timestamptz(3)' : dialect === 'mysql' ? sql`datetime(3)` : 'text');
const at = (dialect, date) => (dialect === 'sqlite' ? date.toISOString() : date);
const id = (dialect, table) => (dialect === 'postgres' ? table.addColumn('id', 'serial', (c) => c.primaryKey()) : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()));

/** The conventional schema with the indexes the lists rely on (README), and 100,000 teams. */
async function seed(db, dialect) {
  await id(dialect, db.schema.createTable('users')).addColumn('email', 'varchar(320)', (c) => c.notNull().unique()).addColumn('name', 'varchar(200)').addColumn('role', 'varchar(32)').addColumn('created_at', ts(dialect), (c) => c.notNull()).execute();
  await id(dialect, db.schema.createTable('teams')).addColumn('name', 'varchar(200)', (c) => c.notNull()).addColumn('slug', 'varchar(200)').addColumn('owner_id', 'integer').addColumn('created_at', ts(dialect), (c) => c.notNull()).execute();
  await db.schema.createIndex('teams_created_at_id').on('teams').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('teams_name_id').on('teams').columns(['name', 'id']).execute();
  await db.schema.createTable('memberships').addColumn('team_id', 'integer', (c) => c.notNull()).addColumn('user_id', 'integer', (c) => c.notNull()).addColumn('role', 'varchar(32)').addColumn('created_at', ts(dialect), (c) => c.notNull()).addPrimaryKeyConstraint('memberships_pk', ['team_id', 'user_id']).execute();
  await id(dialect, db.schema.createTable('subscriptions'))
    .addColumn('team_id', 'integer', (c) => c.notNull()).addColumn('plan', 'varchar(50)', (c) => c.notNull()).addColumn('status', 'varchar(30)', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull()).addColumn('currency', 'varchar(3)', (c) => c.notNull()).addColumn('interval', 'varchar(10)', (c) => c.notNull())
    .addColumn('current_period_end', ts(dialect), (c) => c.notNull()).execute();
  await db.schema.createIndex('subscriptions_team').on('subscriptions').columns(['team_id', 'status', 'plan']).execute();

  const base = Date.UTC(2023, 0, 1);
  const users = [];
  for (let i = 0; i < 1000; i++) users.push({ email: `owner${i}@bench.test`, name: `Owner ${i}`, role: i === 0 ? 'admin' : 'user', created_at: at(dialect, new Date(base)) });
  for (let i = 0; i < users.length; i += 500) await db.insertInto('users').values(users.slice(i, i + 500)).execute();
  const batch = 500;
  for (let start = 0; start < TEAMS; start += batch) {
    const teams = [];
    const members = [];
    const subscriptions = [];
    for (let i = start; i < Math.min(TEAMS, start + batch); i++) {
      const created = at(dialect, new Date(base + Math.floor(i / 2) * 60_000)); // pairs share a timestamp: the id breaks ties
      teams.push({ name: `Team ${String(i).padStart(6, '0')}`, slug: `team-${i}`, owner_id: (i % 999) + 2, created_at: created });
      members.push({ team_id: i + 1, user_id: (i % 999) + 2, role: 'owner', created_at: created });
      if (i % 5 !== 0) subscriptions.push({ team_id: i + 1, plan: PLANS[i % 3], status: STATUSES[i % 6], amount_cents: 900 + (i % 3) * 4000, currency: i % 4 === 0 ? 'eur' : 'usd', interval: i % 7 === 0 ? 'year' : 'month', current_period_end: created });
    }
    await db.insertInto('teams').values(teams).execute();
    await db.insertInto('memberships').values(members).execute();
    if (subscriptions.length) await db.insertInto('subscriptions').values(subscriptions).execute();
  }
  if (dialect === 'postgres') await sql`analyze`.execute(db);
  if (dialect === 'mysql') await sql`analyze table teams, memberships, subscriptions`.execute(db);
  if (dialect === 'sqlite') await sql`analyze`.execute(db);
}

/** A cursor 90 % of the way down a sort, made the way the list makes them. */
async function deepCursor(db, sort, where) {
  let q = db.selectFrom('teams').select(['teams.id as id', 'teams.created_at as created_at', 'teams.name as name']);
  if (where) q = q.where(where);
  for (const key of sort) q = q.orderBy(key.column, key.direction);
  const row = await q.limit(1).offset(Math.floor(TEAMS * 0.9 * (where ? 0.4 : 1))).executeTakeFirstOrThrow();
  return encodeCursor(sort, row);
}

async function run(kind) {
  const { db, dialect, drop } = await openDb(kind);
  const seeded = Date.now();
  await seed(db, dialect);
  const seedSeconds = ((Date.now() - seeded) / 1000).toFixed(1);

  const app = express();
  const serverTimes = [];
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => serverTimes.push(Number(process.hrtime.bigint() - started) / 1e6));
    next();
  });
  app.use(session({ secret: 'bench-secret-bench-secret', resave: false, saveUninitialized: false }));
  const admin = createAdmin({ db, getUser: () => ({ id: 1, email: 'owner0@bench.test', role: 'admin' }) });
  app.use('/admin', admin);
  await admin.migrate();
  await admin.ready();
  const { server, base } = await listen(app);

  const newest = [{ key: 'created_at', column: 'teams.created_at', direction: 'desc' }, { key: 'id', column: 'teams.id', direction: 'desc' }];
  const byName = [{ key: 'name', column: 'teams.name', direction: 'asc' }, { key: 'id', column: 'teams.id', direction: 'asc' }];
  const deepNewest = await deepCursor(db, newest);
  const deepName = await deepCursor(db, byName);
  const activeTeams = (eb) => eb.exists(eb.selectFrom('subscriptions').select(sql.lit(1).as('one')).whereRef('subscriptions.team_id', '=', 'teams.id').where('subscriptions.status', '=', 'active'));
  const deepActive = await deepCursor(db, newest, activeTeams);

  const scenarios = [
    ['first page (newest first, limit 50)', '/admin/teams'],
    ['deep page, 90 % down (newest first, cursor)', `/admin/teams?after=${deepNewest}`],
    ['first page sorted by name', '/admin/teams?sort=name'],
    ['deep page sorted by name, 90 % down', `/admin/teams?sort=name&after=${deepName}`],
    ['filter status=active, first page', '/admin/teams?status=active'],
    ['filter status=active, deep page', `/admin/teams?status=active&after=${deepActive}`],
    ['filter plan=pro&status=past_due, first page', '/admin/teams?plan=pro&status=past_due'],
    ['search "team 09999" (contains, name or slug)', `/admin/teams?q=${encodeURIComponent('team 09999')}`],
  ];
  const results = [];
  for (const [label, path] of scenarios) {
    const trips = [];
    serverTimes.length = 0;
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const res = await request(base, path);
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.body.slice(0, 300)}`);
      if (i >= WARMUP) trips.push(res.ms);
    }
    const server = serverTimes.slice(WARMUP);
    results.push([label, percentile(server, 50), percentile(server, 95), percentile(trips, 50)]);
  }
  console.log(`\nTeams list, ${TEAMS.toLocaleString('en-US')} teams on ${dialect} (seeded in ${seedSeconds} s), ${RUNS} runs after ${WARMUP} warm-up, NODE_ENV=${process.env.NODE_ENV ?? '(unset)'}\n`);
  console.log('| request | server p50 | server p95 | round trip p50 |\n|---|---|---|---|');
  for (const [label, p50, p95, trip] of results) console.log(`| ${label} | ${ms(p50)} | ${ms(p95)} | ${ms(trip)} |`);
  server.close();
  await admin.close();
  await drop();
}

const kinds = ['sqlite'];
if (process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL) kinds.push('postgres');
if (process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL) kinds.push('mysql');
for (const kind of (process.env.BENCH_DIALECTS ?? kinds.join(',')).split(',')) await run(kind);
process.exit(0);
