/** What one list searches: the table, its searchable columns and its newest-first column. */
export interface SearchTarget {
  /** Names the console's search objects (`backstage_users_fts`) and the rows in messages. */
  name: 'users' | 'teams';
  table: string;
  /**
   * Searchable columns. An `email` field also answers whole addresses (equality)
   * and addresses being typed (a prefix range); `text` fields answer substrings.
   */
  fields: ReadonlyArray<{ column: string; kind: 'email' | 'text' }>;
  /**
   * The column a bounded search reads newest-first (created_at, else the id),
   * indexed so that "the newest N rows" is an index range, not a sort.
   */
  recency: string;
}

/** The SQLite FTS5 trigram table the console reads for a target (created only on request). */
export function ftsTableName(target: Pick<SearchTarget, 'name'>): string {
  return `backstage_${target.name}_fts`;
}

/** The triggers that keep that table in step with the host's table. */
export function ftsTriggerNames(target: Pick<SearchTarget, 'name'>): { insert: string; update: string; delete: string } {
  const table = ftsTableName(target);
  return { insert: `${table}_insert`, update: `${table}_update`, delete: `${table}_delete` };
}

/** A pg_trgm index name for one column: `users_email_trgm_idx`. */
export function trigramIndexName(table: string, column: string): string {
  const bare = table.includes('.') ? table.slice(table.indexOf('.') + 1) : table;
  return `${bare}_${column}_trgm_idx`.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63);
}
