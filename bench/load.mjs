#!/usr/bin/env node
// Load: 50 operators working the console at once for 30 s — dashboard, lists,
// searches, detail pages and actions — while 200 live streams stay open.
//
//   npm run bench:load                       (builds, then runs on SQLite)
//   node bench/load.mjs [--operators 50] [--seconds 30] [--warmup 5] [--streams 200] [--users 10000]
//   DATABASE_URL=postgres://… or mysql://…   (a private schema / database, dropped at the end)
//   REDIS_URL=redis://127.0.0.1:6379         (adds a Bull queue and the queue pages to the mix)
//
// The console runs in a child process (the built package from dist/, a plain
// express + express-session host), so its memory and handles are measured on
// their own; this process is the load. Passes when: no request fails or gets an
// unexpected status, every stream stays open and receives events, heap growth
// after warm-up is under 10 %, and after the clients leave and admin.close()
// the child has the handles, timers and listeners it had before the console
// was created. Prints a Markdown report; exits 1 when a check fails.
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const OPERATORS = Number(args.operators ?? 50);
const SECONDS = Number(args.seconds ?? 30);
const WARMUP = Number(args.warmup ?? 5);
const STREAMS = Number(args.streams ?? 200);
const USERS = Number(args.users ?? 10_000);
const CUSTOMERS_ACTED_ON = 200;

if (process.argv.includes('--child')) {
  // When the load process goes away (finished, failed, interrupted), so does the console.
  process.on('disconnect', () => process.exit(1));
  await child();
} else {
  await parent();
}

// ---------------------------------------------------------------- the console (child)

async function child() {
  const { Kysely, SqliteDialect, PostgresDialect, MysqlDialect, sql } = await import('kysely');
  const express = (await import('express')).default;
  const session = (await import('express-session')).default;
  const url = process.env.DATABASE_URL ?? '';
  const namespace = `bench_load_${process.pid}`;
  let db;
  let dialect;
  let dropNamespace = async () => {};
  if (url.startsWith('postgres')) {
    const { default: pg } = await import('pg');
    const admin = new pg.Pool({ connectionString: url, max: 1 });
    await admin.query(`create schema ${namespace}`);
    dropNamespace = async () => {
      await admin.query(`drop schema ${namespace} cascade`);
      await admin.end();
    };
    db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 10, options: `-c search_path=${namespace}` }) }) });
    dialect = 'postgres';
  } else if (url.startsWith('mysql') || url.startsWith('mariadb')) {
    const { createPool } = await import('mysql2');
    const base = url.replace(/^mariadb:/, 'mysql:');
    const admin = new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: base, connectionLimit: 1 }) }) });
    await sql`create database ${sql.id(namespace)}`.execute(admin);
    dropNamespace = async () => {
      await sql`drop database ${sql.id(namespace)}`.execute(admin);
      await admin.destroy();
    };
    const u = new URL(base);
    u.pathname = `/${namespace}`;
    db = new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: u.toString(), connectionLimit: 10, timezone: 'Z' }) }) });
    dialect = 'mysql';
  } else {
    const { default: Database } = await import('better-sqlite3');
    const file = new Database(':memory:');
    db = new Kysely({ dialect: new SqliteDialect({ database: file }) });
    dialect = 'sqlite';
  }
  const ids = await seed(db, dialect, sql);

  let queue = null;
  if (process.env.REDIS_URL) {
    const { default: Bull } = await import('bull');
    queue = new Bull('load-mail', process.env.REDIS_URL, { prefix: `bench-load-${process.pid}` });
    queue.on('error', () => {});
    for (let i = 0; i < 50; i++) await queue.add('invite', { userId: ids.customers[i], teamId: ids.teams[i % ids.teams.length] });
  }

  // The host's pool at its full size before the baseline, so its growth under load is not counted as the console's.
  if (dialect !== 'sqlite') {
    const pause = dialect === 'postgres' ? sql`select pg_sleep(0.05)` : sql`select sleep(0.05)`;
    await Promise.all(Array.from({ length: 10 }, () => pause.execute(db)));
  }
  // The harness's own message handler is in place before the baseline is taken.
  let onMessage = async () => {};
  process.on('message', (message) => void onMessage(message));
  // Everything the host and the console may leave behind is compared against this.
  const before = footprint(queue);

  const { createAdmin } = await import('../dist/index.js');
  const app = express();
  app.use(session({ secret: 'load-bench-secret-load-bench', resave: false, saveUninitialized: false }));
  app.get('/bench/sign-in/:id', (req, res) => {
    req.session.userId = req.params.id;
    res.send('ok');
  });
  const operatorsById = new Map(ids.operators.map((o) => [o.id, o]));
  app.use(async (req, _res, next) => {
    try {
      const id = req.session?.userId;
      // Operators are cached, as a host with its own session cache would; customers are read when needed.
      req.user = id ? (operatorsById.get(id) ?? (await db.selectFrom('users').selectAll().where('id', '=', Number(id)).executeTakeFirst()) ?? null) : null;
      next();
    } catch (err) {
      next(err);
    }
  });
  const admin = createAdmin({ db, getUser: (req) => req.user ?? null, ...(queue ? { queues: [queue] } : {}), live: { maxClients: 10_000 } });
  await admin.migrate();
  await admin.ready();
  app.use(admin.guard);
  app.use('/admin', admin);
  const server = http.createServer({ keepAliveTimeout: 60_000 }, app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  let publisher = null;
  onMessage = async (message) => {
    if (message.type === 'memory') {
      global.gc();
      global.gc();
      const m = process.memoryUsage();
      process.send({ type: 'memory', heapUsed: m.heapUsed, rss: m.rss, sockets: sockets.size });
    } else if (message.type === 'publish') {
      // The host app's own events while the operators work: signups every 200 ms.
      publisher = setInterval(() => void admin.publish('signups', { at: new Date().toISOString() }), 200);
    } else if (message.type === 'close') {
      clearInterval(publisher);
      const open = sockets.size;
      await new Promise((resolve) => server.close(resolve));
      await admin.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = footprint(queue);
      if (queue) {
        await queue.obliterate({ force: true }).catch(() => {});
        await queue.close();
      }
      await db.destroy();
      await dropNamespace();
      process.send({ type: 'closed', before, after, openSocketsAtClose: open });
      process.exit(0);
    }
  };
  process.send({ type: 'ready', port: server.address().port, dialect, operators: ids.operators, customers: ids.customers.slice(0, CUSTOMERS_ACTED_ON), teams: ids.teams, queue: queue ? 'load-mail' : null });
}

/** Handles (sockets, servers), timers and process listeners: what a leak would leave behind. */
function footprint(queue) {
  // The host's queue keeps its Redis connections after admin.close() (they are the host's); Bull opens some lazily.
  const queueConnections = queue ? queue.clients.filter((c) => c.status === 'ready' || c.status === 'connect').length : 0;
  const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
  const kinds = {};
  for (const r of resources) kinds[r] = (kinds[r] ?? 0) + 1;
  const listeners = {};
  for (const event of process.eventNames()) listeners[String(event)] = process.listenerCount(event);
  return { handles: process._getActiveHandles().length, resources: kinds, listeners, queueConnections };
}

async function seed(db, dialect, sql) {
  const ts = dialect === 'postgres' ? 'timestamptz' : dialect === 'mysql' ? sql`datetime(3)` : 'text';
  const id = (t) => (dialect === 'postgres' ? t.addColumn('id', 'serial', (c) => c.primaryKey()) : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()));
  const date = (d) => (dialect === 'sqlite' ? d.toISOString() : d);
  await id(db.schema.createTable('users'))
    .addColumn('email', 'varchar(320)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(200)')
    .addColumn('role', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('banned_at', ts)
    .addColumn('confirmed_at', ts)
    .addColumn('last_sign_in_at', ts)
    .execute();
  await db.schema.createIndex('users_created').on('users').columns(['created_at', 'id']).execute();
  await id(db.schema.createTable('teams')).addColumn('name', 'varchar(200)', (c) => c.notNull()).addColumn('slug', 'varchar(200)').addColumn('owner_id', 'integer').addColumn('created_at', ts, (c) => c.notNull()).execute();
  await db.schema.createIndex('teams_created').on('teams').columns(['created_at', 'id']).execute();
  await db.schema.createTable('memberships').addColumn('team_id', 'integer', (c) => c.notNull()).addColumn('user_id', 'integer', (c) => c.notNull()).addColumn('role', 'varchar(32)', (c) => c.notNull()).addColumn('created_at', ts, (c) => c.notNull()).addPrimaryKeyConstraint('memberships_pk', ['team_id', 'user_id']).execute();
  await db.schema.createIndex('memberships_user').on('memberships').columns(['user_id']).execute();
  await id(db.schema.createTable('invitations')).addColumn('team_id', 'integer', (c) => c.notNull()).addColumn('email', 'varchar(320)', (c) => c.notNull()).addColumn('role', 'varchar(32)').addColumn('invited_by_id', 'integer').addColumn('created_at', ts, (c) => c.notNull()).addColumn('accepted_at', ts).addColumn('expires_at', ts).execute();
  await db.schema.createIndex('invitations_team').on('invitations').columns(['team_id']).execute();
  await db.schema.createIndex('invitations_email').on('invitations').columns(['email']).execute();
  await id(db.schema.createTable('subscriptions'))
    .addColumn('team_id', 'integer', (c) => c.notNull())
    .addColumn('plan', 'varchar(50)', (c) => c.notNull())
    .addColumn('status', 'varchar(30)', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('currency', 'varchar(3)', (c) => c.notNull())
    .addColumn('interval', 'varchar(10)', (c) => c.notNull())
    .addColumn('current_period_end', ts, (c) => c.notNull())
    .addColumn('trial_ends_at', ts)
    .addColumn('canceled_at', ts)
    .addColumn('external_id', 'varchar(64)')
    .execute();
  await db.schema.createIndex('subscriptions_team').on('subscriptions').columns(['team_id']).execute();

  const start = Date.UTC(2025, 0, 1);
  const rows = [];
  for (let i = 0; i < USERS; i++) {
    const operator = i < OPERATORS;
    rows.push({
      email: operator ? `operator${i}@ops.test` : `customer${i}@${['acme', 'globex', 'initech', 'umbrella'][i % 4]}.test`,
      name: operator ? `Operator ${i}` : `Customer ${i}`,
      role: operator ? (i % 5 === 0 ? 'superuser' : 'admin') : 'user',
      created_at: date(new Date(start + i * 60_000)),
      confirmed_at: i % 7 === 0 ? null : date(new Date(start + i * 60_000)),
    });
  }
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('users').values(rows.slice(i, i + 500)).execute();
  const users = await db.selectFrom('users').select(['id', 'email', 'name', 'role', 'created_at']).orderBy('id').execute();
  const operators = users.filter((u) => u.role !== 'user').map((u) => ({ ...u, id: String(u.id) }));
  const customers = users.filter((u) => u.role === 'user').map((u) => String(u.id));

  const teamRows = [];
  for (let i = 0; i < Math.max(10, Math.floor(USERS / 10)); i++) teamRows.push({ name: `Team ${i}`, slug: `team-${i}`, owner_id: Number(customers[i]), created_at: date(new Date(start + i * 3_600_000)) });
  for (let i = 0; i < teamRows.length; i += 500) await db.insertInto('teams').values(teamRows.slice(i, i + 500)).execute();
  const teams = (await db.selectFrom('teams').select('id').orderBy('id').execute()).map((t) => String(t.id));
  const members = [];
  teams.forEach((team, i) => {
    members.push({ team_id: Number(team), user_id: Number(customers[i]), role: 'owner', created_at: date(new Date(start)) });
    for (let k = 1; k <= 4; k++) members.push({ team_id: Number(team), user_id: Number(customers[(teams.length + i * 4 + k) % customers.length]), role: 'member', created_at: date(new Date(start)) });
  });
  for (let i = 0; i < members.length; i += 500) await db.insertInto('memberships').values(members.slice(i, i + 500)).execute();
  const invitations = teams.map((team, i) => ({ team_id: Number(team), email: `invitee${i}@example.test`, role: 'member', invited_by_id: Number(customers[i]), created_at: date(new Date(start)), expires_at: date(new Date(Date.now() + 86_400_000)) }));
  for (let i = 0; i < invitations.length; i += 500) await db.insertInto('invitations').values(invitations.slice(i, i + 500)).execute();
  const subs = teams.map((team, i) => ({
    team_id: Number(team),
    plan: ['starter', 'pro', 'team'][i % 3],
    status: ['active', 'active', 'trialing', 'past_due', 'canceled'][i % 5],
    amount_cents: [900, 2900, 9900][i % 3],
    currency: 'usd',
    interval: 'month',
    current_period_end: date(new Date(Date.now() + 20 * 86_400_000)),
  }));
  for (let i = 0; i < subs.length; i += 500) await db.insertInto('subscriptions').values(subs.slice(i, i + 500)).execute();
  return { operators, customers, teams };
}

// ---------------------------------------------------------------- the operators (parent)

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

function send(agent, port, method, path, { cookie, body } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const headers = cookie ? { cookie } : {};
    if (body) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', (err) => resolve({ status: 0, error: err.message, ms: performance.now() - started }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout after 30 s')));
    req.on('error', (err) => resolve({ status: 0, error: err.message, ms: performance.now() - started }));
    req.end(body);
  });
}

function pick(list, n) {
  return list[n % list.length];
}

async function parent() {
  const child = fork(fileURLToPath(import.meta.url), ['--child', ...process.argv.slice(2)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages = [];
  const waiters = [];
  child.on('message', (m) => {
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
    else messages.push(m);
  });
  const next = (type) => {
    const i = messages.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(messages.splice(i, 1)[0]);
    return new Promise((resolve) => waiters.push({ type, resolve }));
  };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.on('uncaughtException', (err) => {
    console.error(err);
    child.kill();
    process.exit(1);
  });

  const ready = await Promise.race([next('ready'), exited.then((code) => Promise.reject(new Error(`the console process exited (${code}) before it was ready`)))]);
  const { port, operators, customers, teams } = ready;

  // Sign every operator in, with their own keep-alive socket.
  const sessions = [];
  for (const operator of operators.slice(0, OPERATORS)) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const signed = await send(agent, port, 'GET', `/bench/sign-in/${operator.id}`);
    const cookie = String(signed.headers['set-cookie'] ?? '').split(';')[0];
    const home = await send(agent, port, 'GET', '/admin/', { cookie });
    const token = /x-csrf-token&#34;:&#34;([^&]+)&#34;/.exec(home.text)?.[1];
    if (home.status !== 200 || !token) throw new Error(`operator ${operator.email} could not open the console (${home.status})`);
    sessions.push({ operator, agent, cookie, token, superuser: operator.role === 'superuser' });
  }

  // What operators do, with how often they do it. Each entry: [name, weight, (session, n) => [method, path, body?, expected status]].
  const words = ['acme', 'customer12', 'globex', 'initech', 'operator', 'umbrella', 'customer99'];
  const ACTIONS = [
    ['dashboard', 10, () => ['GET', '/admin/', null, 200]],
    ['users list', 10, (s, n) => ['GET', `/admin/users${pick(['', '?sort=email', '?sort=-created_at&limit=100', '?status=unconfirmed', '?role=admin'], n)}`, null, 200]],
    ['users search', 8, (s, n) => ['GET', `/admin/users?q=${pick(words, n)}`, null, 200]],
    ['user page', 12, (s, n) => ['GET', `/admin/users/${pick(customers, n * 7)}`, null, 200]],
    ['teams list', 6, (s, n) => ['GET', `/admin/teams${pick(['', '?q=team%201', '?status=past_due', '?sort=name'], n)}`, null, 200]],
    ['team page', 8, (s, n) => ['GET', `/admin/teams/${pick(teams, n * 3)}`, null, 200]],
    ['audit log', 6, (s, n) => ['GET', `/admin/audit${pick(['', '?action=user.', `?actor=${s.operator.email}`], n)}`, null, 200]],
    ['billing', 4, () => ['GET', '/admin/billing', null, 200]],
    ['errors', 3, () => ['GET', '/admin/errors', null, 200]],
    ['page 2 (cursor)', 5, (s) => (s.nextPage ? ['GET', s.nextPage, null, 200] : ['GET', '/admin/users?limit=20', null, 200])],
    ['ban / unban', 6, (s, n) => {
      const customer = pick(customers, s.operator.id * 31 + n);
      s.banned ??= new Set();
      const verb = s.banned.has(customer) ? 'unban' : 'ban';
      s.banned[verb === 'ban' ? 'add' : 'delete'](customer);
      return ['POST', `/admin/users/${customer}/${verb}`, `_csrf=${s.token}&reason=load+test`, 303];
    }],
    ['support mode', 3, (s, n) => (s.scoped ? (delete s.scoped, ['POST', '/admin/scope/exit', `_csrf=${s.token}`, 303]) : ((s.scoped = true), ['POST', `/admin/teams/${pick(teams, n)}/scope`, `_csrf=${s.token}`, 303]))],
    ...(ready.queue ? [['queues', 4, (s, n) => ['GET', pick(['/admin/dev/queues', `/admin/dev/queues/${ready.queue}?state=waiting`], n), null, 200]]] : []),
  ];
  const totalWeight = ACTIONS.reduce((sum, a) => sum + a[1], 0);
  const choose = (r) => {
    let x = r * totalWeight;
    for (const action of ACTIONS) if ((x -= action[1]) < 0) return action;
    return ACTIONS[0];
  };

  // 200 live streams, held open for the whole run.
  const streams = [];
  for (let i = 0; i < STREAMS; i++) {
    const s = sessions[i % sessions.length];
    const stream = { events: 0, status: 0, open: false, error: null, req: null };
    stream.req = http.get({ host: '127.0.0.1', port, path: '/admin/live?topics=signups,jobs', agent: false, headers: { cookie: s.cookie, accept: 'text/event-stream' } }, (res) => {
      stream.status = res.statusCode;
      stream.open = res.statusCode === 200;
      res.setEncoding('utf8');
      res.on('data', (chunk) => (stream.events += (chunk.match(/^event: signups$/gm) ?? []).length));
      res.on('close', () => (stream.open = false));
    });
    stream.req.on('error', (err) => (stream.error = err.message));
    streams.push(stream);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  child.send({ type: 'publish' });

  const samples = new Map(ACTIONS.map(([name]) => [name, []]));
  const failures = [];
  let measuring = false;
  let stop = false;
  // mulberry32: the same sequence of actions on every run.
  let seed = 42;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };

  async function operatorLoop(s) {
    let n = 0;
    while (!stop) {
      n++;
      const [name, , plan] = choose(random());
      const [method, path, body, expected] = plan(s, n);
      const res = await send(s.agent, port, method, path, { cookie: s.cookie, body });
      if (res.status !== expected) failures.push(`${name}: ${method} ${path} → ${res.status || res.error}`);
      if (name === 'users list' || name === 'page 2 (cursor)') {
        const link = /rel="next" href="([^"]+)"/.exec(res.text ?? '');
        s.nextPage = link ? link[1].replace(/&amp;/g, '&') : null;
      }
      if (measuring) samples.get(name).push(res.ms);
    }
  }

  const memoryOf = async () => {
    child.send({ type: 'memory' });
    return next('memory');
  };

  const started = Date.now();
  const loops = sessions.map((s) => operatorLoop(s));
  await new Promise((resolve) => setTimeout(resolve, WARMUP * 1000));
  const warm = await memoryOf();
  measuring = true;
  const memoryTrail = [warm];
  const measuredFrom = Date.now();
  while (Date.now() - measuredFrom < SECONDS * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    memoryTrail.push(await memoryOf());
  }
  measuring = false;
  stop = true;
  await Promise.all(loops);
  const measuredSeconds = (Date.now() - measuredFrom) / 1000;
  const end = memoryTrail[memoryTrail.length - 1];

  const streamsOpenAtEnd = streams.filter((s) => s.open).length;
  const streamsWithEvents = streams.filter((s) => s.events > 0).length;
  const streamErrors = streams.filter((s) => s.status !== 200 || s.error).length;
  for (const s of streams) s.req.destroy();
  for (const s of sessions) s.agent.destroy();
  await new Promise((resolve) => setTimeout(resolve, 500));
  child.send({ type: 'close' });
  const closed = await next('closed');
  await exited;

  // ---------------------------------------------------------------- report
  const all = [...samples.values()].flat().sort((a, b) => a - b);
  const fmt = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '–');
  const lines = [];
  lines.push(`\n## Load: ${OPERATORS} operators for ${SECONDS} s (+${WARMUP} s warm-up), ${STREAMS} open live streams — ${ready.dialect}${ready.queue ? ' + Redis queue' : ''}\n`);
  lines.push(`${USERS.toLocaleString('en-US')} users, ${teams.length.toLocaleString('en-US')} teams; one keep-alive socket per operator; loopback; Node ${process.version}.\n`);
  lines.push('| what | requests | p50 | p95 | p99 |', '|---|---:|---:|---:|---:|');
  for (const [name, list] of samples) {
    const sorted = [...list].sort((a, b) => a - b);
    lines.push(`| ${name} | ${sorted.length} | ${fmt(percentile(sorted, 50))} | ${fmt(percentile(sorted, 95))} | ${fmt(percentile(sorted, 99))} |`);
  }
  lines.push(`| **all** | **${all.length}** (${(all.length / measuredSeconds).toFixed(0)}/s) | **${fmt(percentile(all, 50))}** | **${fmt(percentile(all, 95))}** | **${fmt(percentile(all, 99))}** |`);
  const heapGrowth = (end.heapUsed - warm.heapUsed) / warm.heapUsed;
  const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  lines.push('');
  lines.push(`- Errors: ${failures.length} of ${all.length} requests${failures.length ? ` (first: ${failures.slice(0, 5).join('; ')})` : ''}.`);
  lines.push(`- Live streams: ${STREAMS} opened, ${streamErrors} refused or failed, ${streamsOpenAtEnd} still open at the end, ${streamsWithEvents} received signups events.`);
  lines.push(`- Memory after GC: heap ${mb(warm.heapUsed)} after warm-up → ${mb(end.heapUsed)} at the end (${(heapGrowth * 100).toFixed(1)} %); RSS ${mb(warm.rss)} → ${mb(end.rss)}. Trail: ${memoryTrail.map((m) => mb(m.heapUsed)).join(', ')}.`);
  lines.push(`- Before the console was created: ${closed.before.handles} handles ${JSON.stringify(closed.before.resources)}, process listeners ${JSON.stringify(closed.before.listeners)}, ${closed.before.queueConnections} Redis connections of the host's queue.`);
  lines.push(`- After the clients left, server.close() and admin.close(): ${closed.after.handles} handles ${JSON.stringify(closed.after.resources)}, process listeners ${JSON.stringify(closed.after.listeners)}, ${closed.after.queueConnections} Redis connections of the host's queue (${closed.openSocketsAtClose} client sockets were still open when closing began).`);

  // Connections the host's queue opened on its own (Bull connects lazily) are the host's, closed with the queue.
  const queueGrowth = Math.max(0, closed.after.queueConnections - closed.before.queueConnections);
  const leaked =
    closed.after.handles - queueGrowth > closed.before.handles ||
    Object.entries(closed.after.resources).some(([kind, n]) => n - (kind === 'TCPSocketWrap' ? queueGrowth : 0) > (closed.before.resources[kind] ?? 0)) ||
    Object.entries(closed.after.listeners).some(([event, n]) => n > (closed.before.listeners[event] ?? 0));
  const checks = [
    ['no failed request', failures.length === 0],
    ['every stream served and still open', streamErrors === 0 && streamsOpenAtEnd === STREAMS],
    ['every stream received events', streamsWithEvents === STREAMS],
    ['heap growth after warm-up < 10 %', heapGrowth < 0.1],
    ['nothing left behind after close', !leaked],
  ];
  lines.push('', ...checks.map(([name, ok]) => `- ${ok ? 'PASS' : 'FAIL'}: ${name}`), '');
  console.log(lines.join('\n'));
  console.log(`(total run ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
}
