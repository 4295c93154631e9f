import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';
import type { SchemaFacts } from '../models/schema-check';

/** One table as the console's unqualified queries will see it. */
export interface VisibleTable {
  name: string;
  /** `required`: NOT NULL without a default (nor auto-increment), so an insert must give it. */
  columns: Array<{ name: string; dataType: string; required?: boolean }>;
}

/**
 * The tables an unqualified name resolves to: on PostgreSQL those visible
 * through the search_path (Kysely's introspection lists every schema, so a
 * `users` table in another schema would look present, and a schema dropped
 * meanwhile makes it fail); the current database on MySQL; `main` on SQLite.
 */
export async function readVisibleTables(db: Kysely<any>, dialect: DialectName): Promise<VisibleTable[]> {
  if (dialect !== 'postgres') {
    const tables = await db.introspection.getTables();
    return tables.map((t) => ({
      name: t.name,
      columns: t.columns.map((c) => ({ name: c.name, dataType: c.dataType, required: !c.isNullable && !c.hasDefaultValue && !c.isAutoIncrementing })),
    }));
  }
  const { rows } = await sql<{ table_name: string; column_name: string; data_type: string; required: boolean }>`
    select c.relname as table_name, a.attname as column_name, t.typname as data_type,
      (a.attnotnull and not a.atthasdef and a.attidentity = '') as required
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_type t on t.oid = a.atttypid
    where c.relkind in ('r', 'v', 'm', 'p', 'f') and pg_table_is_visible(c.oid)
      and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
    order by c.relname, a.attnum`.execute(db);
  const byName = new Map<string, VisibleTable>();
  for (const row of rows) {
    let table = byName.get(row.table_name);
    if (!table) byName.set(row.table_name, (table = { name: row.table_name, columns: [] }));
    table.columns.push({ name: row.column_name, dataType: row.data_type, required: row.required === true });
  }
  return [...byName.values()];
}

/** The same tables in the shape the console's mapping checks take. */
export function toSchemaFacts(tables: VisibleTable[]): SchemaFacts {
  return { tables: new Map(tables.map((t) => [t.name.toLowerCase(), new Set(t.columns.map((c) => c.name.toLowerCase()))])) };
}
