import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DialectName } from './dialect';

/** better-sqlite3 cannot bind booleans; every dialect accepts 1/0 for a boolean column. */
export function dbBool(value: boolean, dialect: DialectName): unknown {
  return dialect === 'sqlite' ? (value ? 1 : 0) : value;
}

/** Reads a boolean column back: drivers return true, 1, '1' or 't'. */
export function readBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

/**
 * `lower(column) LIKE '%word%'` with the word's own wildcards escaped. The escape
 * character is `!` because a backslash means different things in MySQL and
 * PostgreSQL string literals.
 */
export function containsInsensitive(column: string, word: string): RawBuilder<boolean> {
  const escaped = word.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`);
  return sql<boolean>`lower(${sql.ref(column)}) like ${`%${escaped}%`} escape '!'`;
}

export interface BoundedCount {
  value: number;
  /** False when the table holds more than the limit: show "10,000+", not a number that cost a full scan. */
  exact: boolean;
}

/** A count that stops at `limit + 1` rows, so a page header never costs a full COUNT(*) on a big table. */
export async function boundedCount(db: Kysely<any>, table: string, limit: number): Promise<BoundedCount> {
  const result = await sql<{ n: unknown }>`select count(*) as n from (select 1 as one from ${sql.table(table)} limit ${limit + 1}) as bounded`.execute(db);
  const n = Number(result.rows[0]?.n ?? 0);
  return n > limit ? { value: limit, exact: false } : { value: n, exact: true };
}
