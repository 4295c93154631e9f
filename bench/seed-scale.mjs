#!/usr/bin/env node
// A million rows for bench/scale.mjs (and `npm run demo -- --size=1m`): 1,000,000
// users, 100,000 teams with memberships (one team of 5,000 members), invitations,
// subscriptions and 1,000,000 audit events, in SQLite, PostgreSQL and MariaDB.
//
//   npm run build && node bench/seed-scale.mjs [--db sqlite,postgres,mysql] [--users 1000000] [--force] [--drop]
//
//   --db      which databases (default: SQLite, plus PostgreSQL / MariaDB when BENCH_POSTGRES_URL /
//             BENCH_MYSQL_URL or TEST_POSTGRES_URL / TEST_MYSQL_URL is set); seeded one at a time
//   --users   users to write (teams and audit events scale with it: 10 % and 100 %)
//   --force   seed again even when the data is there
//   --drop    remove the bench data instead: bench/data/scale-*.sqlite, and the `backstage_bench`
//             database on PostgreSQL and MariaDB
//
// SQLite goes to bench/data/scale-<users>.sqlite (gitignored). PostgreSQL and MariaDB get a database
// of their own, `backstage_bench`, on the server of the URL. Rows are generated deterministically,
// written with multi-row INSERTs (thousands of rows per statement) in transactions on one connection,
// and the secondary indexes are built after the load, as a bulk import would.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { COMPANY_KINDS, COMPANY_PREFIXES, COMPANY_STEMS, FIRST_NAMES, FREE_MAIL_DOMAINS, LAST_NAMES } from '../examples/saas-app/seed-words.mjs';
import { asciiFold } from '../examples/saas-app/slug.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = path.join(HERE, 'data');
export const BENCH_DATABASE = 'backstage_bench';

/** The sizes of one seed; teams and audit events follow the users unless given. */
export function scaleSizes(users = 1_000_000) {
  return { users, teams: Math.max(10, Math.round(users / 10)), audit: users, bigTeamMembers: Math.min(5_000, Math.floor(users / 4)) };
}

/** Where the planted needles are, for the benchmark's searches and pages. */
export function scaleLandmarks(sizes) {
  return {
    /** Every 20,000th user works at Acme Rockets: ~50 of them, from the oldest to the newest. */
    acmeEvery: 20_000,
    /** The team with `bigTeamMembers` members, in the middle of the list. */
    bigTeamId: Math.floor(sizes.teams / 2),
    /** A user half-way down the list, found by exact email. */
    middleUserId: Math.floor(sizes.users / 2),
  };
}

export const BENCH_URLS = {
  postgres: process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? null,
  mysql: process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? null,
};

const TIMESTAMP = { sqlite: 'text', postgres: 'timestamptz', mysql: sql`datetime(3)` };
const DAY = 86_400_000;
const SPAN = 3 * 365 * DAY;
const HISTORY_END = Date.UTC(2026, 10, 1);
const START = HISTORY_END - SPAN;

// ---------------------------------------------------------------------------
// Connections

/** The bench database of `kind`, created when `create` (PostgreSQL/MariaDB: `backstage_bench` on the URL's server). */
export async function openBenchDb(kind, { users = scaleSizes().users, create = true } = {}) {
  if (kind === 'sqlite') {
    fs.mkdirSync(DATA_DIR, { recursive: true });
    const file = path.join(DATA_DIR, `scale-${users}.sqlite`);
    const sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('cache_size = -200000'); // 200 MB page cache, as a server would give it
    return { kind, dialect: 'sqlite', label: `SQLite ${path.relative(process.cwd(), file)}`, db: new Kysely({ dialect: new SqliteDialect({ database: sqlite }) }), close: async function () { await this.db.destroy(); } };
  }
  const base = BENCH_URLS[kind];
  if (!base) throw new Error(`no URL for ${kind}: set BENCH_${kind === 'postgres' ? 'POSTGRES' : 'MYSQL'}_URL`);
  const url = new URL(base);
  if (kind === 'postgres') {
    if (create) {
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      const exists = await admin.query('select 1 from pg_database where datname = $1', [BENCH_DATABASE]);
      if (exists.rowCount === 0) await admin.query(`create database ${BENCH_DATABASE}`);
      await admin.end();
    }
    url.pathname = `/${BENCH_DATABASE}`;
    const db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 10 }) }) });
    return { kind, dialect: 'postgres', label: `PostgreSQL ${url.host}/${BENCH_DATABASE}`, db, close: () => db.destroy() };
  }
  if (create) {
    const admin = new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: base, connectionLimit: 1 }) }) });
    await sql`create database if not exists ${sql.id(BENCH_DATABASE)} character set utf8mb4`.execute(admin);
    await admin.destroy();
  }
  url.pathname = `/${BENCH_DATABASE}`;
  const db = new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: url.toString(), connectionLimit: 10, timezone: 'Z', dateStrings: false }) }) });
  return { kind, dialect: 'mysql', label: `MariaDB ${url.host}/${BENCH_DATABASE}`, db, close: () => db.destroy() };
}

/** Removes the bench data of `kind`. */
export async function dropBenchData(kind) {
  if (kind === 'sqlite') {
    for (const file of fs.existsSync(DATA_DIR) ? fs.readdirSync(DATA_DIR) : []) {
      if (/^scale-\d+\.sqlite(-wal|-shm|-journal)?$/.test(file)) fs.rmSync(path.join(DATA_DIR, file));
    }
    return 'bench/data/scale-*.sqlite';
  }
  const base = BENCH_URLS[kind];
  if (!base) return null;
  if (kind === 'postgres') {
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`drop database if exists ${BENCH_DATABASE} with (force)`);
    await admin.end();
  } else {
    const admin = new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: base, connectionLimit: 1 }) }) });
    await sql`drop database if exists ${sql.id(BENCH_DATABASE)}`.execute(admin);
    await admin.destroy();
  }
  return `${BENCH_DATABASE} on ${new URL(base).host}`;
}

// ---------------------------------------------------------------------------
// Rows: deterministic (a seeded PRNG), plain objects with epoch-millisecond times.

function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (r, list) => list[Math.floor(r() * list.length)];
const fold = (text) => asciiFold(text).toLowerCase().replace(/[^a-z0-9]+/g, '');
const FREE_MAIL = FREE_MAIL_DOMAINS.flatMap(([domain, weight]) => Array(weight).fill(domain));
const OPERATORS = 20;

/** The time of the i-th of `count` rows spread over the history, oldest first (pairs share a millisecond now and then). */
function timeOf(i, count, span = SPAN, end = HISTORY_END) {
  const at = end - span + Math.floor(((i - (i % 7 === 0 ? 1 : 0)) * span) / (count + 1));
  return at;
}

function* userRows(sizes, landmarks, { firstId = 1, span = SPAN, end = HISTORY_END } = {}) {
  const r = random(20240611);
  for (let n = 0; n < sizes.users; n++) {
    const id = firstId + n;
    const first = pick(r, FIRST_NAMES);
    const last = pick(r, LAST_NAMES);
    let domain;
    if (n % landmarks.acmeEvery === 7) domain = 'acme-rockets.com';
    else if (r() < 0.6) domain = pick(r, FREE_MAIL);
    else domain = `${fold(pick(r, COMPANY_PREFIXES))}${pick(r, COMPANY_STEMS)}.${pick(r, ['com', 'io', 'co', 'dev', 'de'])}`;
    const createdAt = timeOf(n + 1, sizes.users, span, end);
    yield {
      id,
      email: `${fold(first)}.${fold(last)}${id}@${domain}`,
      name: `${first} ${last}`,
      role: n === 0 ? 'superuser' : n % 1000 === 0 ? 'admin' : 'user',
      password_hash: 'scrypt$bench$unusable',
      created_at: createdAt,
      confirmed_at: n % 20 === 3 ? null : createdAt + 300_000,
      banned_at: n % 997 === 5 ? createdAt + 2 * DAY : null,
      last_sign_in_at: createdAt + Math.floor(r() * 30 * DAY),
    };
  }
}

function* teamRows(sizes, landmarks, { firstTeamId = 1, firstUserId = 1, span = SPAN, end = HISTORY_END } = {}) {
  const r = random(7);
  for (let n = 0; n < sizes.teams; n++) {
    const id = firstTeamId + n;
    const big = id === firstTeamId + landmarks.bigTeamId - 1;
    const acme = n === 41;
    const prefix = pick(r, COMPANY_PREFIXES);
    const stem = pick(r, COMPANY_STEMS);
    const kind = pick(r, COMPANY_KINDS);
    const name = big ? 'Megacorp Global' : acme ? 'Acme Rockets' : `${prefix}${stem} ${kind} ${id}`;
    // The owner signed up before the team was created (users and teams both follow time).
    const owner = firstUserId + Math.max(0, Math.floor((n / sizes.teams) * sizes.users) - 1 - Math.floor(r() * 50));
    yield { id, name, slug: big ? `megacorp-${id}` : acme ? `acme-rockets-${id}` : `${fold(prefix)}${stem}-${fold(kind)}-${id}`, owner_id: owner, created_at: timeOf(n + 1, sizes.teams, span, end) + 60_000 };
  }
}

function* membershipRows(sizes, landmarks, { firstTeamId = 1, firstUserId = 1, span = SPAN, end = HISTORY_END } = {}) {
  const r = random(99);
  const bigTeam = firstTeamId + landmarks.bigTeamId - 1;
  for (const team of teamRows(sizes, landmarks, { firstTeamId, firstUserId, span, end })) {
    yield { team_id: team.id, user_id: team.owner_id, role: 'owner', created_at: team.created_at };
    const seen = new Set([team.owner_id]);
    if (team.id === bigTeam) {
      // 5,000 members spread over the whole user base, joining over two years.
      const step = Math.floor(sizes.users / (sizes.bigTeamMembers + 1));
      for (let m = 1; m <= sizes.bigTeamMembers; m++) {
        const user = firstUserId + m * step;
        if (seen.has(user)) continue;
        seen.add(user);
        yield { team_id: team.id, user_id: user, role: m % 50 === 0 ? 'admin' : 'member', created_at: team.created_at + m * 3_600_000 };
      }
      continue;
    }
    const extra = Math.floor(r() * r() * 6);
    for (let m = 0; m < extra; m++) {
      const user = firstUserId + Math.floor(r() * sizes.users);
      if (seen.has(user)) continue;
      seen.add(user);
      yield { team_id: team.id, user_id: user, role: r() < 0.15 ? 'admin' : 'member', created_at: team.created_at + (m + 1) * DAY };
    }
  }
}

const PLANS = [['starter', 1900], ['pro', 4900], ['business', 19900]];
const STATUSES = ['active', 'active', 'active', 'active', 'trialing', 'past_due', 'canceled'];

function* subscriptionRows(sizes, landmarks, options = {}) {
  const r = random(5);
  let id = options.firstSubscriptionId ?? 1;
  for (const team of teamRows(sizes, landmarks, options)) {
    if (r() > 0.8) continue;
    const [plan, amount] = pick(r, PLANS);
    const status = pick(r, STATUSES);
    yield {
      id: id++, team_id: team.id, plan, status, amount_cents: amount, currency: r() < 0.1 ? 'eur' : 'usd', interval: r() < 0.25 ? 'year' : 'month',
      current_period_end: HISTORY_END + Math.floor(r() * 30 * DAY), trial_ends_at: status === 'trialing' ? HISTORY_END + 7 * DAY : null,
      canceled_at: status === 'canceled' ? team.created_at + 90 * DAY : null, external_id: `sub_bench_${team.id}`, created_at: team.created_at + DAY,
    };
  }
}

function* invitationRows(sizes, landmarks, options = {}) {
  const r = random(11);
  let id = options.firstInvitationId ?? 1;
  const bigTeam = (options.firstTeamId ?? 1) + landmarks.bigTeamId - 1;
  for (const team of teamRows(sizes, landmarks, options)) {
    const count = team.id === bigTeam ? 60 : r() < 0.2 ? 1 : 0;
    for (let k = 0; k < count; k++) {
      const createdAt = team.created_at + (k + 1) * DAY;
      yield {
        id: id++, team_id: team.id, email: `invitee${id}@${fold(team.slug)}.test`, role: 'member', invited_by_id: team.owner_id,
        token: `bench-${id}-${Math.floor(r() * 1e9).toString(36)}`, created_at: createdAt, accepted_at: r() < 0.6 ? createdAt + DAY : null, expires_at: createdAt + 7 * DAY,
      };
    }
  }
}

const ACTIONS = ['user.banned', 'user.unbanned', 'user.role_changed', 'team.ownership_transferred', 'invitation.resent', 'impersonation.started', 'impersonation.stopped', 'team.scope_entered'];

function* auditRows(sizes, { firstUserId = 1, firstTeamId = 1, span = SPAN, end = HISTORY_END } = {}) {
  const r = random(3);
  for (let n = 0; n < sizes.audit; n++) {
    const action = pick(r, ACTIONS);
    const operator = firstUserId + (Math.floor(r() * OPERATORS) + 1) * 1000;
    const onTeam = action.startsWith('team.') || action.startsWith('invitation.');
    const team = firstTeamId + Math.floor(r() * sizes.teams);
    const user = firstUserId + Math.floor(r() * sizes.users);
    yield {
      created_at: timeOf(n + 1, sizes.audit, span, end),
      actor_id: String(operator), actor_email: `operator${operator}@ops.test`, actor_role: operator % 3000 === 0 ? 'superuser' : 'admin',
      action, subject_type: onTeam ? 'team' : 'user', subject_id: String(onTeam ? team : user), subject_label: onTeam ? `team ${team}` : `user ${user}`,
      team_id: onTeam ? String(team) : null, reason: r() < 0.5 ? 'support ticket' : null, data: action === 'user.role_changed' ? '{"from":"user","to":"admin"}' : null,
      ip: `10.0.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`, user_agent: 'Mozilla/5.0 (bench)',
    };
  }
}

// ---------------------------------------------------------------------------
// Writing

const TIME_COLUMNS = new Set(['created_at', 'confirmed_at', 'banned_at', 'last_sign_in_at', 'current_period_end', 'trial_ends_at', 'canceled_at', 'accepted_at', 'expires_at']);

function toDb(dialect, row) {
  const out = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] = TIME_COLUMNS.has(key) && value !== null ? (dialect === 'sqlite' ? new Date(value).toISOString() : new Date(value)) : value;
  }
  return out;
}

/** Rows per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters, a few hundred KB for MariaDB. */
function batchSize(dialect, columns) {
  const limit = dialect === 'postgres' ? 65_000 : dialect === 'sqlite' ? 32_000 : 30_000;
  return Math.max(100, Math.min(5_000, Math.floor(limit / columns)));
}

/** Streams `rows` into `table` with multi-row INSERTs, committing every 100,000 rows. */
async function load(conn, dialect, table, rows, log) {
  const started = performance.now();
  let batch = [];
  let size = null;
  let written = 0;
  let pending = [];
  const flushTransaction = async () => {
    if (pending.length === 0) return;
    const statements = pending;
    pending = [];
    await conn.transaction().execute(async (trx) => {
      for (const values of statements) await trx.insertInto(table).values(values).execute();
    });
  };
  for (const row of rows) {
    const converted = toDb(dialect, row);
    size ??= batchSize(dialect, Object.keys(converted).length);
    batch.push(converted);
    if (batch.length === size) {
      pending.push(batch);
      written += batch.length;
      batch = [];
      if (pending.length * size >= 100_000) await flushTransaction();
    }
  }
  if (batch.length) {
    pending.push(batch);
    written += batch.length;
  }
  await flushTransaction();
  log(`  ${table}: ${written.toLocaleString('en-US')} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return written;
}

/** The host's tables as the example app (and DESIGN §2) has them, with primary keys only: indexes come after the load. */
async function createTables(db, dialect) {
  const ts = TIMESTAMP[dialect];
  const table = (name) => (dialect === 'mysql' ? db.schema.createTable(name).modifyEnd(sql`engine=InnoDB default charset=utf8mb4`) : db.schema.createTable(name));
  await table('users')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('email', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('role', 'varchar(20)', (c) => c.notNull())
    .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('banned_at', ts)
    .addColumn('confirmed_at', ts)
    .addColumn('last_sign_in_at', ts)
    .execute();
  await table('teams')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('slug', 'varchar(100)', (c) => c.notNull())
    .addColumn('owner_id', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();
  await table('memberships')
    .addColumn('team_id', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull())
    .addColumn('role', 'varchar(20)', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pkey', ['team_id', 'user_id'])
    .execute();
  await table('invitations')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('team_id', 'integer', (c) => c.notNull())
    .addColumn('email', 'varchar(255)', (c) => c.notNull())
    .addColumn('role', 'varchar(20)', (c) => c.notNull())
    .addColumn('invited_by_id', 'integer')
    .addColumn('token', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('accepted_at', ts)
    .addColumn('expires_at', ts, (c) => c.notNull())
    .execute();
  await table('subscriptions')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('team_id', 'integer', (c) => c.notNull())
    .addColumn('plan', 'varchar(20)', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('currency', 'varchar(3)', (c) => c.notNull())
    .addColumn('interval', 'varchar(10)', (c) => c.notNull())
    .addColumn('current_period_end', ts, (c) => c.notNull())
    .addColumn('trial_ends_at', ts)
    .addColumn('canceled_at', ts)
    .addColumn('external_id', 'varchar(64)')
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();
}

/** The indexes the lists and searches need (README "Lists, cursors…"; `doctor` asks for them), built after the load. */
export const HOST_INDEXES = [
  ['users', 'users_email_key', ['email'], true],
  ['users', 'users_created_at_id_idx', ['created_at', 'id']],
  ['users', 'users_role_created_at_id_idx', ['role', 'created_at', 'id']],
  ['teams', 'teams_slug_key', ['slug'], true],
  ['teams', 'teams_created_at_id_idx', ['created_at', 'id']],
  ['teams', 'teams_name_id_idx', ['name', 'id']],
  ['memberships', 'memberships_user_id_idx', ['user_id']],
  ['invitations', 'invitations_team_id_idx', ['team_id']],
  ['invitations', 'invitations_email_idx', ['email']],
  ['subscriptions', 'subscriptions_team_id_key', ['team_id'], true],
];

/** The console's own audit indexes (migration 0001), dropped for the load and built again after it. */
const AUDIT_INDEXES = [
  ['backstage_audit_created', ['created_at', 'id']],
  ['backstage_audit_actor', ['actor_id', 'created_at', 'id']],
  ['backstage_audit_subject', ['subject_type', 'subject_id', 'created_at', 'id']],
  ['backstage_audit_action', ['action', 'created_at', 'id']],
  ['backstage_audit_team', ['team_id', 'created_at', 'id']],
];

async function timed(log, label, work) {
  const started = performance.now();
  await work();
  log(`  ${label} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function analyze(db, dialect) {
  if (dialect === 'postgres') await sql`vacuum analyze`.execute(db);
  else if (dialect === 'mysql') await sql`analyze table users, teams, memberships, invitations, subscriptions, backstage_audit_events`.execute(db);
  else await sql`analyze`.execute(db);
}

/** On one pinned connection: settings that only matter for a bulk load. */
async function bulkSession(conn, dialect) {
  if (dialect === 'postgres') await sql`set synchronous_commit = off`.execute(conn);
  if (dialect === 'mysql') await sql`set unique_checks = 0, foreign_key_checks = 0`.execute(conn);
}

/**
 * Seeds the bench database of `open` (see openBenchDb): drops what is there,
 * creates the tables, loads, builds the indexes, analyses. `migrate` creates
 * the console's own tables (the built package's migrateToLatest).
 */
export async function seedBench(open, sizes, { migrate, log = console.log }) {
  const { db, dialect } = open;
  const landmarks = scaleLandmarks(sizes);
  const started = performance.now();
  log(`seed ${open.label}: ${sizes.users.toLocaleString('en-US')} users, ${sizes.teams.toLocaleString('en-US')} teams, ${sizes.audit.toLocaleString('en-US')} audit events`);
  for (const name of ['bench_meta', 'backstage_audit_events', 'backstage_errors', 'backstage_error_occurrences', 'backstage_migrations', 'backstage_migrations_lock', 'backstage_users_fts', 'backstage_teams_fts', 'subscriptions', 'invitations', 'memberships', 'teams', 'users']) {
    await db.schema.dropTable(name).ifExists().execute();
  }
  await createTables(db, dialect);
  await migrate(db, dialect);
  for (const [name] of AUDIT_INDEXES) await (dialect === 'mysql' ? sql`drop index ${sql.id(name)} on backstage_audit_events` : sql`drop index ${sql.id(name)}`).execute(db);
  await db.connection().execute(async (conn) => {
    await bulkSession(conn, dialect);
    await load(conn, dialect, 'users', userRows(sizes, landmarks), log);
    await load(conn, dialect, 'teams', teamRows(sizes, landmarks), log);
    await load(conn, dialect, 'memberships', membershipRows(sizes, landmarks), log);
    await load(conn, dialect, 'invitations', invitationRows(sizes, landmarks), log);
    await load(conn, dialect, 'subscriptions', subscriptionRows(sizes, landmarks), log);
    await load(conn, dialect, 'backstage_audit_events', auditRows(sizes), log);
  });
  await timed(log, `${HOST_INDEXES.length + AUDIT_INDEXES.length} indexes`, async () => {
    for (const [table, name, columns, unique] of HOST_INDEXES) {
      let builder = db.schema.createIndex(name).on(table).columns(columns);
      if (unique) builder = builder.unique();
      await builder.execute();
    }
    for (const [name, columns] of AUDIT_INDEXES) await db.schema.createIndex(name).on('backstage_audit_events').columns(columns).execute();
  });
  await timed(log, 'analyze', () => analyze(db, dialect));
  await db.schema.createTable('bench_meta').addColumn('sizes', 'varchar(200)').execute();
  await db.insertInto('bench_meta').values({ sizes: JSON.stringify(sizes) }).execute();
  const seconds = (performance.now() - started) / 1000;
  log(`seed ${open.label}: done in ${seconds.toFixed(0)} s`);
  return seconds;
}

/** The sizes the bench database holds, or null when it is not (completely) seeded. */
export async function seededSizes(db) {
  try {
    const row = await db.selectFrom('bench_meta').select('sizes').executeTakeFirst();
    return row ? JSON.parse(row.sizes) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// The demo at scale (examples/saas-app): the same rows appended to its seeded tables.

/**
 * Appends `sizes` of bulk users, teams, memberships, subscriptions and audit
 * events to the demo's already seeded tables (ids after the existing ones,
 * times spread over the demo's history), into its indexed tables as they are.
 */
export async function seedDemoAtScale({ db, dialect, sizes, now = new Date(), log = console.log }) {
  const max = async (table) => Number((await db.selectFrom(table).select(sql`max(id)`.as('n')).executeTakeFirst())?.n ?? 0);
  const firstUserId = (await max('users')) + 1;
  const firstTeamId = (await max('teams')) + 1;
  const options = { firstUserId, firstId: firstUserId, firstTeamId, firstSubscriptionId: (await max('subscriptions')) + 1, firstInvitationId: (await max('invitations')) + 1, span: 540 * DAY, end: now.getTime() - DAY };
  const landmarks = scaleLandmarks(sizes);
  const started = performance.now();
  log(`seed: appending ${sizes.users.toLocaleString('en-US')} users, ${sizes.teams.toLocaleString('en-US')} teams, ${sizes.audit.toLocaleString('en-US')} audit events (bench/seed-scale.mjs)`);
  // No superuser or admin among the bulk users: only the demo accounts can sign in and operate.
  const users = (function* () {
    for (const row of userRows(sizes, landmarks, options)) yield { ...row, role: 'user' };
  })();
  await db.connection().execute(async (conn) => {
    await bulkSession(conn, dialect);
    await load(conn, dialect, 'users', users, log);
    await load(conn, dialect, 'teams', teamRows(sizes, landmarks, options), log);
    await load(conn, dialect, 'memberships', membershipRows(sizes, landmarks, options), log);
    await load(conn, dialect, 'invitations', invitationRows(sizes, landmarks, options), log);
    await load(conn, dialect, 'subscriptions', subscriptionRows(sizes, landmarks, options), log);
    // The console's audit table exists once the app has called admin.migrate() (server.mjs does).
    const audit = await conn.selectFrom('backstage_audit_events').select('id').limit(1).execute().then(() => true, () => false);
    if (audit) await load(conn, dialect, 'backstage_audit_events', auditRows(sizes, options), log);
  });
  if (dialect === 'postgres') {
    for (const table of ['users', 'teams', 'invitations', 'subscriptions']) {
      await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(db);
    }
  }
  await timed(log, 'analyze', () => analyze(db, dialect));
  log(`seed: at scale in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

// ---------------------------------------------------------------------------
// Command line

function argValue(args, name) {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : undefined;
}

export function benchKinds(args) {
  const given = argValue(args, 'db');
  if (given) return given.split(',');
  return ['sqlite', ...(BENCH_URLS.postgres ? ['postgres'] : []), ...(BENCH_URLS.mysql ? ['mysql'] : [])];
}

export async function loadMigrate() {
  const dist = path.join(HERE, '..', 'dist', 'migrations', 'migrate.js');
  if (!fs.existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first');
  const { migrateToLatest } = await import(pathToFileURL(dist).href);
  return migrateToLatest;
}

async function main(args) {
  const kinds = benchKinds(args);
  if (args.includes('--drop')) {
    for (const kind of kinds) {
      const dropped = await dropBenchData(kind);
      if (dropped) console.log(`dropped ${dropped}`);
    }
    return;
  }
  const sizes = scaleSizes(Number(argValue(args, 'users') ?? 1_000_000));
  const migrate = await loadMigrate();
  for (const kind of kinds) {
    const open = await openBenchDb(kind, { users: sizes.users });
    try {
      const have = await seededSizes(open.db);
      if (have && JSON.stringify(have) === JSON.stringify(sizes) && !args.includes('--force')) {
        console.log(`${open.label}: already seeded (${JSON.stringify(have)}); --force to seed again`);
        continue;
      }
      await seedBench(open, sizes, { migrate });
    } finally {
      await open.close();
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
