import { sql, type Kysely } from 'kysely';

/** Where "the newest N rows" of a table start, read from its newest-first index. */
export interface NewestRows {
  /** True when the table holds at least N rows, so a bounded search leaves some out. */
  bounded: boolean;
  /** The recency value of the N-th newest row, as the driver returned it (compare with `>=`). */
  from: unknown;
}

const TTL_MS = 60_000;
const cache = new WeakMap<object, Map<string, { at: number; value: Promise<NewestRows> }>>();

/**
 * Where the newest `limit` rows of `table` start on the `recency` column: one
 * read of `limit` entries of its index (`count` and `min` over a LIMIT
 * subquery, never over the table), kept for a minute per table. Rows added
 * meanwhile are newer, so they are inside the bound anyway; only the far end
 * moves, by a minute's signups.
 */
export function newestRows(db: Kysely<any>, table: string, recency: string, limit: number, now = Date.now()): Promise<NewestRows> {
  let perDb = cache.get(db);
  if (!perDb) cache.set(db, (perDb = new Map()));
  const key = `${table}:${recency}:${limit}`;
  const cached = perDb.get(key);
  if (cached && now - cached.at < TTL_MS) return cached.value;
  const column = sql.ref(`${table}.${recency}`);
  const value = sql<{ n: unknown; boundary: unknown }>`select count(*) as n, min(newest.recency) as boundary from (select ${column} as recency from ${sql.table(table)} where ${column} is not null order by ${column} desc limit ${limit}) as newest`
    .execute(db)
    .then(({ rows }) => {
      const n = Number(rows[0]?.n ?? 0);
      return { bounded: n >= limit, from: rows[0]?.boundary ?? null };
    });
  // A failed read is not kept: the next search asks again.
  value.catch(() => perDb!.delete(key));
  perDb.set(key, { at: now, value });
  return value;
}

/** Forgets every bound read for this database (tests, and after large imports). */
export function forgetNewestRows(db: Kysely<any>): void {
  cache.delete(db);
}
