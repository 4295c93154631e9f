// mysql2's pool typings drift from Kysely's structural MysqlPool type between releases; the runtime contract holds.
/**
 * One list of databases that every data-touching suite loops over with
 * `describe.each(DIALECTS)`. SQLite always runs; PostgreSQL and MariaDB run
 * when their URL is set (CI always sets both, and fails if a service is down).
 *
 * Each call to `openTestDb` gets an isolated namespace (a fresh in-memory
 * SQLite, a fresh PostgreSQL schema, a fresh MariaDB database) so that jest
 * workers running in parallel never see each other's tables.
 */
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import Database from 'better-sqlite3';
import { Pool } from 'pg';
import { createPool } from 'mysql2';
import { randomBytes } from 'node:crypto';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

export interface TestDb {
  dialect: DialectName;
  db: Kysely<any>;
  /** Drops the namespace and closes every connection. */
  destroy(): Promise<void>;
}

const POSTGRES_URL = process.env.TEST_POSTGRES_URL;
const MYSQL_URL = process.env.TEST_MYSQL_URL;

if (process.env.CI && (!POSTGRES_URL || !MYSQL_URL)) {
  throw new Error('CI must set TEST_POSTGRES_URL and TEST_MYSQL_URL: suites are never skipped silently in CI');
}

export const DIALECTS: DialectName[] = [
  'sqlite',
  ...(POSTGRES_URL ? (['postgres'] as const) : []),
  ...(MYSQL_URL ? (['mysql'] as const) : []),
];

function uniqueName(): string {
  return `bs_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function openTestDb(dialect: DialectName): Promise<TestDb> {
  if (dialect === 'sqlite') {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    return { dialect, db, destroy: () => db.destroy() };
  }
  const name = uniqueName();
  if (dialect === 'postgres') {
    const admin = new Pool({ connectionString: POSTGRES_URL, max: 1 });
    await admin.query(`create schema "${name}"`);
    const db = new Kysely<any>({
      dialect: new PostgresDialect({
        pool: new Pool({ connectionString: POSTGRES_URL, max: 4, options: `-c search_path=${name}` }),
      }),
    });
    return {
      dialect,
      db,
      async destroy() {
        await db.destroy();
        await admin.query(`drop schema "${name}" cascade`);
        await admin.end();
      },
    };
  }
  const url = new URL(MYSQL_URL!);
  const adminDb = new Kysely<any>({ dialect: new MysqlDialect({ pool: createPool({ uri: MYSQL_URL!, connectionLimit: 1 }) as any }) });
  await sql`create database ${sql.id(name)}`.execute(adminDb);
  url.pathname = `/${name}`;
  const db = new Kysely<any>({
    dialect: new MysqlDialect({ pool: createPool({ uri: url.toString(), connectionLimit: 4, dateStrings: false }) as any }),
  });
  return {
    dialect,
    db,
    async destroy() {
      await db.destroy();
      await sql`drop database ${sql.id(name)}`.execute(adminDb);
      await adminDb.destroy();
    },
  };
}
