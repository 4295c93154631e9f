import type { Kysely } from 'kysely';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

const BY_ADAPTER_NAME: Record<string, DialectName> = {
  SqliteAdapter: 'sqlite',
  PostgresAdapter: 'postgres',
  MysqlAdapter: 'mysql',
};

/**
 * Which SQL dialect the host's Kysely speaks. The host may have its own copy of
 * kysely (0.27 or 0.28), so `instanceof` against ours would lie; the adapter's
 * class name is stable, and its capabilities are a fallback for bundled builds
 * whose class names were minified.
 */
export function detectDialect(db: Kysely<any>): DialectName {
  const adapter = db.getExecutor().adapter as { constructor: { name: string }; supportsTransactionalDdl: boolean; supportsReturning: boolean };
  const byName = BY_ADAPTER_NAME[adapter.constructor.name];
  if (byName) return byName;
  if (adapter.supportsTransactionalDdl) return 'postgres';
  if (adapter.supportsReturning) return 'sqlite';
  return 'mysql';
}
