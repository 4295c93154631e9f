import { sql } from 'kysely';
import { fromDbDate } from '../../db/dates';
import type { ConsoleContext } from '../../console-context';

export interface UserTeam {
  id: string;
  name: string;
  role: string | null;
  joinedAt: Date | null;
}

/** The teams a user belongs to, with their role in each (bounded: a user in 500 teams is an outlier). */
export async function teamsOfUser(ctx: ConsoleContext, userId: string, limit = 100): Promise<UserTeam[]> {
  const { teams, memberships } = ctx;
  if (!teams || !memberships) return [];
  const t = (column: string | null) => sql.ref(`${teams.table}.${column}`);
  const m = (column: string | null) => sql.ref(`${memberships.table}.${column}`);
  let query = ctx.db
    .selectFrom(memberships.table)
    .innerJoin(teams.table, (join) => join.on(sql<boolean>`${t(teams.columns.id)} = ${m(memberships.columns.team_id)}`))
    .select(t(teams.columns.id).as('id'))
    .select(t(teams.columns.name).as('name'))
    .where(m(memberships.columns.user_id), '=', userId)
    .orderBy(t(teams.columns.name))
    .limit(limit);
  if (memberships.columns.role) query = query.select(m(memberships.columns.role).as('role'));
  if (memberships.columns.created_at) query = query.select(m(memberships.columns.created_at).as('joined_at'));
  const rows = (await query.execute()) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    id: String(row.id),
    name: String(row.name ?? ''),
    role: row.role === undefined || row.role === null ? null : String(row.role),
    joinedAt: fromDbDate(row.joined_at, memberships.dates ?? 'native'),
  }));
}
