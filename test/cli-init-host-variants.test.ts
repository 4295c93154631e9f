/**
 * The two host kinds the other fixture suites leave out, run end to end like
 * them (copy, link node_modules, `init --yes`, paste the printed lines, run the
 * host's own test command in a child process, then break a mapped column):
 * an ESM JavaScript app ("type": "module") tested with node:test, and a
 * TypeScript app tested with jest through @swc/jest. Both on SQLite, as the
 * other suites cover PostgreSQL and MariaDB.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { fixtureHost, pastePrintedLines, ROOT, runInit, runJest, runNode } from './fixtures/hosts/fixture-host';
import { openHostDb, type HostDb } from './fixtures/hosts/host-db';

const built = fs.existsSync(path.join(ROOT, 'dist/testing/index.js'));
const whenBuilt = built ? it : it.skip;

describe('init in an ESM JavaScript Express 5 app on a better-sqlite3 file, tested with node:test', () => {
  let host: ReturnType<typeof fixtureHost>;
  let output = '';
  const dbFile = () => path.join(host.dir, 'app.db');

  beforeAll(() => {
    host = fixtureHost('sqlite-esm-js', { express: 'express', 'express-session': 'express-session', 'better-sqlite3': 'better-sqlite3', supertest: 'supertest' });
    const db = new Database(dbFile());
    db.exec(fs.readFileSync(path.join(host.dir, 'schema.sql'), 'utf8'));
    db.close();
  });
  afterAll(() => host?.remove());

  it('init is pointed at app.db, writes ES modules (backstage.config.mjs, backstage.js, backstage.test.js), and the pasted lines are imports', async () => {
    // What a new user sees first: no DATABASE_URL, no knexfile, but a SQLite file.
    const first = await runInit(host.dir);
    expect(first.code).toBe(1);
    expect(first.text).toContain('app.db looks like a SQLite database: npx express-backstage init --db sqlite:app.db');

    const { code, text } = await runInit(host.dir, ['--yes', '--db', 'sqlite:app.db']);
    expect(text).toContain('Project:  JavaScript, ES modules → backstage.js');
    expect(text).toMatch(/✓ name +display_name/);
    expect(text).toContain('Role values in use: admin, member; the console lets in admin and superuser.');
    expect(text).toContain('Wrote backstage.config.mjs: the mapping, read by backstage.js and by grant and doctor.');
    expect(text).toContain('Wrote backstage.test.js: it loads app.js, signs in as an admin it creates, and checks the console (node:test).');
    expect(text).toContain("The console's own: node --test backstage.test.js");
    expect(code).toBe(0);
    output = text;

    const config = fs.readFileSync(path.join(host.dir, 'backstage.config.mjs'), 'utf8');
    expect(config).toContain("import { fileURLToPath } from 'node:url';");
    expect(config).toContain("db: `sqlite:${fileURLToPath(new URL('./app.db', import.meta.url))}`,");
    expect(config).toContain("models: { users: { columns: { name: 'display_name' } } },");
    expect(config).toContain('export default {');
    const written = fs.readFileSync(path.join(host.dir, 'backstage.js'), 'utf8');
    expect(written).toContain("import { createAdmin } from 'express-backstage';");
    expect(written).toContain("import config from './backstage.config.mjs';");
    expect(written).toContain('export const admin = createAdmin({');
    expect(written).not.toContain('require(');
    const tests = fs.readFileSync(path.join(host.dir, 'backstage.test.js'), 'utf8');
    expect(tests).toContain("import { after, test } from 'node:test';");
    expect(tests).toContain("import * as appModule from './app.js';");
    expect(tests).toContain("role: 'member' });");
    expect(tests).not.toContain('require(');

    expect(pastePrintedLines(path.join(host.dir, 'app.js'), output)).toEqual(["import { admin } from './backstage.js';", 'app.use(admin.guard);', "app.use('/admin', admin);"]);
  });

  whenBuilt('the generated tests pass with the app\'s npm test (node --test), and a second init finds app.db in the .mjs config', () => {
    const run = runNode(host.dir, ['--test']);
    expect(run.stdout).toMatch(/# tests 8\n# suites 0\n# pass 8\n# fail 0/);
    expect(run.status).toBe(0);
    const db = new Database(dbFile());
    expect(db.prepare("select count(*) as n from users where email like 'backstage-%'").get()).toEqual({ n: 0 });
    db.close();

    // The command itself, in a child process: jest's module sandbox cannot import an .mjs config in-process.
    const again = runNode(host.dir, [path.join(ROOT, 'dist/cli.js'), 'init', '--yes']);
    expect(again.stdout).toContain(`Database: sqlite:${dbFile()} (db in backstage.config.mjs), SQLite`);
    expect(again.stdout).toContain('backstage.config.mjs is up to date.');
    expect(again.stdout).toContain('backstage.test.js is up to date.');
    expect(again.stdout).toContain('app.js already has the lines (app.use(admin.guard) and the mount): nothing to paste.');
    expect(again.status).toBe(0);
  }, 60_000);

  whenBuilt('a renamed column the console only used by default (banned_at) fails the generated tests too, though the console still starts', () => {
    const db = new Database(dbFile());
    db.exec('alter table users rename column banned_at to blocked_at');
    try {
      const failing = runNode(host.dir, ['--test']);
      expect(failing.status).toBe(1);
      expect(failing.stdout).toMatch(/ok 1 - the console starts against this app's database/);
      expect(failing.stdout).toMatch(/not ok 3 - the users columns the console used when init ran are still there/);
      expect(failing.stdout).toContain('The console no longer uses these columns of users that it used when init ran: bannedAt ("banned_at"). They were renamed or dropped, so their features are off in the console.');
    } finally {
      db.exec('alter table users rename column blocked_at to banned_at');
      db.close();
    }
  }, 60_000);

  whenBuilt('a renamed display_name column fails the generated tests with what changed', () => {
    const db = new Database(dbFile());
    db.exec('alter table users rename column display_name to nickname');
    db.close();
    const failing = runNode(host.dir, ['--test']);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toMatch(/not ok 1 - the console starts against this app's database/);
    expect(failing.stdout).toContain('The console cannot start against this database');
    expect(failing.stdout).toContain('options.models.users.columns.name is "display_name", but table "users" has no such column (columns: id, email, nickname, role, created_at, banned_at)');
  }, 60_000);
});

describe('init in an ESM TypeScript Express 5 app tested with jest (@swc/jest), on SQLite', () => {
  let host: ReturnType<typeof fixtureHost>;
  let database: HostDb;
  let env: Record<string, string>;

  beforeAll(async () => {
    // The Kysely host, as a team that tests with jest has it: jest and its swc transform in devDependencies,
    // the jest config in package.json (NodeNext's ./app.js imports mapped to the .ts files), jest's types for tsc.
    host = fixtureHost('kysely-esm-ts', {
      express: 'express',
      'express-session': 'express-session',
      kysely: 'kysely',
      pg: 'pg',
      'better-sqlite3': 'better-sqlite3',
      supertest: 'supertest',
      '@types': '@types',
      '@swc': '@swc',
    });
    const pkgFile = path.join(host.dir, 'package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    pkg.scripts.test = 'jest';
    pkg.devDependencies = { '@swc/core': '^1.0.0', '@swc/jest': '^0.2.0', '@types/jest': '^30.0.0', jest: '^30.0.0', supertest: '^7.0.0', typescript: '^6.0.0' };
    pkg.jest = {
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': ['@swc/jest'] },
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    };
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
    const tsconfigFile = path.join(host.dir, 'tsconfig.json');
    const tsconfig = fs.readFileSync(tsconfigFile, 'utf8');
    expect(tsconfig).toContain('"types": ["node"]');
    fs.writeFileSync(tsconfigFile, tsconfig.replace('"types": ["node"]', '"types": ["node", "jest"]'));

    database = await openHostDb('sqlite');
    await createHostSchema(database.db, 'sqlite');
    await insertUsers(database.db, 'sqlite', [{ email: 'ops@esm-saas.test', role: 'admin' }, { email: 'customer@esm-saas.test' }]);
    fs.writeFileSync(path.join(host.dir, '.env'), `DATABASE_URL="${database.url}"\n`);
    env = { DATABASE_URL: database.url };
  });
  afterAll(async () => {
    host?.remove();
    await database?.destroy();
  });

  it('init sees jest in package.json and writes src/backstage.test.ts for it', async () => {
    const { code, text } = await runInit(host.dir);
    expect(text).toContain('Project:  TypeScript, ES modules → src/backstage.ts');
    expect(text).toContain('Wrote src/backstage.test.ts: it loads src/app.ts, signs in as an admin it creates, and checks the console (jest).');
    expect(text).toContain("The console's own: npx jest src/backstage.test.ts");
    expect(text).not.toContain('which your package.json does not list');
    expect(code).toBe(0);

    const tests = fs.readFileSync(path.join(host.dir, 'src/backstage.test.ts'), 'utf8');
    expect(tests).not.toContain('node:test');
    expect(tests).toContain("import * as appModule from './app.js';");
    expect(tests).toContain('afterAll(async () => {');
    expect(tests).toContain('}, 30_000);');
    expect(pastePrintedLines(path.join(host.dir, 'src/app.ts'), text)).toEqual(["import { admin } from './backstage.js';", 'app.use(admin.guard);', "app.use('/admin', admin);"]);
  });

  whenBuilt("the host's build (tsc, strict NodeNext) compiles the jest tests, and its npm test (jest) passes them", () => {
    const tsc = runNode(host.dir, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    // No arguments, as `npm test` runs it: jest finds src/backstage.test.ts (dist/ is ignored by the host's config).
    const run = runJest(host.dir, [], env);
    expect(run.stderr).toContain('PASS src/backstage.test.ts');
    expect(run.stderr).toContain('Tests:       8 passed, 8 total');
    expect(run.status).toBe(0);
  }, 90_000);

  whenBuilt('a renamed email column fails the jest tests with what changed', async () => {
    await database.db.schema.alterTable('users').renameColumn('email', 'email_address').execute();
    const run = runJest(host.dir, [], env);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/✕ the console starts against this app's database/);
    expect(run.stderr).toContain('The console cannot start against this database');
    expect(run.stderr).toContain('options.models.users.columns.email is "email", but table "users" has no such column (columns: id, email_address,');
  }, 60_000);
});
