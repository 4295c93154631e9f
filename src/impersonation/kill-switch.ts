import { AUDIT_TABLE } from '../audit/audit-log';
import type { ConsoleContext } from '../console-context';
import type { Killer } from './session-switch';

/**
 * The kill switch lives in the audit log, the one store every instance of the
 * host already shares and writes to: a superuser's `impersonation.killed`
 * event, whose subject is the impersonation (`impersonation` / the id of its
 * `impersonation.started` event). The guard of whichever instance serves the
 * impersonating browser's next request finds it through the audit log's
 * subject index, and ends the impersonation there.
 */
export const KILLED_ACTION = 'impersonation.killed';
export const IMPERSONATION_SUBJECT = 'impersonation';

/** Who killed this impersonation, or null while nobody has. */
export async function killOf(ctx: ConsoleContext, impersonationId: string): Promise<Killer | null> {
  const row = await ctx.db
    .selectFrom(AUDIT_TABLE)
    .select(['actor_id', 'actor_email'])
    .where('subject_type', '=', IMPERSONATION_SUBJECT)
    .where('subject_id', '=', impersonationId)
    .where('action', '=', KILLED_ACTION)
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return { id: text(row.actor_id), email: text(row.actor_email) };
}
