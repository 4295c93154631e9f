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
  };
}
