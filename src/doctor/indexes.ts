import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';

/** One index on a host table, as the database reports it. */
export interface IndexFacts {
  name: string;
  /** Key columns in order, lower-cased; an expression key is its SQL text (e.g. `lower((email)::text)`). */
  columns: string[];
  unique: boolean;
  /** Partial indexes (WHERE …) and non-btree indexes cannot serve a list's ordering. */
  usableForOrder: boolean;
}

export interface TableIndexFacts {
  indexes: IndexFacts[];
  /**
   * Primary-key columns every secondary index carries implicitly (InnoDB; SQLite's
   * INTEGER PRIMARY KEY rowid), so `(created_at)` already serves `(created_at, id)`.
   */
  implicitTail: string[];
}

function splitTable(table: string): { schema: string | null; name: string } {
  const dot = table.indexOf('.');
  return dot > 0 ? { schema: table.slice(0, dot), name: table.slice(dot + 1) } : { schema: null, name: table };
}

function group(rows: Array<{ index_name: unknown; column_name: unknown; is_unique: unknown; usable?: unknown }>): IndexFacts[] {
  const byName = new Map<string, IndexFacts>();
  for (const row of rows) {
    const name = String(row.index_name);
    let index = byName.get(name);
    if (!index) {
      index = { name, columns: [], unique: row.is_unique === true || row.is_unique === 1 || row.is_unique === '1' || row.is_unique === 't', usableForOrder: row.usable === undefined ? true : row.usable === true || row.usable === 1 || row.usable === 't' };
      byName.set(name, index);
    }
    index.columns.push(String(row.column_name ?? '').toLowerCase());
  }
  return [...byName.values()];
}

/** Reads a table's indexes from the catalogue: nothing is created or changed. */
export async function readIndexes(db: Kysely<any>, dialect: DialectName, table: string): Promise<TableIndexFacts> {
  const { schema, name } = splitTable(table);
  if (dialect === 'postgres') {
    const result = await sql<{ index_name: string; column_name: string; is_unique: boolean; usable: boolean }>`
      select i.relname as index_name, ix.indisunique as is_unique,
             (am.amname = 'btree' and ix.indpred is null) as usable,
             coalesce(a.attname, pg_get_indexdef(ix.indexrelid, k.ord::int, true)) as column_name
      from pg_class t
      join pg_namespace n on n.oid = t.relnamespace
      join pg_index ix on ix.indrelid = t.oid
      join pg_class i on i.oid = ix.indexrelid
      join pg_am am on am.oid = i.relam
      cross join lateral unnest(ix.indkey) with ordinality as k(attnum, ord)
      left join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum and k.attnum > 0
      where t.relname = ${name} and n.nspname = ${schema ?? sql`current_schema()`} and k.ord <= ix.indnkeyatts
      order by i.relname, k.ord`.execute(db);
    return { indexes: group(result.rows), implicitTail: [] };
  }
  if (dialect === 'mysql') {
    const result = await sql<{ index_name: string; column_name: string | null; non_unique: number; index_type: string; expression?: string | null }>`
      select index_name as index_name, column_name as column_name, non_unique as non_unique, index_type as index_type
      from information_schema.statistics
      where table_schema = ${schema ?? sql`database()`} and table_name = ${name}
      order by index_name, seq_in_index`.execute(db);
    const rows = result.rows.map((row: any) => ({
      index_name: row.index_name ?? row.INDEX_NAME,
      column_name: row.column_name ?? row.COLUMN_NAME ?? '(expression)',
      is_unique: Number(row.non_unique ?? row.NON_UNIQUE) === 0,
      usable: String(row.index_type ?? row.INDEX_TYPE).toUpperCase() === 'BTREE',
    }));
    const indexes = group(rows);
    const primary = indexes.find((index) => index.name === 'PRIMARY');
    return { indexes, implicitTail: primary?.columns ?? [] };
  }
  const list = await sql<{ name: string; unique: number; partial: number }>`select name, "unique", partial from pragma_index_list(${name})`.execute(db);
  const rows: Array<{ index_name: string; column_name: string; is_unique: number; usable: boolean }> = [];
  for (const index of list.rows) {
    const info = await sql<{ name: string | null }>`select name from pragma_index_info(${index.name}) order by seqno`.execute(db);
    for (const column of info.rows) rows.push({ index_name: index.name, column_name: column.name ?? '(expression)', is_unique: index.unique, usable: !index.partial });
  }
  const columns = await sql<{ name: string; type: string; pk: number }>`select name, type, pk from pragma_table_info(${name})`.execute(db);
  const pk = columns.rows.filter((c) => c.pk > 0);
  // Only an INTEGER PRIMARY KEY is the rowid, which SQLite appends to every index entry.
  const rowid = pk.length === 1 && pk[0].type.toUpperCase() === 'INTEGER' ? [pk[0].name.toLowerCase()] : [];
  return { indexes: group(rows), implicitTail: rowid };
}

/** True when some index can seek and order by `columns` (leading columns, in order). */
export function hasOrderingIndex(facts: TableIndexFacts, columns: string[]): boolean {
  const wanted = columns.map((c) => c.toLowerCase());
  return facts.indexes.some((index) => {
    if (!index.usableForOrder) return false;
    const effective = [...index.columns, ...facts.implicitTail.filter((c) => !index.columns.includes(c))];
    return wanted.every((column, i) => effective[i] === column);
  });
}

/** True when `column` alone is unique (or unique lower-cased, on PostgreSQL). */
export function hasUniqueIndex(facts: TableIndexFacts, column: string): boolean {
  const wanted = column.toLowerCase();
  const expression = new RegExp(`^lower\\(\\(?"?${wanted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\)?(::[a-z ]+)?\\)$`);
  return facts.indexes.some((index) => index.unique && index.columns.length === 1 && (index.columns[0] === wanted || expression.test(index.columns[0])));
}

function quote(dialect: DialectName, identifier: string): string {
  return identifier
    .split('.')
    .map((part) => (dialect === 'mysql' ? `\`${part.replace(/`/g, '``')}\`` : `"${part.replace(/"/g, '""')}"`))
    .join('.');
}

/** An index name the database accepts (63 characters on PostgreSQL, 64 on MySQL). */
export function indexName(table: string, columns: string[], suffix: 'idx' | 'key'): string {
  const base = `${splitTable(table).name}_${columns.join('_')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `${base.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

/**
 * The statement that creates the index, for the host to run (doctor never does):
 * PostgreSQL builds it CONCURRENTLY and MySQL in place, so a live table keeps taking writes.
 */
export function createIndexDdl(dialect: DialectName, table: string, columns: string[], options: { unique?: boolean } = {}): string {
  const name = indexName(table, columns, options.unique ? 'key' : 'idx');
  const unique = options.unique ? 'UNIQUE ' : '';
  const list = columns.map((c) => quote(dialect, c)).join(', ');
  if (dialect === 'postgres') return `CREATE ${unique}INDEX CONCURRENTLY IF NOT EXISTS ${quote(dialect, name)} ON ${quote(dialect, table)} (${list});`;
  if (dialect === 'mysql') return `CREATE ${unique}INDEX ${quote(dialect, name)} ON ${quote(dialect, table)} (${list}) ALGORITHM=INPLACE LOCK=NONE;`;
  return `CREATE ${unique}INDEX IF NOT EXISTS ${quote(dialect, name)} ON ${quote(dialect, table)} (${list});`;
}
