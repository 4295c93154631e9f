/**
 * `npx express-backstage doctor`: a host checks its configuration against its
 * live database before (or after) mounting the console, and is told what to
 * fix, with the exact statement to run, without doctor changing anything.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import { runCli } from '../src/cli';
import { migrateToLatest } from '../src/migrations/migrate';
import { DIALECTS } from './helpers/dialects';
import { createHostSchema, timestampType } from './helpers/host-schema';
import { openHostDb, tempDir, type HostDb } from './fixtures/hosts/host-db';

async function doctor(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const lines: string[] = [];
  const code = await runCli(['doctor', ...args], (line) => lines.push(line), { cwd, env });
  return { code, text: lines.join('\n') };
}

/** Everything doctor could have changed: tables, columns and indexes. */
async function schemaSnapshot(host: HostDb): Promise<string> {
  const tables = await host.db.introspection.getTables();
  const indexes = host.dialect === 'sqlite' ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index' order by name`.execute(host.db)).rows : [];
  return JSON.stringify({ tables: tables.map((t) => [t.name, t.columns.map((c) => c.name)]).sort(), indexes });
}

/** A port nothing listens on, for a Redis that is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('doctor on a misconfigured SQLite host', () => {
  let host: HostDb;
  let folder: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    host = await openHostDb('sqlite');
    folder = tempDir('doctor-bad');
    // A Knex-style app: accounts with a boolean is_admin, no indexes beyond the primary key.
    await host.db.schema
      .createTable('accounts')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    fs.writeFileSync(
      path.join(folder.dir, 'backstage.config.cjs'),
      `module.exports = {
        db: ${JSON.stringify(host.url)},
        roles: ['admin'], superuserRoles: ['admin'],
        models: { users: { table: 'accounts', columns: { role: 'admin_flag', name: null }, role: { kind: 'boolean' } } },
      };`,
    );
  });
  afterAll(async () => {
    folder.remove();
    await host?.destroy();
  });

  it('names every problem with what to do, exits 1, and changes nothing', async () => {
    const before = await schemaSnapshot(host);
    const port = await closedPort();
    const { code, text } = await doctor([], folder.dir, { REDIS_URL: `redis://:secret@127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(text).toContain('ok    config     Read backstage.config.cjs.');
    expect(text).toMatch(/ok {4}database {3}Connected to sqlite:.*host\.sqlite \(db in backstage\.config\.cjs\), SQLite\./);
    expect(text).toContain('FIX   users      express-backstage: options.models.users.columns.role is "admin_flag", but table "accounts" has no such column (columns: id, email, is_admin, created_at).');
    expect(text).toContain('→ Correct models.users in backstage.config.cjs; the console refuses to start with this mapping.');
    expect(text).toContain("FIX   migrations The console's own tables do not exist yet (0001_audit_events");
    expect(text).toContain('→ npx express-backstage migrate');
    expect(text).toContain(`FIX   redis      Redis at redis://:***@127.0.0.1:${port} (REDIS_URL) is not reachable: connection refused at 127.0.0.1:${port}.`);
    expect(text).not.toContain('secret');
    expect(text).toMatch(/\n\d+ to fix, \d+ warnings?\.$/);
    expect(await schemaSnapshot(host)).toBe(before);
  });

  it('with the mapping corrected, it prints the CREATE INDEX each missing index needs, and they work', async () => {
    const mapping = ['--role-column', 'is_admin'];
    const first = await doctor(mapping, folder.dir);
    expect(first.text).toContain('ok    users      Users are read from "accounts" (id, email, is_admin, created_at).');
    expect(first.text).toContain('warn  index      accounts (email) has no unique index: finding a user by exact email (search, grant) scans the table');
    expect(first.text).toContain('→ Look for duplicates first: SELECT email, count(*) FROM accounts GROUP BY email HAVING count(*) > 1;');
    expect(first.text).toContain('→ CREATE UNIQUE INDEX IF NOT EXISTS "accounts_email_key" ON "accounts" ("email");');
    expect(first.text).toContain('warn  index      accounts (is_admin, created_at, id) has no index: filtering the users list by role reads every user.');
    expect(first.text).toContain('→ CREATE INDEX IF NOT EXISTS "accounts_is_admin_created_at_id_idx" ON "accounts" ("is_admin", "created_at", "id");');
    expect(first.text).toContain('→ CREATE INDEX IF NOT EXISTS "accounts_created_at_id_idx" ON "accounts" ("created_at", "id");');
    expect(first.text).toContain('info  users      Not found in "accounts", so these features are off: ban / unban (banned_at); the "unconfirmed" filter (confirmed_at); last sign-in dates (last_sign_in_at).');

    for (const statement of first.text.match(/CREATE (UNIQUE )?INDEX .*;/g)!) await sql.raw(statement).execute(host.db);
    await migrateToLatest(host.db, 'sqlite');
    const second = await doctor(mapping, folder.dir, {});
    expect(second.text).toContain('ok    index      The indexes the users list needs are in place: (created_at, id), (is_admin, created_at, id), unique (email).');
    expect(second.text).toContain("ok    migrations The console's own tables are up to date");
    expect(second.text).toContain('All good: nothing to fix.');
    expect(second.code).toBe(0);
  });
});

describe('doctor on a healthy SQLite host', () => {
  let host: HostDb;
  let folder: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    host = await openHostDb('sqlite');
    folder = tempDir('doctor-good');
    await createHostSchema(host.db, 'sqlite');
    // SQLite appends the INTEGER PRIMARY KEY (rowid) to every index, so (role, created_at) is enough.
    await host.db.schema.createIndex('users_role_created').on('users').columns(['role', 'created_at']).execute();
    await host.db.schema.createIndex('teams_created').on('teams').columns(['created_at']).execute();
    await host.db.schema.createIndex('teams_name').on('teams').columns(['name']).execute();
    await host.db.schema.createIndex('memberships_user').on('memberships').columns(['user_id']).execute();
    await migrateToLatest(host.db, 'sqlite');
  });
  afterAll(async () => {
    folder.remove();
    await host?.destroy();
  });

  it('reports every check as fine and exits 0', async () => {
    const env = { DATABASE_URL: host.url, REDIS_URL: process.env.TEST_REDIS_URL };
    const { code, text } = await doctor([], folder.dir, env);
    expect(text).toContain('info  config     No backstage.config.(js|cjs|mjs|json) here: checking the default mapping');
    expect(text).toContain('(DATABASE_URL), SQLite.');
    expect(text).toContain('ok    users      Users are read from "users" (id, email, name, role, created_at, banned_at, confirmed_at, last_sign_in_at).');
    expect(text).toContain('ok    teams      Mapped: teams, memberships.');
    expect(text).toContain('ok    index      The indexes the users list needs are in place');
    if (process.env.TEST_REDIS_URL) expect(text).toMatch(/ok {4}redis {6}Redis at .* \(REDIS_URL\) answers: PONG in \d+ ms\./);
    expect(text).toContain('All good: nothing to fix.');
    expect(code).toBe(0);
  });

  it('--json gives the same findings to a script', async () => {
    const { code, text } = await doctor(['--json', '--db', host.url], folder.dir);
    const report = JSON.parse(text);
    expect(code).toBe(0);
    expect(report.exitCode).toBe(0);
    expect(report.findings.map((f: { topic: string }) => f.topic)).toEqual(expect.arrayContaining(['config', 'database', 'options', 'users', 'teams', 'index', 'migrations', 'redis']));
  });

  it('an options mistake is reported as createAdmin would throw it', async () => {
    fs.writeFileSync(path.join(folder.dir, 'backstage.config.json'), JSON.stringify({ roles: ['admin'], superuserRoles: ['root'] }));
    const { code, text } = await doctor(['--db', host.url], folder.dir);
    fs.rmSync(path.join(folder.dir, 'backstage.config.json'));
    expect(code).toBe(1);
    expect(text).toContain('FIX   options    express-backstage: options.superuserRoles must be a subset of options.roles (["admin"]), got ["root"] outside it');
  });

  it('a database it cannot reach', async () => {
    const port = await closedPort();
    const { code, text } = await doctor(['--db', `postgres://app:pw@127.0.0.1:${port}/app`], folder.dir);
    expect(code).toBe(1);
    expect(text).toContain(`FIX   database   Could not connect to postgres://app:***@127.0.0.1:${port}/app (--db)`);
    expect(text).not.toContain(':pw@');
  });
});

describe.each(DIALECTS)('doctor reads indexes and writes the DDL for %s', (dialect) => {
  let host: HostDb;
  let folder: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    host = await openHostDb(dialect);
    folder = tempDir(`doctor-${dialect}`);
    await host.db.schema
      .createTable('members')
      .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('email', 'varchar(320)', (c) => c.notNull())
      .addColumn('role', 'varchar(32)', (c) => c.notNull())
      .addColumn('created_at', timestampType(dialect) as any, (c) => c.notNull())
      .execute();
    await migrateToLatest(host.db, dialect);
  });
  afterAll(async () => {
    folder.remove();
    await host?.destroy();
  });

  it('missing indexes are warnings (exit 0, or 1 with --strict); their DDL runs as printed; then all is fine', async () => {
    const args = ['--db', host.url, '--users-table', 'members'];
    const first = await doctor(args, folder.dir);
    expect(first.code).toBe(0);
    expect((await doctor([...args, '--strict'], folder.dir)).code).toBe(1);
    // The list indexes (the search's trigram advice, an opt-in, is checked in test/search-cli.test.ts).
    const statements = first.text.match(/CREATE (UNIQUE )?INDEX (?!.*_trgm_ops).*;/g)!;
    expect(statements).toHaveLength(3);
    if (dialect === 'postgres') expect(statements[0]).toMatch(/^CREATE INDEX CONCURRENTLY IF NOT EXISTS "members_created_at_id_idx" ON "members"/);
    if (dialect === 'mysql') expect(statements[0]).toBe('CREATE INDEX `members_created_at_id_idx` ON `members` (`created_at`, `id`) ALGORITHM=INPLACE LOCK=NONE;');
    for (const statement of statements) await sql.raw(statement).execute(host.db);
    const second = await doctor([...args, '--strict'], folder.dir);
    expect(second.text).toContain('The indexes the users list needs are in place: (created_at, id), (role, created_at, id), unique (email).');
    expect(second.code).toBe(0);
  });

  it('a partial index does not count', async () => {
    if (dialect === 'mysql') return; // MySQL has no partial indexes
    await sql.raw('drop index members_role_created_at_id_idx').execute(host.db);
    await sql.raw(`create index members_role_partial on members (role, created_at, id) where role = 'admin'`).execute(host.db);
    const { text } = await doctor(['--db', host.url, '--users-table', 'members'], folder.dir);
    expect(text).toContain('warn  index      members (role, created_at, id) has no index');
  });
});

it('doctor is listed in the help', async () => {
  const lines: string[] = [];
  await runCli(['help'], (line) => lines.push(line));
  expect(lines.join('\n')).toMatch(/doctor {2,}Check a configuration/);
});

/** The team-side tables as a host might have them: no indexes but the primary keys. */
async function createTeamSideTables(host: HostDb): Promise<void> {
  const ts = timestampType(host.dialect) as any;
  const id = (table: any) => (host.dialect === 'postgres' ? table.addColumn('id', 'serial', (c: any) => c.primaryKey()) : table.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement()));
  await id(host.db.schema.createTable('invitations'))
    .addColumn('team_id', 'integer', (c: any) => c.notNull())
    .addColumn('email', 'varchar(320)', (c: any) => c.notNull())
    .addColumn('created_at', ts, (c: any) => c.notNull())
    .execute();
  await id(host.db.schema.createTable('subscriptions'))
    .addColumn('team_id', 'integer', (c: any) => c.notNull())
    .addColumn('plan', 'varchar(40)', (c: any) => c.notNull())
    .addColumn('status', 'varchar(20)', (c: any) => c.notNull())
    .addColumn('amount_cents', 'integer', (c: any) => c.notNull())
    .addColumn('currency', 'varchar(3)', (c: any) => c.notNull())
    .addColumn('interval', 'varchar(10)', (c: any) => c.notNull())
    .addColumn('current_period_end', ts, (c: any) => c.notNull())
    .execute();
}

describe.each(DIALECTS)('doctor names the indexes the teams and billing pages need on %s', (dialect) => {
  let host: HostDb;
  let folder: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    host = await openHostDb(dialect);
    folder = tempDir(`doctor-teams-${dialect}`);
    await createHostSchema(host.db, dialect);
    await createTeamSideTables(host);
    await migrateToLatest(host.db, dialect);
  });
  afterAll(async () => {
    folder.remove();
    await host?.destroy();
  });

  it('one warning per missing index, with the statement for this database; run as printed, they satisfy it', async () => {
    const first = await doctor(['--db', host.url], folder.dir);
    expect(first.text).toContain('ok    teams      Mapped: teams, memberships, invitations, subscriptions.');
    expect(first.text).toContain('warn  index      teams (created_at, id) has no index: the teams list (newest first, its default order) sorts the whole table on every page.');
    expect(first.text).toContain('warn  index      teams (name, id) has no index: sorting the teams list by name sorts the whole table.');
    // The primary key (team_id, user_id) serves a team's members; a user's teams need their own.
    expect(first.text).not.toContain('memberships (team_id) has no index');
    expect(first.text).toContain("warn  index      memberships (user_id) has no index: a user's page (the teams they belong to) reads every membership.");
    expect(first.text).toContain("warn  index      invitations (team_id, created_at, id) has no index: a team's invitations (newest first) read every invitation.");
    expect(first.text).toContain("warn  index      invitations (email) has no index: a user's invitations (found by email) read every invitation.");
    expect(first.text).toContain("warn  index      subscriptions (team_id) has no index: a team's subscription (its page, and the plan filter of the teams list) reads every subscription.");
    expect(first.text).toContain('warn  index      subscriptions (status, current_period_end, id) has no index: the billing page (past due first, revenue by status) reads every subscription.');
    const statements = first.text.match(/CREATE INDEX (?!.*_trgm_ops).*;/g)!.filter((s) => !s.includes('"users"') && !s.includes('`users`'));
    expect(statements).toHaveLength(7);
    if (dialect === 'sqlite') expect(statements).toContain('CREATE INDEX IF NOT EXISTS "subscriptions_status_current_period_end_id_idx" ON "subscriptions" ("status", "current_period_end", "id");');
    if (dialect === 'postgres') expect(statements).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS "teams_created_at_id_idx" ON "teams" ("created_at", "id");');
    if (dialect === 'mysql') expect(statements).toContain('CREATE INDEX `memberships_user_id_idx` ON `memberships` (`user_id`) ALGORITHM=INPLACE LOCK=NONE;');
    for (const statement of statements) await sql.raw(statement).execute(host.db);

    const second = await doctor(['--db', host.url], folder.dir);
    expect(second.text).toContain('ok    index      The indexes the teams list needs are in place: (created_at, id), (name, id).');
    expect(second.text).toContain('ok    index      The indexes the team and user pages needs are in place: (team_id), (user_id).');
    expect(second.text).toContain('ok    index      The indexes the billing page needs are in place: (team_id), (status, current_period_end, id).');
    expect(second.text).not.toMatch(/warn {2}index {6}(teams|memberships|invitations|subscriptions) /);
  });
});

describe('doctor --app: what only the running app shows', () => {
  let host: HostDb;
  let folder: ReturnType<typeof tempDir>;
  const root = path.resolve(__dirname, '..');

  /** A host app: express-session with `store`, some routes, then the guard and the console as `order` says. */
  function writeApp(name: string, store: 'memory' | 'shared', order: 'routes-first' | 'guard-first') {
    const routes = "app.get('/dashboard', (req, res) => res.send('dashboard'));\napp.post('/settings', (req, res) => res.send('saved'));";
    const consoleLines = "app.use(admin.guard);\napp.use('/admin', admin);";
    fs.writeFileSync(
      path.join(folder.dir, name),
      `const express = require('express');
const session = require('express-session');
const { createAdmin } = require('express-backstage');
// A store of the app's own (as connect-redis would be), or express-session's default MemoryStore.
class SharedStore extends session.Store {
  constructor() { super(); this.sessions = new Map(); }
  get(sid, cb) { cb(null, this.sessions.get(sid) ?? null); }
  set(sid, value, cb) { this.sessions.set(sid, value); cb(null); }
  destroy(sid, cb) { this.sessions.delete(sid); cb(null); }
}
const admin = createAdmin({ db: ${JSON.stringify(host.url)}, getUser: (req) => req.user ?? null });
const app = express();
app.use(session({ secret: 'doctor-app', resave: false, saveUninitialized: false${store === 'shared' ? ', store: new SharedStore()' : ''} }));
${order === 'routes-first' ? `${routes}\n${consoleLines}` : `${consoleLines}\n${routes}`}
module.exports = { app };
`,
    );
  }

  beforeAll(async () => {
    host = await openHostDb('sqlite');
    folder = tempDir('doctor-app');
    await createHostSchema(host.db, 'sqlite');
    await migrateToLatest(host.db, 'sqlite');
    fs.mkdirSync(path.join(folder.dir, 'node_modules'));
    for (const [as, target] of [['express-backstage', root], ['express', path.join(root, 'node_modules/express4')], ['express-session', path.join(root, 'node_modules/express-session')]]) {
      fs.symlinkSync(target, path.join(folder.dir, 'node_modules', as), 'dir');
    }
    writeApp('misconfigured.js', 'memory', 'routes-first');
    writeApp('healthy.js', 'shared', 'guard-first');
  });
  afterAll(async () => {
    folder.remove();
    await host?.destroy();
  });

  const built = fs.existsSync(path.join(root, 'dist/index.js'));
  (built ? it : it.skip)('in production, the MemoryStore and a guard mounted after the routes are warnings with what to do', async () => {
    const { text } = await doctor(['--db', host.url, '--app', 'misconfigured.js'], folder.dir, { NODE_ENV: 'production' });
    expect(text).toContain('ok    app        Loaded misconfigured.js: the console is mounted in it.');
    expect(text).toContain('ok    schema     The console started: the mapping matches the live schema.');
    expect(text).toContain('warn  session    Your express-session keeps sessions in its default MemoryStore (NODE_ENV is production): in production it leaks memory and signs everyone out at every restart and on every other instance.');
    expect(text).toContain('→ Pass a shared store (connect-redis, connect-pg-simple, express-mysql-session, …) to session({ store }).');
    expect(text).toContain('warn  guard      admin.guard is mounted after 2 of your routes (GET /dashboard; POST /settings): while an operator impersonates a user, requests to them get no banner, no read-only refusal and no audit record.');
    expect(text).toContain('→ Move app.use(admin.guard) above them, right after your session and sign-in middleware.');

    const outsideProduction = await doctor(['--db', host.url, '--app', 'misconfigured.js'], folder.dir, {});
    expect(outsideProduction.text).toContain('info  session    Your express-session keeps sessions in its default MemoryStore (NODE_ENV is not production');
  });

  (built ? it : it.skip)('a shared store and the guard before the routes are fine', async () => {
    const { text } = await doctor(['--db', host.url, '--app', 'healthy.js'], folder.dir, { NODE_ENV: 'production' });
    expect(text).toContain('ok    session    Sessions are kept in SharedStore (your express-session).');
    expect(text).toContain('ok    guard      admin.guard is mounted before your routes and the console.');
  });

  (built ? it : it.skip)('an app without the console, and one that cannot be loaded', async () => {
    fs.writeFileSync(path.join(folder.dir, 'bare.js'), "const app = require('express')();\napp.get('/', (req, res) => res.send('hi'));\nmodule.exports = app;\n");
    const bare = await doctor(['--db', host.url, '--app', 'bare.js'], folder.dir);
    expect(bare.code).toBe(1);
    expect(bare.text).toContain('FIX   app        bare.js does not mount the console (no createAdmin router in its middleware stack).');
    const missing = await doctor(['--db', host.url, '--app', 'nowhere.js'], folder.dir);
    expect(missing.text).toContain(`FIX   app        --app nowhere.js: no such file in ${folder.dir}.`);
    fs.writeFileSync(path.join(folder.dir, 'broken.js'), "throw new Error('DATABASE_URL is not set');\n");
    const broken = await doctor(['--db', host.url, '--app', 'broken.js'], folder.dir);
    expect(broken.text).toContain('FIX   app        Could not load broken.js: DATABASE_URL is not set');
  });
});
