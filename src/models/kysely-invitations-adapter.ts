import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { fromDbDate, toDbDate } from '../db/dates';
import type { DialectName } from '../db/dialect';
import type { ResolvedTableModel } from '../options';
import type { BackstageInvitation, InvitationsAdapter } from './invitations-adapter';
import type { WriteContext } from './users-adapter';

export type InvitationsTableModel = ResolvedTableModel<'id' | 'team_id' | 'email' | 'created_at' | 'role' | 'invited_by_id' | 'accepted_at' | 'expires_at'>;

type Row = Record<string, unknown>;

/** How long a renewed invitation lasts when the original's validity cannot be read off its dates. */
export const DEFAULT_INVITATION_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** The default invitations model: the host's invitations table through its own Kysely. */
export function kyselyInvitationsAdapter(db: Kysely<any>, model: InvitationsTableModel, dialect: DialectName): InvitationsAdapter {
  const c = model.columns;
  const col = (name: string) => `${model.table}.${name}`;
  const dates = model.dates ?? 'native';

  function selectInvitations(executor: Kysely<any> = db): SelectQueryBuilder<any, any, Row> {
    let query = executor
      .selectFrom(model.table)
      .select(sql.ref(col(c.id!)).as('id'))
      .select(sql.ref(col(c.team_id!)).as('team_id'))
      .select(sql.ref(col(c.email!)).as('email'));
    const optional: Array<[string | null, string]> = [
      [c.created_at, 'created_at'],
      [c.role, 'role'],
      [c.invited_by_id, 'invited_by_id'],
      [c.accepted_at, 'accepted_at'],
      [c.expires_at, 'expires_at'],
    ];
    for (const [column, alias] of optional) if (column) query = query.select(sql.ref(col(column)).as(alias));
    return query as SelectQueryBuilder<any, any, Row>;
  }

  function newestFirst(query: SelectQueryBuilder<any, any, Row>, limit: number) {
    if (c.created_at) query = query.orderBy(sql.ref(col(c.created_at)), 'desc');
    return query.orderBy(sql.ref(col(c.id!)), 'desc').limit(limit);
  }

  function toInvitation(row: Row): BackstageInvitation {
    return {
      id: String(row.id),
      teamId: String(row.team_id),
      email: String(row.email ?? ''),
      role: str(row.role),
      invitedById: str(row.invited_by_id),
      createdAt: fromDbDate(row.created_at, dates),
      acceptedAt: fromDbDate(row.accepted_at, dates),
      expiresAt: fromDbDate(row.expires_at, dates),
    };
  }

  async function get(id: string, executor: Kysely<any> = db): Promise<BackstageInvitation | null> {
    const row = await selectInvitations(executor).where(sql.ref(col(c.id!)), '=', id).executeTakeFirst();
    return row ? toInvitation(row) : null;
  }

  return {
    features: { role: c.role !== null, invitedBy: c.invited_by_id !== null, accepted: c.accepted_at !== null, expiry: c.expires_at !== null },

    async forTeam(teamId, limit) {
      const rows = await newestFirst(selectInvitations().where(sql.ref(col(c.team_id!)), '=', teamId), limit).execute();
      return rows.map(toInvitation);
    },

    async forEmail(email, limit) {
      // Exact and lower-cased spellings: both stay on an index of the email column, unlike lower(email) = ?.
      const spellings = [...new Set([email, email.toLowerCase()])];
      const rows = await newestFirst(selectInvitations().where(sql.ref(col(c.email!)), 'in', spellings), limit).execute();
      return rows.map(toInvitation);
    },

    get: (id) => get(id),

    ...(c.created_at || c.expires_at
      ? {
          async resend(id: string, now: Date, ctx: WriteContext): Promise<BackstageInvitation> {
            const executor = ctx.trx ?? db;
            const before = await get(id, executor);
            if (!before) throw new Error(`express-backstage: invitation ${id} does not exist`);
            const validity =
              before.createdAt && before.expiresAt && before.expiresAt.getTime() > before.createdAt.getTime()
                ? before.expiresAt.getTime() - before.createdAt.getTime()
                : DEFAULT_INVITATION_VALIDITY_MS;
            const changes: Record<string, unknown> = {};
            if (c.created_at) changes[c.created_at] = toDbDate(now, dates, dialect);
            if (c.expires_at) changes[c.expires_at] = toDbDate(new Date(now.getTime() + validity), dates, dialect);
            await executor.updateTable(model.table).set(changes).where(sql.ref(c.id!), '=', id).execute();
            return (await get(id, executor))!;
          },
        }
      : {}),
  };
}
