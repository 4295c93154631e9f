/**
 * Writes captured errors into the console's own tables: one row per group
 * (`backstage_errors`, unique by fingerprint) and one per occurrence
 * (`backstage_error_occurrences`).
 *
 * Grouping is one INSERT … ON CONFLICT DO UPDATE (PostgreSQL, SQLite) or
 * INSERT … ON DUPLICATE KEY UPDATE (MySQL/MariaDB) per batch, with relative
 * updates (`count = count + n`), so instances writing the same group at the
 * same time never lose a count and never create a second row.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { toDbDate } from '../db/dates';
import type { DialectName } from '../db/dialect';

export const ERRORS_TABLE = 'backstage_errors';
export const OCCURRENCES_TABLE = 'backstage_error_occurrences';

export type ErrorStatus = 'unresolved' | 'resolved' | 'muted';
export const ERROR_STATUSES: readonly ErrorStatus[] = ['unresolved', 'resolved', 'muted'];

/** One occurrence, ready to store. */
export interface StoredOccurrence {
  fingerprint: string;
  errorClass: string;
  message: string;
  frame: string;
  stack: string;
  occurredAt: Date;
  userId: string | null;
  context: Record<string, unknown>;
  /** Counted in its group but not stored as an occurrence (a flood's surplus). */
  counted?: boolean;
}

function clip(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}

interface GroupRow {
  fingerprint: string;
  errorClass: string;
  frame: string;
  message: string;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
}

/** One row per fingerprint in the batch, in fingerprint order (a stable lock order across instances). */
function groupsOf(batch: readonly StoredOccurrence[]): GroupRow[] {
  const groups = new Map<string, GroupRow>();
  for (const o of batch) {
    const g = groups.get(o.fingerprint);
    if (!g) {
      groups.set(o.fingerprint, { fingerprint: o.fingerprint, errorClass: o.errorClass, frame: o.frame, message: o.message, count: 1, firstSeen: o.occurredAt, lastSeen: o.occurredAt });
      continue;
    }
    g.count++;
    if (o.occurredAt < g.firstSeen) g.firstSeen = o.occurredAt;
    if (o.occurredAt >= g.lastSeen) {
      g.lastSeen = o.occurredAt;
      g.message = o.message;
    }
  }
  return [...groups.values()].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
}

const RETRYABLE = new Set(['40P01', '40001', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY']);

function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

export class ErrorStore {
  private readonly dateStorage;

  constructor(
    private readonly db: Kysely<any>,
    private readonly dialect: DialectName,
  ) {
    this.dateStorage = dialect === 'sqlite' ? ('iso-text' as const) : ('native' as const);
  }

  private date(value: Date): unknown {
    return toDbDate(value, this.dateStorage, this.dialect);
  }

  /** Stores a batch in one transaction (retried on a deadlock), so its counts and occurrences commit together. */
  async record(batch: readonly StoredOccurrence[]): Promise<void> {
    if (batch.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.transaction().execute((trx) => this.recordIn(trx, batch));
        return;
      } catch (err) {
        if (attempt >= 3 || !isRetryable(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }

  private async recordIn(trx: Kysely<any>, batch: readonly StoredOccurrence[]): Promise<void> {
    const groups = groupsOf(batch);
    const rows = groups.map((g) => ({
      fingerprint: g.fingerprint,
      error_class: clip(g.errorClass, 200),
      message: clip(g.message, 2000),
      frame: clip(g.frame, 500),
      status: 'unresolved',
      occurrence_count: g.count,
      first_seen: this.date(g.firstSeen),
      last_seen: this.date(g.lastSeen),
    }));

    const t = (column: string) => sql.ref(`${ERRORS_TABLE}.${column}`);
    // The value this statement tried to insert: `excluded.x` (PostgreSQL, SQLite), `values(x)` (MySQL).
    const incoming = (column: string): RawBuilder<unknown> => (this.dialect === 'mysql' ? sql`values(${sql.ref(column)})` : sql`${sql.ref(`excluded.${column}`)}`);
    // A resolved group reopens when it happens after it was resolved; a muted one only counts.
    const reopens = sql`${t('status')} = ${'resolved'} and (${t('resolved_at')} is null or ${incoming('last_seen')} > ${t('resolved_at')})`;
    // Order matters on MySQL, which applies assignments left to right and lets later ones see earlier
    // results: everything that reads status or last_seen is assigned before them.
    const update = {
      reopened_at: sql`case when ${reopens} then ${incoming('last_seen')} else ${t('reopened_at')} end`,
      status: sql`case when ${reopens} then ${'unresolved'} else ${t('status')} end`,
      message: sql`case when ${incoming('last_seen')} >= ${t('last_seen')} then ${incoming('message')} else ${t('message')} end`,
      last_seen: sql`case when ${incoming('last_seen')} > ${t('last_seen')} then ${incoming('last_seen')} else ${t('last_seen')} end`,
      occurrence_count: sql`${t('occurrence_count')} + ${incoming('occurrence_count')}`,
    };
    const insert = trx.insertInto(ERRORS_TABLE).values(rows);
    await (this.dialect === 'mysql' ? insert.onDuplicateKeyUpdate(update) : insert.onConflict((oc) => oc.column('fingerprint').doUpdateSet(update))).execute();

    const ids = await trx
      .selectFrom(ERRORS_TABLE)
      .select(['id', 'fingerprint'])
      .where(
        'fingerprint',
        'in',
        groups.map((g) => g.fingerprint),
      )
      .execute();
    const idOf = new Map(ids.map((row) => [String(row.fingerprint), row.id]));
    const stored = batch.filter((o) => !o.counted);
    if (stored.length === 0) return;
    await trx
      .insertInto(OCCURRENCES_TABLE)
      .values(
        stored.map((o) => ({
          error_id: idOf.get(o.fingerprint),
          occurred_at: this.date(o.occurredAt),
          message: clip(o.message, 4000),
          stack: o.stack,
          user_id: o.userId === null ? null : clip(o.userId, 64),
          context: JSON.stringify(o.context),
        })),
      )
      .execute();
  }

  /**
   * Deletes occurrences older than `before`, `batchSize` rows per statement so
   * no statement holds locks for long; stops after `maxBatches` (the next run
   * carries on). Groups keep their counts, first and last seen.
   */
  async prune(before: Date, options: { batchSize?: number; maxBatches?: number } = {}): Promise<{ deleted: number; batches: number }> {
    const batchSize = options.batchSize ?? 500;
    const maxBatches = options.maxBatches ?? 100;
    let deleted = 0;
    let batches = 0;
    while (batches < maxBatches) {
      // Two statements, because MySQL refuses LIMIT inside an IN (subquery).
      const rows = await this.db
        .selectFrom(OCCURRENCES_TABLE)
        .select('id')
        .where('occurred_at', '<', this.date(before))
        .orderBy('occurred_at')
        .orderBy('id')
        .limit(batchSize)
        .execute();
      if (rows.length === 0) break;
      const result = await this.db
        .deleteFrom(OCCURRENCES_TABLE)
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .executeTakeFirst();
      batches++;
      deleted += Number(result.numDeletedRows ?? 0);
      if (rows.length < batchSize) break;
    }
    return { deleted, batches };
  }
}
