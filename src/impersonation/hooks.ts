import type { ResolvedOptions } from '../options';
import type { ImpersonationMode, ImpersonationRecord } from './impersonation-record';

/**
 * What the host's `impersonation.onStart` hook is told, once the operator is
 * signed in as the user (e.g. to e-mail the customer that support is looking
 * at their account).
 */
export interface ImpersonationStartEvent {
  /** The impersonation's id: the id of its `impersonation.started` audit event, also shown on the Impersonations page. */
  id: string | null;
  operator: { id: string; email: string | null; role: string };
  target: { id: string; email: string; name: string | null };
  reason: string;
  mode: ImpersonationMode;
  minutes: number;
  startedAt: Date;
  expiresAt: Date;
}

/** How an impersonation ended. */
export type ImpersonationEndHow =
  /** The operator pressed Stop. */
  | 'stopped'
  /** Its time ran out (noticed on the next request). */
  | 'expired'
  /** A superuser ended it from the Impersonations page (noticed on the next request). */
  | 'killed'
  /** The operator lost their operator role, or was banned or deleted, meanwhile. */
  | 'operator-access-withdrawn'
  /** The host app signed the user out, or someone else in. */
  | 'signed-out'
  | 'signed-in-as-someone-else'
  /** `options.impersonation` was switched off while it ran. */
  | 'impersonation-disabled';

/** What the host's `impersonation.onEnd` hook is told, once the impersonation is over. */
export interface ImpersonationEndEvent extends ImpersonationStartEvent {
  how: ImpersonationEndHow;
  endedAt: Date;
  durationSeconds: number;
}

export function startEventOf(record: ImpersonationRecord): ImpersonationStartEvent {
  return {
    id: record.id ?? null,
    operator: { ...record.operator },
    target: { ...record.target },
    reason: record.reason,
    mode: record.mode,
    minutes: record.minutes,
    startedAt: new Date(record.startedAt),
    expiresAt: new Date(record.expiresAt),
  };
}

/**
 * Tells the host, without waiting for it and without letting it interfere:
 * the hook runs after the response's work is done, a slow hook (sending an
 * e-mail) delays nothing, and a hook that throws or rejects is logged, never
 * rethrown, so a broken mailer can neither block nor undo an impersonation.
 */
export function notifyHost(
  options: ResolvedOptions,
  log: (message: string, err?: unknown) => void,
  hook: 'onStart' | 'onEnd',
  event: ImpersonationStartEvent | ImpersonationEndEvent,
): void {
  const fn = options.impersonation?.[hook] as ((event: unknown) => unknown) | undefined;
  if (!fn) return;
  setImmediate(() => {
    Promise.resolve()
      .then(() => fn(event))
      .catch((err) => log(`express-backstage: impersonation.${hook} threw for ${event.operator.email ?? event.operator.id} acting as ${event.target.email}; the impersonation ${hook === 'onStart' ? 'started' : 'ended'} anyway`, err));
  });
}
