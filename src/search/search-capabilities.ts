import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';
import { readIndexes } from '../doctor/indexes';
import { ftsTableName, ftsTriggerNames, type SearchTarget } from './search-target';

/** What the database has for one searchable column. */
export interface FieldCapabilities {
  /**
   * An ordered (b-tree) index that starts with the column, which answers
   * equality and prefix ranges: on the column itself, or (PostgreSQL) on
   * `lower(column)`. Null when there is none.
   */
  ordered: { index: string; form: 'plain' | 'lower' } | null;
  /** A pg_trgm index (GIN or GiST) on `lower(column)`, which answers `LIKE '%…%'`. */
  trigram: { index: string } | null;
}

/** The indexes a target's search can use, as read from the catalogue. */
export interface SearchCapabilities {
  /** By column name. */
  fields: Record<string, FieldCapabilities>;
  /** SQLite: the console's FTS5 trigram table over every searchable column, with its sync triggers. */
  fts: { table: string } | null;
  /**
   * PostgreSQL: the schema pg_trgm is installed in when it is not on the
   * search_path (its operator classes must then be qualified), else null.
   */
  trigramSchema: string | null;
}

const TTL_MS = 60_000;

/** Per database handle, per target: the detection in flight or done, and when. */
const cache = new WeakMap<object, Map<string, { at: number; capabilities: Promise<SearchCapabilities> }>>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `lower(email)`, `lower((email)::text)`, `lower(email::text)`, `lower("email")` as PostgreSQL prints them. */
function lowerOf(column: string): string {
  return `lower\\(\\(?"?${escapeRegExp(column.toLowerCase())}"?\\)?(::[a-z ]+)?\\)`;
}

async function orderedIndexes(db: Kysely<any>, dialect: DialectName, target: SearchTarget): Promise<Record<string, FieldCapabilities['ordered']>> {
  const facts = await readIndexes(db, dialect, target.table);
  const result: Record<string, FieldCapabilities['ordered']> = {};
  for (const field of target.fields) {
    const column = field.column.toLowerCase();
    const lower = new RegExp(`^${lowerOf(column)}$`);
    const usable = facts.indexes.filter((index) => index.usableForOrder && index.columns.length > 0);
    const plain = usable.find((index) => index.columns[0] === column);
    const folded = usable.find((index) => lower.test(index.columns[0]));
    result[field.column] = plain ? { index: plain.name, form: 'plain' } : folded ? { index: folded.name, form: 'lower' } : null;
  }
  return result;
}

async function trigramIndexes(db: Kysely<any>, target: SearchTarget): Promise<Record<string, FieldCapabilities['trigram']>> {
  // pg_index rather than the pg_indexes view: to_regclass resolves the table through the search_path as the queries do.
  const { rows } = await sql<{ name: string; definition: string }>`
    select i.relname as name, pg_get_indexdef(ix.indexrelid) as definition
    from pg_index ix join pg_class i on i.oid = ix.indexrelid
    where ix.indrelid = to_regclass(${target.table}) and ix.indisvalid and ix.indpred is null`.execute(db);
  const result: Record<string, FieldCapabilities['trigram']> = {};
  for (const field of target.fields) {
    const pattern = new RegExp(`${lowerOf(field.column)}\\s+([a-z_]+\\.)?gi(n|st)_trgm_ops`, 'i');
    const found = rows.find((row) => pattern.test(row.definition));
    result[field.column] = found ? { index: found.name } : null;
  }
  return result;
}

/** The FTS5 trigram table, when it exists, covers every searchable column and its three triggers are in place. */
async function ftsTable(db: Kysely<any>, target: SearchTarget): Promise<SearchCapabilities['fts']> {
  const table = ftsTableName(target);
  const { rows } = await sql<{ sql: string | null }>`select sql from sqlite_master where type = 'table' and name = ${table}`.execute(db);
  const definition = rows[0]?.sql?.toLowerCase() ?? '';
  if (!definition.includes('fts5') || !definition.includes('trigram')) return null;
  const columns = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  const have = new Set(columns.rows.map((c) => c.name.toLowerCase()));
  if (!target.fields.every((field) => have.has(field.column.toLowerCase()))) return null;
  const triggers = Object.values(ftsTriggerNames(target));
  const found = await sql<{ name: string }>`select name from sqlite_master where type = 'trigger' and name in (${sql.join(triggers)})`.execute(db);
  return found.rows.length === triggers.length ? { table } : null;
}

/** Where pg_trgm lives, when that schema is not on the search_path; null when it is (or it is not installed). */
export async function hiddenTrigramSchema(db: Kysely<any>): Promise<string | null> {
  const { rows } = await sql<{ schema: string; visible: boolean }>`
    select n.nspname as schema, n.nspname = any(current_schemas(false)) as visible
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(db);
  return rows[0] && !rows[0].visible ? rows[0].schema : null;
}

async function detect(db: Kysely<any>, dialect: DialectName, target: SearchTarget): Promise<SearchCapabilities> {
  const [ordered, trigram, fts, trigramSchema] = await Promise.all([
    orderedIndexes(db, dialect, target),
    dialect === 'postgres' ? trigramIndexes(db, target) : Promise.resolve(null),
    dialect === 'sqlite' ? ftsTable(db, target) : Promise.resolve(null),
    dialect === 'postgres' ? hiddenTrigramSchema(db) : Promise.resolve(null),
  ]);
  const fields: Record<string, FieldCapabilities> = {};
  for (const field of target.fields) fields[field.column] = { ordered: ordered[field.column] ?? null, trigram: trigram?.[field.column] ?? null };
  return { fields, fts, trigramSchema };
}

const NOTHING = (target: SearchTarget): SearchCapabilities => ({
  fields: Object.fromEntries(target.fields.map((field) => [field.column, { ordered: null, trigram: null }])),
  fts: null,
  trigramSchema: null,
});

/**
 * The indexes a target's search can use: read from the catalogue once (the
 * adapters ask at start-up), then kept for a minute, so an index added
 * with `npx express-backstage search-index` is picked up without a restart.
 * A catalogue that cannot be read counts as "no index" (searches are then
 * bounded, never wrong).
 */
export function searchCapabilities(db: Kysely<any>, dialect: DialectName, target: SearchTarget, now = Date.now()): Promise<SearchCapabilities> {
  let perDb = cache.get(db);
  if (!perDb) cache.set(db, (perDb = new Map()));
  const key = `${target.name}:${target.table}:${target.fields.map((f) => f.column).join(',')}`;
  const cached = perDb.get(key);
  if (cached && now - cached.at < TTL_MS) return cached.capabilities;
  const capabilities = detect(db, dialect, target).catch(() => NOTHING(target));
  perDb.set(key, { at: now, capabilities });
  return capabilities;
}

/** Forgets what was detected for this database (after the console created or dropped search indexes). */
export function forgetSearchCapabilities(db: Kysely<any>): void {
  cache.delete(db);
}
