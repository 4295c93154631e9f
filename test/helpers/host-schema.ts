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

/** The billing side of the conventional schema: invitations and subscriptions (DESIGN §2 default names). */
export async function createInvitationsAndSubscriptions(db: Kysely<any>, dialect: DialectName): Promise<void> {
  const ts = timestampType(dialect) as any;
  await idColumn(db.schema.createTable('invitations'), dialect)
    .addColumn('team_id', 'integer', (col: any) => col.notNull())
    .addColumn('email', 'varchar(320)', (col: any) => col.notNull())
    .addColumn('role', 'varchar(32)')
    .addColumn('invited_by_id', 'integer')
    .addColumn('token', 'varchar(64)')
    .addColumn('created_at', ts, (col: any) => col.notNull())
    .addColumn('accepted_at', ts)
    .addColumn('expires_at', ts)
    .execute();
  await db.schema.createIndex('invitations_team').on('invitations').columns(['team_id']).execute();
  await db.schema.createIndex('invitations_email').on('invitations').columns(['email']).execute();
  await idColumn(db.schema.createTable('subscriptions'), dialect)
    .addColumn('team_id', 'integer', (col: any) => col.notNull())
    .addColumn('plan', 'varchar(50)', (col: any) => col.notNull())
    .addColumn('status', 'varchar(30)', (col: any) => col.notNull())
    .addColumn('amount_cents', 'integer', (col: any) => col.notNull())
    .addColumn('currency', 'varchar(3)', (col: any) => col.notNull())
    .addColumn('interval', 'varchar(10)', (col: any) => col.notNull())
    .addColumn('current_period_end', ts, (col: any) => col.notNull())
    .addColumn('trial_ends_at', ts)
    .addColumn('canceled_at', ts)
    .addColumn('external_id', 'varchar(64)')
    .execute();
  await db.schema.createIndex('subscriptions_team').on('subscriptions').columns(['team_id']).execute();
}

export interface SeedInvitation {
  teamId: string;
  email: string;
  role?: string | null;
  invitedById?: string | null;
  createdAt?: Date;
  acceptedAt?: Date | null;
  expiresAt?: Date | null;
}

/** Inserts one invitation and returns its id. */
export async function insertInvitation(db: Kysely<any>, dialect: DialectName, invitation: SeedInvitation): Promise<string> {
  const token = Math.random().toString(36).slice(2);
  await db
    .insertInto('invitations')
    .values({
      team_id: Number(invitation.teamId),
      email: invitation.email,
      role: invitation.role === undefined ? 'member' : invitation.role,
      invited_by_id: invitation.invitedById ? Number(invitation.invitedById) : null,
      token,
      created_at: dbDate(dialect, invitation.createdAt ?? new Date()),
      accepted_at: invitation.acceptedAt ? dbDate(dialect, invitation.acceptedAt) : null,
      expires_at: invitation.expiresAt ? dbDate(dialect, invitation.expiresAt) : null,
    })
    .execute();
  const row = await db.selectFrom('invitations').select('id').where('token', '=', token).executeTakeFirstOrThrow();
  return String(row.id);
}

export interface SeedSubscription {
  teamId: string;
  plan: string;
  status: string;
  amountCents: number;
  currency?: string;
  interval?: string;
  currentPeriodEnd?: Date;
  trialEndsAt?: Date | null;
  canceledAt?: Date | null;
  externalId?: string | null;
}

/** Inserts one subscription and returns its id. */
export async function insertSubscription(db: Kysely<any>, dialect: DialectName, subscription: SeedSubscription): Promise<string> {
  const externalId = subscription.externalId === undefined ? `sub_${Math.random().toString(36).slice(2, 12)}` : subscription.externalId;
  await db
    .insertInto('subscriptions')
    .values({
      team_id: Number(subscription.teamId),
      plan: subscription.plan,
      status: subscription.status,
      amount_cents: subscription.amountCents,
      currency: subscription.currency ?? 'usd',
      interval: subscription.interval ?? 'month',
      current_period_end: dbDate(dialect, subscription.currentPeriodEnd ?? new Date(Date.UTC(2026, 5, 1))),
      trial_ends_at: subscription.trialEndsAt ? dbDate(dialect, subscription.trialEndsAt) : null,
      canceled_at: subscription.canceledAt ? dbDate(dialect, subscription.canceledAt) : null,
      external_id: externalId,
    })
    .execute();
  const row = await db.selectFrom('subscriptions').select(sql<unknown>`max(id)`.as('id')).executeTakeFirstOrThrow();
  return String(row.id);
}

/** Many teams at once (each with its owner as the one member), for paging tests and benchmarks: batched inserts. */
export async function insertManyTeams(db: Kysely<any>, dialect: DialectName, count: number, ownerId: string, prefix = 'Bulk Team'): Promise<void> {
  const base = Date.UTC(2025, 0, 1);
  for (let start = 0; start < count; start += 200) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + 200); i++) {
      // Every pair shares a timestamp, so the id tie-breaker is exercised.
      rows.push({ name: `${prefix} ${i}`, slug: `${prefix.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${i}`, owner_id: Number(ownerId), created_at: dbDate(dialect, new Date(base + Math.floor(i / 2) * 60_000)) });
    }
    await db.insertInto('teams').values(rows).execute();
  }
}
