// Opens the demo's database: SQLite by default, PostgreSQL or MySQL/MariaDB when
// DATABASE_URL says so. Everything else in the example receives `{ db, dialect }`.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';

export const SQLITE_FILE = join(dirname(fileURLToPath(import.meta.url)), 'data', 'demo.sqlite');

/**
 * @param {string | undefined} databaseUrl `postgres://…`, `mysql://…` (also `mariadb://…`), or empty for SQLite
 * @returns {Promise<{ db: Kysely<any>, dialect: 'sqlite' | 'postgres' | 'mysql', label: string }>}
 */
export async function openDatabase(databaseUrl) {
  if (!databaseUrl) {
    const { default: Database } = await import('better-sqlite3');
    mkdirSync(dirname(SQLITE_FILE), { recursive: true });
    const sqlite = new Database(SQLITE_FILE);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    return {
      db: new Kysely({ dialect: new SqliteDialect({ database: sqlite }) }),
      dialect: 'sqlite',
      label: `SQLite ${SQLITE_FILE}`,
    };
  }

  const url = new URL(databaseUrl);
  const label = `${url.protocol}//${url.host}${url.pathname}`; // no credentials in logs
  if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') {
    const { default: pg } = await import('pg');
    return {
      db: new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 10 }) }) }),
      dialect: 'postgres',
      label: `PostgreSQL ${label}`,
    };
  }
  if (url.protocol === 'mysql:' || url.protocol === 'mariadb:') {
    const { createPool } = await import('mysql2');
    url.protocol = 'mysql:';
    return {
      db: new Kysely({
        dialect: new MysqlDialect({
          // timezone 'Z': JS Dates are written and read as UTC, whatever the server's zone.
          pool: createPool({ uri: url.toString(), connectionLimit: 10, timezone: 'Z', dateStrings: false }),
        }),
      }),
      dialect: 'mysql',
      label: `MySQL ${label}`,
    };
  }
  throw new Error(`DATABASE_URL must start with postgres://, mysql:// or mariadb:// (or be unset for SQLite), got ${url.protocol}//…`);
}

/**
 * A JS Date as the dialect stores it: a native timestamp on PostgreSQL and MySQL,
 * ISO-8601 UTC text on SQLite (always `2026-11-25T14:00:00.000Z`, so text order is time order).
 */
export function toDbDate(dialect, date = new Date()) {
  return dialect === 'sqlite' ? date.toISOString() : date;
}

/** Inserts one row and returns its generated integer id, on every dialect. */
export async function insertReturningId(db, dialect, table, values) {
  const query = db.insertInto(table).values(values);
  if (dialect === 'postgres') {
    const row = await query.returning('id').executeTakeFirstOrThrow();
    return Number(row.id);
  }
  const result = await query.executeTakeFirstOrThrow();
  return Number(result.insertId);
}

/** A unique-constraint violation, as SQLite, PostgreSQL and MySQL each report it. */
export function isUniqueViolation(error) {
  return error?.code === 'SQLITE_CONSTRAINT_UNIQUE' || error?.code === '23505' || error?.errno === 1062;
}
