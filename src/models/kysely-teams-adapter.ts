import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { fromDbDate } from '../db/dates';
import type { DialectName } from '../db/dialect';
import { boundedCount } from '../db/sql-helpers';
import type { ResolvedTableModel } from '../options';
import { paginate, type SortKey } from '../pagination/keyset';
import { teamsSearchTarget } from '../search/console-targets';
import { tableSearch } from '../search/table-search';
import type { BackstageTeam, OwnershipTransfer, TeamMember, TeamsAdapter } from './teams-adapter';

export type TeamsTableModel = ResolvedTableModel<'id' | 'name' | 'created_at' | 'slug' | 'owner_id'>;
export type MembershipsTableModel = ResolvedTableModel<'team_id' | 'user_id' | 'role' | 'created_at'>;
/** The subscription columns the teams list filters on (plan, status). */
export type SubscriptionFilterModel = ResolvedTableModel<'team_id' | 'plan' | 'status'>;

type Row = Record<string, unknown>;

/** Role given to the new owner when the previous owner had no membership row to take the role value from. */
const DEFAULT_OWNER_ROLE = 'owner';
/** Role given to the previous owner when the new owner's own role was unknown. */
const DEFAULT_MEMBER_ROLE = 'member';

function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/**
 * The default teams model: the host's teams and memberships tables, read and
 * written through its own Kysely. `subscriptions` (when mapped) lets the list
 * filter by plan and status with an EXISTS, so a team with a history of
 * subscriptions is never listed twice.
 */
export function kyselyTeamsAdapter(
  db: Kysely<any>,
  teams: TeamsTableModel,
  memberships: MembershipsTableModel,
  subscriptions: SubscriptionFilterModel | null,
  dialect: DialectName,
): TeamsAdapter {
  const t = teams.columns;
  const m = memberships.columns;
  const tcol = (name: string) => `${teams.table}.${name}`;
  const mcol = (name: string) => `${memberships.table}.${name}`;
  const teamDates = teams.dates ?? 'native';
  const memberDates = memberships.dates ?? 'native';
  // Drivers hand back a millisecond Date, but PostgreSQL and MySQL keep microseconds: cursors on a native
  // timestamp are read from its exact text (as the users list does), or rows sharing a millisecond are skipped.
  const exactCast = sql.raw(dialect === 'mysql' ? 'char' : 'text');
  const exactTeamTime = teamDates === 'native' && dialect !== 'sqlite';
  const exactJoinTime = memberDates === 'native' && dialect !== 'sqlite';
  const search = tableSearch(db, dialect, teamsSearchTarget(teams));
  search.prepare().catch(() => undefined);

  function selectTeams(executor: Kysely<any> = db): SelectQueryBuilder<any, any, Row> {
    let query = executor.selectFrom(teams.table).select(sql.ref(tcol(t.id!)).as('id')).select(sql.ref(tcol(t.name!)).as('name'));
    const optional: Array<[string | null, string]> = [
      [t.slug, 'slug'],
      [t.owner_id, 'owner_id'],
      [t.created_at, 'created_at'],
    ];
    for (const [column, alias] of optional) if (column) query = query.select(sql.ref(tcol(column)).as(alias));
    if (exactTeamTime && t.created_at) query = query.select(sql`cast(${sql.ref(tcol(t.created_at))} as ${exactCast})`.as('created_at_exact'));
    return query as SelectQueryBuilder<any, any, Row>;
  }

  function toTeam(row: Row): BackstageTeam {
    return {
      id: String(row.id),
      name: String(row.name ?? ''),
      slug: str(row.slug),
      ownerId: str(row.owner_id),
      createdAt: fromDbDate(row.created_at, teamDates),
    };
  }

  function selectMembers(executor: Kysely<any> = db): SelectQueryBuilder<any, any, Row> {
    let query = executor.selectFrom(memberships.table).select(sql.ref(mcol(m.user_id!)).as('user_id'));
    if (m.role) query = query.select(sql.ref(mcol(m.role)).as('role'));
    if (m.created_at) query = query.select(sql.ref(mcol(m.created_at)).as('joined_at'));
    if (exactJoinTime && m.created_at) query = query.select(sql`cast(${sql.ref(mcol(m.created_at))} as ${exactCast})`.as('joined_at_exact'));
    return query as SelectQueryBuilder<any, any, Row>;
  }

  function toMember(row: Row): TeamMember {
    return { userId: String(row.user_id), role: str(row.role), joinedAt: fromDbDate(row.joined_at, memberDates) };
  }

  const SORTABLE: Record<string, { key: string; column: string | null }> = {
    created_at: { key: exactTeamTime ? 'created_at_exact' : 'created_at', column: t.created_at },
    name: { key: 'name', column: t.name },
  };

  function subscriptionsOfTeam() {
    const s = subscriptions!;
    return db
      .selectFrom(s.table)
      .select(sql.lit(1).as('one'))
      .where(sql<boolean>`${sql.ref(`${s.table}.${s.columns.team_id}`)} = ${sql.ref(tcol(t.id!))}`);
  }

  return {
    features: {
      slug: t.slug !== null,
      owner: t.owner_id !== null,
      memberRoles: m.role !== null,
      joinedAt: m.created_at !== null,
      subscriptionFilters: subscriptions !== null,
    },

    sortKeys(field, direction) {
      const sortable = SORTABLE[field];
      if (!sortable || !sortable.column) return null;
      return [
        { key: sortable.key, column: tcol(sortable.column), direction },
        { key: 'id', column: tcol(t.id!), direction },
      ];
    },

    async list(query) {
      let q = selectTeams();
      if (subscriptions) {
        const s = subscriptions;
        const { plan, subscriptionStatus: status } = query;
        if (status === 'none') {
          // No subscription at all (a plan filter cannot match then).
          q = q.where((eb) => eb.not(eb.exists(subscriptionsOfTeam())));
          if (plan !== undefined) q = q.where(sql<boolean>`1 = 0`);
        } else if (plan !== undefined || status !== undefined) {
          // One subscription that has both the plan and the status (one EXISTS, not two).
          let matching = subscriptionsOfTeam();
          if (plan !== undefined) matching = matching.where(sql.ref(`${s.table}.${s.columns.plan}`), '=', plan);
          if (status !== undefined) matching = matching.where(sql.ref(`${s.table}.${s.columns.status}`), '=', status);
          q = q.where((eb) => eb.exists(matching));
        }
      }
      const searched = await search.narrow(q, query.words);
      const page = await paginate(searched.query, { sort: query.sort, limit: query.limit, after: query.after, before: query.before });
      return { ...page, rows: page.rows.map(toTeam), search: searched.info };
    },

    async get(id) {
      const row = await selectTeams().where(sql.ref(tcol(t.id!)), '=', id).executeTakeFirst();
      return row ? toTeam(row) : null;
    },

    async getMany(ids) {
      const unique = [...new Set(ids)].filter((id) => id !== '');
      if (unique.length === 0) return new Map();
      const rows = await selectTeams().where(sql.ref(tcol(t.id!)), 'in', unique).execute();
      return new Map(rows.map((row) => [String(row.id), toTeam(row)]));
    },

    count(limit) {
      return boundedCount(db, teams.table, limit);
    },

    async members(teamId, request) {
      const sort: SortKey[] = [
        ...(m.created_at ? [{ key: exactJoinTime ? 'joined_at_exact' : 'joined_at', column: mcol(m.created_at), direction: 'asc' as const, nullable: true }] : []),
        { key: 'user_id', column: mcol(m.user_id!), direction: 'asc' },
      ];
      const q = selectMembers().where(sql.ref(mcol(m.team_id!)), '=', teamId);
      const page = await paginate(q, { sort, limit: request.limit, after: request.after, before: request.before });
      return { ...page, rows: page.rows.map(toMember) };
    },

    async membership(teamId, userId) {
      const row = await selectMembers().where(sql.ref(mcol(m.team_id!)), '=', teamId).where(sql.ref(mcol(m.user_id!)), '=', userId).executeTakeFirst();
      return row ? toMember(row) : null;
    },

    async teamsOfUser(userId, limit) {
      let query = db
        .selectFrom(memberships.table)
        .innerJoin(teams.table, (join) => join.on(sql<boolean>`${sql.ref(tcol(t.id!))} = ${sql.ref(mcol(m.team_id!))}`))
        .select(sql.ref(tcol(t.id!)).as('id'))
        .select(sql.ref(tcol(t.name!)).as('name'))
        .where(sql.ref(mcol(m.user_id!)), '=', userId)
        .orderBy(sql.ref(tcol(t.name!)))
        .orderBy(sql.ref(tcol(t.id!)))
        .limit(limit);
      if (m.role) query = query.select(sql.ref(mcol(m.role)).as('role'));
      if (m.created_at) query = query.select(sql.ref(mcol(m.created_at)).as('joined_at'));
      const rows = (await query.execute()) as Row[];
      return rows.map((row) => ({ id: String(row.id), name: String(row.name ?? ''), role: str(row.role), joinedAt: fromDbDate(row.joined_at, memberDates) }));
    },

    async memberCounts(teamIds) {
      const unique = [...new Set(teamIds)].filter((id) => id !== '');
      if (unique.length === 0) return new Map();
      const rows = (await db
        .selectFrom(memberships.table)
        .select(sql.ref(mcol(m.team_id!)).as('team_id'))
        .select(sql<unknown>`count(*)`.as('n'))
        .where(sql.ref(mcol(m.team_id!)), 'in', unique)
        .groupBy(sql.ref(mcol(m.team_id!)))
        .execute()) as Row[];
      return new Map(rows.map((row) => [String(row.team_id), Number(row.n)]));
    },

    ...(t.owner_id
      ? {
          async transferOwnership(teamId: string, toUserId: string, ctx: { trx?: Kysely<any> }): Promise<OwnershipTransfer> {
            const executor = ctx.trx ?? db;
            const current = await selectTeams(executor).where(sql.ref(tcol(t.id!)), '=', teamId).executeTakeFirst();
            if (!current) throw new Error(`express-backstage: team ${teamId} does not exist`);
            const previousOwnerId = str(current.owner_id);
            await executor.updateTable(teams.table).set({ [t.owner_id!]: toUserId }).where(sql.ref(t.id!), '=', teamId).execute();
            const roles: OwnershipTransfer['roles'] = {};
            if (m.role && previousOwnerId !== toUserId) {
              const roleOf = async (userId: string) => {
                const row = await selectMembers(executor).where(sql.ref(mcol(m.team_id!)), '=', teamId).where(sql.ref(mcol(m.user_id!)), '=', userId).executeTakeFirst();
                return row ? { role: str(row.role) } : null;
              };
              const incoming = await roleOf(toUserId);
              const outgoing = previousOwnerId === null ? null : await roleOf(previousOwnerId);
              // The two swap roles, so the host's own role values are kept ("owner" / "admin" / …).
              const ownerRole = outgoing?.role ?? DEFAULT_OWNER_ROLE;
              const setRole = (userId: string, role: string) =>
                executor.updateTable(memberships.table).set({ [m.role!]: role }).where(sql.ref(m.team_id!), '=', teamId).where(sql.ref(m.user_id!), '=', userId).execute();
              if (incoming) {
                await setRole(toUserId, ownerRole);
                roles[toUserId] = { from: incoming.role, to: ownerRole };
              }
              if (outgoing && previousOwnerId !== null) {
                const demoted = incoming?.role && incoming.role !== ownerRole ? incoming.role : DEFAULT_MEMBER_ROLE;
                await setRole(previousOwnerId, demoted);
                roles[previousOwnerId] = { from: outgoing.role, to: demoted };
              }
            }
            return { previousOwnerId, roles };
          },
        }
      : {}),
  };
}
