import type { Kysely } from 'kysely';
import type { AuditLog } from './audit/audit-log';
import type { DialectName } from './db/dialect';
import type { Renderer } from './http/render';
import type { UsersAdapter } from './models/users-adapter';
import type { ResolvedOptions, ResolvedTableModel } from './options';

export type TeamsModel = ResolvedTableModel<'id' | 'name' | 'created_at' | 'slug' | 'owner_id'>;
export type MembershipsModel = ResolvedTableModel<'team_id' | 'user_id' | 'role' | 'created_at'>;

/** Everything a page needs, built once the schema has been checked at start-up. */
export interface ConsoleContext {
  options: ResolvedOptions;
  db: Kysely<any>;
  dialect: DialectName;
  audit: AuditLog;
  renderer: Renderer;
  users: UsersAdapter;
  /** Null when the host has no teams table. */
  teams: TeamsModel | null;
  memberships: MembershipsModel | null;
}
