/**
 * Impersonations, read back from the audit log: each one is its
 * `impersonation.started` event (whose id is the impersonation's id), paired
 * with the event that ended it (stopped, expired, ended — they carry
 * `impersonationId`) and a superuser's `impersonation.killed` event, if any.
 * No table of its own: the log is already shared by every instance and is
 * append-only, so what this page shows cannot drift from what the log says.
 */
import { AUDIT_TABLE, type AuditEvent } from '../../audit/audit-log';
import type { ConsoleContext } from '../../console-context';
import { fromDbDate } from '../../db/dates';
import { IMPERSONATION_SUBJECT, KILLED_ACTION } from '../../impersonation/kill-switch';
import type { Page } from '../../pagination/keyset';

export const STARTED_ACTION = 'impersonation.started';
const END_ACTIONS = ['impersonation.stopped', 'impersonation.expired', 'impersonation.ended'];
/** The longest impersonation there can be (impersonation.maxMinutes is at most 1440): older ones cannot be running. */
const LONGEST_MS = 24 * 60 * 60_000;
/** End events read per page at most; a page has at most 200 impersonations. */
const END_EVENTS_LIMIT = 2000;

export type ImpersonationStatus = 'running' | 'stopped' | 'expired' | 'killed' | 'ended';

export interface ImpersonationView {
  id: string;
  operator: { id: string | null; email: string | null; role: string | null };
  target: { id: string; email: string };
  reason: string | null;
  mode: string;
  minutes: number | null;
  startedAt: Date | null;
  expiresAt: Date | null;
  status: ImpersonationStatus;
  /** When it ended (its end event), or null while running or until the killed session's next request. */
  endedAt: Date | null;
  /** The end event's cause (`signed-out`, `operator-access-withdrawn`, …) when it ended another way. */
  cause: string | null;
  killedBy: string | null;
  killedAt: Date | null;
}

interface EndFacts {
  action: string;
  at: Date | null;
  cause: string | null;
}

function parse(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string') return {};
  try {
    const data = JSON.parse(value);
    return data && typeof data === 'object' ? data : {};
  } catch {
    return {};
  }
}

function storageOf(ctx: ConsoleContext) {
  return ctx.dialect === 'sqlite' ? ('iso-text' as const) : ('native' as const);
}

/** The events that ended or killed these impersonations, by impersonation id. */
async function endsOf(ctx: ConsoleContext, starts: AuditEvent[]): Promise<{ ends: Map<string, EndFacts>; kills: Map<string, { by: string | null; at: Date | null }> }> {
  const ends = new Map<string, EndFacts>();
  const kills = new Map<string, { by: string | null; at: Date | null }>();
  if (starts.length === 0) return { ends, kills };
  const ids = starts.map((s) => s.id);
  const targets = [...new Set(starts.map((s) => s.subject?.id).filter((id): id is string => !!id))];
  const since = starts.reduce((min, s) => (s.createdAt && s.createdAt < min ? s.createdAt : min), starts[0].createdAt ?? new Date(0));
  const storage = storageOf(ctx);
  const sinceValue = storage === 'iso-text' ? since.toISOString() : since;

  const [endRows, killRows] = await Promise.all([
    // Through the subject index (subject_type, subject_id, created_at, id): the targets' events since the oldest start.
    targets.length
      ? ctx.db
          .selectFrom(AUDIT_TABLE)
          .select(['action', 'created_at', 'data'])
          .where('subject_type', '=', 'user')
          .where('subject_id', 'in', targets)
          .where('created_at', '>=', sinceValue)
          .where('action', 'in', END_ACTIONS)
          .orderBy('created_at')
          .limit(END_EVENTS_LIMIT)
          .execute()
      : Promise.resolve([]),
    ctx.db
      .selectFrom(AUDIT_TABLE)
      .select(['subject_id', 'actor_email', 'actor_id', 'created_at'])
      .where('subject_type', '=', IMPERSONATION_SUBJECT)
      .where('subject_id', 'in', ids)
      .where('action', '=', KILLED_ACTION)
      .execute(),
  ]);
  for (const row of endRows as Array<Record<string, unknown>>) {
    const data = parse(row.data);
    const id = typeof data.impersonationId === 'string' ? data.impersonationId : null;
    if (!id || ends.has(id)) continue;
    ends.set(id, { action: String(row.action), at: fromDbDate(row.created_at, storage), cause: typeof data.cause === 'string' ? data.cause : null });
  }
  for (const row of killRows as Array<Record<string, unknown>>) {
    const id = String(row.subject_id);
    if (!kills.has(id)) kills.set(id, { by: (row.actor_email ?? row.actor_id ?? null) as string | null, at: fromDbDate(row.created_at, storage) });
  }
  return { ends, kills };
}

function viewOf(start: AuditEvent, end: EndFacts | undefined, kill: { by: string | null; at: Date | null } | undefined, now: Date): ImpersonationView {
  const data = start.data ?? {};
  const expiresAt = typeof data.expiresAt === 'string' ? new Date(data.expiresAt) : null;
  let status: ImpersonationStatus;
  if (end) {
    status = end.cause === 'killed' ? 'killed' : end.action === 'impersonation.stopped' ? 'stopped' : end.action === 'impersonation.expired' ? 'expired' : 'ended';
  } else if (kill) {
    status = 'killed';
  } else if (expiresAt && !Number.isNaN(expiresAt.getTime()) && expiresAt.getTime() <= now.getTime()) {
    // Its time ran out without another request from that browser: nothing ended it, but it is over.
    status = 'expired';
  } else {
    status = 'running';
  }
  return {
    id: start.id,
    operator: { ...start.actor },
    target: { id: start.subject?.id ?? '', email: start.subject?.label ?? '' },
    reason: start.reason,
    mode: typeof data.mode === 'string' ? data.mode : 'read-only',
    minutes: typeof data.minutes === 'number' ? data.minutes : null,
    startedAt: start.createdAt,
    expiresAt: expiresAt && !Number.isNaN(expiresAt.getTime()) ? expiresAt : null,
    status,
    endedAt: end?.at ?? (status === 'expired' ? expiresAt : null),
    cause: end && end.action === 'impersonation.ended' ? end.cause : null,
    killedBy: kill?.by ?? null,
    killedAt: kill?.at ?? null,
  };
}

async function withStatus(ctx: ConsoleContext, starts: AuditEvent[]): Promise<ImpersonationView[]> {
  const { ends, kills } = await endsOf(ctx, starts);
  const now = ctx.options.now();
  return starts.map((start) => viewOf(start, ends.get(start.id), kills.get(start.id), now));
}

/** Every impersonation still running: started within the longest possible duration, not ended, not killed, not expired. */
export async function runningImpersonations(ctx: ConsoleContext): Promise<ImpersonationView[]> {
  const since = new Date(ctx.options.now().getTime() - LONGEST_MS);
  const starts = await ctx.audit.list({ action: STARTED_ACTION, from: since, limit: 200 });
  return (await withStatus(ctx, starts.rows)).filter((i) => i.status === 'running');
}

/** One page of impersonations, newest first, whatever their status. */
export async function recentImpersonations(ctx: ConsoleContext, page: { limit: number; after?: string; before?: string }): Promise<Page<ImpersonationView>> {
  const starts = await ctx.audit.list({ action: STARTED_ACTION, limit: page.limit, after: page.after, before: page.before });
  return { ...starts, rows: await withStatus(ctx, starts.rows) };
}

/** One impersonation by its id, or null when no impersonation has that id. */
export async function impersonationById(ctx: ConsoleContext, id: string): Promise<ImpersonationView | null> {
  const start = await ctx.audit.get(id);
  if (!start || start.action !== STARTED_ACTION) return null;
  return (await withStatus(ctx, [start]))[0];
}
