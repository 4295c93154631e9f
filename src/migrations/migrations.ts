import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../db/dialect';

/**
 * The console's own tables. Kept in code rather than as files so a bundled host
 * still finds them; recorded in `backstage_migrations`, never in the host's table.
 */
export function backstageMigrations(dialect: DialectName): Record<string, Migration> {
  const timestamp = dialect === 'postgres' ? 'timestamptz' : dialect === 'mysql' ? sql`datetime(3)` : 'text';

  return {
    '0001_audit_events': {
      async up(db: Kysely<any>) {
        let table = db.schema.createTable('backstage_audit_events');
        table =
          dialect === 'postgres'
            ? table.addColumn('id', 'bigserial', (col) => col.primaryKey())
            : dialect === 'mysql'
              ? table.addColumn('id', 'bigint', (col) => col.primaryKey().autoIncrement())
              : table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
        await table
          .addColumn('created_at', timestamp as any, (col) => col.notNull())
          .addColumn('actor_id', 'varchar(64)')
          .addColumn('actor_email', 'varchar(320)')
          .addColumn('actor_role', 'varchar(64)')
          .addColumn('action', 'varchar(100)', (col) => col.notNull())
          .addColumn('subject_type', 'varchar(50)')
          .addColumn('subject_id', 'varchar(64)')
          .addColumn('subject_label', 'varchar(320)')
          .addColumn('team_id', 'varchar(64)')
          .addColumn('reason', 'text')
          .addColumn('data', 'text')
          .addColumn('ip', 'varchar(64)')
          .addColumn('user_agent', 'varchar(512)')
          .execute();
        const indexes: Array<[string, string[]]> = [
          ['backstage_audit_created', ['created_at', 'id']],
          ['backstage_audit_actor', ['actor_id', 'created_at', 'id']],
          ['backstage_audit_subject', ['subject_type', 'subject_id', 'created_at', 'id']],
          ['backstage_audit_action', ['action', 'created_at', 'id']],
          ['backstage_audit_team', ['team_id', 'created_at', 'id']],
        ];
        for (const [name, columns] of indexes) {
          await db.schema.createIndex(name).on('backstage_audit_events').columns(columns).execute();
        }
      },
      async down(db: Kysely<any>) {
        await db.schema.dropTable('backstage_audit_events').execute();
      },
    },
    '0002_errors': {
      async up(db: Kysely<any>) {
        const withId = (table: ReturnType<Kysely<any>['schema']['createTable']>) =>
          dialect === 'postgres'
            ? table.addColumn('id', 'bigserial', (col) => col.primaryKey())
            : dialect === 'mysql'
              ? table.addColumn('id', 'bigint', (col) => col.primaryKey().autoIncrement())
              : table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
        // One row per group; the fingerprint (sha256 hex) is the key of the grouping upsert.
        await withId(db.schema.createTable('backstage_errors'))
          .addColumn('fingerprint', 'char(64)', (col) => col.notNull())
          .addColumn('error_class', 'varchar(200)', (col) => col.notNull())
          .addColumn('message', 'varchar(2000)', (col) => col.notNull())
          .addColumn('frame', 'varchar(500)', (col) => col.notNull())
          .addColumn('status', 'varchar(16)', (col) => col.notNull())
          .addColumn('occurrence_count', 'bigint', (col) => col.notNull())
          .addColumn('first_seen', timestamp as any, (col) => col.notNull())
          .addColumn('last_seen', timestamp as any, (col) => col.notNull())
          .addColumn('resolved_at', timestamp as any)
          .addColumn('reopened_at', timestamp as any)
          .execute();
        await db.schema.createIndex('backstage_errors_fingerprint').on('backstage_errors').column('fingerprint').unique().execute();
        // Occurrences are pruned by age and never updated, so no foreign key: inserts stay cheap and lock nothing else.
        await withId(db.schema.createTable('backstage_error_occurrences'))
          .addColumn('error_id', 'bigint', (col) => col.notNull())
          .addColumn('occurred_at', timestamp as any, (col) => col.notNull())
          .addColumn('message', 'text', (col) => col.notNull())
          .addColumn('stack', 'text', (col) => col.notNull())
          .addColumn('user_id', 'varchar(64)')
          .addColumn('context', 'text', (col) => col.notNull())
          .execute();
        const indexes: Array<[string, string, string[]]> = [
          // The errors list: newest or most frequent first, optionally by status.
          ['backstage_errors_last_seen', 'backstage_errors', ['last_seen', 'id']],
          ['backstage_errors_count', 'backstage_errors', ['occurrence_count', 'id']],
          ['backstage_errors_status_last_seen', 'backstage_errors', ['status', 'last_seen', 'id']],
          ['backstage_errors_status_count', 'backstage_errors', ['status', 'occurrence_count', 'id']],
          // An error's recent occurrences and its bars; pruning by age.
          ['backstage_error_occurrences_error', 'backstage_error_occurrences', ['error_id', 'occurred_at', 'id']],
          ['backstage_error_occurrences_occurred', 'backstage_error_occurrences', ['occurred_at', 'id']],
        ];
        for (const [name, table, columns] of indexes) {
          await db.schema.createIndex(name).on(table).columns(columns).execute();
        }
      },
      async down(db: Kysely<any>) {
        await db.schema.dropTable('backstage_error_occurrences').execute();
        await db.schema.dropTable('backstage_errors').execute();
      },
    },
  };
}
