import type { ConsoleContext } from '../../console-context';
import { invitationState, type BackstageInvitation, type InvitationState } from '../../models/invitations-adapter';
import type { BackstageTeam, UserTeam } from '../../models/teams-adapter';

export type { UserTeam } from '../../models/teams-adapter';

/** The teams a user belongs to, with their role in each (bounded: a user in 500 teams is an outlier). */
export async function teamsOfUser(ctx: ConsoleContext, userId: string, limit = 100): Promise<UserTeam[]> {
  return ctx.teamsAdapter ? ctx.teamsAdapter.teamsOfUser(userId, limit) : [];
}

export interface UserInvitation extends BackstageInvitation {
  state: InvitationState;
  team: BackstageTeam | null;
}

/** Invitations sent to the user's email address, newest first, with their state and team; null when invitations are not mapped. */
export async function invitationsForUser(ctx: ConsoleContext, email: string, now: Date, limit = 20): Promise<UserInvitation[] | null> {
  if (!ctx.invitations || !ctx.teamsAdapter || email === '') return null;
  const invitations = await ctx.invitations.forEmail(email, limit);
  const teams = await ctx.teamsAdapter.getMany(invitations.map((invitation) => invitation.teamId));
  return invitations.map((invitation) => ({ ...invitation, state: invitationState(invitation, now), team: teams.get(invitation.teamId) ?? null }));
}
