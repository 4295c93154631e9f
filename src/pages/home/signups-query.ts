import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DateStorage } from '../../db/dates';
import type { DialectName } from '../../db/dialect';

export type SignupUnit = 'day' | 'hour';

const UNIT_MS: Record<SignupUnit, number> = { day: 86_400_000, hour: 3_600_000 };

/** One bucket per day (`2026-11-25`) or per hour (`2026-11-25T14`), UTC, oldest first, with zeros where nobody signed up. */
export interface SignupSeries {
  unit: SignupUnit;
  keys: string[];
  counts: number[];
}

export interface SignupsSource {
  db: Kysely<any>;
  dialect: DialectName;
  table: string;
  createdAt: string;
  dates: DateStorage;
}

export function bucketKey(date: Date, unit: SignupUnit): string {
  return date.toISOString().slice(0, unit === 'day' ? 10 : 13);
}

/** The bucket keys of the last `count` days or hours, ending with the one that holds `now`. */
export function bucketKeys(now: Date, unit: SignupUnit, count: number): string[] {
  const step = UNIT_MS[unit];
  const last = Math.floor(now.getTime() / step) * step;
  return Array.from({ length: count }, (_, i) => bucketKey(new Date(last - (count - 1 - i) * step), unit));
}

function isTextStorage(source: SignupsSource): boolean {
  return source.dates === 'iso-text' || (source.dates === 'native' && source.dialect === 'sqlite');
}

/**
 * The SQL that puts a row in its bucket, chosen by how the column stores dates:
 * ISO text is cut (`substr`), epoch numbers divided, native timestamps truncated
 * (PostgreSQL through the epoch, which is right for `timestamp` and `timestamptz`
 * alike; MySQL through `date_format`, in the connection's time zone).
 */
function bucketExpression(source: SignupsSource, unit: SignupUnit): RawBuilder<unknown> {
  const column = sql.ref(`${source.table}.${source.createdAt}`);
  if (isTextStorage(source)) return sql`substr(${column}, 1, ${sql.lit(unit === 'day' ? 10 : 13)})`;
  if (source.dates === 'epoch-ms' || source.dates === 'epoch-s') {
    const size = sql.lit(source.dates === 'epoch-ms' ? UNIT_MS[unit] : UNIT_MS[unit] / 1000);
    return source.dialect === 'sqlite' ? sql`cast(${column} / ${size} as integer)` : sql`floor(${column} / ${size})`;
  }
  if (source.dialect === 'postgres') return sql`floor(extract(epoch from ${column}) / ${sql.lit(UNIT_MS[unit] / 1000)})`;
  return sql`date_format(${column}, ${sql.lit(unit === 'day' ? '%Y-%m-%d' : '%Y-%m-%dT%H')})`;
}

/** The WHERE bound for "since `start`" in the column's own representation, so the (created_at) index is used. */
function lowerBound(source: SignupsSource, start: Date): unknown {
  // ISO text may be written 'YYYY-MM-DDTHH…' or 'YYYY-MM-DD HH…': a day prefix compares right with both.
  if (isTextStorage(source)) return start.toISOString().slice(0, 10);
  if (source.dates === 'epoch-ms') return start.getTime();
  if (source.dates === 'epoch-s') return Math.floor(start.getTime() / 1000);
  return start;
}

/** Reads a bucket back from the driver as its key. */
function keyOfBucket(source: SignupsSource, unit: SignupUnit, raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string' && /^\d{4}-\d\d-\d\d/.test(raw)) return raw.replace(' ', 'T').slice(0, unit === 'day' ? 10 : 13);
  const index = Number(raw);
  if (!Number.isFinite(index)) return null;
  return bucketKey(new Date(index * UNIT_MS[unit]), unit);
}

/**
 * Signups per bucket over the last `count` days or hours: one GROUP BY over an
 * index range, never rows loaded into Node.
 */
export async function signupSeries(source: SignupsSource, now: Date, unit: SignupUnit, count: number): Promise<SignupSeries> {
  const keys = bucketKeys(now, unit, count);
  const start = new Date(`${keys[0]}${unit === 'day' ? 'T00' : ''}:00:00.000Z`);
  // Hours are read from the start of their first day (see lowerBound) and the extra buckets ignored.
  const bound = lowerBound(source, unit === 'hour' && isTextStorage(source) ? new Date(start.toISOString().slice(0, 10)) : start);
  const bucket = bucketExpression(source, unit);
  const result = await sql<{ bucket: unknown; n: unknown }>`select ${bucket} as bucket, count(*) as n from ${sql.table(source.table)} where ${sql.ref(`${source.table}.${source.createdAt}`)} >= ${bound} group by 1`.execute(source.db);
  const byKey = new Map<string, number>();
  for (const row of result.rows) {
    const key = keyOfBucket(source, unit, row.bucket);
    if (key !== null) byKey.set(key, (byKey.get(key) ?? 0) + Number(row.n));
  }
  return { unit, keys, counts: keys.map((key) => byKey.get(key) ?? 0) };
}
