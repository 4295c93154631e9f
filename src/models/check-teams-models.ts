import type { DialectName } from '../db/dialect';
import type { ResolvedOptions } from '../options';
import type { InvitationsAdapter } from './invitations-adapter';
import { kyselyInvitationsAdapter } from './kysely-invitations-adapter';
import { kyselySubscriptionsAdapter } from './kysely-subscriptions-adapter';
import { kyselyTeamsAdapter, type MembershipsTableModel, type TeamsTableModel } from './kysely-teams-adapter';
import { checkTableModel, type SchemaFacts } from './schema-check';
import type { SubscriptionsAdapter } from './subscriptions-adapter';
import type { TeamsAdapter } from './teams-adapter';

export interface TeamsModels {
  /** The checked table mappings (null when the host has no such table or passed an adapter). */
  teams: TeamsTableModel | null;
  memberships: MembershipsTableModel | null;
  teamsAdapter: TeamsAdapter | null;
  invitations: InvitationsAdapter | null;
  subscriptions: SubscriptionsAdapter | null;
}

/** Columns without which a page cannot work; every other default column is optional and hides its feature when absent. */
const REQUIRED = {
  teams: ['id', 'name'],
  memberships: ['team_id', 'user_id'],
  invitations: ['id', 'team_id', 'email', 'created_at'],
  subscriptions: ['id', 'team_id', 'plan', 'status', 'amount_cents', 'currency', 'interval', 'current_period_end'],
} as const;

/**
 * Checks the team-side mappings against the live schema at start-up and builds
 * their adapters. An adapter object the host passed is used as it is; a table
 * the host did not name and does not have switches its pages off; a table or
 * column the host named that does not exist is an error listing what exists.
 */
export function checkTeamsModels(options: ResolvedOptions, facts: SchemaFacts, dialect: DialectName): TeamsModels {
  const memberships = checkTableModel(options.memberships, 'models.memberships', REQUIRED.memberships, facts);
  const teams = options.teamsAdapter ? null : checkTableModel(options.teams, 'models.teams', REQUIRED.teams, facts);

  const invitationsModel = options.invitationsAdapter ? null : checkTableModel(options.invitations, 'models.invitations', REQUIRED.invitations, facts);
  const invitations = options.invitationsAdapter ?? (invitationsModel ? kyselyInvitationsAdapter(options.db, invitationsModel, dialect) : null);

  const billingOff = options.billing === null;
  const subscriptionsModel = billingOff || options.subscriptionsAdapter ? null : checkTableModel(options.subscriptions, 'models.subscriptions', REQUIRED.subscriptions, facts);
  const subscriptions = billingOff ? null : (options.subscriptionsAdapter ?? (subscriptionsModel ? kyselySubscriptionsAdapter(options.db, subscriptionsModel, dialect) : null));

  // With the subscriptions table mapped too, the Kysely teams list filters by plan and status.
  const teamsAdapter = options.teamsAdapter ?? (teams && memberships ? kyselyTeamsAdapter(options.db, teams, memberships, subscriptionsModel, dialect) : null);

  return {
    teams,
    memberships,
    teamsAdapter,
    // Invitations and subscriptions hang off teams: without teams there is no page to show them on.
    invitations: teamsAdapter ? invitations : null,
    subscriptions: teamsAdapter ? subscriptions : null,
  };
}
