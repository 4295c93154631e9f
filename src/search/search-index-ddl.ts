import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';
import { ftsTableName, ftsTriggerNames, trigramIndexName, type SearchTarget } from './search-target';
import { forgetSearchCapabilities, hiddenTrigramSchema } from './search-capabilities';

function quote(dialect: DialectName, identifier: string): string {
  return identifier
    .split('.')
    .map((part) => (dialect === 'mysql' ? `\`${part.replace(/`/g, '``')}\`` : `"${part.replace(/"/g, '""')}"`))
    .join('.');
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * SQLite: an FTS5 table with the trigram tokenizer over the target's columns,
 * reading its text from the host's table (external content, so the text is
 * not stored twice), three triggers that keep it in step with every insert,
 * update and delete, and the statement that fills it from the rows already there.
 */
function sqliteStatements(target: SearchTarget): string[] {
  const fts = quote('sqlite', ftsTableName(target));
  const table = quote('sqlite', target.table);
  const triggers = ftsTriggerNames(target);
  const columns = target.fields.map((f) => quote('sqlite', f.column));
  const list = columns.join(', ');
  const of = (row: 'new' | 'old') => columns.map((c) => `${row}.${c}`).join(', ');
  const remove = `INSERT INTO ${fts}(${fts}, rowid, ${list}) VALUES ('delete', old.rowid, ${of('old')});`;
  const add = `INSERT INTO ${fts}(rowid, ${list}) VALUES (new.rowid, ${of('new')});`;
  return [
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${fts} USING fts5(${list}, content=${literal(target.table)}, tokenize='trigram');`,
    `CREATE TRIGGER IF NOT EXISTS ${quote('sqlite', triggers.insert)} AFTER INSERT ON ${table} BEGIN ${add} END;`,
    `CREATE TRIGGER IF NOT EXISTS ${quote('sqlite', triggers.delete)} AFTER DELETE ON ${table} BEGIN ${remove} END;`,
    `CREATE TRIGGER IF NOT EXISTS ${quote('sqlite', triggers.update)} AFTER UPDATE OF ${list} ON ${table} BEGIN ${remove} ${add} END;`,
    `INSERT INTO ${fts}(${fts}) VALUES ('rebuild');`,
  ];
}

const CREATE_TRGM = 'CREATE EXTENSION IF NOT EXISTS pg_trgm;';

/** PostgreSQL: pg_trgm GIN indexes on lower(column), built without blocking writes. */
function postgresIndexes(target: SearchTarget, columns: readonly string[], trigramSchema: string | null): string[] {
  const ops = trigramSchema ? `${quote('postgres', trigramSchema)}.gin_trgm_ops` : 'gin_trgm_ops';
  return columns.map(
    (column) =>
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quote('postgres', trigramIndexName(target.table, column))} ON ${quote('postgres', target.table)} USING gin (lower(${quote('postgres', column)}) ${ops});`,
  );
}

/**
 * The statements that give a target's contains-search an index: the FTS5
 * trigram table and its triggers on SQLite, pg_trgm GIN indexes on PostgreSQL
 * (for `columns`, by default every searchable column), nothing on MySQL/MariaDB,
 * which has no index for substrings (see {@link noSubstringIndexNote}).
 */
export function searchIndexStatements(
  dialect: DialectName,
  target: SearchTarget,
  columns: readonly string[] = target.fields.map((f) => f.column),
  options: { trigramSchema?: string | null } = {},
): string[] {
  if (dialect === 'sqlite') return sqliteStatements(target);
  if (dialect === 'postgres') return columns.length ? [CREATE_TRGM, ...postgresIndexes(target, columns, options.trigramSchema ?? null)] : [];
  return [];
}

/** Why MySQL/MariaDB gets no substring index, in one sentence an operator can act on. */
export function noSubstringIndexNote(target: SearchTarget): string {
  const email = target.fields.find((f) => f.kind === 'email');
  const ways = email ? `a whole email address, an address being typed (jane@acme) or a prefix ending with * (${target.name === 'users' ? 'jane*' : 'acme*'})` : `a prefix ending with * (acme*)`;
  return `MySQL/MariaDB have no index for substrings (FULLTEXT finds whole words, not parts of them), so searching all ${target.name} takes ${ways}, which use the ordinary index.`;
}

/** The statements that remove what {@link searchIndexStatements} creates. */
export function dropSearchIndexStatements(dialect: DialectName, target: SearchTarget): string[] {
  if (dialect === 'sqlite') {
    const triggers = ftsTriggerNames(target);
    return [
      ...Object.values(triggers).map((name) => `DROP TRIGGER IF EXISTS ${quote('sqlite', name)};`),
      `DROP TABLE IF EXISTS ${quote('sqlite', ftsTableName(target))};`,
    ];
  }
  if (dialect === 'postgres') {
    return target.fields.map((f) => `DROP INDEX CONCURRENTLY IF EXISTS ${quote('postgres', trigramIndexName(target.table, f.column))};`);
  }
  return [];
}

export interface SearchIndexResult {
  target: SearchTarget['name'];
  table: string;
  /** The statements run (empty on MySQL/MariaDB). */
  statements: string[];
  /** Set when the database offers nothing to create. */
  note: string | null;
}

async function run(db: Kysely<any>, statements: string[]): Promise<void> {
  // One by one and outside a transaction: CREATE INDEX CONCURRENTLY refuses to run inside one.
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/**
 * Creates the search indexes for each target: explicit and opt-in (the host's
 * schema is never changed otherwise). On SQLite this adds a table and three
 * triggers next to the host's table; on PostgreSQL the pg_trgm extension (which
 * needs the right to create it) and GIN indexes, built CONCURRENTLY. Safe to
 * run again: everything is IF NOT EXISTS.
 */
export async function createSearchIndexes(db: Kysely<any>, dialect: DialectName, targets: readonly SearchTarget[]): Promise<SearchIndexResult[]> {
  const results: SearchIndexResult[] = [];
  try {
    let trigramSchema: string | null = null;
    if (dialect === 'postgres' && targets.length > 0) {
      await run(db, [CREATE_TRGM]);
      // Installed earlier in a schema this connection does not search: its operator classes must be qualified.
      trigramSchema = await hiddenTrigramSchema(db);
    }
    for (const [i, target] of targets.entries()) {
      const statements = searchIndexStatements(dialect, target, undefined, { trigramSchema });
      const indexes = statements.filter((statement) => statement !== CREATE_TRGM);
      await run(db, indexes);
      // The extension was created once, before the first target.
      const ran = i === 0 ? statements : indexes;
      results.push({ target: target.name, table: target.table, statements: ran, note: statements.length ? null : noSubstringIndexNote(target) });
    }
  } finally {
    forgetSearchCapabilities(db);
  }
  return results;
}

/** Removes the console's search indexes again (the host's own indexes are never touched). */
export async function dropSearchIndexes(db: Kysely<any>, dialect: DialectName, targets: readonly SearchTarget[]): Promise<SearchIndexResult[]> {
  const results: SearchIndexResult[] = [];
  try {
    for (const target of targets) {
      const statements = dropSearchIndexStatements(dialect, target);
      await run(db, statements);
      results.push({ target: target.name, table: target.table, statements, note: null });
    }
  } finally {
    forgetSearchCapabilities(db);
  }
  return results;
}
