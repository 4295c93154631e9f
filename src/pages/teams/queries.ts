import type { AuditEvent } from '../../audit/audit-log';
import type { ConsoleContext } from '../../console-context';
import { invitationState, type BackstageInvitation, type InvitationState } from '../../models/invitations-adapter';
import { currentSubscription, type BackstageSubscription } from '../../models/subscriptions-adapter';
import type { BackstageTeam, MemberPageRequest, TeamListQuery, TeamMember, TeamsAdapter } from '../../models/teams-adapter';
import type { BackstageUser } from '../../models/users-adapter';
import type { Page } from '../../pagination/keyset';
import type { SearchInfo } from '../../search/table-search';

/** Invitations and subscriptions shown on a team page: the newest, bounded. */
export const TEAM_INVITATIONS_LIMIT = 50;
export const TEAM_TRAIL_LIMIT = 20;

export interface TeamListEntry {
  team: BackstageTeam;
  owner: BackstageUser | null;
  /** Null when the adapter cannot count members cheaply. */
  members: number | null;
  subscription: BackstageSubscription | null;
}

/** One page of the teams list, each row labelled with its owner, member count and current subscription (three bounded queries). */
export async function teamsListPage(ctx: ConsoleContext, teams: TeamsAdapter, query: TeamListQuery): Promise<Page<TeamListEntry> & { search?: SearchInfo | null }> {
  const page = await teams.list(query);
  const ids = page.rows.map((team) => team.id);
  const ownerIds = page.rows.map((team) => team.ownerId).filter((id): id is string => id !== null);
  const [owners, counts, subscriptions] = await Promise.all([
    ctx.users.getMany(ownerIds),
    teams.memberCounts ? teams.memberCounts(ids) : Promise.resolve(null),
    ctx.subscriptions ? ctx.subscriptions.forTeams(ids) : Promise.resolve([]),
  ]);
  return {
    ...page,
    rows: page.rows.map((team) => ({
      team,
      owner: team.ownerId ? (owners.get(team.ownerId) ?? null) : null,
      members: counts ? (counts.get(team.id) ?? 0) : null,
      subscription: currentSubscription(subscriptions.filter((s) => s.teamId === team.id)),
    })),
  };
}

export interface MemberEntry extends TeamMember {
  user: BackstageUser | null;
  isOwner: boolean;
}

export interface InvitationEntry extends BackstageInvitation {
  state: InvitationState;
  invitedBy: BackstageUser | null;
}

export interface TeamDetail {
  team: BackstageTeam;
  /** The owner's user row; null when the team has no owner or the user is gone. */
  owner: BackstageUser | null;
  members: Page<MemberEntry>;
  memberCount: number | null;
  invitations: InvitationEntry[] | null;
  /** The subscription that describes the team today, and every other row it has (history). */
  subscription: BackstageSubscription | null;
  otherSubscriptions: BackstageSubscription[];
  trail: AuditEvent[];
}

/** Everything the team page shows, each part bounded: one page of members, the newest invitations, the latest audit events. */
export async function teamDetail(ctx: ConsoleContext, teams: TeamsAdapter, team: BackstageTeam, membersPage: MemberPageRequest, now: Date): Promise<TeamDetail> {
  const [members, counts, invitations, subscriptions, trail] = await Promise.all([
    teams.members(team.id, membersPage),
    teams.memberCounts ? teams.memberCounts([team.id]) : Promise.resolve(null),
    ctx.invitations ? ctx.invitations.forTeam(team.id, TEAM_INVITATIONS_LIMIT) : Promise.resolve(null),
    ctx.subscriptions ? ctx.subscriptions.forTeams([team.id]) : Promise.resolve([]),
    ctx.audit.list({ teamId: team.id, limit: TEAM_TRAIL_LIMIT }),
  ]);
  const userIds = [
    ...(team.ownerId ? [team.ownerId] : []),
    ...members.rows.map((member) => member.userId),
    ...(invitations ?? []).map((invitation) => invitation.invitedById).filter((id): id is string => id !== null),
  ];
  const users = await ctx.users.getMany(userIds);
  const subscription = currentSubscription(subscriptions);
  return {
    team,
    owner: team.ownerId ? (users.get(team.ownerId) ?? null) : null,
    members: { ...members, rows: members.rows.map((member) => ({ ...member, user: users.get(member.userId) ?? null, isOwner: member.userId === team.ownerId })) },
    memberCount: counts ? (counts.get(team.id) ?? 0) : null,
    invitations: invitations
      ? invitations.map((invitation) => ({
          ...invitation,
          state: invitationState(invitation, now),
          invitedBy: invitation.invitedById ? (users.get(invitation.invitedById) ?? null) : null,
        }))
      : null,
    subscription,
    otherSubscriptions: subscriptions.filter((s) => s !== subscription),
    trail: trail.rows,
  };
}
