import type { Kysely } from 'kysely';
import type { AuditLog } from './audit/audit-log';
import type { DialectName } from './db/dialect';
import type { Renderer } from './http/render';
import type { InvitationsAdapter } from './models/invitations-adapter';
import type { SubscriptionsAdapter } from './models/subscriptions-adapter';
import type { TeamsAdapter } from './models/teams-adapter';
import type { UsersAdapter } from './models/users-adapter';
import type { ResolvedUsersModel } from './models/users-model-config';
import type { ResolvedOptions, ResolvedTableModel } from './options';
import type { QueueAdapter } from './queues/queue-adapter';

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
  /** The users table as checked at start-up (for SQL aggregates such as signups per day); null with a custom users adapter. */
  usersModel: ResolvedUsersModel | null;
  /** Null when the host has no teams table. */
  teams: TeamsModel | null;
  memberships: MembershipsModel | null;
  /** Teams and memberships as the pages read them (Kysely mapping or the host's adapter); null without teams. */
  teamsAdapter: TeamsAdapter | null;
  /** Null when the host has no invitations table (the invitations sections hide). */
  invitations: InvitationsAdapter | null;
  /** Null when the host has no subscriptions table or `billing: false`. */
  subscriptions: SubscriptionsAdapter | null;
  /** `options.queues` wrapped in adapters at construction (empty when there are none); pages address them by name. */
  queues: QueueAdapter[];
}
