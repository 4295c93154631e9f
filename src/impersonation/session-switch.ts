import type { Request } from 'express';
import type { AuditActor, AuditLog } from '../audit/audit-log';
import type { ConsoleContext } from '../console-context';
import type { Operator } from '../http/operator';
import { requestMeta } from '../http/operator';
import { setFlash } from '../http/render';
import type { BackstageUser } from '../models/users-adapter';
import type { ResolvedOptions } from '../options';
import { durationText } from './banner';
import { notifyHost, startEventOf, type ImpersonationEndHow } from './hooks';
import { clearRecord, regenerateSession, writeRecord, type ImpersonationMode, type ImpersonationRecord } from './impersonation-record';
import { isOperatorUser } from './policy';

/** Why an impersonation ended other than by Stop or by its time running out. */
export type EndCause =
  /** The operator lost their operator role, was banned or deleted while acting as the user. */
  | 'operator-access-withdrawn'
  /** The host app signed the user out during the impersonation. */
  | 'signed-out'
  /** The host app now has someone other than the target signed in. */
  | 'signed-in-as-someone-else'
  /** `options.impersonation` was turned off while this impersonation was running. */
  | 'impersonation-disabled'
  /** The host's signIn hook threw while the impersonation was starting. */
  | 'sign-in-failed';

function subjectOf(record: Pick<ImpersonationRecord, 'target'>) {
  return { type: 'user', id: record.target.id, label: record.target.email };
}

function actorOf(record: ImpersonationRecord, operator?: BackstageUser | null): AuditActor {
  return { id: record.operator.id, email: operator?.email ?? record.operator.email, role: operator?.role ?? record.operator.role };
}

function secondsSince(record: ImpersonationRecord, now: Date): number {
  return Math.max(0, Math.round((now.getTime() - record.startedAt) / 1000));
}

type Log = (message: string, err?: unknown) => void;

const defaultLog: Log = (message, err) => console.error(message, err ?? '');

/** The impersonation's id in its end events, so the Impersonations page can pair them with their start. */
function idData(record: ImpersonationRecord): { impersonationId?: string } {
  return record.id ? { impersonationId: record.id } : {};
}

function notifyEnd(ctx: ConsoleContext, log: Log, record: ImpersonationRecord, how: ImpersonationEndHow, now: Date): void {
  notifyHost(ctx.options, log, 'onEnd', { ...startEventOf(record), how, endedAt: now, durationSeconds: secondsSince(record, now) });
}

/** The operator of a running impersonation, reloaded: null when they are no longer an operator in good standing. */
export async function reloadOperator(ctx: ConsoleContext, record: ImpersonationRecord): Promise<BackstageUser | null> {
  const user = await ctx.users.get(record.operator.id);
  if (!user || user.banned || !isOperatorUser(ctx.options, user)) return null;
  return user;
}

/** The id of whoever the host app says is signed in on this request, as a string, or null. */
export async function effectiveUserId(options: ResolvedOptions, req: Request): Promise<string | null> {
  const user = await options.getUser(req);
  if (user === null || user === undefined) return null;
  const id = options.idOf(user);
  return id === null || id === undefined || id === '' ? null : String(id);
}

export interface StartChoice {
  reason: string;
  minutes: number;
  mode: ImpersonationMode;
}

/**
 * Starts an impersonation. The audit event is written first, so there is never
 * an impersonation without its record in the log; then the session gets a new
 * id with nothing of the operator's in it, the host's signIn hook makes the
 * target the signed-in user, and the impersonation record and a fresh CSRF
 * token (for the banner's Stop button) are put into the new session. They are
 * written after signIn because passport's req.login regenerates the session
 * again and would drop anything written before it.
 */
export async function startImpersonation(
  ctx: ConsoleContext,
  req: Request,
  operator: Operator,
  target: BackstageUser,
  choice: StartChoice,
  csrfTokenFor: (req: Request) => string,
  log: Log = defaultLog,
): Promise<ImpersonationRecord> {
  const settings = ctx.options.impersonation!;
  const now = ctx.options.now().getTime();
  const record: ImpersonationRecord = {
    operator: { id: operator.id!, email: operator.email, role: operator.role },
    target: { id: target.id, email: target.email, name: target.name },
    reason: choice.reason,
    mode: choice.mode,
    minutes: choice.minutes,
    startedAt: now,
    expiresAt: now + choice.minutes * 60_000,
    consoleBase: req.baseUrl,
  };
  const id = await ctx.audit.record({
    action: 'impersonation.started',
    actor: operator,
    subject: subjectOf(record),
    reason: choice.reason,
    data: { mode: choice.mode, minutes: choice.minutes, expiresAt: new Date(record.expiresAt).toISOString() },
    ...requestMeta(req),
  });
  if (id !== null) record.id = id;
  try {
    await regenerateSession(req);
    await settings.signIn(req, target);
  } catch (err) {
    await ctx.audit
      .record({ action: 'impersonation.ended', actor: actorOf(record), subject: subjectOf(record), data: { cause: 'sign-in-failed' satisfies EndCause, durationSeconds: 0, ...idData(record) }, ...requestMeta(req) })
      .catch(() => {});
    throw err;
  }
  writeRecord(req, record);
  csrfTokenFor(req);
  notifyHost(ctx.options, log, 'onStart', startEventOf(record));
  return record;
}

/** Who ended an impersonation from the Impersonations page, as their kill event says. */
export interface Killer {
  email: string | null;
  id: string | null;
}

/**
 * Ends an impersonation by Stop, by expiry, or because a superuser killed it:
 * the event with the actual duration, a new session id, the operator signed
 * back in through the same hook, and a message for the console's next page.
 */
export async function returnToOperator(
  ctx: ConsoleContext,
  req: Request,
  record: ImpersonationRecord,
  operator: BackstageUser,
  how: 'stopped' | 'expired' | 'killed',
  log: Log = defaultLog,
  killer?: Killer,
): Promise<void> {
  const now = ctx.options.now();
  const seconds = secondsSince(record, now);
  const facts = { mode: record.mode, minutes: record.minutes, durationSeconds: seconds, startedAt: new Date(record.startedAt).toISOString(), ...idData(record) };
  await ctx.audit.record({
    // A kill has its own event (the superuser's); this one says when it took effect.
    action: how === 'killed' ? 'impersonation.ended' : `impersonation.${how}`,
    actor: actorOf(record, operator),
    subject: subjectOf(record),
    data: how === 'killed' ? { cause: 'killed', killedBy: killer?.email ?? killer?.id ?? null, ...facts } : facts,
    ...requestMeta(req),
  });
  await regenerateSession(req);
  await ctx.options.impersonation!.signIn(req, operator);
  clearRecord(req);
  setFlash(
    req,
    how === 'killed' ? 'error' : 'success',
    how === 'stopped'
      ? `You stopped impersonating ${record.target.email} after ${durationText(seconds)}. You are signed in as yourself again.`
      : how === 'expired'
        ? `Your impersonation of ${record.target.email} has ended: its ${record.minutes} minutes were up. You are signed in as yourself again.`
        : `A superuser (${killer?.email ?? killer?.id ?? 'unknown'}) ended your impersonation of ${record.target.email} from the Impersonations page. You are signed in as yourself again.`,
  );
  notifyEnd(ctx, log, record, how, now);
}

async function recordEnd(audit: AuditLog, req: Request, record: ImpersonationRecord, cause: EndCause, now: Date): Promise<void> {
  await audit.record({
    action: 'impersonation.ended',
    actor: actorOf(record),
    subject: subjectOf(record),
    data: { cause, mode: record.mode, durationSeconds: secondsSince(record, now), ...idData(record) },
    ...requestMeta(req),
  });
}

/**
 * Ends an impersonation without signing anyone back in (the operator may no
 * longer be one): new, empty session — which signs session-based hosts out —
 * and the host's signOut hook for hosts with their own auth cookie.
 */
export async function endSignedOut(ctx: ConsoleContext, req: Request, record: ImpersonationRecord | null, cause: Exclude<EndCause, 'sign-in-failed'>, log: Log = defaultLog): Promise<void> {
  const now = ctx.options.now();
  if (record) await recordEnd(ctx.audit, req, record, cause, now);
  await regenerateSession(req);
  clearRecord(req);
  await ctx.options.impersonation?.signOut?.(req);
  if (record) notifyEnd(ctx, log, record, cause, now);
}

/** The host already changed who is signed in: only the record goes, nobody is signed in or out. */
export async function dropRecord(ctx: ConsoleContext, req: Request, record: ImpersonationRecord, cause: 'signed-out' | 'signed-in-as-someone-else', log: Log = defaultLog): Promise<void> {
  const now = ctx.options.now();
  await recordEnd(ctx.audit, req, record, cause, now);
  clearRecord(req);
  notifyEnd(ctx, log, record, cause, now);
}
