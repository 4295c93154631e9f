// The host's own tables, created with Kysely's schema builder so one definition
// runs on SQLite, PostgreSQL and MySQL/MariaDB. Column names follow
// express-backstage's default schema (DESIGN §2), so the console needs no mapping.
// Idempotent: safe to run on every start.
import { sql } from 'kysely';

/** In drop order (children first). */
export const TABLES = ['subscriptions', 'invitations', 'memberships', 'teams', 'users'];

const TIMESTAMP_TYPE = { sqlite: 'text', postgres: 'timestamptz', mysql: 'datetime(3)' };

const NOW_DEFAULT = {
  sqlite: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
  postgres: sql`now()`,
  mysql: sql`current_timestamp(3)`,
};

export async function createSchema(db, dialect) {
  const timestamp = TIMESTAMP_TYPE[dialect];
  const createdAt = (col) => col.notNull().defaultTo(NOW_DEFAULT[dialect]);
  const idColumn = (col) =>
    dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const table = (name) => {
    const builder = db.schema.createTable(name).ifNotExists();
    return dialect === 'mysql' ? builder.modifyEnd(sql`engine=InnoDB default charset=utf8mb4`) : builder;
  };

  await table('users')
    .addColumn('id', 'integer', idColumn)
    .addColumn('email', 'varchar(255)', (col) => col.notNull().unique())
    .addColumn('name', 'varchar(255)', (col) => col.notNull())
    .addColumn('role', 'varchar(20)', (col) => col.notNull().defaultTo('user')) // 'user' | 'admin' | 'superuser'
    .addColumn('password_hash', 'varchar(255)', (col) => col.notNull())
    .addColumn('created_at', timestamp, createdAt)
    .addColumn('banned_at', timestamp)
    .addColumn('confirmed_at', timestamp)
    .addColumn('last_sign_in_at', timestamp)
    .execute();
  await createIndex(db, dialect, 'users_created_at_id_idx', 'users', ['created_at', 'id']);
  await createIndex(db, dialect, 'users_role_created_at_id_idx', 'users', ['role', 'created_at', 'id']);

  await table('teams')
    .addColumn('id', 'integer', idColumn)
    .addColumn('name', 'varchar(255)', (col) => col.notNull())
    .addColumn('slug', 'varchar(100)', (col) => col.notNull().unique())
    .addColumn('owner_id', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('created_at', timestamp, createdAt)
    .execute();
  await createIndex(db, dialect, 'teams_created_at_id_idx', 'teams', ['created_at', 'id']);

  await table('memberships')
    .addColumn('team_id', 'integer', (col) => col.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'varchar(20)', (col) => col.notNull().defaultTo('member')) // 'owner' | 'admin' | 'member'
    .addColumn('created_at', timestamp, createdAt)
    .addPrimaryKeyConstraint('memberships_pkey', ['team_id', 'user_id'])
    .execute();
  await createIndex(db, dialect, 'memberships_user_id_idx', 'memberships', ['user_id']);

  await table('invitations')
    .addColumn('id', 'integer', idColumn)
    .addColumn('team_id', 'integer', (col) => col.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('email', 'varchar(255)', (col) => col.notNull())
    .addColumn('role', 'varchar(20)', (col) => col.notNull().defaultTo('member'))
    .addColumn('invited_by_id', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('token', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('created_at', timestamp, createdAt)
    .addColumn('accepted_at', timestamp)
    .addColumn('expires_at', timestamp, (col) => col.notNull())
    .execute();
  await createIndex(db, dialect, 'invitations_team_id_idx', 'invitations', ['team_id']);
  await createIndex(db, dialect, 'invitations_email_idx', 'invitations', ['email']);

  await table('subscriptions')
    .addColumn('id', 'integer', idColumn)
    .addColumn('team_id', 'integer', (col) => col.notNull().unique().references('teams.id').onDelete('cascade'))
    .addColumn('plan', 'varchar(20)', (col) => col.notNull()) // 'starter' | 'pro' | 'business'
    .addColumn('status', 'varchar(20)', (col) => col.notNull()) // 'trialing' | 'active' | 'past_due' | 'canceled'
    .addColumn('amount_cents', 'integer', (col) => col.notNull())
    .addColumn('currency', 'varchar(3)', (col) => col.notNull()) // 'usd' | 'eur'
    .addColumn('interval', 'varchar(10)', (col) => col.notNull()) // 'month' | 'year'
    .addColumn('current_period_end', timestamp, (col) => col.notNull())
    .addColumn('trial_ends_at', timestamp)
    .addColumn('canceled_at', timestamp)
    .addColumn('external_id', 'varchar(64)', (col) => col.unique()) // the payment provider's id, sub_1…
    .addColumn('created_at', timestamp, createdAt)
    .execute();
}

/** Drops the example's tables (not express-backstage's own). */
export async function dropSchema(db) {
  for (const name of TABLES) await db.schema.dropTable(name).ifExists().execute();
}

// MySQL has no `create index if not exists` (MariaDB does); a duplicate index
// name there is error 1061, which means the index is already in place.
async function createIndex(db, dialect, name, table, columns) {
  const builder = db.schema.createIndex(name).on(table).columns(columns);
  if (dialect !== 'mysql') return builder.ifNotExists().execute();
  try {
    await builder.execute();
  } catch (error) {
    if (error?.errno !== 1061) throw error;
  }
}
