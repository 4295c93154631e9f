import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { detectDialect, type DialectName } from '../db/dialect';
import { wrapConnection } from '../db/wrap-connection';
import { redactUrl } from './args';
import { CliError, type LoadedConfig } from './config';
import { UsageError } from './io';
import { findDatabase } from '../init/find-database';

export interface CliDatabase {
  db: Kysely<any>;
  dialect: DialectName;
  /** Where the database came from, password hidden: `postgres://app:***@db/app (--db)`. */
  label: string;
  close(): Promise<void>;
}

const SQLITE_KNEX_CLIENTS = new Set(['sqlite3', 'sqlite', 'better-sqlite3']);

/**
 * SQLite paths are relative to the folder the command runs in (as they are for
 * the app), and, unless `create`, must exist: a typo must not leave an empty
 * database file behind.
 */
export function resolveSqlite(value: unknown, cwd: string, source: string, create: boolean): unknown {
  let file: string | null = null;
  let rebuild: (absolute: string) => unknown = (absolute) => absolute;
  if (typeof value === 'string') {
    const bare = value.replace(/^sqlite:(\/\/)?/, '');
    if (value.startsWith('sqlite:') || /\.(sqlite3?|db)$/.test(bare)) {
      file = bare;
      rebuild = (absolute) => `sqlite:${absolute}`;
    }
  } else if (value && typeof value === 'object' && SQLITE_KNEX_CLIENTS.has(String((value as any).client)) && typeof (value as any).connection?.filename === 'string') {
    file = (value as any).connection.filename;
    rebuild = (absolute) => ({ ...(value as object), connection: { ...(value as any).connection, filename: absolute } });
  }
  if (file === null || file === ':memory:') return value;
  const absolute = path.resolve(cwd, file);
  if (!create && !fs.existsSync(absolute)) throw new CliError(`express-backstage: no SQLite database at ${absolute} (${source}).`);
  return rebuild(absolute);
}

/**
 * The database a command works on: `--db`, else `db` of the config file, else
 * `DATABASE_URL` (the environment, then .env), else the knexfile. A URL gets the
 * console's own small pool; `close()` ends whatever was opened.
 */
export async function openCliDatabase(
  command: string,
  flag: string | undefined,
  config: LoadedConfig,
  io: { cwd: string; env: Record<string, string | undefined> },
  { create = false }: { create?: boolean } = {},
): Promise<CliDatabase> {
  let value: unknown;
  let source: string;
  if (flag !== undefined) {
    value = flag;
    source = '--db';
  } else if (config.options.db !== undefined && config.options.db !== null) {
    value = config.options.db;
    source = `db in ${config.file}`;
  } else {
    const found = await findDatabase(io.cwd, undefined, io.env);
    if (!found) throw new UsageError(`${command}: no database given. Pass --db <url> or set DATABASE_URL${config.file ? `, or export db from ${config.file}` : ''}.`);
    value = found.kind === 'knexfile' ? found.config : found.url;
    source = found.kind === 'knexfile' ? path.basename(found.file) : found.kind === 'env' && found.file ? `DATABASE_URL in ${found.file}` : 'DATABASE_URL';
  }
  return openDatabaseValue(value, source, io.cwd, create, config.options.dialect as DialectName | undefined);
}

/** Opens what a config, a flag or a knexfile gave, for the length of one command. */
export function openDatabaseValue(value: unknown, source: string, cwd: string, create: boolean, dialectOverride?: DialectName): CliDatabase {
  const wrapped = wrapConnection(resolveSqlite(value, cwd, source, create), source);
  const dialect = dialectOverride ?? wrapped.dialect ?? detectDialect(wrapped.db);
  const what = typeof value === 'string' ? redactUrl(value) : wrapped.kind;
  // The command owns its process: a pool the config file opened is ended too, or Node would not exit.
  return { db: wrapped.db, dialect, label: `${what} (${source})`, close: () => wrapped.db.destroy() };
}
