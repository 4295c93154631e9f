import type { Kysely } from 'kysely';
import { detectDialect, type DialectName } from '../db/dialect';
import { currentSchema } from '../migrations/migrate';
import type { ResolvedTableModel } from '../options';
import { BackstageConfigError } from '../options-errors';
import type { ResolvedUsersModel } from './users-model-config';

export interface SchemaFacts {
  /** table name (lower-cased) → its column names (lower-cased) */
  tables: Map<string, Set<string>>;
}

/** What the database holds, read once at start through Kysely's introspection. */
export async function readSchema(db: Kysely<any>, dialect: DialectName = detectDialect(db)): Promise<SchemaFacts> {
  const all = await db.introspection.getTables();
  // PostgreSQL's introspection lists every schema; unqualified names resolve in the current one.
  const schema = dialect === 'postgres' ? await currentSchema(db) : null;
  const tables = schema ? all.filter((t) => t.schema === schema) : all;
  return { tables: new Map(tables.map((t) => [t.name.toLowerCase(), new Set(t.columns.map((c) => c.name.toLowerCase()))])) };
}

function listTables(facts: SchemaFacts): string {
  const names = [...facts.tables.keys()].filter((name) => !name.startsWith('backstage_'));
  if (names.length === 0) return 'the database has no tables';
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
