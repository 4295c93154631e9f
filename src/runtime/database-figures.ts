import fs from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';
import { bytes, count, duration, percent, redactSql } from './format';

/** A small table of formatted cells, rendered by the page and refreshed by live events alike. */
export interface FigureTable {
  columns: string[];
  rows: string[][];
  /** Why the table is empty or missing (a permission, a dialect that cannot say). */
  note?: string;
}

export interface DatabaseFigures {
  dialect: DialectName;
  serverVersion: string | null;
  /** Label → formatted value. */
  facts: Array<[string, string]>;
  connections: FigureTable | null;
  longestQueries: FigureTable | null;
  largestTables: FigureTable | null;
  /** Set when the database could not be read at all. */
  error: string | null;
}

const DIALECT_NAMES: Record<DialectName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL / MariaDB' };

type Row = Record<string, unknown>;

async function rows(db: Kysely<any>, query: ReturnType<typeof sql>): Promise<Row[]> {
  return ((await query.execute(db)) as { rows: Row[] }).rows;
}

/** Runs one probe; a probe the database refuses (permissions, missing view) becomes a note, not an error page. */
async function attempt<T>(probe: () => Promise<T>): Promise<T | { failed: string }> {
  try {
    return await probe();
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    return { failed: `not available${typeof code === 'string' ? ` (${code})` : ''}` };
  }
}

function table<T>(result: T | { failed: string }, build: (value: T) => FigureTable): FigureTable {
  if (result && typeof result === 'object' && 'failed' in (result as object)) return { columns: [], rows: [], note: (result as { failed: string }).failed };
  return build(result as T);
}

function num(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

async function postgresFigures(db: Kysely<any>): Promise<DatabaseFigures> {
  const [version, settings, connections, longest, largest, hit, size] = await Promise.all([
    attempt(() => rows(db, sql`select current_setting('server_version') as v`)),
    attempt(() => rows(db, sql`select current_setting('max_connections') as max_connections`)),
    attempt(() => rows(db, sql`select coalesce(state, 'background') as state, count(*)::int as n from pg_stat_activity where datname = current_database() group by 1 order by 2 desc`)),
    attempt(() =>
      rows(
        db,
        sql`select extract(epoch from (now() - query_start))::float8 as seconds, state, left(query, 1000) as query
            from pg_stat_activity
            where datname = current_database() and state is not null and state <> 'idle' and pid <> pg_backend_pid() and query_start is not null
            order by query_start asc limit 5`,
      ),
    ),
    attempt(() =>
      rows(
        db,
        sql`select c.relname as name, pg_total_relation_size(c.oid)::bigint as bytes, c.reltuples::bigint as est_rows
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and n.nspname = any(current_schemas(false))
            order by pg_total_relation_size(c.oid) desc limit 5`,
      ),
    ),
    attempt(() =>
      rows(
        db,
        sql`select (select sum(blks_hit)::float8 / nullif(sum(blks_hit) + sum(blks_read), 0) from pg_stat_database where datname = current_database()) as cache_hit,
                   (select sum(idx_blks_hit)::float8 / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0) from pg_statio_user_indexes) as index_hit`,
      ),
    ),
    attempt(() => rows(db, sql`select pg_database_size(current_database())::bigint as bytes`)),
  ]);
  const ok = <T>(value: T | { failed: string }): T | null => (value && typeof value === 'object' && 'failed' in (value as object) ? null : (value as T));
  const hitRow = ok(hit)?.[0];
  const connectionRows = ok(connections) ?? [];
  const facts: Array<[string, string]> = [
    ['Database size', bytes(ok(size)?.[0] ? num(ok(size)![0].bytes) : null)],
    ['Connections', `${count(connectionRows.reduce((n, r) => n + num(r.n), 0))} of ${String(ok(settings)?.[0]?.max_connections ?? '?')}`],
    ['Cache hit rate', percent(hitRow?.cache_hit === null || hitRow?.cache_hit === undefined ? null : num(hitRow.cache_hit), 2)],
    ['Index hit rate', percent(hitRow?.index_hit === null || hitRow?.index_hit === undefined ? null : num(hitRow.index_hit), 2)],
  ];
  return {
    dialect: 'postgres',
    serverVersion: ok(version)?.[0]?.v ? `PostgreSQL ${String(ok(version)![0].v)}` : null,
    facts,
    connections: table(connections, (r) => ({ columns: ['State', 'Connections'], rows: r.map((x) => [String(x.state), count(num(x.n))]) })),
    longestQueries: table(longest, (r) => ({
      columns: ['Running for', 'State', 'Query (literals removed)'],
      rows: r.map((x) => [duration(num(x.seconds)), String(x.state ?? ''), redactSql(String(x.query ?? ''))]),
      note: r.length === 0 ? 'No other query is running.' : undefined,
    })),
    largestTables: table(largest, (r) => ({
      columns: ['Table', 'Size (with indexes)', 'Rows (estimate)'],
      rows: r.map((x) => [String(x.name), bytes(num(x.bytes)), num(x.est_rows) < 0 ? '—' : count(num(x.est_rows))]),
    })),
    error: null,
  };
}

const MYSQL_STATUS = ['Threads_connected', 'Threads_running', 'Max_used_connections', 'Uptime', 'Questions', 'Slow_queries', 'Innodb_buffer_pool_read_requests', 'Innodb_buffer_pool_reads'];

async function mysqlFigures(db: Kysely<any>): Promise<DatabaseFigures> {
  const [version, status, maxConnections, connections, longest, largest] = await Promise.all([
    attempt(() => rows(db, sql`select version() as v`)),
    attempt(() => rows(db, sql`show global status where Variable_name in (${sql.join(MYSQL_STATUS)})`)),
    attempt(() => rows(db, sql`select @@max_connections as n`)),
    attempt(() => rows(db, sql`select command as state, count(*) as n from information_schema.processlist group by command order by n desc`)),
    attempt(() =>
      rows(
        db,
        sql`select time as seconds, command as state, left(info, 1000) as query from information_schema.processlist
            where command not in ('Sleep', 'Daemon', 'Binlog Dump') and info is not null and id <> connection_id()
            order by time desc limit 5`,
      ),
    ),
    attempt(() =>
      rows(
        db,
        sql`select table_name as name, coalesce(data_length, 0) + coalesce(index_length, 0) as bytes, table_rows as est_rows
            from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE'
            order by bytes desc limit 5`,
      ),
    ),
  ]);
  const ok = <T>(value: T | { failed: string }): T | null => (value && typeof value === 'object' && 'failed' in (value as object) ? null : (value as T));
  const statusMap = new Map<string, number>();
  for (const row of ok(status) ?? []) statusMap.set(String(row.Variable_name ?? row.variable_name), num(row.Value ?? row.value));
  const requests = statusMap.get('Innodb_buffer_pool_read_requests');
  const misses = statusMap.get('Innodb_buffer_pool_reads');
  const facts: Array<[string, string]> = [
    ['Connections', `${count(statusMap.get('Threads_connected'))} of ${count(num(ok(maxConnections)?.[0]?.n))} (${count(statusMap.get('Threads_running'))} running)`],
    ['Most connections at once', count(statusMap.get('Max_used_connections'))],
    ['Server uptime', duration(statusMap.get('Uptime'))],
    ['Slow queries', count(statusMap.get('Slow_queries'))],
    ['Buffer pool hit rate', requests ? percent(1 - (misses ?? 0) / requests, 2) : '—'],
  ];
  return {
    dialect: 'mysql',
    serverVersion: ok(version)?.[0]?.v ? String(ok(version)![0].v) : null,
    facts,
    connections: table(connections, (r) => ({ columns: ['Command', 'Connections'], rows: r.map((x) => [String(x.state), count(num(x.n))]) })),
    longestQueries: table(longest, (r) => ({
      columns: ['Running for', 'Command', 'Query (literals removed)'],
      rows: r.map((x) => [duration(num(x.seconds)), String(x.state ?? ''), redactSql(String(x.query ?? ''), { doubleQuotedStrings: true })]),
      note: r.length === 0 ? 'No other query is running.' : undefined,
    })),
    largestTables: table(largest, (r) => ({
      columns: ['Table', 'Size (with indexes)', 'Rows (estimate)'],
      rows: r.map((x) => [String(x.name), bytes(num(x.bytes)), count(num(x.est_rows))]),
    })),
    error: null,
  };
}

async function sqliteFigures(db: Kysely<any>): Promise<DatabaseFigures> {
  const pragma = async (name: string) => (await rows(db, sql`select * from ${sql.raw(`pragma_${name}`)}`))[0];
  const version = await attempt(() => rows(db, sql`select sqlite_version() as v`));
  const [pageSize, pageCount, freelist, journal, list] = await Promise.all([
    attempt(() => pragma('page_size')),
    attempt(() => pragma('page_count')),
    attempt(() => pragma('freelist_count')),
    attempt(() => pragma('journal_mode')),
    attempt(() => rows(db, sql`select * from pragma_database_list`)),
  ]);
  const ok = <T>(value: T | { failed: string }): T | null => (value && typeof value === 'object' && 'failed' in (value as object) ? null : (value as T));
  const first = (row: Row | null | undefined) => (row ? Object.values(row)[0] : null);
  const size = num(first(ok(pageSize)));
  const pages = num(first(ok(pageCount)));
  const file = String((ok(list) ?? []).find((r) => r.name === 'main')?.file ?? '');
  let fileSize: string = file ? '—' : 'in memory';
  if (file) {
    try {
      const main = fs.statSync(file).size;
      let wal = 0;
      try {
        wal = fs.statSync(`${file}-wal`).size;
      } catch {
        wal = 0;
      }
      fileSize = wal ? `${bytes(main)} (+ ${bytes(wal)} WAL)` : bytes(main);
    } catch {
      fileSize = '—';
    }
  }
  const facts: Array<[string, string]> = [
    ['Database file', file ? path.basename(file) : 'in memory'],
    ['File size', fileSize],
    ['Page size', bytes(size)],
    ['Pages', `${count(pages)} (${count(num(first(ok(freelist))))} free)`],
    ['Journal mode', String(first(ok(journal)) ?? '—')],
  ];
  const tables = await attempt(async () => {
    const names = (await rows(db, sql`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name limit 50`)).map((r) => String(r.name));
    const counted = await Promise.all(
      names.map(async (name) => {
        try {
          // The largest rowid is read from the end of the b-tree: an upper bound of the rows, without a scan.
          return [name, num((await rows(db, sql`select max(rowid) as n from ${sql.table(name)}`))[0]?.n)] as const;
        } catch {
          return [name, 0] as const;
        }
      }),
    );
    return counted.sort((a, b) => b[1] - a[1]).slice(0, 5);
  });
  return {
    dialect: 'sqlite',
    serverVersion: ok(version)?.[0]?.v ? `SQLite ${String(ok(version)![0].v)}` : null,
    facts,
    connections: null,
    longestQueries: null,
    largestTables: table(tables, (r) => ({ columns: ['Table', 'Rows (≈ largest rowid)'], rows: r.map(([name, n]) => [name, count(n)]), note: 'SQLite keeps no size statistics; rows are estimated without scanning.' })),
    error: null,
  };
}

/** The runtime page's database section, per dialect. Never shows connection strings or credentials. */
export async function databaseFigures(db: Kysely<any>, dialect: DialectName): Promise<DatabaseFigures> {
  try {
    if (dialect === 'postgres') return await postgresFigures(db);
    if (dialect === 'mysql') return await mysqlFigures(db);
    return await sqliteFigures(db);
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    return {
      dialect,
      serverVersion: null,
      facts: [],
      connections: null,
      longestQueries: null,
      largestTables: null,
      error: `The database did not answer${typeof code === 'string' ? ` (${code})` : ''}.`,
    };
  }
}

export function dialectName(dialect: DialectName): string {
  return DIALECT_NAMES[dialect];
}
