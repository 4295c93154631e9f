/**
 * `npx express-backstage grant <email> --role superuser`: the first superuser
 * of a fresh install, written through the host's own role column, and recorded
 * in the audit log with the command line as the actor.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../src/cli';
import { DIALECTS } from './helpers/dialects';
import { createHostSchema, insertUsers, timestampType } from './helpers/host-schema';
import { openHostDb, tempDir, type HostDb } from './fixtures/hosts/host-db';

async function grant(args: string[], cwd = os.tmpdir(), env: Record<string, string | undefined> = {}) {
  const lines: string[] = [];
  const code = await runCli(['grant', ...args], (line) => lines.push(line), { cwd, env });
  return { code, text: lines.join('\n') };
}

async function auditRows(db: HostDb['db']) {
  const rows = await db.selectFrom('backstage_audit_events').selectAll().orderBy('id').execute();
  return rows.map((row) => ({ ...row, data: row.data ? JSON.parse(String(row.data)) : null }));
}

/** An `accounts` table with a boolean `is_admin`, the way many Knex apps keep it. */
async function createAccountsSchema(host: HostDb) {
  await host.db.schema
    .createTable('accounts')
    .addColumn('account_id', 'integer', (col) => col.primaryKey())
    .addColumn('login', 'varchar(320)', (col) => col.notNull().unique())
    .addColumn('is_admin', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', timestampType(host.dialect) as any)
    .execute();
  await host.db.insertInto('accounts').values({ account_id: 7, login: 'owner@knexapp.test', is_admin: host.dialect === 'sqlite' ? 0 : false }).execute();
}

describe.each(DIALECTS)('grant on %s', (dialect) => {
  let host: HostDb;

  beforeAll(async () => {
    host = await openHostDb(dialect);
    await createHostSchema(host.db, dialect);
    await insertUsers(host.db, dialect, [{ email: 'founder@fresh.test' }, { email: 'Mixed.Case@Fresh.test' }]);
    await createAccountsSchema(host);
  });
  afterAll(() => host?.destroy());

  it('the founder of a fresh install becomes the first superuser, and the audit log says the command line did it', async () => {
    const { code, text } = await grant(['founder@fresh.test', '--role', 'superuser', '--db', host.url]);
    expect(text).toContain("Created the console's tables first (0001_audit_events");
    expect(text).toContain('founder@fresh.test is now superuser (was user).');
    expect(text).toContain('Recorded in the audit log as user.role_changed by the command line');
    expect(code).toBe(0);

    const row = await host.db.selectFrom('users').select(['id', 'role']).where('email', '=', 'founder@fresh.test').executeTakeFirstOrThrow();
    expect(row.role).toBe('superuser');
    const [event] = await auditRows(host.db);
    expect(event).toMatchObject({
      action: 'user.role_changed',
      actor_id: null,
      actor_email: null,
      actor_role: 'cli',
      subject_type: 'user',
      subject_id: String(row.id),
      subject_label: 'founder@fresh.test',
      reason: 'granted from the command line',
      user_agent: 'express-backstage grant',
    });
    expect(event.data).toEqual({ from: 'user', to: 'superuser', via: 'express-backstage grant', osUser: os.userInfo().username, host: os.hostname() });
  });

  it('running it again changes nothing and writes no second event', async () => {
    const before = (await auditRows(host.db)).length;
    const { code, text } = await grant(['founder@fresh.test', '--role', 'superuser', '--db', host.url]);
    expect(code).toBe(0);
    expect(text).toBe('founder@fresh.test is already superuser; nothing changed.');
    expect(await auditRows(host.db)).toHaveLength(before);
  });

  it('finds an email typed in another letter case', async () => {
    const { code, text } = await grant(['mixed.case@fresh.test', '--role', 'admin', '--db', host.url, '--reason', 'support lead']);
    expect(text).toContain('Mixed.Case@Fresh.test is now admin');
    expect(code).toBe(0);
    expect((await auditRows(host.db)).at(-1)).toMatchObject({ reason: 'support lead', subject_label: 'Mixed.Case@Fresh.test' });
  });

  it('an accounts table with a boolean is_admin, mapped by flags: admin sets the flag, superuser cannot be stored', async () => {
    const mapping = ['--users-table', 'accounts', '--id-column', 'account_id', '--email-column', 'login', '--role-column', 'is_admin', '--role-kind', 'boolean'];
    const refused = await grant(['owner@knexapp.test', '--role', 'superuser', '--db', host.url, ...mapping]);
    expect(refused.code).toBe(1);
    expect(refused.text).toBe(
      'express-backstage grant: the role column "is_admin" is a boolean, so it holds "admin" (true) or "user" (false); "superuser" cannot be stored. Use --role admin.',
    );
    const { code, text } = await grant(['owner@knexapp.test', '--role', 'admin', '--db', host.url, ...mapping]);
    expect(text).toContain('owner@knexapp.test is now admin (was user).');
    expect(code).toBe(0);
    const row = await host.db.selectFrom('accounts').select('is_admin').where('account_id', '=', 7).executeTakeFirstOrThrow();
    expect([true, 1]).toContain(row.is_admin);
  });
});

describe('grant refuses what it cannot do, and says why', () => {
  let host: HostDb;
  beforeAll(async () => {
    host = await openHostDb('sqlite');
    await createHostSchema(host.db, 'sqlite');
    await insertUsers(host.db, 'sqlite', [{ email: 'jane@acme.test' }]);
  });
  afterAll(() => host?.destroy());

  it('an email nobody signed up with', async () => {
    const { code, text } = await grant(['nobody@acme.test', '--role', 'superuser', '--db', host.url]);
    expect(code).toBe(1);
    expect(text).toContain('express-backstage grant: no user with the email nobody@acme.test in "users" (column email). Sign up with it in your app first, then run grant again.');
  });

  it('a role the console does not know', async () => {
    const { code, text } = await grant(['jane@acme.test', '--role', 'root', '--db', host.url]);
    expect(code).toBe(1);
    expect(text).toBe('express-backstage grant: unknown role "root". The console\'s roles are admin, superuser.');
    const row = await host.db.selectFrom('users').select('role').where('email', '=', 'jane@acme.test').executeTakeFirstOrThrow();
    expect(row.role).toBe('user');
  });

  it('a users table that is not there lists the tables it found', async () => {
    const { code, text } = await grant(['jane@acme.test', '--role', 'admin', '--db', host.url, '--users-table', 'members']);
    expect(code).toBe(1);
    expect(text).toContain('options.models.users.table is "members", but no such table exists (tables found: memberships, teams, users');
  });

  it('a mistyped command line shows the usage', async () => {
    const noEmail = await grant(['--role', 'superuser']);
    expect(noEmail.code).toBe(2);
    expect(noEmail.text).toContain('express-backstage grant: which user? Give their email');
    expect(noEmail.text).toContain('Usage: express-backstage grant <email> --role <role>');
    const noRole = await grant(['jane@acme.test']);
    expect(noRole.code).toBe(2);
    expect(noRole.text).toContain('grant: --role is required (e.g. --role superuser)');
    const badFlag = await grant(['jane@acme.test', '--role', 'admin', '--rol', 'x']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.text).toContain('grant: unknown option --rol');
  });

  it('no database anywhere (no flag, config, DATABASE_URL, .env or knexfile)', async () => {
    const empty = tempDir('grant-nothing');
    const { code, text } = await grant(['jane@acme.test', '--role', 'admin'], empty.dir, {});
    empty.remove();
    expect(code).toBe(2);
    expect(text).toContain('grant: no database given. Pass --db <url> or set DATABASE_URL.');
  });

  it('a SQLite path that does not exist is an error, not a new empty database', async () => {
    const empty = tempDir('grant-typo');
    const { code, text } = await grant(['jane@acme.test', '--role', 'admin', '--db', 'sqlite:./dev.sqlit'], empty.dir);
    const created = fs.existsSync(path.join(empty.dir, 'dev.sqlit'));
    empty.remove();
    expect(code).toBe(1);
    expect(text).toBe(`express-backstage: no SQLite database at ${path.join(empty.dir, 'dev.sqlit')} (--db).`);
    expect(created).toBe(false);
  });

  it('finds the database in the knexfile of the folder it runs in', async () => {
    const app = tempDir('grant-knexfile');
    fs.writeFileSync(path.join(app.dir, 'knexfile.js'), `module.exports = { development: { client: 'sqlite3', connection: { filename: ${JSON.stringify(host.url.slice('sqlite:'.length))} } } };`);
    const { code, text } = await grant(['jane@acme.test', '--role', 'admin'], app.dir, {});
    app.remove();
    expect(text).toContain('jane@acme.test is now admin');
    expect(code).toBe(0);
  });
});

describe('grant reads backstage.config.* in the folder it runs in', () => {
  let host: HostDb;
  let folder: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    host = await openHostDb('sqlite');
    await createHostSchema(host.db, 'sqlite');
    await host.db.schema.createTable('staff').addColumn('sid', 'integer', (c) => c.primaryKey()).addColumn('mail', 'text').addColumn('level', 'text').execute();
    await host.db.insertInto('staff').values({ sid: 1, mail: 'ops@corp.test', level: 'member' }).execute();
    folder = tempDir('grant-config');
  });
  afterAll(async () => {
    folder.remove();
    await host?.destroy();
  });

  it('a CommonJS config gives the database, the mapping and the roles', async () => {
    fs.writeFileSync(
      path.join(folder.dir, 'backstage.config.cjs'),
      `module.exports = {
        db: ${JSON.stringify(host.url)},
        roles: ['staff', 'owner'], superuserRoles: ['owner'],
        models: { users: { table: 'staff', columns: { id: 'sid', email: 'mail', role: 'level', name: null, createdAt: null } } },
      };`,
    );
    const refused = await grant(['ops@corp.test', '--role', 'superuser'], folder.dir);
    expect(refused.text).toBe('express-backstage grant: unknown role "superuser". The console\'s roles are staff, owner (roles in backstage.config.cjs).');
    const { code, text } = await grant(['ops@corp.test', '--role', 'owner'], folder.dir);
    expect(text).toContain('ops@corp.test is now owner (was member).');
    expect(code).toBe(0);
    fs.rmSync(path.join(folder.dir, 'backstage.config.cjs'));
  });

  it('a JSON config, with DATABASE_URL from the environment', async () => {
    fs.writeFileSync(path.join(folder.dir, 'backstage.config.json'), JSON.stringify({ models: { users: { table: 'staff', columns: { id: 'sid', email: 'mail', role: 'level', name: null, createdAt: null } } }, roles: ['member', 'staff', 'owner'], superuserRoles: ['owner'] }));
    const { code, text } = await grant(['ops@corp.test', '--role', 'staff'], folder.dir, { DATABASE_URL: host.url });
    expect(text).toContain('ops@corp.test is now staff (was owner).');
    expect(code).toBe(0);
    fs.rmSync(path.join(folder.dir, 'backstage.config.json'));
  });

  it('a config that does not load says which file and why', async () => {
    fs.writeFileSync(path.join(folder.dir, 'backstage.config.json'), '{ "models": ');
    const { code, text } = await grant(['ops@corp.test', '--role', 'staff'], folder.dir);
    expect(code).toBe(1);
    expect(text).toMatch(/^express-backstage: could not load backstage.config.json: /);
    fs.rmSync(path.join(folder.dir, 'backstage.config.json'));
  });

  const built = fs.existsSync(path.resolve(__dirname, '../dist/cli/run.js'));
  (built ? it : it.skip)('an ESM config in a "type": "module" app, through the built command', () => {
    fs.writeFileSync(path.join(folder.dir, 'package.json'), JSON.stringify({ name: 'esm-host', type: 'module' }));
    fs.writeFileSync(
      path.join(folder.dir, 'backstage.config.js'),
      `export default { db: ${JSON.stringify(host.url)}, roles: ['member', 'owner'], superuserRoles: ['owner'], models: { users: { table: 'staff', columns: { id: 'sid', email: 'mail', role: 'level', name: null, createdAt: null } } } };`,
    );
    const output = execFileSync(process.execPath, [path.resolve(__dirname, '../dist/cli.js'), 'grant', 'ops@corp.test', '--role', 'member'], {
      cwd: folder.dir,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', NODE_NO_WARNINGS: '1' },
    });
    expect(output).toContain('ops@corp.test is now member (was staff).');
  });
});
