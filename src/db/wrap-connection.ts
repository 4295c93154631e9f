import { CompiledQuery, Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { BackstageConfigError, describeValue } from '../options-errors';
import { kyselyFromUrl, quietPgPool } from './connect-url';
import type { DialectName } from './dialect';

/** How many connections the console opens when it makes its own pool (from a URL or a Knex config). */
export const CONSOLE_POOL_SIZE = 2;

/** The subset of `pg`'s Pool the console uses (node-postgres, or a drop-in such as `@neondatabase/serverless`). */
export interface PgPoolLike {
  connect(...args: any[]): unknown;
  query(...args: any[]): unknown;
  end(...args: any[]): unknown;
  readonly totalCount: number;
}

/** The subset of a better-sqlite3 Database the console uses. */
export interface BetterSqliteDatabaseLike {
  prepare(...args: any[]): unknown;
  pragma(...args: any[]): unknown;
  close(...args: any[]): unknown;
}

/** The subset of a mysql2 pool the console uses: `mysql2.createPool()`, or `mysql2/promise`'s pool. */
export type Mysql2PoolLike = { getConnection(...args: any[]): unknown; end(...args: any[]): unknown } | { pool: { getConnection(...args: any[]): unknown } };

/**
 * What `options.db` accepts besides a Kysely instance: a connection the host
 * already has, which the console wraps in its own Kysely.
 */
export type DbConnection = string | PgPoolLike | BetterSqliteDatabaseLike | Mysql2PoolLike | KnexLike | KnexConfigLike;

/** A knexfile entry: `{ client: 'pg', connection: process.env.DATABASE_URL }`, `{ client: 'sqlite3', connection: { filename } }`, … */
export interface KnexConfigLike {
  client: string;
  connection: string | Record<string, unknown>;
  /** PostgreSQL only: the schemas Knex sets as `search_path` on each connection; the console's connections get the same. */
  searchPath?: string | string[];
}

/** A Knex instance: the console reads its `client.config` and opens its own small pool with the same settings. */
export interface KnexLike {
  (...args: any[]): unknown;
  client: { config: KnexConfigLike };
}

export type ConnectionKind = 'kysely' | 'url' | 'pg-pool' | 'better-sqlite3' | 'mysql2-pool' | 'knex';

export interface WrappedConnection {
  db: Kysely<any>;
  kind: ConnectionKind;
  /** Known when the console built the Kysely itself; a host's Kysely is detected later. */
  dialect?: DialectName;
  /**
   * True when the console created the connections (a URL, a Knex config): `admin.close()` ends them.
   * A pool or database the host passed stays the host's to close.
   */
  owned: boolean;
}

const EXPECTED =
  'a Kysely instance, a pg Pool, a better-sqlite3 Database, a mysql2 pool, a Knex instance or knexfile config, or a connection URL (postgres://…, mysql://…, sqlite:<file>)';

function has(value: unknown, ...methods: string[]): boolean {
  return typeof value === 'object' && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

export function isKysely(value: unknown): value is Kysely<any> {
  return has(value, 'selectFrom', 'getExecutor');
}

function isPgPool(value: unknown): value is PgPoolLike {
  return has(value, 'connect', 'query', 'end') && 'totalCount' in (value as object);
}

function isBetterSqlite(value: unknown): value is BetterSqliteDatabaseLike {
  return has(value, 'prepare', 'pragma', 'close');
}

function isMysql2Pool(value: unknown): value is { getConnection(...args: any[]): unknown } {
  return has(value, 'getConnection', 'query', 'end');
}

function isKnexConfig(value: unknown): value is KnexConfigLike {
  return typeof value === 'object' && value !== null && typeof (value as KnexConfigLike).client === 'string' && 'connection' in value;
}

function knexConfigOf(value: unknown): KnexConfigLike | null {
  if (isKnexConfig(value)) return value;
  const client = typeof value === 'function' ? (value as Partial<KnexLike>).client : undefined;
  return client && isKnexConfig(client.config) ? client.config : null;
}

const KNEX_CLIENTS: Record<string, DialectName> = {
  pg: 'postgres',
  postgres: 'postgres',
  postgresql: 'postgres',
  pgnative: 'postgres',
  mysql: 'mysql',
  mysql2: 'mysql',
  sqlite3: 'sqlite',
  sqlite: 'sqlite',
  'better-sqlite3': 'sqlite',
};

/** Loads a driver from the host's node_modules first; the console ships none of its own. */
function driver(name: string, label: string): any {
  try {
    return require(require.resolve(name, { paths: [process.cwd(), __dirname] }));
  } catch {
    throw new BackstageConfigError(`${label}: connecting needs the "${name}" package; install it in your app (npm install ${name}).`);
  }
}

/** The console's own pool, opened with a knexfile's connection settings. */
function kyselyFromKnexConfig(config: KnexConfigLike, label: string, poolSize: number): { db: Kysely<any>; dialect: DialectName } {
  const dialect = KNEX_CLIENTS[config.client.toLowerCase()];
  if (!dialect) throw new BackstageConfigError(`${label} is a Knex config for client "${config.client}", which the console does not speak (it speaks pg, mysql2 and sqlite3/better-sqlite3).`);
  const connection = config.connection;
  if (dialect === 'postgres') return { db: kyselyFromKnexPgConfig(config, label, poolSize), dialect };
  if (typeof connection === 'string') {
    const url = dialect === 'sqlite' && !connection.startsWith('sqlite:') ? `sqlite:${connection}` : connection;
    return { db: kyselyFromUrl(url, poolSize), dialect };
  }
  if (typeof connection !== 'object' || connection === null) {
    throw new BackstageConfigError(`${label}: the Knex connection must be a URL or an object of settings, got ${describeValue(connection)} (a connection function is not supported: pass its result).`);
  }
  if (dialect === 'sqlite') {
    const filename = connection.filename;
    if (typeof filename !== 'string' || filename === '') throw new BackstageConfigError(`${label}: the Knex sqlite connection needs a filename, got ${describeValue(filename)}`);
    // The console's own connection to ':memory:' would be a second, empty database.
    if (filename === ':memory:' || filename.startsWith('file::memory:')) {
      throw new BackstageConfigError(`${label}: the Knex connection is an in-memory SQLite database, which the console cannot open a second connection to; pass the better-sqlite3 Database instead, or use a file.`);
    }
    const Database = driver('better-sqlite3', label);
    return { db: new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(filename) }) }), dialect };
  }
  const { createPool } = driver('mysql2', label);
  return { db: new Kysely<any>({ dialect: new MysqlDialect({ pool: createPool({ ...connectionSettings(connection), connectionLimit: poolSize }) }) }), dialect };
}

/**
 * A Knex instance keeps `connection.password` non-enumerable (so that logging
 * the config does not print it): a plain spread would drop it.
 */
function connectionSettings(connection: Record<string, unknown>): Record<string, unknown> {
  return 'password' in connection ? { ...connection, password: connection.password } : { ...connection };
}

/** PostgreSQL from a Knex config: a URL or settings, and Knex's `searchPath` set on each new connection as Knex does. */
function kyselyFromKnexPgConfig(config: KnexConfigLike, label: string, poolSize: number): Kysely<any> {
  const { connection, searchPath } = config;
  if (typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
    throw new BackstageConfigError(`${label}: the Knex connection must be a URL or an object of settings, got ${describeValue(connection)} (a connection function is not supported: pass its result).`);
  }
  const schemas = searchPath === undefined ? [] : Array.isArray(searchPath) ? searchPath : [searchPath];
  if (!schemas.every((schema) => typeof schema === 'string' && schema !== '')) {
    throw new BackstageConfigError(`${label}: the Knex searchPath must be a schema name or an array of them, got ${describeValue(searchPath)}`);
  }
  const { Pool } = driver('pg', label);
  const settings = typeof connection === 'string' ? { connectionString: connection } : connectionSettings(connection);
  const pool = quietPgPool(new Pool({ ...settings, max: poolSize }), label);
  const setSearchPath = CompiledQuery.raw(`set search_path to ${schemas.map((schema) => `"${schema.replace(/"/g, '""')}"`).join(',')}`);
  return new Kysely<any>({
    dialect: new PostgresDialect({ pool, onCreateConnection: schemas.length > 0 ? async (conn) => void (await conn.executeQuery(setSearchPath)) : undefined }),
  });
}

/** A connection the console cannot share, with the reason and what to pass instead. */
function hintFor(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const name = (value as object).constructor?.name ?? '';
  if (has(value, 'connect', 'query', 'end') && 'connectionParameters' in value) {
    return 'it is a single pg Client; the console needs a pg Pool (new Pool({ connectionString })) or a URL';
  }
  if (name === 'Connection' && has(value, 'query', 'execute')) {
    return 'it is a single mysql2 connection; the console needs a pool (mysql2.createPool(…)) or a URL';
  }
  if (name === 'DatabaseSync' || (has(value, 'prepare', 'exec') && !has(value, 'pragma'))) {
    return 'only better-sqlite3 Databases are supported for SQLite; pass a better-sqlite3 Database or sqlite:<file>';
  }
  if (name === 'PrismaClient' || has(value, '$queryRaw')) return 'it looks like a Prisma client: pass your connection URL instead (process.env.DATABASE_URL)';
  if (name === 'DataSource' || has(value, 'getRepository')) return 'it looks like a TypeORM DataSource: pass your connection URL instead, or its driver pool (dataSource.driver.master)';
  if (name === 'Sequelize' || has(value, 'getQueryInterface')) return 'it looks like a Sequelize instance: pass your connection URL instead';
  return null;
}

/**
 * Turns what the host has into the Kysely the console speaks: a Kysely instance
 * as is; a pg Pool, a better-sqlite3 Database or a mysql2 pool shared (the
 * console borrows connections from the host's pool and never ends it); a URL,
 * a Knex instance or a knexfile config opened with a small pool of the
 * console's own ({@link CONSOLE_POOL_SIZE} connections), which `admin.close()` ends.
 */
export function wrapConnection(value: unknown, label = 'options.db', poolSize = CONSOLE_POOL_SIZE): WrappedConnection {
  const kind = connectionKind(value, label);
  switch (kind) {
    case 'kysely':
      return { db: value as Kysely<any>, kind, owned: false };
    case 'url':
      try {
        return { db: kyselyFromUrl(value as string, poolSize), kind, owned: true };
      } catch (err) {
        const message = err instanceof Error ? err.message.replace(/^express-backstage: /, '') : String(err);
        throw new BackstageConfigError(`${label} is a URL the console cannot open: ${message}`);
      }
    case 'pg-pool':
      return { db: new Kysely<any>({ dialect: new PostgresDialect({ pool: value as any }) }), kind, dialect: 'postgres', owned: false };
    case 'better-sqlite3':
      return { db: new Kysely<any>({ dialect: new SqliteDialect({ database: value as any }) }), kind, dialect: 'sqlite', owned: false };
    case 'mysql2-pool':
      return { db: new Kysely<any>({ dialect: new MysqlDialect({ pool: mysqlCallbackPool(value) as any }) }), kind, dialect: 'mysql', owned: false };
    case 'knex':
      try {
        return { ...kyselyFromKnexConfig(knexConfigOf(value)!, label, poolSize), kind, owned: true };
      } catch (err) {
        if (err instanceof BackstageConfigError) throw err;
        throw new BackstageConfigError(`${label}: could not open the Knex connection: ${err instanceof Error ? err.message : String(err)}`);
      }
  }
}

/** mysql2/promise pools keep the callback pool Kysely needs under `.pool`. */
function mysqlCallbackPool(value: unknown): unknown {
  const inner = typeof value === 'object' && value !== null ? (value as { pool?: unknown }).pool : undefined;
  return isMysql2Pool(inner) ? inner : value;
}

/**
 * Which kind of connection `value` is, without opening anything; throws the
 * `options.db` error (naming what was given and what to pass instead) otherwise.
 */
export function connectionKind(value: unknown, label = 'options.db'): ConnectionKind {
  if (isKysely(value)) return 'kysely';
  if (typeof value === 'string') {
    if (value.trim() === '') throw new BackstageConfigError(`${label} must be ${EXPECTED}, got an empty string (is DATABASE_URL set?)`);
    return 'url';
  }
  if (isPgPool(value)) return 'pg-pool';
  if (isBetterSqlite(value)) return 'better-sqlite3';
  if (isMysql2Pool(value) || isMysql2Pool((value as { pool?: unknown } | null)?.pool)) return 'mysql2-pool';
  if (knexConfigOf(value)) return 'knex';
  const hint = hintFor(value);
  throw new BackstageConfigError(`${label} must be ${EXPECTED}, got ${describeValue(value)}${hint ? `: ${hint}` : ''}`);
}

/** Ends what the console opened; leaves the host's own pool or database alone. */
export async function releaseConnection(wrapped: WrappedConnection): Promise<void> {
  if (wrapped.owned) await wrapped.db.destroy();
}
