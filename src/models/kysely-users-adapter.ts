import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { paginate, type SortKey } from '../pagination/keyset';
import { fromDbDate, toDbDate } from '../db/dates';
import type { DialectName } from '../db/dialect';
import { boundedCount, dbBool, readBool } from '../db/sql-helpers';
import { usersSearchTarget } from '../search/console-targets';
import { tableSearch } from '../search/table-search';
import type { BackstageUser, UserListQuery, UserPage, UsersAdapter, WriteContext } from './users-adapter';
import type { ResolvedUsersModel } from './users-model-config';

export interface MembershipLink {
  table: string;
  userId: string;
  teamId: string;
}

type Row = Record<string, unknown>;

/** The default users model: the host's users table, read and written through its own Kysely. */
export function kyselyUsersAdapter(
  db: Kysely<any>,
  model: ResolvedUsersModel,
  dialect: DialectName,
  memberships: MembershipLink | null,
): UsersAdapter {
  const { table, columns: c } = model;
  const col = (name: string) => `${table}.${name}`;
  const hasBanColumn = c.bannedAt !== null;
  const exactTimeCursor = model.dates === 'native' && dialect !== 'sqlite';
  // Exact and prefix words through the email index, substrings through a trigram index when there is one,
  // else over the newest rows only; the indexes are read from the catalogue now, at start-up.
  const search = tableSearch(db, dialect, usersSearchTarget(model));
  search.prepare().catch(() => undefined);

  function selectUsers(executor: Kysely<any> = db): SelectQueryBuilder<any, any, Row> {
    let query = executor.selectFrom(table).select(sql.ref(col(c.id)).as('id')).select(sql.ref(col(c.email)).as('email'));
    const optional: Array<[string | null, string]> = [
      [c.name, 'name'],
      [c.role, 'role'],
      [c.createdAt, 'created_at'],
      [c.bannedAt, 'banned_at'],
      [c.confirmedAt, 'confirmed_at'],
      [c.lastSignInAt, 'last_sign_in_at'],
    ];
    for (const [column, alias] of optional) {
      if (column) query = query.select(sql.ref(col(column)).as(alias));
    }
    if (exactTimeCursor && c.createdAt) {
      // Drivers hand back a millisecond Date, but PostgreSQL and MySQL keep microseconds:
      // a cursor built from the Date would skip rows that share a millisecond.
      query = query.select(sql`cast(${sql.ref(col(c.createdAt))} as ${sql.raw(dialect === 'mysql' ? 'char' : 'text')})`.as('created_at_exact'));
    }
    return query as SelectQueryBuilder<any, any, Row>;
  }

  function roleFromRow(value: unknown): string | null {
    if (model.role.kind === 'boolean') return readBool(value) ? model.role.trueValue : model.role.falseValue;
    return value === null || value === undefined ? null : String(value);
  }

  function bannedFromRow(value: unknown): { banned: boolean; bannedAt: Date | null } {
    if (!hasBanColumn) return { banned: false, bannedAt: null };
    if (model.banned.kind === 'timestamp') {
      const bannedAt = fromDbDate(value, model.dates);
      return { banned: bannedAt !== null, bannedAt };
    }
    const flag = readBool(value);
    return { banned: model.banned.kind === 'boolean' ? flag : !flag, bannedAt: null };
  }

  function toUser(row: Row): BackstageUser {
    return {
      id: String(row.id),
      email: String(row.email ?? ''),
      name: row.name === null || row.name === undefined ? null : String(row.name),
      role: c.role ? roleFromRow(row.role) : null,
      createdAt: fromDbDate(row.created_at, model.dates),
      ...bannedFromRow(row.banned_at),
      confirmedAt: fromDbDate(row.confirmed_at, model.dates),
      lastSignInAt: fromDbDate(row.last_sign_in_at, model.dates),
    };
  }

  /** The stored value that means "banned" (or "not banned") for this schema. */
  function banValue(banned: boolean): unknown {
    if (model.banned.kind === 'timestamp') return banned ? toDbDate(new Date(), model.dates, dialect) : null;
    const flag = model.banned.kind === 'boolean' ? banned : !banned;
    return dbBool(flag, dialect);
  }

  function bannedPredicate(banned: boolean) {
    const ref = sql.ref(col(c.bannedAt!));
    if (model.banned.kind === 'timestamp') return banned ? sql<boolean>`${ref} is not null` : sql<boolean>`${ref} is null`;
    const flag = model.banned.kind === 'boolean' ? banned : !banned;
    // A NULL flag reads as "false", so "not banned" must include it.
    return flag ? sql<boolean>`${ref} = ${dbBool(true, dialect)}` : sql<boolean>`(${ref} = ${dbBool(false, dialect)} or ${ref} is null)`;
  }

  function rolePredicate(role: string) {
    const ref = sql.ref(col(c.role!));
    if (model.role.kind === 'boolean') return sql<boolean>`${ref} = ${dbBool(role === model.role.trueValue, dialect)}`;
    return sql<boolean>`${ref} = ${role}`;
  }

  const SORTABLE: Record<string, { key: string; column: string | null; nullable: boolean }> = {
    created_at: { key: exactTimeCursor ? 'created_at_exact' : 'created_at', column: c.createdAt, nullable: false },
    email: { key: 'email', column: c.email, nullable: false },
    name: { key: 'name', column: c.name, nullable: true },
  };

  const roleValues = model.role.kind === 'boolean' ? [model.role.falseValue, model.role.trueValue] : model.role.values;

  return {
    features: {
      ban: hasBanColumn,
      confirmed: c.confirmedAt !== null,
      lastSignIn: c.lastSignInAt !== null,
      roleValues: c.role ? roleValues : [],
    },

    sortKeys(field, direction) {
      const sortable = SORTABLE[field];
      if (!sortable || !sortable.column) return null;
      return [
        { key: sortable.key, column: col(sortable.column), direction, nullable: sortable.nullable },
        { key: 'id', column: col(c.id), direction },
      ];
    },

    async list(query: UserListQuery): Promise<UserPage> {
      let q = selectUsers();
      if (query.role && c.role) q = q.where(rolePredicate(query.role));
      if (query.status && hasBanColumn) {
        if (query.status === 'banned') q = q.where(bannedPredicate(true));
        else q = q.where(bannedPredicate(false));
      }
      if (query.status === 'unconfirmed' && c.confirmedAt) q = q.where(sql.ref(col(c.confirmedAt)), 'is', null);
      if (query.createdFrom && c.createdAt) q = q.where(sql.ref(col(c.createdAt)), '>=', toDbDate(query.createdFrom, model.dates, dialect));
      if (query.createdTo && c.createdAt) q = q.where(sql.ref(col(c.createdAt)), '<', toDbDate(query.createdTo, model.dates, dialect));
      if (query.teamId !== undefined && memberships) {
        const members = db.selectFrom(memberships.table).select(sql.ref(`${memberships.table}.${memberships.userId}`).as('user_id')).where(sql.ref(`${memberships.table}.${memberships.teamId}`), '=', query.teamId);
        q = q.where(sql.ref(col(c.id)), 'in', members);
      }
      // One team's members are few enough to search them all.
      const searched = await search.narrow(q, query.words, { small: query.teamId !== undefined && memberships !== null });
      const page = await paginate(searched.query, { sort: query.sort, limit: query.limit, after: query.after, before: query.before });
      return { ...page, rows: page.rows.map(toUser), search: searched.info };
    },

    async get(id) {
      const row = await selectUsers().where(sql.ref(col(c.id)), '=', id).executeTakeFirst().catch(noSuchId);
      return row ? toUser(row) : null;
    },

    async getMany(ids) {
      const unique = [...new Set(ids)].filter((id) => id !== '');
      if (unique.length === 0) return new Map();
      const rows = (await selectUsers().where(sql.ref(col(c.id)), 'in', unique).execute().catch(noSuchId)) ?? [];
      return new Map(rows.map((row) => [String(row.id), toUser(row)]));
    },

    count(limit) {
      return boundedCount(db, table, limit);
    },

    ...(c.role
      ? {
          async setRole(id: string, role: string, ctx: WriteContext) {
            const value = model.role.kind === 'boolean' ? dbBool(role === model.role.trueValue, dialect) : role;
            await (ctx.trx ?? db).updateTable(table).set({ [c.role!]: value }).where(sql.ref(c.id), '=', id).execute();
          },
        }
      : {}),

    ...(hasBanColumn
      ? {
          async setBanned(id: string, banned: boolean, ctx: WriteContext) {
            await (ctx.trx ?? db).updateTable(table).set({ [c.bannedAt!]: banValue(banned) }).where(sql.ref(c.id), '=', id).execute();
          },
        }
      : {}),
  };
}

/**
 * PostgreSQL refuses an id it cannot compare with the id column: text that is not an integer or uuid
 * (22P02), a number beyond the column's range (22003), a NUL byte (22021) — every data exception (22xxx).
 * For an id from a URL that means "no such user", not a failure.
 */
function noSuchId(err: unknown): undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return undefined;
  throw err;
}
