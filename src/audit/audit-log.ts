import { sql, type Kysely } from 'kysely';
import { countRows, EXACT_COUNT_THRESHOLD, type RowCount } from '../db/counts';
import { fromDbDate, toDbDate, type DateStorage } from '../db/dates';
import type { DialectName } from '../db/dialect';
import { paginate, type Page, type SortKey } from '../pagination/keyset';

export const AUDIT_TABLE = 'backstage_audit_events';

export interface AuditActor {
  id: string | null;
  email: string | null;
  role: string | null;
}

/** One operator action, as the caller describes it. */
export interface AuditEventInput {
  /** Dotted verb, e.g. `user.role_changed`, `impersonation.started`. */
  action: string;
  actor: AuditActor;
  subject?: { type: string; id: string; label?: string | null };
  teamId?: string | null;
  reason?: string | null;
  data?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AuditEvent {
  id: string;
  createdAt: Date | null;
  actor: AuditActor;
  action: string;
  subject: { type: string; id: string; label: string | null } | null;
  teamId: string | null;
  reason: string | null;
  data: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  subjectType?: string;
  subjectId?: string;
  teamId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  after?: string;
  before?: string;
}

function clip(value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  return value.length > max ? value.slice(0, max) : value;
}

function parseData(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'string' || value === '') return null;
  try {
    const parsed = JSON.parse(value);
    return parsed && typeof parsed === 'object' ? parsed : { value: parsed };
  } catch {
    return { raw: value };
  }
}

/**
 * An audit event could not be written (the database refused or did not answer), so the action it
 * describes was not carried out: `withEvent` rolled the change back, and every other caller writes
 * its event before making the change. Shown as a 503 that says nothing was changed.
 */
export class AuditWriteError extends Error {
  readonly status = 503;

  constructor(
    readonly action: string,
    cause: unknown,
  ) {
    super(
      `The action was not carried out: its entry in the audit log (${action}) could not be written, so nothing was changed. Try again in a moment; if it keeps failing, the database needs attention.`,
      { cause },
    );
    this.name = 'AuditWriteError';
  }
}

/** The append-only log of operator actions. There is deliberately no update or delete. */
export class AuditLog {
  private readonly storage: DateStorage;

  constructor(
    private readonly db: Kysely<any>,
    private readonly dialect: DialectName,
    private readonly now: () => Date,
  ) {
    this.storage = dialect === 'sqlite' ? 'iso-text' : 'native';
  }

  /**
   * Writes one event; pass the transaction of the change it describes so both commit or neither does.
   * Callers write it before (or in the same transaction as) the change, so a failure here means the
   * change was not made: it rejects with an {@link AuditWriteError} that says so. Resolves with the
   * new event's id (null if the driver does not tell).
   */
  async record(event: AuditEventInput, trx?: Kysely<any>): Promise<string | null> {
    try {
      return await this.insert(event, trx);
    } catch (err) {
      throw new AuditWriteError(event.action, err);
    }
  }

  private async insert(event: AuditEventInput, trx?: Kysely<any>): Promise<string | null> {
    const insert = (trx ?? this.db)
      .insertInto(AUDIT_TABLE)
      .values({
        created_at: toDbDate(this.now(), this.storage, this.dialect),
        actor_id: clip(event.actor.id, 64),
        actor_email: clip(event.actor.email, 320),
        actor_role: clip(event.actor.role, 64),
        action: clip(event.action, 100),
        subject_type: clip(event.subject?.type, 50),
        subject_id: clip(event.subject?.id, 64),
        subject_label: clip(event.subject?.label ?? null, 320),
        team_id: clip(event.teamId ?? null, 64),
        reason: event.reason ?? null,
        data: event.data ? JSON.stringify(event.data) : null,
        ip: clip(event.ip, 64),
        user_agent: clip(event.userAgent, 512),
      });
    // PostgreSQL says the new id through RETURNING; SQLite and MySQL through the insert result.
    if (this.dialect === 'postgres') {
      const row = await insert.returning('id').executeTakeFirst();
      return row ? String((row as { id: unknown }).id) : null;
    }
    const result = await insert.executeTakeFirst();
    return result.insertId === undefined ? null : String(result.insertId);
  }

  /** Runs `change` and records `event` in one transaction: never a change without its audit row. */
  async withEvent<T>(event: AuditEventInput, change: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const result = await change(trx);
      await this.record(event, trx);
      return result;
    });
  }

  async list(query: AuditQuery): Promise<Page<AuditEvent>> {
    let q = this.db.selectFrom(AUDIT_TABLE).selectAll();
    if (query.actor) {
      q = query.actor.includes('@') ? q.where('actor_email', '=', query.actor) : q.where('actor_id', '=', query.actor);
    }
    if (query.action) {
      // "user." lists every user action; a full name matches exactly.
      q = query.action.endsWith('.')
        ? q.where(sql<boolean>`action like ${`${query.action.replace(/[!%_]/g, (c) => `!${c}`)}%`} escape '!'`)
        : q.where('action', '=', query.action);
    }
    if (query.subjectType) q = q.where('subject_type', '=', query.subjectType);
    if (query.subjectId) q = q.where('subject_id', '=', query.subjectId);
    if (query.teamId) q = q.where('team_id', '=', query.teamId);
    if (query.from) q = q.where('created_at', '>=', toDbDate(query.from, this.storage, this.dialect));
    if (query.to) q = q.where('created_at', '<', toDbDate(query.to, this.storage, this.dialect));
    const sort: SortKey[] = [
      { key: 'created_at', column: `${AUDIT_TABLE}.created_at`, direction: 'desc' },
      { key: 'id', column: `${AUDIT_TABLE}.id`, direction: 'desc' },
    ];
    const page = await paginate(q as any, { sort, limit: query.limit, after: query.after, before: query.before });
    return { ...page, rows: (page.rows as Record<string, unknown>[]).map((row) => this.toEvent(row)) };
  }

  /** How many events the log holds, for a list header: exact up to the threshold, then PostgreSQL's estimate or "10,000+" (never a full COUNT(*)). */
  count(threshold = EXACT_COUNT_THRESHOLD): Promise<RowCount> {
    return countRows(this.db, this.dialect, AUDIT_TABLE, { threshold });
  }

  /** One event by its id (a whole number), or null. */
  async get(id: string): Promise<AuditEvent | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const row = await this.db.selectFrom(AUDIT_TABLE).selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.toEvent(row as Record<string, unknown>) : null;
  }

  private toEvent(row: Record<string, unknown>): AuditEvent {
    const str = (value: unknown) => (value === null || value === undefined ? null : String(value));
    return {
      id: String(row.id),
      createdAt: fromDbDate(row.created_at, this.storage),
      actor: { id: str(row.actor_id), email: str(row.actor_email), role: str(row.actor_role) },
      action: String(row.action),
      subject: row.subject_type ? { type: String(row.subject_type), id: String(row.subject_id ?? ''), label: str(row.subject_label) } : null,
      teamId: str(row.team_id),
      reason: str(row.reason),
      data: parseData(row.data),
      ip: str(row.ip),
      userAgent: str(row.user_agent),
    };
  }
}
