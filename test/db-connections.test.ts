/**
 * Real hosts rarely use Kysely: they have a pg Pool, a better-sqlite3 Database,
 * a mysql2 pool, a real Knex instance or just DATABASE_URL. `options.db` takes
 * each of them, the console wraps it in its own Kysely, and `admin.close()` ends
 * only what the console opened itself.
 */
import Database from 'better-sqlite3';
import { knex as createKnex, type Knex } from 'knex';
import { Kysely, SqliteDialect, sql } from 'kysely';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { createAdmin } from '../src';
import { CONSOLE_POOL_SIZE, wrapConnection } from '../src/db/wrap-connection';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { tempDir } from './fixtures/hosts/host-db';
import { createTestApp } from './helpers/test-app';

const getUser = () => null;

async function seed(db: Kysely<any>, dialect: 'sqlite' | 'postgres' | 'mysql'): Promise<string> {
  await createHostSchema(db, dialect);
  const [adminId] = await insertUsers(db, dialect, [
    { email: 'ops@host.test', role: 'admin' },
    { email: 'customer@host.test' },
  ]);
  return adminId;
}

/** Signs in as the host's admin and expects the console's users list to show the host's users. */
async function expectUsersListed(hostDb: Kysely<any>, consoleDb: unknown) {
  const host = await createTestApp({ db: hostDb, admin: { db: consoleDb as any } });
  const adminRow = await hostDb.selectFrom('users').select('id').where('email', '=', 'ops@host.test').executeTakeFirstOrThrow();
  const { agent } = await host.agentAs(String(adminRow.id));
  const res = await agent.get('/admin/users').expect(200);
  expect(res.text).toContain('customer@host.test');
  return host;
}

describe('a host on better-sqlite3 passes its Database', () => {
  it('the console lists its users, and admin.close() leaves the Database open', async () => {
    const database = new Database(':memory:');
    const hostDb = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
    await seed(hostDb, 'sqlite');
    const host = await expectUsersListed(hostDb, database);
    await host.admin.close();
    expect(database.open).toBe(true);
    expect(database.prepare('select count(*) as n from users').get()).toEqual({ n: 2 });
    await hostDb.destroy();
  });
});

describe('a host with only a connection URL', () => {
  const file = path.join(os.tmpdir(), `backstage-url-${process.pid}.sqlite`);
  afterAll(() => fs.rmSync(file, { force: true }));

  it('sqlite:<file>: the console opens it, and admin.close() closes it', async () => {
    const hostDb = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    await seed(hostDb, 'sqlite');
    const host = await expectUsersListed(hostDb, `sqlite:${file}`);
    await host.admin.close();
    await expect(host.admin.migrate()).rejects.toThrow(/destroyed/);
    // Closing twice is harmless (the host may call it from several shutdown hooks).
    await expect(host.admin.close()).resolves.toBeUndefined();
    await hostDb.destroy();
  });

  it('its own pool is small, and named', () => {
    expect(CONSOLE_POOL_SIZE).toBe(2);
  });
});

const pgUrl = process.env.TEST_POSTGRES_URL;
(DIALECTS.includes('postgres') ? describe : describe.skip)('a host on node-postgres', () => {
  let testDb: TestDb;
  let schema: string;

  beforeAll(async () => {
    testDb = await openTestDb('postgres');
    await seed(testDb.db, 'postgres');
    schema = String((await sql<{ s: string }>`select current_schema() as s`.execute(testDb.db)).rows[0].s);
  });
  afterAll(() => testDb?.destroy());

  it('passes its pg Pool: the console borrows from it and admin.close() leaves it open', async () => {
    const pool = new Pool({ connectionString: pgUrl, max: 3, options: `-c search_path=${schema}` });
    const host = await expectUsersListed(testDb.db, pool);
    await host.admin.close();
    expect(pool.ended).toBe(false);
    const { rows } = await pool.query('select count(*)::int as n from users');
    expect(rows[0].n).toBe(2);
    await pool.end();
  });

  it('passes postgres://…: the console opens its own pool and admin.close() ends it', async () => {
    const url = `${pgUrl}${pgUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const host = await expectUsersListed(testDb.db, url);
    await host.admin.close();
    await expect(host.admin.migrate()).rejects.toThrow(/destroyed/);
  });

  it('a single pg Client is refused with what to pass instead', () => {
    const client = new Client({ connectionString: pgUrl });
    expect(() => createAdmin({ db: client as any, getUser })).toThrow(
      'express-backstage: options.db must be a Kysely instance, a pg Pool, a better-sqlite3 Database, a mysql2 pool, a Knex instance or knexfile config, or a connection URL',
    );
    expect(() => createAdmin({ db: client as any, getUser })).toThrow(/single pg Client; the console needs a pg Pool/);
  });
});

const mysqlUrl = process.env.TEST_MYSQL_URL;
(DIALECTS.includes('mysql') ? describe : describe.skip)('a host on mysql2', () => {
  let testDb: TestDb;
  let uri: string;

  beforeAll(async () => {
    testDb = await openTestDb('mysql');
    await seed(testDb.db, 'mysql');
    const database = String((await sql<{ d: string }>`select database() as d`.execute(testDb.db)).rows[0].d);
    const url = new URL(mysqlUrl!);
    url.pathname = `/${database}`;
    uri = url.toString();
  });
  afterAll(() => testDb?.destroy());

  it('passes its mysql2 pool: the console borrows from it and admin.close() leaves it open', async () => {
    const pool = mysql.createPool({ uri, connectionLimit: 3 });
    const host = await expectUsersListed(testDb.db, pool);
    await host.admin.close();
    const [rows] = await pool.promise().query('select count(*) as n from users');
    expect(Number((rows as any)[0].n)).toBe(2);
    await pool.promise().end();
  });

  it('passes a mysql2/promise pool just the same', async () => {
    const pool = mysqlPromise.createPool({ uri, connectionLimit: 3 });
    const host = await expectUsersListed(testDb.db, pool);
    await host.admin.close();
    const [rows] = await pool.query('select count(*) as n from users');
    expect(Number((rows as any)[0].n)).toBe(2);
    await pool.end();
  });

  it('passes mysql://…: the console opens its own pool and admin.close() ends it', async () => {
    const host = await expectUsersListed(testDb.db, uri);
    await host.admin.close();
    await expect(host.admin.migrate()).rejects.toThrow(/destroyed/);
  });

  it('a single mysql2 connection is refused with what to pass instead', async () => {
    const connection = mysql.createConnection({ uri });
    expect(() => createAdmin({ db: connection as any, getUser })).toThrow(/single mysql2 connection; the console needs a pool/);
    await connection.promise().end();
  });
});

describe('a host on Knex passes its knex instance or its knexfile config', () => {
  const { dir, remove } = tempDir('knex');
  afterAll(remove);

  /** The host's users, inserted the host's way: through its own knex. */
  async function insertThroughKnex(knex: Knex, dialect: 'sqlite' | 'postgres' | 'mysql') {
    const at = (iso: string) => (dialect === 'sqlite' ? iso : new Date(iso));
    await knex('users').insert([
      { email: 'ops@host.test', name: 'Ops', role: 'admin', password_hash: 'scrypt$never-shown', created_at: at('2026-01-01T00:00:00.000Z') },
      { email: 'customer@host.test', name: 'Customer', role: 'user', password_hash: 'scrypt$never-shown', created_at: at('2026-01-01T00:01:00.000Z') },
    ]);
  }

  /**
   * The console lists what the host inserted through knex, from a pool of its own (the
   * migrations it ran are ended by admin.close()), while the host's knex keeps working.
   */
  async function expectConsoleBesideHostKnex(hostDb: Kysely<any>, knex: Knex) {
    expect(wrapConnection(knex)).toMatchObject({ kind: 'knex', owned: true });
    const host = await expectUsersListed(hostDb, knex);
    await host.admin.close();
    await expect(host.admin.migrate()).rejects.toThrow(/destroyed/);
    const [{ n }] = await knex('users').count({ n: '*' });
    expect(Number(n)).toBe(2);
    expect(await knex('backstage_migrations').count({ n: '*' }).then(([row]) => Number(row.n))).toBeGreaterThan(0);
  }

  it('better-sqlite3: the console opens the same file with a connection of its own, and admin.close() leaves the knex open', async () => {
    const file = path.join(dir, 'dev.sqlite3');
    const hostDb = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    await createHostSchema(hostDb, 'sqlite');
    const knex = createKnex({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    try {
      await insertThroughKnex(knex, 'sqlite');
      await expectConsoleBesideHostKnex(hostDb, knex);
    } finally {
      await knex.destroy();
      await hostDb.destroy();
    }
  });

  (DIALECTS.includes('postgres') ? it : it.skip)("pg with a connection string and a searchPath: the console's connections use the same schema", async () => {
    const testDb = await openTestDb('postgres');
    const schema = String((await sql<{ s: string }>`select current_schema() as s`.execute(testDb.db)).rows[0].s);
    await createHostSchema(testDb.db, 'postgres');
    // The schema comes from knex's searchPath only: without it the console would look in "public".
    const knex = createKnex({ client: 'pg', connection: pgUrl, searchPath: [schema], pool: { min: 0, max: 2 } });
    try {
      await insertThroughKnex(knex, 'postgres');
      await expectConsoleBesideHostKnex(testDb.db, knex);
    } finally {
      await knex.destroy();
      await testDb.destroy();
    }
  });

  (DIALECTS.includes('mysql') ? it : it.skip)('mysql2 with connection settings and a password (which knex keeps non-enumerable)', async () => {
    const testDb = await openTestDb('mysql');
    const database = String((await sql<{ d: string }>`select database() as d`.execute(testDb.db)).rows[0].d);
    await createHostSchema(testDb.db, 'mysql');
    // A user with a password, so that a console connecting without it is refused: the test URL's own
    // when it has one (CI's), else a user of its own (a local root without a password).
    const url = new URL(mysqlUrl!);
    const own = url.password === '';
    const user = own ? `bs_knex_${process.pid}` : decodeURIComponent(url.username);
    const password = own ? `pw-${process.pid}-knex` : decodeURIComponent(url.password);
    if (own) {
      await sql`create user ${sql.lit(user)}@'%' identified by ${sql.lit(password)}`.execute(testDb.db);
      await sql.raw(`grant all on \`${database}\`.* to '${user}'@'%'`).execute(testDb.db);
    }
    const knex = createKnex({
      client: 'mysql2',
      connection: { host: url.hostname, port: Number(url.port || 3306), user, password, database },
      pool: { min: 0, max: 2 },
    });
    try {
      expect(Object.keys(knex.client.config.connection)).not.toContain('password');
      await insertThroughKnex(knex, 'mysql');
      await expectConsoleBesideHostKnex(testDb.db, knex);
    } finally {
      await knex.destroy();
      if (own) await sql`drop user ${sql.lit(user)}@'%'`.execute(testDb.db);
      await testDb.destroy();
    }
  });

  it.each(['better-sqlite3', 'sqlite3'])("a knexfile entry with client '%s' is opened with better-sqlite3 (the legacy name needs no sqlite3 package)", async (client) => {
    const file = path.join(dir, `knexfile-${client}.sqlite3`);
    const hostDb = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    await seed(hostDb, 'sqlite');
    const host = await expectUsersListed(hostDb, { client, connection: { filename: file }, useNullAsDefault: true });
    await host.admin.close();
    await expect(host.admin.migrate()).rejects.toThrow(/destroyed/);
    await hostDb.destroy();
  });

  it('a Knex client the console does not speak', () => {
    expect(() => createAdmin({ db: { client: 'mssql', connection: 'mssql://x' } as any, getUser })).toThrow(
      'express-backstage: options.db is a Knex config for client "mssql", which the console does not speak (it speaks pg, mysql2 and sqlite3/better-sqlite3).',
    );
  });

  it('an in-memory SQLite knex: a connection of its own would be another, empty database', async () => {
    const knex = createKnex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    expect(() => createAdmin({ db: knex, getUser })).toThrow(
      'express-backstage: options.db: the Knex connection is an in-memory SQLite database, which the console cannot open a second connection to; pass the better-sqlite3 Database instead, or use a file.',
    );
    await knex.destroy();
  });

  it('a searchPath that is not schema names', () => {
    expect(() => createAdmin({ db: { client: 'pg', connection: 'postgres://localhost/x', searchPath: [''] } as any, getUser })).toThrow(
      'express-backstage: options.db: the Knex searchPath must be a schema name or an array of them, got',
    );
  });
});

describe('anything else is refused with one clear error', () => {
  it.each([
    ['nothing', undefined, 'got undefined'],
    ['an empty DATABASE_URL', '', 'got an empty string (is DATABASE_URL set?)'],
    ['a plain object', { query: () => 1 }, 'got an object with keys query'],
    ['a Prisma client', { $queryRaw: () => {}, $connect: () => {} }, 'it looks like a Prisma client'],
  ])('%s', (_what, db, message) => {
    expect(() => createAdmin({ db: db as any, getUser })).toThrow(
      'express-backstage: options.db must be a Kysely instance, a pg Pool, a better-sqlite3 Database, a mysql2 pool, a Knex instance or knexfile config, or a connection URL (postgres://…, mysql://…, sqlite:<file>), got',
    );
    expect(() => createAdmin({ db: db as any, getUser })).toThrow(message);
  });

  it('a URL of a database the console does not speak, without its password', () => {
    expect(() => createAdmin({ db: 'redis://user:hunter2@localhost:6379', getUser })).toThrow(
      'express-backstage: options.db is a URL the console cannot open: cannot tell which database redis://user:***@localhost:6379 is',
    );
  });

  it('another option wrong: the error names it, and no pool was opened for the URL', () => {
    const file = path.join(os.tmpdir(), `backstage-never-${process.pid}.sqlite`);
    expect(() => createAdmin({ db: `sqlite:${file}`, getUser, roles: [] })).toThrow('options.roles must be a non-empty array of strings');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('a Kysely instance is used as is and never closed by the console', async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    const wrapped = wrapConnection(db);
    expect(wrapped).toMatchObject({ kind: 'kysely', owned: false });
    expect(wrapped.db).toBe(db);
    await db.destroy();
  });
});
