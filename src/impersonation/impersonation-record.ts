import type { Request } from 'express';
import '../http/session-data';

export type ImpersonationMode = 'read-only' | 'full';
export const IMPERSONATION_MODES: readonly ImpersonationMode[] = ['read-only', 'full'];

/**
 * What the session keeps while an operator acts as a user. Plain JSON, so any
 * session store holds it. The operator is kept by id and reloaded on every
 * request; the email and role here are only for labels and the audit log.
 */
export interface ImpersonationRecord {
  /**
   * The id of the `impersonation.started` audit event: the impersonation's id on the
   * Impersonations page, and what a superuser's kill event names. Absent in sessions started
   * before impersonations had ids (they cannot be killed, only stopped or left to expire).
   */
  id?: string;
  operator: { id: string; email: string | null; role: string };
  target: { id: string; email: string; name: string | null };
  reason: string;
  mode: ImpersonationMode;
  minutes: number;
  /** Epoch milliseconds, from the console's clock (`options.now`). */
  startedAt: number;
  expiresAt: number;
  /**
   * The console's mount path as the start request saw it (`req.baseUrl`). The
   * guard runs outside the console, so this is how it builds the Stop URL and
   * the banner's stylesheet URL without a `basePath` option to keep in sync.
   */
  consoleBase: string;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** A record as read back from a store: anything malformed counts as no impersonation. */
function isRecord(value: unknown): value is ImpersonationRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, any>;
  return (
    typeof r.operator === 'object' && r.operator !== null && isString(r.operator.id) && isString(r.operator.role) &&
    typeof r.target === 'object' && r.target !== null && isString(r.target.id) && isString(r.target.email) &&
    (r.id === undefined || isString(r.id)) &&
    isString(r.reason) && (r.mode === 'read-only' || r.mode === 'full') &&
    Number.isFinite(r.minutes) && Number.isFinite(r.startedAt) && Number.isFinite(r.expiresAt) && isString(r.consoleBase)
  );
}

/** True when the request's session holds anything under the impersonation key, valid or not. */
export function hasRecordKey(req: Request): boolean {
  return !!req.session && (req.session as any).backstageImpersonation !== undefined;
}

export function readRecord(req: Request): ImpersonationRecord | null {
  const value = req.session?.backstageImpersonation;
  return isRecord(value) ? value : null;
}

export function writeRecord(req: Request, record: ImpersonationRecord): void {
  if (!req.session) throw new Error('express-backstage: impersonation needs a session, and this request has none');
  req.session.backstageImpersonation = record;
}

export function clearRecord(req: Request): void {
  if (req.session) delete req.session.backstageImpersonation;
}

/**
 * A new session id with nothing in it (express-session `regenerate`), so an id
 * seen before the switch of identity is worthless after it. Sessions without
 * ids (cookie-session) are emptied instead, which is their equivalent.
 */
export function regenerateSession(req: Request): Promise<void> {
  const session = req.session as any;
  if (!session) return Promise.resolve();
  if (typeof session.regenerate === 'function') {
    return new Promise((resolve, reject) => session.regenerate((err: unknown) => (err ? reject(err) : resolve())));
  }
  for (const key of Object.keys(session)) {
    if (key !== 'cookie') delete session[key];
  }
  return Promise.resolve();
}
