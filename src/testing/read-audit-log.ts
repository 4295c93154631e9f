import type { Kysely } from 'kysely';
import { AuditLog, type AuditEvent } from '../audit/audit-log';
import { detectDialect } from '../db/dialect';
import { releaseConnection, wrapConnection, type DbConnection } from '../db/wrap-connection';

export interface AuditLogFilter {
  /** An exact action (`user.banned`), or a prefix ending with a dot (`user.`). */
  action?: string;
  /** The operator: an id, or an email. */
  actor?: string;
  subjectType?: string;
  subjectId?: string;
  teamId?: string;
  /** Only events at or after this time. */
  since?: Date;
  /** At most this many events (default 50). */
  limit?: number;
}

/**
 * The console's audit log, newest first, for assertions in your app's tests.
 * `db` is whatever you passed to `createAdmin` (a Kysely, a pool, a URL).
 *
 * @example
 * const [event] = await readAuditLog(db, { action: 'user.banned', subjectId: String(user.id) });
 * expect(event.reason).toBe('chargeback fraud');
 */
export async function readAuditLog(db: Kysely<any> | DbConnection, filter: AuditLogFilter = {}): Promise<AuditEvent[]> {
  const limit = filter.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError(`express-backstage/testing: readAuditLog limit must be a whole number from 1 to 1000, got ${String(filter.limit)}`);
  const wrapped = wrapConnection(db, 'readAuditLog(db)');
  try {
    const dialect = wrapped.dialect ?? detectDialect(wrapped.db);
    const log = new AuditLog(wrapped.db, dialect, () => new Date());
    const page = await log.list({
      action: filter.action,
      actor: filter.actor,
      subjectType: filter.subjectType,
      subjectId: filter.subjectId,
      teamId: filter.teamId,
      from: filter.since,
      limit,
    });
    return page.rows;
  } finally {
    await releaseConnection(wrapped);
  }
}
