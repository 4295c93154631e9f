/**
 * A conventional host schema (DESIGN §2 default names) and a small, hand-made
 * population, created in whichever dialect a suite runs on.
 */
import { sql, type Kysely } from 'kysely';
import type { DialectName } from './dialects';

export function timestampType(dialect: DialectName) {
  return dialect === 'postgres' ? 'timestamptz' : dialect === 'mysql' ? sql`datetime(3)` : 'text';
}

export function dbDate(dialect: DialectName, date: Date): unknown {
  return dialect === 'sqlite' ? date.toISOString() : date;
}

function idColumn(table: any, dialect: DialectName) {
  if (dialect === 'postgres') return table.addColumn('id', 'serial', (col: any) => col.primaryKey());
  return table.addColumn('id', 'integer', (col: any) => col.primaryKey().autoIncrement());
}

export async function createHostSchema(db: Kysely<any>, dialect: DialectName): Promise<void> {
  const ts = timestampType(dialect) as any;
  await idColumn(db.schema.createTable('users'), dialect)
    .addColumn('email', 'varchar(320)', (col: any) => col.notNull().unique())
    .addColumn('name', 'varchar(200)')
    .addColumn('role', 'varchar(32)', (col: any) => col.notNull().defaultTo('user'))
    .addColumn('password_hash', 'varchar(200)')
    .addColumn('created_at', ts, (col: any) => col.notNull())
    .addColumn('banned_at', ts)
    .addColumn('confirmed_at', ts)
    .addColumn('last_sign_in_at', ts)
    .execute();
  await db.schema.createIndex('users_created').on('users').columns(['created_at', 'id']).execute();
  await idColumn(db.schema.createTable('teams'), dialect)
    .addColumn('name', 'varchar(200)', (col: any) => col.notNull())
    .addColumn('slug', 'varchar(200)')
    .addColumn('owner_id', 'integer')
    .addColumn('created_at', ts, (col: any) => col.notNull())
    .execute();
  await db.schema
    .createTable('memberships')
    .addColumn('team_id', 'integer', (col) => col.notNull())
    .addColumn('user_id', 'integer', (col) => col.notNull())
    .addColumn('role', 'varchar(32)', (col) => col.notNull())
    .addColumn('created_at', ts, (col: any) => col.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['team_id', 'user_id'])
    .execute();
}

export interface SeedUser {
  email: string;
  name?: string | null;
  role?: string;
  createdAt?: Date;
  bannedAt?: Date | null;
  confirmedAt?: Date | null;
}

/** Inserts users and returns their ids in order. */
export async function insertUsers(db: Kysely<any>, dialect: DialectName, users: SeedUser[]): Promise<string[]> {
  const ids: string[] = [];
  const base = Date.UTC(2026, 0, 1);
  for (const [i, user] of users.entries()) {
    await db
      .insertInto('users')
      .values({
        email: user.email,
        name: user.name === undefined ? user.email.split('@')[0] : user.name,
        role: user.role ?? 'user',
        password_hash: 'scrypt$secret-hash-never-shown',
        created_at: dbDate(dialect, user.createdAt ?? new Date(base + i * 60_000)),
        banned_at: user.bannedAt ? dbDate(dialect, user.bannedAt) : null,
        confirmed_at: user.confirmedAt === null ? null : dbDate(dialect, user.confirmedAt ?? new Date(base)),
      })
      .execute();
    const row = await db.selectFrom('users').select('id').where('email', '=', user.email).executeTakeFirstOrThrow();
    ids.push(String(row.id));
  }
  return ids;
}

/** Many users at once, for paging tests: batched inserts. */
export async function insertManyUsers(db: Kysely<any>, dialect: DialectName, count: number, domain = 'bulk.test'): Promise<void> {
  const base = Date.UTC(2025, 0, 1);
  for (let start = 0; start < count; start += 200) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + 200); i++) {
      // Every 7th pair shares a timestamp, so the id tie-breaker is exercised.
      rows.push({ email: `user${i}@${domain}`, name: `Bulk User ${i}`, role: 'user', created_at: dbDate(dialect, new Date(base + Math.floor(i / 2) * 3_600_000)) });
    }
    await db.insertInto('users').values(rows).execute();
  }
}

export async function insertTeam(db: Kysely<any>, dialect: DialectName, name: string, members: Array<[string, string]>): Promise<string> {
  await db.insertInto('teams').values({ name, slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'), owner_id: Number(members[0]?.[0] ?? 0) || null, created_at: dbDate(dialect, new Date()) }).execute();
  const row = await db.selectFrom('teams').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  for (const [userId, role] of members) {
    await db.insertInto('memberships').values({ team_id: row.id, user_id: Number(userId), role, created_at: dbDate(dialect, new Date()) }).execute();
  }
  return String(row.id);
}
