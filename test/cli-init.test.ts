/**
 * `npx express-backstage init` in a host's folder: it finds the database,
 * proposes the mapping, writes one file in the host's language and module
 * system, and prints the lines to paste. The fixture hosts are copied into a
 * temporary folder, the printed lines pasted into their app, and their own
 * tests (written with express-backstage/testing) run against the result.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../src/cli';
import { proposeMapping, type TableFacts } from '../src/init/propose-mapping';
import { DIALECTS } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { openHostDb, tempDir, type HostDb } from './fixtures/hosts/host-db';
import { fixtureHost, pastePrintedLines as pasteLines, runNode } from './fixtures/hosts/fixture-host';

const ROOT = path.resolve(__dirname, '..');
const built = fs.existsSync(path.join(ROOT, 'dist/testing/index.js'));
/** What the first init run printed in each folder: the paste step pastes what the host was told to. */
const initOutputs = new Map<string, string>();

async function init(cwd: string, args: string[] = ['--yes'], io: { env?: Record<string, string | undefined>; ask?: (q: string) => Promise<string> } = {}) {
  const lines: string[] = [];
  const code = await runCli(['init', ...args], (line) => lines.push(line), { cwd, env: io.env ?? {}, ask: io.ask });
  return { code, text: lines.join('\n') };
}

/** Pastes the printed lines as the host would, checking the guard line is among them. */
function pastePrintedLines(appFile: string, output: string): string[] {
  const pasted = pasteLines(appFile, output);
  expect(pasted[1]).toBe('app.use(admin.guard);');
  return pasted;
}

describe('init in a CommonJS Express 4 app with a knexfile, SQLite and a boolean is_admin', () => {
  let host: ReturnType<typeof tempDir>;
  let file: string;

  beforeAll(() => {
    host = fixtureHost('knex-cjs', { express: 'express4', 'express-session': 'express-session', knex: 'knex', 'better-sqlite3': 'better-sqlite3', supertest: 'supertest' });
    const db = new Database(path.join(host.dir, 'dev.sqlite3'));
    db.exec(fs.readFileSync(path.join(host.dir, 'schema.sql'), 'utf8'));
    db.close();
    file = path.join(host.dir, 'backstage.js');
  });
  afterAll(() => host?.remove());

  it('finds the database in the knexfile, shows what it matched and what not, and writes backstage.js', async () => {
    const { code, text } = await init(host.dir);
    expect(text).toContain('Database: ./dev.sqlite3 (knexfile.js, development), SQLite');
    expect(text).toContain('Project:  JavaScript, CommonJS → backstage.js');
    expect(text).toContain('users → table "accounts"');
    expect(text).toMatch(/✓ role +is_admin \(boolean: true = admin, false = user\)/);
    expect(text).toMatch(/✓ bannedAt +is_active \(inverted flag: false = banned\)/);
    expect(text).toMatch(/✓ createdAt +created_at \(epoch-ms\)/);
    expect(text).toMatch(/· confirmedAt +not found/);
    expect(text).toContain('teams → table "organizations"');
    expect(text).toMatch(/✓ team_id +organization_id/);
    expect(text).toContain('invitations → not found: no such table');
    expect(text).toContain('Checked against the live schema: the console starts with this mapping.');
    expect(text).toContain('Wrote backstage.js.');
    expect(text).toContain('Wrote backstage.test.js: it loads app.js, signs in as an admin it creates, and checks the console (node:test).');
    expect(text).toContain("The console's own: node --test backstage.test.js");
    expect(text).toContain("Created the console's tables (0001_audit_events");
    expect(text).toContain('Wrote backstage.config.cjs: the mapping, read by backstage.js and by grant and doctor.');
    // The grant line needs no flags: grant reads the mapping from backstage.config.cjs.
    expect(text).toContain('  npx express-backstage grant you@example.com --role admin\n');
    expect(text).toContain('Check the setup any time: npx express-backstage doctor --app app.js');
    expect(text).toContain("is_admin is a boolean, so every admin is also a superuser (superuserRoles: ['admin'] in backstage.config.cjs)");
    expect(text).toContain("To narrow it, set roles: ['admin', 'superuser'] and superuserRoles: ['superuser'] in backstage.config.cjs");
    expect(text).toContain('Add these lines to app.js, the module that builds your app (your tests load it too), after your session and auth middleware and before your routes:');
    // The shop's package.json has no supertest: the generated tests need it.
    expect(text).toContain('The tests need supertest, which your package.json does not list: npm install --save-dev supertest');
    expect(code).toBe(0);
    initOutputs.set(host.dir, text);

    const written = fs.readFileSync(file, 'utf8');
    expect(written).toContain("const { createAdmin } = require('express-backstage');");
    expect(written).toContain("const config = require('./backstage.config.cjs');");
    expect(written).toContain('  ...config,\n');
    expect(written).toContain("const knexfile = require('./knexfile');");
    // NODE_ENV picks the knexfile entry, as Knex does; a missing entry (NODE_ENV=test) falls back to the one init read.
    expect(written).toContain("db: knexfile[process.env.NODE_ENV ?? 'development'] ?? knexfile.development,");
    expect(written).toContain("roleOf: (user) => (user.is_admin ? 'admin' : 'user'),");
    expect(written).toContain('module.exports = { admin };');
    expect(written).not.toContain('models:');

    // The mapping lives in the config the commands read too; the knexfile stays the database's one source.
    const config = fs.readFileSync(path.join(host.dir, 'backstage.config.cjs'), 'utf8');
    expect(config).toContain("roles: ['admin'],\n  superuserRoles: ['admin'],");
    expect(config).toContain("columns: { name: 'full_name', role: 'is_admin', bannedAt: 'is_active', lastSignInAt: 'last_login_at' },");
    expect(config).toContain("teams: { table: 'organizations', dates: 'epoch-ms' },");
    expect(config).not.toContain('db:');
    expect(config).not.toContain('knex_migrations');
  });

  (built ? it : it.skip)('before the lines are pasted, the generated tests say once that app.js does not mount the console', () => {
    const run = runNode(host.dir, ['--test', 'backstage.test.js']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/ok 1 - the console starts against this app's database/);
    expect(run.stdout).toMatch(/not ok 2 - the app mounts the console at \/admin/);
    const said = "The app loaded from app.js does not mount the console at /admin: paste the two lines into app.js (app.use(admin.guard); app.use('/admin', admin);), or run `npx express-backstage doctor --app app.js`.";
    expect(run.stdout.split(said).length - 1).toBe(1);
    expect(run.stdout).toContain('The console is not mounted in app.js: see the test "the app mounts the console at /admin".');
    expect(run.stdout).not.toContain('could not read the console');
  }, 60_000);

  (built ? it : it.skip)("the two pasted lines mount the console, and the shop's own test passes", () => {
    const pasted = pastePrintedLines(path.join(host.dir, 'app.js'), initOutputs.get(host.dir)!);
    expect(pasted).toEqual(["const { admin } = require('./backstage');", 'app.use(admin.guard);', "app.use('/admin', admin);"]);
    const run = runNode(host.dir, ['check.cjs']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      users: 200,
      listsAccounts: true,
      showsFullName: true,
      search: 200,
      ban: 303,
      banned: ['buyer@knex-shop.test'],
      nonAdmin: 403,
    });
  }, 60_000);

  (built ? it : it.skip)('the generated tests load the app, sign in as the admin they create, and pass with npm test (node --test)', () => {
    const written = fs.readFileSync(path.join(host.dir, 'backstage.test.js'), 'utf8');
    expect(written).toContain('// The app it loads: app.js.');
    expect(written).toContain("const appModule = require('./app');");
    expect(written).toContain("const { admin } = require('./backstage');");
    expect(written).toContain("await agent.post('/login').type('form').send({ email: user.email, password: TEST_PASSWORD });");
    // What the shop's `npm test` runs: node --test finds the file by its name.
    const run = runNode(host.dir, ['--test']);
    expect(run.stdout).toMatch(/# tests 8\n# suites 0\n# pass 8\n# fail 0/);
    expect(run.status).toBe(0);
    // The users it created are gone again.
    const db = new Database(path.join(host.dir, 'dev.sqlite3'));
    expect(db.prepare("select count(*) as n from accounts where email like 'backstage-%'").get()).toEqual({ n: 0 });
    db.close();
  }, 60_000);

  it('a second run leaves the files alone, and sees the lines are pasted', async () => {
    const { code, text } = await init(host.dir);
    expect(text).toContain('backstage.config.cjs is up to date.');
    expect(text).toContain('backstage.js is up to date.');
    expect(text).toContain('backstage.test.js is up to date.');
    expect(text).toContain('app.js already has the lines (app.use(admin.guard) and the mount): nothing to paste.');
    expect(text).not.toContain('Add these lines');
    expect(code).toBe(0);
  });

  it('grant and doctor read the mapping init wrote: no flags', async () => {
    const cli = async (args: string[]) => {
      const lines: string[] = [];
      const code = await runCli(args, (line) => lines.push(line), { cwd: host.dir, env: {} });
      return { code, text: lines.join('\n') };
    };
    const superuser = await cli(['grant', 'buyer@knex-shop.test', '--role', 'superuser']);
    expect(superuser.text).toBe('express-backstage grant: the role column "is_admin" is a boolean, so it holds "admin" (true) or "user" (false); "superuser" cannot be stored. Use --role admin.');
    expect(superuser.code).toBe(1);
    const granted = await cli(['grant', 'buyer@knex-shop.test', '--role', 'admin']);
    expect(granted.text).toContain('buyer@knex-shop.test is now admin (was user).');
    expect(granted.code).toBe(0);
    const db = new Database(path.join(host.dir, 'dev.sqlite3'));
    db.prepare("update accounts set is_admin = 0 where email = 'buyer@knex-shop.test'").run();
    db.close();

    const doctor = await cli(['doctor']);
    expect(doctor.text).toContain('ok    config     Read backstage.config.cjs.');
    expect(doctor.text).toContain('ok    options    Options are valid (roles admin; superusers admin).');
    expect(doctor.text).toContain('Users are read from "accounts" (id, email, full_name, is_admin, created_at, is_active, last_login_at).');
    expect(doctor.text).not.toContain('names off');
    expect(doctor.code).toBe(0);
  });

  (built ? it : it.skip)('a renamed column breaks the console loudly, and init (file untouched) updates the mapping', async () => {
    const db = new Database(path.join(host.dir, 'dev.sqlite3'));
    db.exec('alter table accounts rename column full_name to display_name');
    db.close();
    const broken = runNode(host.dir, ['check.cjs']);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain(
      'could not read the console\'s CSRF token: GET /admin/audit?limit=1 answered 500. The console says: Something went wrong inside the console. The error has been logged. — BackstageConfigError: express-backstage: options.models.users.columns.name is "full_name", but table "accounts" has no such column',
    );

    // The generated tests fail first with what changed, not with a bare status.
    const failing = runNode(host.dir, ['--test', 'backstage.test.js']);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toMatch(/not ok 1 - the console starts against this app's database/);
    expect(failing.stdout).toContain('The console cannot start against this database');
    expect(failing.stdout).toContain('options.models.users.columns.name is "full_name", but table "accounts" has no such column (columns: id, email, display_name,');

    // doctor reads the same mapping, so it sees what broke.
    const lines: string[] = [];
    expect(await runCli(['doctor'], (line) => lines.push(line), { cwd: host.dir, env: {} })).toBe(1);
    expect(lines.join('\n')).toContain('FIX   users      express-backstage: options.models.users.columns.name is "full_name", but table "accounts" has no such column');

    const { code, text } = await init(host.dir);
    expect(text).toContain('Updated backstage.config.cjs');
    expect(text).toContain('backstage.js is up to date.');
    expect(code).toBe(0);
    expect(fs.readFileSync(path.join(host.dir, 'backstage.config.cjs'), 'utf8')).toContain("name: 'display_name'");
    expect(JSON.parse(runNode(host.dir, ['check.cjs']).stdout).users).toBe(200);
    expect(runNode(host.dir, ['--test', 'backstage.test.js']).stdout).toMatch(/# pass 8\n# fail 0/);
  }, 60_000);

  it('keeps a test file the host edited (its own sign-in filled in); --force rewrites it', async () => {
    const tests = path.join(host.dir, 'backstage.test.js');
    const edited = fs.readFileSync(tests, 'utf8').replace("agent.post('/login')", "agent.post('/login?from=tests')");
    fs.writeFileSync(tests, edited);
    const kept = await init(host.dir);
    expect(kept.text).toContain('backstage.test.js was edited since init wrote it, so it is kept as it is (init --force rewrites it).');
    expect(kept.code).toBe(0);
    expect(fs.readFileSync(tests, 'utf8')).toBe(edited);
    const forced = await init(host.dir, ['--yes', '--force']);
    expect(forced.text).toContain('Updated backstage.test.js');
    expect(fs.readFileSync(tests, 'utf8')).not.toContain('from=tests');
    const skipped = await init(host.dir, ['--yes', '--no-tests']);
    expect(skipped.text).not.toContain('backstage.test.js');
  });

  it('an edited backstage.js is kept while the mapping changes in the config', async () => {
    const edited = fs.readFileSync(file, 'utf8').replace("loginPath: '/login'", "loginPath: '/sign-in'");
    fs.writeFileSync(file, edited);
    const db = new Database(path.join(host.dir, 'dev.sqlite3'));
    db.exec('alter table accounts add column email_verified_at bigint');
    db.close();

    const { code, text } = await init(host.dir);
    expect(text).toContain('backstage.js was edited since init wrote it, and init has nothing new for it, so it is kept as it is.');
    expect(text).toContain('Updated backstage.config.cjs');
    expect(code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(edited);
    expect(fs.readFileSync(path.join(host.dir, 'backstage.config.cjs'), 'utf8')).toContain("confirmedAt: 'email_verified_at'");
  });

  it('never overwrites a config the host edited: it shows the change and needs --force', async () => {
    const configFile = path.join(host.dir, 'backstage.config.cjs');
    const edited = fs.readFileSync(configFile, 'utf8').replace("superuserRoles: ['admin'],", "superuserRoles: ['admin'], // reviewed");
    fs.writeFileSync(configFile, edited);
    const db = new Database(path.join(host.dir, 'dev.sqlite3'));
    db.exec('alter table accounts add column last_seen_at bigint');
    db.exec('alter table accounts drop column last_login_at');
    db.close();

    const refused = await init(host.dir);
    expect(refused.code).toBe(1);
    expect(refused.text).toContain('backstage.config.cjs was edited since init wrote it; init would change it like this:');
    expect(refused.text).toContain("-   superuserRoles: ['admin'], // reviewed\n  +   superuserRoles: ['admin'],");
    expect(refused.text).toMatch(/\n  \+ .*lastSignInAt: 'last_seen_at'/);
    expect(refused.text).toContain('Not written. Run init again with --force to overwrite backstage.config.cjs');
    expect(fs.readFileSync(configFile, 'utf8')).toBe(edited);

    const forced = await init(host.dir, ['--yes', '--force']);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(configFile, 'utf8')).not.toContain('// reviewed');
    expect(fs.readFileSync(file, 'utf8')).toContain("loginPath: '/login'");
  });
});

const esmDialect = DIALECTS.includes('postgres') ? 'postgres' : 'sqlite';
describe(`init in an ESM TypeScript Express 5 app with Kysely and DATABASE_URL in .env (${esmDialect})`, () => {
  let host: ReturnType<typeof tempDir>;
  let database: HostDb;

  beforeAll(async () => {
    host = fixtureHost('kysely-esm-ts', {
      express: 'express',
      'express-session': 'express-session',
      kysely: 'kysely',
      pg: 'pg',
      'better-sqlite3': 'better-sqlite3',
      supertest: 'supertest',
      '@types': '@types',
    });
    database = await openHostDb(esmDialect);
    await createHostSchema(database.db, esmDialect);
    await insertUsers(database.db, esmDialect, [{ email: 'ops@esm-saas.test', role: 'admin' }, { email: 'customer@esm-saas.test' }]);
    fs.writeFileSync(path.join(host.dir, '.env'), `# local settings\nDATABASE_URL="${database.url}"\n`);
  });
  afterAll(async () => {
    host?.remove();
    await database?.destroy();
  });

  it('a conventional schema needs no mapping: src/backstage.ts with ESM imports and DATABASE_URL', async () => {
    const { code, text } = await init(host.dir);
    expect(text).toContain(`(DATABASE_URL in .env), ${esmDialect === 'postgres' ? 'PostgreSQL' : 'SQLite'}`);
    expect(text).toContain('Project:  TypeScript, ES modules → src/backstage.ts');
    expect(text).toContain('Role values in use: admin, user; the console lets in admin and superuser.');
    expect(text).toContain('Add these lines to src/app.ts, the module that builds your app (your tests load it too), after your session and auth middleware and before your routes:');
    expect(text).toContain("  import { admin } from './backstage.js';");
    expect(text).toContain('npx express-backstage grant you@example.com --role superuser\n');
    expect(text).toContain('Check the setup any time: npx express-backstage doctor --app dist/app.js');
    expect(text).toContain('Wrote backstage.config.json: the mapping, read by src/backstage.ts and by grant and doctor.');
    expect(text).toContain('Wrote src/backstage.test.ts: it loads src/app.ts, signs in as an admin it creates, and checks the console (node:test).');
    expect(text).toContain("The console's own: npx tsc && node --test dist/backstage.test.js");
    expect(code).toBe(0);
    initOutputs.set(host.dir, text);

    const written = fs.readFileSync(path.join(host.dir, 'src/backstage.ts'), 'utf8');
    expect(written).toContain("import { backstageConfig, createAdmin } from 'express-backstage';");
    expect(written).toContain('const config = backstageConfig(import.meta.url);');
    expect(written).toContain('export const admin = createAdmin({\n  ...config,');
    expect(written).toContain('db: process.env.DATABASE_URL!,');
    expect(written).toContain('getUser: (req: any) => req.user ?? null,');
    expect(written).not.toContain('models:');
    expect(written).not.toContain('module.exports');
    // A conventional schema: the config holds only its note (JSON cannot read DATABASE_URL; the CLI falls back to it).
    const config = JSON.parse(fs.readFileSync(path.join(host.dir, 'backstage.config.json'), 'utf8'));
    expect(Object.keys(config)).toEqual(['//']);
  });

  (built ? it : it.skip)('the pasted lines typecheck with the strict NodeNext config, and the built app serves the console', () => {
    pastePrintedLines(path.join(host.dir, 'src/app.ts'), initOutputs.get(host.dir)!);
    const tsc = runNode(host.dir, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const run = runNode(host.dir, ['check.mjs'], { DATABASE_URL: database.url });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ users: 200, listsCustomer: true, nonAdmin: 403, anonymous: 303, to: '/login?next=%2Fadmin%2Fusers' });
  }, 90_000);

  (built ? it : it.skip)('the generated TypeScript tests compile with the app and pass; a renamed email column fails them with what changed', async () => {
    const written = fs.readFileSync(path.join(host.dir, 'src/backstage.test.ts'), 'utf8');
    expect(written).toContain("import * as appModule from './app.js';");
    expect(written).toContain("import { admin } from './backstage.js';");
    // compiled by the previous test's tsc, with the strict NodeNext config
    const run = runNode(host.dir, ['--test', 'dist/backstage.test.js'], { DATABASE_URL: database.url });
    expect(run.stdout).toMatch(/# pass 8\n# fail 0/);
    expect(run.status).toBe(0);

    await database.db.schema.alterTable('users').renameColumn('email', 'email_address').execute();
    const failing = runNode(host.dir, ['--test', 'dist/backstage.test.js'], { DATABASE_URL: database.url });
    expect(failing.status).toBe(1);
    expect(failing.stdout).toMatch(/not ok 1 - the console starts against this app's database/);
    expect(failing.stdout).toContain('options.models.users.columns.email is "email", but table "users" has no such column (columns: id, email_address,');
  }, 60_000);
});

describe('init without a terminal, a database or a users table', () => {
  let host: ReturnType<typeof tempDir>;
  let database: HostDb;
  beforeEach(async () => {
    host = tempDir('init-misc');
    database = await openHostDb('sqlite');
  });
  afterEach(async () => {
    host.remove();
    await database.destroy();
  });

  it('without --yes and without a terminal it shows the file and writes nothing', async () => {
    await createHostSchema(database.db, 'sqlite');
    const { code, text } = await init(host.dir, ['--db', database.url]);
    expect(code).toBe(1);
    expect(text).toContain('This is the file init would write to backstage.config.cjs:');
    expect(text).toContain('This is the file init would write to backstage.js:');
    expect(text).toContain("  const { createAdmin } = require('express-backstage');");
    expect(text).toContain('Nothing written: there is no terminal to ask in. Run init again with --yes to write it.');
    expect(fs.existsSync(path.join(host.dir, 'backstage.js'))).toBe(false);
  });

  it('in a terminal it asks before writing', async () => {
    await createHostSchema(database.db, 'sqlite');
    const questions: string[] = [];
    const no = await init(host.dir, ['--db', database.url, '--skip-migrate'], { ask: async (q) => (questions.push(q), 'n') });
    expect(questions).toEqual(['\nWrite backstage.config.cjs and backstage.js? [Y/n] ']);
    expect(no.text).toContain('Nothing written.');
    const yes = await init(host.dir, ['--db', database.url, '--out', 'lib/admin.mjs'], { ask: async () => '' });
    expect(yes.code).toBe(0);
    const written = fs.readFileSync(path.join(host.dir, 'lib/admin.mjs'), 'utf8');
    expect(written).toContain("import { createAdmin } from 'express-backstage';");
    expect(written).toContain("import config from '../backstage.config.mjs';");
    // The database lives outside the project, so its path stays absolute.
    expect(fs.readFileSync(path.join(host.dir, 'backstage.config.mjs'), 'utf8')).toContain(`db: '${database.url}',`);
  });

  it('no database anywhere: exit 1, and a SQLite file in the folder is suggested', async () => {
    const { code, text } = await init(host.dir, ['--yes'], { env: {} });
    expect(code).toBe(1);
    expect(text).toBe('express-backstage init: no database found. Pass --db <url>, set DATABASE_URL (or put it in .env), or run init where your knexfile is.');
    fs.writeFileSync(path.join(host.dir, 'notes.db'), '');
    const hinted = await init(host.dir, ['--yes'], { env: {} });
    expect(hinted.code).toBe(1);
    expect(hinted.text).toContain('notes.db looks like a SQLite database: npx express-backstage init --db sqlite:notes.db');
  });

  it('no users table', async () => {
    await database.db.schema.createTable('products').addColumn('id', 'integer', (c) => c.primaryKey()).execute();
    const { code, text } = await init(host.dir, ['--yes', '--db', database.url]);
    expect(code).toBe(1);
    expect(text).toContain('users → not found: no table with an email column looks like users');
    expect(text).toContain('express-backstage init: no users table found, so there is nothing to map.');
  });
});

describe('the mapping init proposes', () => {
  const sampler = (max: unknown = null, values: unknown[] = []) => ({ max: async () => max, distinct: async () => values });
  const table = (name: string, columns: Array<[string, string]>): TableFacts => ({ name, columns: columns.map(([n, dataType]) => ({ name: n, dataType })) });

  it('a users table with a role under another name, a banned flag and epoch seconds', async () => {
    const proposal = await proposeMapping(
      [table('members', [['member_id', 'int4'], ['email_address', 'varchar'], ['user_role', 'varchar'], ['is_banned', 'bool'], ['created', 'int8']])],
      'postgres',
      sampler(1_767_225_600, ['member', 'staff']),
    );
    expect(proposal.options).toEqual({
      roleProperty: 'user_role',
      models: {
        users: {
          table: 'members',
          columns: { id: 'member_id', email: 'email_address', role: 'user_role', createdAt: 'created', bannedAt: 'is_banned' },
          banned: { kind: 'boolean' },
          dates: 'epoch-s',
        },
      },
    });
    expect(proposal.roleValues).toEqual(['member', 'staff']);
  });

  it('no role column at all: roleOf reads BACKSTAGE_ADMINS', async () => {
    const proposal = await proposeMapping([table('users', [['id', 'integer'], ['email', 'text'], ['created_at', 'text']])], 'sqlite', sampler());
    expect(proposal.options.noRoleColumn).toBe(true);
    expect(proposal.models[0].fields.find((f) => f.field === 'role')).toEqual({ field: 'role', column: null, note: 'not found: roleOf reads BACKSTAGE_ADMINS instead' });
  });

  it('a subscriptions table it cannot read switches billing off rather than breaking the start', async () => {
    const proposal = await proposeMapping(
      [
        table('users', [['id', 'integer'], ['email', 'text'], ['role', 'text']]),
        table('teams', [['id', 'integer'], ['name', 'text']]),
        table('memberships', [['team_id', 'integer'], ['user_id', 'integer']]),
        table('subscriptions', [['id', 'integer'], ['team_id', 'integer'], ['stripe_price', 'text']]),
      ],
      'sqlite',
      sampler(null, ['admin']),
    );
    expect(proposal.options.billingOff).toBe(true);
    expect(proposal.models.find((m) => m.model === 'subscriptions')?.reason).toBe('table "subscriptions" has no column for plan, status, amount_cents, currency, interval, current_period_end: map it by hand');
  });
});

it('init is the first command in the help', async () => {
  const lines: string[] = [];
  await runCli(['help'], (line) => lines.push(line));
  expect(lines.join('\n')).toMatch(/Commands:\n {2}init {2,}Add the console to this app/);
});

describe('a relative SQLite path init writes is read from the config file, not from where the app starts', () => {
  let host: ReturnType<typeof tempDir>;
  let elsewhere: ReturnType<typeof tempDir>;
  beforeEach(() => {
    host = tempDir('init-sqlite');
    elsewhere = tempDir('init-elsewhere');
    fs.mkdirSync(path.join(host.dir, 'node_modules'));
    for (const name of ['express-backstage', 'better-sqlite3']) {
      fs.symlinkSync(name === 'express-backstage' ? ROOT : path.join(ROOT, 'node_modules', name), path.join(host.dir, 'node_modules', name), 'dir');
    }
    const db = new Database(path.join(host.dir, 'notes.db'));
    db.exec("create table users (id integer primary key, email text not null unique, full_name text, password_hash text not null, is_admin integer not null default 0, created_at text default current_timestamp); insert into users (email, password_hash, is_admin) values ('me@notes.test', 'h', 1)");
    db.close();
  });
  afterEach(() => {
    host.remove();
    elsewhere.remove();
  });

  (built ? it : it.skip)('CommonJS: backstage.config.cjs finds notes.db from its own folder, started from another folder', async () => {
    const { code, text } = await init(host.dir, ['--yes', '--db', 'sqlite:notes.db', '--no-tests']);
    expect(code).toBe(0);
    const config = fs.readFileSync(path.join(host.dir, 'backstage.config.cjs'), 'utf8');
    expect(config).toContain("const path = require('node:path');");
    expect(config).toContain("db: `sqlite:${path.join(__dirname, 'notes.db')}`,");
    // No --db to repeat: the config has it.
    expect(text).toContain('  npx express-backstage grant you@example.com --role admin\n');

    const run = runNode(elsewhere.dir, ['-e', `const { admin } = require(${JSON.stringify(path.join(host.dir, 'backstage.js'))}); admin.ready().then(() => { console.log('ready'); return admin.close(); }, (err) => { console.log(err.message); process.exit(1); })`]);
    expect(run.stdout.trim()).toBe('ready');
    expect(fs.readdirSync(elsewhere.dir)).toEqual([]);

    // A re-run without --db finds the database in the config it wrote, and changes nothing.
    const again = await init(host.dir, ['--yes', '--no-tests']);
    expect(again.text).toContain(`Database: sqlite:${path.join(host.dir, 'notes.db')} (db in backstage.config.cjs), SQLite`);
    expect(again.text).toContain('backstage.config.cjs is up to date.');
    expect(again.code).toBe(0);
  }, 60_000);

  (built ? it : it.skip)('TypeScript: backstage.config.json keeps sqlite:./notes.db, resolved by backstageConfig() and by the commands', async () => {
    fs.writeFileSync(path.join(host.dir, 'tsconfig.json'), '{ "compilerOptions": { "module": "NodeNext", "rootDir": "src", "outDir": "dist" } }');
    fs.writeFileSync(path.join(host.dir, 'package.json'), '{ "type": "module" }');
    fs.mkdirSync(path.join(host.dir, 'src'));
    const { code } = await init(host.dir, ['--yes', '--db', 'sqlite:notes.db', '--no-tests']);
    expect(code).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(host.dir, 'backstage.config.json'), 'utf8'));
    expect(config.db).toBe('sqlite:./notes.db');
    expect(config.roles).toEqual(['admin']);
    expect(fs.readFileSync(path.join(host.dir, 'src/backstage.ts'), 'utf8')).toContain('  db: config.db!,');

    // From the compiled folder, as dist/backstage.js runs it: found upwards, the path made absolute.
    fs.mkdirSync(path.join(host.dir, 'dist'));
    const { backstageConfig } = await import('../src/backstage-config');
    expect(backstageConfig(path.join(host.dir, 'dist/backstage.js')).db).toBe(`sqlite:${path.join(host.dir, 'notes.db')}`);
    expect(() => backstageConfig(elsewhere.dir)).toThrow(`express-backstage: no backstage.config.json in ${elsewhere.dir} or any folder above it.`);

    // The commands, run from another folder with --config, read notes.db beside the config.
    const lines: string[] = [];
    const granted = await runCli(['grant', 'me@notes.test', '--role', 'admin', '--config', path.join(host.dir, 'backstage.config.json')], (line) => lines.push(line), { cwd: elsewhere.dir, env: {} });
    expect(lines.join('\n')).toBe('me@notes.test is already admin; nothing changed.');
    expect(granted).toBe(0);
  });

  it('an empty SQLite file at start-up: the message names the file it opened and where relative paths start', async () => {
    const { createAdmin } = await import('../src');
    const empty = path.join(elsewhere.dir, 'notes.db');
    const admin = createAdmin({ db: `sqlite:${empty}`, getUser: () => null });
    await expect(admin.ready()).rejects.toThrow(
      `options.models.users.table is "users", but no such table exists (the console opened ${empty}, which has no tables: is the path right? relative SQLite paths are resolved from the folder the app was started in (${process.cwd()})`,
    );
    await admin.close();
  });
});
