import { sql, type Kysely } from 'kysely';
import { detectDialect, type DialectName } from '../db/dialect';
import type { ResolvedTableModel } from '../options';
import { BackstageConfigError } from '../options-errors';
import type { ResolvedUsersModel } from './users-model-config';

export interface SchemaFacts {
  /** table name (lower-cased) → its column names (lower-cased) */
  tables: Map<string, Set<string>>;
  /** The SQLite file opened, when it has no tables: a wrong relative path opens (and creates) an empty one. */
  sqliteFile?: string;
}

/** What the database holds, read once at start through Kysely's introspection. */
export async function readSchema(db: Kysely<any>, dialect: DialectName = detectDialect(db)): Promise<SchemaFacts> {
  if (dialect === 'postgres') return readCurrentPostgresSchema(db);
  const all = await db.introspection.getTables();
  const facts: SchemaFacts = { tables: new Map(all.map((t) => [t.name.toLowerCase(), new Set(t.columns.map((c) => c.name.toLowerCase()))])) };
  if (dialect === 'sqlite' && ![...facts.tables.keys()].some((name) => !name.startsWith('backstage_'))) {
    const main = await sql<{ name: string; file: string }>`pragma database_list`.execute(db).then((r) => r.rows.find((row) => row.name === 'main'), () => undefined);
    if (main?.file) facts.sqliteFile = main.file;
  }
  return facts;
}

/**
 * Unqualified names resolve in the current schema, so only it is read. Not
 * through Kysely's introspection: it reads every schema of the database, and
 * fails ("schema … does not exist") when another app drops one meanwhile.
 */
async function readCurrentPostgresSchema(db: Kysely<any>): Promise<SchemaFacts> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select c.relname as table_name, a.attname as column_name
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = c.oid
    where n.nspname = current_schema() and c.relkind in ('r', 'v', 'm', 'p', 'f') and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum`.execute(db);
  const tables = new Map<string, Set<string>>();
  for (const row of rows) {
    const name = row.table_name.toLowerCase();
    if (!tables.has(name)) tables.set(name, new Set());
    tables.get(name)!.add(row.column_name.toLowerCase());
  }
  return { tables };
}

function listTables(facts: SchemaFacts): string {
  const names = [...facts.tables.keys()].filter((name) => !name.startsWith('backstage_'));
  if (names.length === 0) {
    if (!facts.sqliteFile) return 'the database has no tables';
    return `the console opened ${facts.sqliteFile}, which has no tables: is the path right? relative SQLite paths are resolved from the folder the app was started in (${process.cwd()}), except in the backstage.config.* init writes, where they are resolved from that file's folder`;
  }
  return `tables found: ${names.slice(0, 30).join(', ')}${names.length > 30 ? ', …' : ''}`;
}

/**
 * Checks the users mapping against the live schema. A column the host named
 * that does not exist is an error that lists what exists; an optional default
 * column that does not exist switches its feature off (no `banned_at`: no ban).
 */
export function checkUsersModel(model: ResolvedUsersModel, facts: SchemaFacts): ResolvedUsersModel {
  const columns = facts.tables.get(model.table.toLowerCase());
  if (!columns) {
    throw new BackstageConfigError(`options.models.users.table is "${model.table}", but no such table exists (${listTables(facts)}). Set models.users.table to the table that holds your users.`);
  }
  const resolved = { ...model.columns };
  for (const [key, column] of Object.entries(model.columns) as Array<[keyof ResolvedUsersModel['columns'], string | null]>) {
    if (column === null || columns.has(column.toLowerCase())) continue;
    const required = key === 'id' || key === 'email' || model.explicit.has(key);
    if (required) {
      throw new BackstageConfigError(
        `options.models.users.columns.${key} is "${column}", but table "${model.table}" has no such column (columns: ${[...columns].join(', ')}). Map it to an existing column${key === 'id' || key === 'email' ? '' : ', or set it to null if you have none'}.`,
      );
    }
    resolved[key] = null;
  }
  return { ...model, columns: resolved };
}

/**
 * Same check for an optional model (teams, memberships, …): returns null when the
 * host has no such table and did not ask for one, so the pages that need it hide.
 */
export function checkTableModel<C extends string>(model: ResolvedTableModel<C>, option: string, required: readonly NoInfer<C>[], facts: SchemaFacts): ResolvedTableModel<C> | null {
  const columns = facts.tables.get(model.table.toLowerCase());
  if (!columns) {
    if (model.explicit.size === 0) return null;
    throw new BackstageConfigError(`options.${option}.table is "${model.table}", but no such table exists (${listTables(facts)}).`);
  }
  const resolved = { ...model.columns };
  for (const [key, column] of Object.entries(model.columns) as Array<[C, string | null]>) {
    if (column === null || columns.has(column.toLowerCase())) continue;
    if (required.includes(key) || model.explicit.has(key)) {
      throw new BackstageConfigError(`options.${option}.columns.${key} is "${column}", but table "${model.table}" has no such column (columns: ${[...columns].join(', ')}).`);
    }
    resolved[key] = null;
  }
  return { ...model, columns: resolved };
}
