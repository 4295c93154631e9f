import { Migrator, type Kysely, type MigrationResult } from 'kysely';
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
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error');
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`express-backstage: migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${cause}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
