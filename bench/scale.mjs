#!/usr/bin/env node
// The console at a million rows, on SQLite, PostgreSQL and MariaDB, in one run:
// each list page's server time next to the bare query for the same rows (the
// floor) and next to OFFSET + COUNT(*) paging (what AdminJS and Django admin do).
// Writes bench/RESULTS.md.
//
//   TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:scale
//   node bench/scale.mjs [--db sqlite,postgres,mysql] [--users 1000000] [--runs 30] [--out bench/RESULTS.md]
//
// The data comes from bench/seed-scale.mjs (seeded on first use, one database at a time, then kept).
// "Ours" is server time: from the request entering the host app to the response's 'finish', through
// the real router (session, role gate, CSRF, the list's queries, EJS), with requests sent over
// loopback; p50 and p95 of --runs after a warm-up. "Bare query" runs the very page query the console
// sent, compiled, through the same Kysely. "OFFSET/COUNT(*)" is the same page read with LIMIT/OFFSET
// plus a COUNT(*) of the same rows (a contains-search as LIKE '%…%' over email and name, like Django
// admin's search_fields).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import session from 'express-session';
import { sql } from 'kysely';
import { listen, percentile, request } from './lib.mjs';
import { benchKinds, loadMigrate, openBenchDb, scaleLandmarks, scaleSizes, seedBench, seededSizes } from './seed-scale.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const RUNS = Number(arg('runs', 50));
const WARMUP = 20;
const SIZES = scaleSizes(Number(arg('users', 1_000_000)));
const OUT = path.resolve(arg('out', path.join(HERE, 'RESULTS.md')));
const PEER_BUDGET_MS = 8_000;
const LOAD = os.loadavg();

const dist = await import(new URL('../dist/index.js', import.meta.url).href).catch(() => {
  throw new Error('dist/ is missing: run `npm run build` first (npm run bench:scale does)');
});
const { encodeCursor } = await import(new URL('../dist/pagination/keyset.js', import.meta.url).href);
const { dropSearchIndexes } = await import(new URL('../dist/search/search-index-ddl.js', import.meta.url).href);

const USERS_TARGET = { name: 'users', table: 'users', fields: [{ column: 'email', kind: 'email' }, { column: 'name', kind: 'text' }], recency: 'created_at' };
const TEAMS_TARGET = { name: 'teams', table: 'teams', fields: [{ column: 'name', kind: 'text' }, { column: 'slug', kind: 'text' }], recency: 'created_at' };
const USER_COLUMNS = sql`id, email, name, role, created_at, banned_at, confirmed_at, last_sign_in_at`;

const fmt = (value) => (value === null || value === undefined ? '—' : value >= 100 ? `${value.toFixed(0)} ms` : value >= 10 ? `${value.toFixed(1)} ms` : `${value.toFixed(2)} ms`);
const times = (a, b) => (a && b ? `${(b / a).toFixed(b / a >= 10 ? 0 : 1)}×` : '—');

/** A Kysely whose compiled queries are kept, to replay the console's own page query bare. */
function recording(db, log) {
  const executor = db.getExecutor();
  return db.withPlugin({
    transformQuery(args) {
      log.push(executor.compileQuery(args.node, args.queryId));
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  });
}

async function timeQuery(fn, { runs, budgetMs = Infinity }) {
  const samples = [];
  const started = performance.now();
  let result;
  for (let i = 0; i < runs + 2; i++) {
    const t = performance.now();
    result = await fn();
    if (i >= 2 || runs <= 2) samples.push(performance.now() - t);
    if (performance.now() - started > budgetMs && samples.length >= 3) break;
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), n: samples.length, result };
}

async function serverVersion(db, dialect) {
  if (dialect === 'sqlite') return `SQLite ${(await sql`select sqlite_version() as v`.execute(db)).rows[0].v}`;
  if (dialect === 'postgres') return String((await sql`select version() as v`.execute(db)).rows[0].v).split(' on ')[0];
  return `MariaDB ${String((await sql`select version() as v`.execute(db)).rows[0].v).split('-')[0]}`;
}

async function ensureSeeded(kind) {
  let open = await openBenchDb(kind, { users: SIZES.users });
  const have = await seededSizes(open.db);
  if (have && JSON.stringify(have) === JSON.stringify(SIZES)) return { open, seedSeconds: null };
  const seedSeconds = await seedBench(open, SIZES, { migrate: await loadMigrate() });
  return { open, seedSeconds };
}

async function run(kind) {
  const { open, seedSeconds } = await ensureSeeded(kind);
  const { db, dialect } = open;
  const landmarks = scaleLandmarks(SIZES);
  await dropSearchIndexes(db, dialect, [USERS_TARGET, TEAMS_TARGET]);

  const log = [];
  const app = express();
  const serverTimes = [];
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => serverTimes.push(Number(process.hrtime.bigint() - started) / 1e6));
    next();
  });
  app.use(session({ secret: 'bench-secret-bench-secret', resave: false, saveUninitialized: false }));
  const admin = dist.createAdmin({ db: recording(db, log), getUser: () => ({ id: 1, email: 'root@bench.test', role: 'superuser' }) });
  app.use('/admin', admin);
  await admin.ready();
  const { server, base } = await listen(app);
  // The OFFSET/COUNT(*) timings can take seconds: keep the loopback connection open across them.
  server.keepAliveTimeout = 120_000;
  // An operator's session, as a browser keeps it (the first page stores the CSRF secret in it).
  const first = await request(base, '/admin/users?limit=1');
  const cookie = first.headers['set-cookie'] ? String(first.headers['set-cookie']).split(';')[0] : undefined;

  const exactKey = dialect === 'sqlite' ? 'created_at' : 'created_at_exact';
  const exactCast = dialect === 'sqlite' ? sql`created_at` : sql`cast(created_at as ${sql.raw(dialect === 'mysql' ? 'char' : 'text')})`;
  const sort = [
    { key: exactKey, column: 'users.created_at', direction: 'desc', nullable: false },
    { key: 'id', column: 'users.id', direction: 'desc' },
  ];
  const depth = Math.floor(SIZES.users * 0.9);
  const deepRow = (await sql`select id, ${exactCast} as ${sql.ref(exactKey)} from users order by created_at desc, id desc limit 1 offset ${depth}`.execute(db)).rows[0];
  const deepCursor = encodeCursor(sort, deepRow);
  const middle = (await sql`select email from users where id = ${landmarks.middleUserId}`.execute(db)).rows[0].email;
  const bigTeam = landmarks.bigTeamId;
  const likeScan = (word) => sql`(lower(email) like ${`%${word}%`} or lower(name) like ${`%${word}%`})`;
  const offsetPage = (where, offset) => async () => {
    const page = await sql`select ${USER_COLUMNS} from users ${where ? sql`where ${where}` : sql``} order by created_at desc, id desc limit 50 offset ${offset}`.execute(db);
    await sql`select count(*) as n from users ${where ? sql`where ${where}` : sql``}`.execute(db);
    return page.rows.length;
  };

  const scenarios = [
    { label: 'first page (newest first)', path: '/admin/users', table: 'users', list: true, peer: offsetPage(null, 0), peerLabel: 'OFFSET 0 + COUNT(*)' },
    { label: 'page at 90 % depth (cursor)', path: `/admin/users?after=${deepCursor}`, table: 'users', list: true, deep: true, peer: offsetPage(null, depth), peerLabel: `OFFSET ${depth.toLocaleString('en-US')} + COUNT(*)` },
    { label: 'filter role=admin', path: '/admin/users?role=admin', table: 'users', list: true, peer: offsetPage(sql`role = 'admin'`, 0), peerLabel: 'OFFSET 0 + COUNT(*) where role' },
    { label: 'exact email (unique index)', path: `/admin/users?q=${encodeURIComponent(middle)}`, table: 'users', list: true, expect: middle, peer: offsetPage(likeScan(middle.toLowerCase()), 0), peerLabel: "LIKE '%…%' + COUNT(*)" },
    { label: 'contains "acme", no trigram index (newest 50,000)', path: '/admin/users?q=acme', table: 'users', expect: SIZES.users > 50_000 ? 'Searched the newest 50,000 users' : null, peer: offsetPage(likeScan('acme'), 0), peerLabel: "LIKE '%…%' + COUNT(*)" },
    { label: 'contains "acme", trigram index', path: '/admin/users?q=acme', table: 'users', list: true, trigram: true, peer: offsetPage(likeScan('acme'), 0), peerLabel: "LIKE '%…%' + COUNT(*)" },
    {
      label: `team page, ${SIZES.bigTeamMembers.toLocaleString('en-US')} members`,
      path: `/admin/teams/${bigTeam}`,
      table: 'memberships',
      expect: 'Megacorp Global',
      peer: async () => {
        const page = await sql`select user_id, role, created_at from memberships where team_id = ${bigTeam} order by created_at, user_id limit 50 offset 0`.execute(db);
        await sql`select count(*) as n from memberships where team_id = ${bigTeam}`.execute(db);
        return page.rows.length;
      },
      peerLabel: 'OFFSET 0 + COUNT(*) of the members',
    },
  ];

  // Warm the process (JIT, template cache, the database's pages) before anything is measured.
  for (const scenario of scenarios.filter((s) => s.list && !s.trigram)) {
    for (let i = 0; i < 50; i++) await request(base, scenario.path, { cookie });
  }

  const results = [];
  let trigramSeconds = null;
  for (const scenario of scenarios) {
    if (scenario.trigram) {
      if (dialect === 'mysql') {
        results.push({ ...scenario, skipped: 'MariaDB has no trigram index (see the README)' });
        continue;
      }
      const started = performance.now();
      await admin.createSearchIndexes();
      trigramSeconds = (performance.now() - started) / 1000;
      if (dialect === 'postgres') await sql`analyze users`.execute(db);
    }
    // One request to see which page query the console sends, and that the page is the right one.
    log.length = 0;
    const probe = await request(base, scenario.path, { cookie });
    if (probe.status !== 200) throw new Error(`${scenario.path} answered ${probe.status}: ${probe.body.slice(0, 500)}`);
    if (scenario.expect && !probe.body.includes(scenario.expect)) throw new Error(`${scenario.label}: the page does not show "${scenario.expect}"`);
    if (scenario.trigram && probe.body.includes('Searched the newest')) throw new Error(`${scenario.label}: still bounded after createSearchIndexes()`);
    const pageQuery = log.filter((q) => / limit /i.test(q.sql) && new RegExp(`from ["\`]${scenario.table}["\`]`).test(q.sql) && !/count\(/i.test(q.sql))[0];
    if (!pageQuery) throw new Error(`${scenario.label}: no page query recorded`);

    const trips = [];
    serverTimes.length = 0;
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const res = await request(base, scenario.path, { cookie });
      if (res.status !== 200) throw new Error(`${scenario.path} answered ${res.status}`);
      if (i >= WARMUP) trips.push(res.ms);
    }
    const ours = serverTimes.slice(WARMUP);
    const floor = await timeQuery(() => db.executeQuery(pageQuery), { runs: RUNS });
    const peer = await timeQuery(scenario.peer, { runs: 10, budgetMs: PEER_BUDGET_MS });
    results.push({
      ...scenario,
      ours: { p50: percentile(ours, 50), p95: percentile(ours, 95) },
      trip: percentile(trips, 50),
      floor,
      rows: Math.min(50, floor.result.rows.length),
      peer,
    });
    process.stdout.write(`  ${dialect}: ${scenario.label}: ${fmt(percentile(ours, 50))} (bare ${fmt(floor.p50)}, OFFSET/COUNT ${fmt(peer.p50)})\n`);
  }
  await dropSearchIndexes(db, dialect, [USERS_TARGET, TEAMS_TARGET]);
  server.close();
  await admin.close();
  const version = await serverVersion(db, dialect);
  await open.close();
  return { kind, dialect, label: open.label, version, seedSeconds, trigramSeconds, results };
}

function table(run) {
  const lines = [
    `### ${run.version}`,
    '',
    `${run.label}${run.seedSeconds !== null ? `, seeded in ${run.seedSeconds.toFixed(0)} s by this run` : ''}${run.trigramSeconds !== null ? `; trigram index (${run.dialect === 'sqlite' ? 'FTS5 table, triggers, rebuild' : 'pg_trgm GIN on lower(email) and lower(name), CONCURRENTLY'}) built in ${run.trigramSeconds.toFixed(1)} s` : ''}.`,
    '',
    '| request | rows | ours p50 | ours p95 | bare query p50 (floor) | ≤ 2 × floor + 3 ms | OFFSET/COUNT(*) p50 | OFFSET/COUNT(*) ÷ bare query |',
    '|---|---:|---:|---:|---:|:---:|---:|---:|',
  ];
  for (const r of run.results) {
    if (r.skipped) {
      lines.push(`| ${r.label} | — | — | — | — | n/a | — | ${r.skipped} |`);
      continue;
    }
    const target = r.list ? (r.ours.p50 <= 2 * r.floor.p50 + 3 ? 'met' : `**missed** (${fmt(2 * r.floor.p50 + 3)})`) : 'n/a';
    const deep = r.deep ? (r.peer.p50 / r.floor.p50 >= 50 ? ' (≥ 50×: met)' : ' (**< 50×: missed**)') : '';
    lines.push(`| ${r.label} | ${r.rows} | ${fmt(r.ours.p50)} | ${fmt(r.ours.p95)} | ${fmt(r.floor.p50)} | ${target} | ${fmt(r.peer.p50)}${r.peer.n < 10 ? ` (n=${r.peer.n})` : ''} | ${times(r.floor.p50, r.peer.p50)}${deep} |`);
  }
  return lines.join('\n');
}

const kinds = benchKinds(args);
const runs = [];
for (const kind of kinds) {
  console.log(`${kind}…`);
  runs.push(await run(kind));
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const markdown = `# The console at ${SIZES.users.toLocaleString('en-US')} rows

Regenerate with \`npm run bench:scale\` (with \`TEST_POSTGRES_URL\` / \`TEST_MYSQL_URL\` or \`BENCH_POSTGRES_URL\` / \`BENCH_MYSQL_URL\` set for PostgreSQL and MariaDB); data from \`bench/seed-scale.mjs\`: ${SIZES.users.toLocaleString('en-US')} users, ${SIZES.teams.toLocaleString('en-US')} teams with memberships (one of ${SIZES.bigTeamMembers.toLocaleString('en-US')} members), invitations, subscriptions and ${SIZES.audit.toLocaleString('en-US')} audit events, with the indexes \`doctor\` asks for: users \`(created_at, id)\`, \`(role, created_at, id)\`, unique \`email\`.

Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}, NODE_ENV=${process.env.NODE_ENV ?? '(unset)'}, load average ${LOAD.map((l) => l.toFixed(1)).join(' / ')} at the start (a shared machine: other work ran meanwhile, so p95s are noisy); the databases run on the same machine with their default settings (MariaDB: a 128 MB buffer pool).

- **ours**: server time of the console page (request in → response finished, through the real router: session, role gate, CSRF, the page's queries, EJS), requests over loopback with an operator's session cookie, p50/p95 of ${RUNS} after ${WARMUP} warm-up (and after 50 requests of each list page to warm the process).
- **bare query (floor)**: the page query the console itself sent, replayed compiled through the same Kysely, p50 of ${RUNS}.
- **OFFSET/COUNT(*)**: what other consoles do for the same page: LIMIT 50 OFFSET n plus a COUNT(*) of the same rows; a search is \`lower(email) LIKE '%…%' OR lower(name) LIKE '%…%'\`. p50 of up to 10 (fewer when one takes seconds: n shown).
- **target**: list pages (first, deep, filter, indexed search) ≤ 2 × the bare query + 3 ms; the deep page's query ≥ 50 × faster than OFFSET at 90 % depth (query against query: a page adds the console's own fixed cost of about 2 ms, session, gate, CSRF and 50 rows of EJS, which an OFFSET console pays too).
- The contains-search without a trigram index is bounded by design: it reads the newest 50,000 users and says so on the page (it finds the newest of the 50 "acme" users only); its floor is that bounded query. The team page runs several bounded queries (team, members page, member count, invitations, subscription, audit trail, users) and renders members (floor: its members page query); the target does not apply to either. Once the trigram index exists, PostgreSQL uses it for the peers' LIKE too; SQLite's FTS5 table answers only the console's MATCH, so there the LIKE still reads every row.

${runs.map(table).join('\n\n')}
`;
fs.writeFileSync(OUT, markdown);
console.log(`\nwrote ${path.relative(process.cwd(), OUT)}\n`);
console.log(markdown);
process.exit(0);
