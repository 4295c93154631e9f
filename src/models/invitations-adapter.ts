import type { WriteContext } from './users-adapter';

/** An invitation to join a team, as the console shows it. */
export interface BackstageInvitation {
  id: string;
  teamId: string;
  email: string;
  role: string | null;
  invitedById: string | null;
  createdAt: Date | null;
  acceptedAt: Date | null;
  expiresAt: Date | null;
}

export type InvitationState = 'pending' | 'accepted' | 'expired';

/**
 * Accepted when it has an accepted date; otherwise expired once its expiry has
 * passed; otherwise pending. Without an expiry column nothing expires.
 */
export function invitationState(invitation: Pick<BackstageInvitation, 'acceptedAt' | 'expiresAt'>, now: Date): InvitationState {
  if (invitation.acceptedAt) return 'accepted';
  if (invitation.expiresAt && invitation.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'pending';
}

/**
 * The invitations model. The default implementation maps a Kysely table
 * (`kyselyInvitationsAdapter`); a host on another ORM passes an object
 * implementing this as `models.invitations` instead.
 */
export interface InvitationsAdapter {
  /** Required. Which optional columns exist, so pages hide what cannot be shown. */
  readonly features: { role: boolean; invitedBy: boolean; accepted: boolean; expiry: boolean };
  /** Required. A team's invitations, newest first, at most `limit`. */
  forTeam(teamId: string, limit: number): Promise<BackstageInvitation[]>;
  /** Required. Invitations sent to an email address, newest first, at most `limit`. */
  forEmail(email: string, limit: number): Promise<BackstageInvitation[]>;
  /** Required. One invitation, or null. */
  get(id: string): Promise<BackstageInvitation | null>;
  /**
   * Optional. Sends the invitation again; the default adapter renews it (a fresh
   * `created_at`, and `expires_at` moved as far ahead as the original validity).
   */
  resend?(id: string, now: Date, ctx: WriteContext): Promise<BackstageInvitation>;
}

export function isInvitationsAdapter(value: unknown): value is InvitationsAdapter {
  const v = value as Partial<InvitationsAdapter> | null;
  return typeof v === 'object' && v !== null && typeof v.forTeam === 'function' && typeof v.forEmail === 'function';
}
