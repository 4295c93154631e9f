/**
 * The third kind of host: CommonJS JavaScript on Express 5, mysql2 on MariaDB,
 * signed in by a token cookie (what passport-jwt does, written with node:crypto
 * as passport-jwt is not installed here) and no express-session, tested with
 * jest. init writes the console and its jest tests; the tests first say they
 * cannot create or sign in a user (the users table needs a password hash), the
 * host fills in the hook, they pass, and a renamed column fails them with what
 * changed.
 */
import { sql } from 'kysely';
import fs from 'node:fs';
import path from 'node:path';
import { DIALECTS } from './helpers/dialects';
import { fixtureHost, pastePrintedLines, ROOT, runInit, runJest, runNode } from './fixtures/hosts/fixture-host';
import { openHostDb, type HostDb } from './fixtures/hosts/host-db';

const built = fs.existsSync(path.join(ROOT, 'dist/testing/index.js'));
const onMariaDb = DIALECTS.includes('mysql') && built;
const why = !DIALECTS.includes('mysql') ? ' (skipped: TEST_MYSQL_URL is not set)' : !built ? ' (skipped: run npm run build first)' : '';

// Jest prints nothing for a suite whose tests are all skipped: say why here.
if (why) console.warn(`test/cli-init-jwt-host.test.ts${why}`);

(onMariaDb ? describe : describe.skip)(`init in a CommonJS Express 5 API on MariaDB with a token cookie and no session, tested with jest${why}`, () => {
  let host: ReturnType<typeof fixtureHost>;
  let database: HostDb;
  let env: Record<string, string>;
  const testFile = () => path.join(host.dir, 'backstage.test.js');

  beforeAll(async () => {
    host = fixtureHost('jwt-mariadb-cjs', { express: 'express', mysql2: 'mysql2', supertest: 'supertest' });
    database = await openHostDb('mysql');
    for (const statement of fs.readFileSync(path.join(host.dir, 'schema.sql'), 'utf8').replace(/^--.*$/gm, '').split(';')) {
      if (statement.trim()) await sql.raw(statement).execute(database.db);
    }
    env = { DATABASE_URL: database.url };
  });
  afterAll(async () => {
    host?.remove();
    await database?.destroy();
  });

  it('init writes backstage.js and jest tests, and the two pasted lines mount the console', async () => {
    const { code, text } = await runInit(host.dir, ['--yes'], env);
    expect(text).toContain('MySQL/MariaDB');
    expect(text).toContain('Role values in use: admin, member; the console lets in admin and superuser.');
    expect(text).toContain('Wrote backstage.test.js: it loads app.js, signs in as an admin it creates, and checks the console (jest).');
    expect(text).toContain("The console's own: npx jest backstage.test.js");
    // server.js only listens: the lines go into app.js, which builds the app and which the tests load.
    expect(text).toContain('Add these lines to app.js, the module that builds your app (your tests load it too), after your session and auth middleware and before your routes:');
    expect(text).not.toContain('server.js');
    // DATABASE_URL stays the environment's, in the config the commands read too.
    expect(fs.readFileSync(path.join(host.dir, 'backstage.config.cjs'), 'utf8')).toContain('  db: process.env.DATABASE_URL,');
    expect(code).toBe(0);

    const tests = fs.readFileSync(testFile(), 'utf8');
    expect(tests).not.toContain("require('node:test')");
    expect(tests).toContain('afterAll(async () => {');
    // The plain user gets the role the host's plain users have.
    expect(tests).toContain("role: 'member' });");

    expect(pastePrintedLines(path.join(host.dir, 'app.js'), text)).toEqual(["const { admin } = require('./backstage');", 'app.use(admin.guard);', "app.use('/admin', admin);"]);
    // The app starts with the console mounted: anonymous visitors are sent to the login.
    const started = runNode(host.dir, ['-e', "require('supertest')(require('./app').app).get('/admin').then((res) => { console.log(res.status, res.headers.location); process.exit(0); })"], env);
    expect(started.stdout.trim()).toBe('303 /login?next=%2Fadmin');
  });

  it('the tests say the users table needs a password hash; the host fills in userColumns and they pass', () => {
    const first = runJest(host.dir, ['backstage.test.js'], env);
    expect(first.status).toBe(1);
    expect(first.stderr).toContain('could not create the test user backstage-admin-');
    expect(first.stderr).toContain("Field 'password_hash' doesn't have a default value");
    expect(first.stderr).toContain("Your users table requires a column the console does not map: edit userColumns() at the top of backstage.test.js, return { password_hash: <a hash of TEST_PASSWORD in your app's own format> }.");
    expect(first.stderr).not.toContain('pass them: createTestUser');
    // Said by the first test that needs the users; the others point at it.
    expect(first.stderr).toContain('Setting up the admin and the plain user failed: see the first failing test.');

    // What the host does: store a hash of the test password, with its own hashing.
    const filled = fs
      .readFileSync(testFile(), 'utf8')
      .replace("const assert = require('node:assert/strict');", "const assert = require('node:assert/strict');\nconst { hashPassword } = require('./lib/passwords');")
      .replace(/function userColumns\(_user\) \{\n(?: {2}\/\/.*\n)? {2}return \{\};/, 'function userColumns(_user) {\n  return { password_hash: hashPassword(TEST_PASSWORD) };');
    expect(filled).toContain('password_hash: hashPassword(TEST_PASSWORD)');
    fs.writeFileSync(testFile(), filled);

    const run = runJest(host.dir, ['backstage.test.js'], env);
    expect(run.stderr).toContain('Tests:       8 passed, 8 total');
    expect(run.status).toBe(0);
  }, 60_000);

  it('init again keeps the filled-in tests, and sees the pasted lines', async () => {
    const { code, text } = await runInit(host.dir, ['--yes'], env);
    expect(text).toContain('app.js already has the lines (app.use(admin.guard) and the mount): nothing to paste.');
    expect(text).toContain('backstage.js is up to date.');
    expect(text).toContain('backstage.test.js was edited since init wrote it, so it is kept as it is');
    expect(code).toBe(0);
    expect(fs.readFileSync(testFile(), 'utf8')).toContain('hashPassword(TEST_PASSWORD)');
  });

  it('a renamed display_name column fails the tests with what changed', async () => {
    await sql`alter table users rename column display_name to full_name`.execute(database.db);
    const run = runJest(host.dir, ['backstage.test.js'], env);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/✕ the console starts against this app's database/);
    expect(run.stderr).toContain('The console cannot start against this database');
    expect(run.stderr).toContain('options.models.users.columns.name is "display_name", but table "users" has no such column (columns: id, email, full_name, password_hash, role, created_at)');
  }, 60_000);
});
