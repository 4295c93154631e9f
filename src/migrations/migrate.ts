import { Migrator, sql, type Kysely, type MigrationResult } from 'kysely';
import type { DialectName } from '../db/dialect';
import { backstageMigrations } from './migrations';

export const MIGRATION_TABLE = 'backstage_migrations';
export const MIGRATION_LOCK_TABLE = 'backstage_migrations_lock';

export interface MigrateResult {
  applied: string[];
}

/** Brings the console's own tables up to date. Safe to run on every start and from several instances at once. */
export async function migrateToLatest(db: Kysely<any>, dialect: DialectName): Promise<MigrateResult> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => backstageMigrations(dialect) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    // Kysely looks for its tables in every schema it can see; on PostgreSQL a console in another
    // schema of the same database would make it skip creating ours. Pin them to the current schema.
    ...(dialect === 'postgres' ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's SQLite adapter takes no lock (it assumes one connection), so two processes starting on one
  // SQLite file both run the same migration, and the later one fails on the first table the other has
  // already created (before creating anything itself). Wait for the other process to finish and record
  // its migrations, then run again: this one then applies nothing. A table that exists for another
  // reason still fails, about a second later.
  for (let attempt = 0; attempt < 20 && error && dialect === 'sqlite' && /already exists/i.test(error instanceof Error ? error.message : String(error)); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error');
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`express-backstage: migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${cause}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/** The schema unqualified names resolve to (the first of search_path that exists). */
export async function currentSchema(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? 'public';
}
