import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { BackstageConfigError } from '../options-errors';

/** Loads a database driver the host has installed; the console ships none of its own. */
function driver(name: string, forUrl: string): any {
  try {
    return require(require.resolve(name, { paths: [process.cwd(), __dirname] }));
  } catch {
    throw new BackstageConfigError(`connecting to ${forUrl} needs the "${name}" package; install it in your app (npm install ${name}).`);
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

interface PgPoolEvents {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'connect', listener: (client: { on(event: 'error', listener: (err: Error) => void): unknown }) => void): unknown;
}

/**
 * When a connection dies (a database restart, a failover, a network cut), pg emits 'error': on the
 * pool for an idle connection, on the client itself for one in use (its query also rejects). An
 * 'error' event without a listener ends the host's process. The pool drops the dead connection and
 * opens a new one on the next query, and the failed query is reported by the page as a 503, so a
 * warning is all these need. Only for pools the console opens itself; a host's pool is the host's.
 */
export function quietPgPool<P extends PgPoolEvents>(pool: P, label: string): P {
  const warn = (err: Error) => console.warn(`express-backstage: a connection to ${label} failed (${err.message}); the next query opens a new one.`);
  pool.on('error', warn);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * A Kysely instance for a connection URL (`postgres://…`, `mysql://…`,
 * `sqlite:path` or a `.sqlite`/`.db` file path), with a small pool: this is the
 * console's own connection, for the CLI and for hosts that pass a URL.
 */
export function kyselyFromUrl(url: string, poolSize = 2): Kysely<any> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { Pool } = driver('pg', redactUrl(url));
    return new Kysely({ dialect: new PostgresDialect({ pool: quietPgPool(new Pool({ connectionString: url, max: poolSize }), redactUrl(url)) }) });
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    const { createPool } = driver('mysql2', redactUrl(url));
    return new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), connectionLimit: poolSize }) }) });
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (url.startsWith('sqlite:') || /\.(sqlite3?|db)$/.test(file)) {
    const Database = driver('better-sqlite3', file);
    return new Kysely({ dialect: new SqliteDialect({ database: new Database(file) }) });
  }
  throw new BackstageConfigError(`cannot tell which database ${redactUrl(url)} is: use postgres://, mysql:// or sqlite:<file>`);
}
