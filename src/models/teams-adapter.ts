import type { BoundedCount } from '../db/sql-helpers';
import type { Page, SortKey } from '../pagination/keyset';
import type { SearchInfo } from '../search/table-search';
import type { WriteContext } from './users-adapter';

/** A team as the console shows it, whatever the host's schema looks like. */
export interface BackstageTeam {
  id: string;
  name: string;
  slug: string | null;
  ownerId: string | null;
  createdAt: Date | null;
}

/** One member of a team: the membership row (the user is labelled through the users adapter). */
export interface TeamMember {
  userId: string;
  role: string | null;
  joinedAt: Date | null;
}

/** A team seen from one user's side (the user page's teams list). */
export interface UserTeam {
  id: string;
  name: string;
  role: string | null;
  joinedAt: Date | null;
}

/** What the teams list asks for; every value has been validated against the list's declaration. */
export interface TeamListQuery {
  /** Words that must each match the name or the slug. */
  words: string[];
  /** Teams with a subscription on this plan. */
  plan?: string;
  /** Teams with a subscription in this status; `'none'` for teams with no subscription at all. */
  subscriptionStatus?: string;
  sort: SortKey[];
  limit: number;
  after?: string;
  before?: string;
}

/** A page of teams, with how the search was answered when there were words (optional for adapters of a host's own). */
export type TeamPage = Page<BackstageTeam> & { search?: SearchInfo | null };

/** A page of one team's members, in join order. */
export interface MemberPageRequest {
  limit: number;
  after?: string;
  before?: string;
}

/** What `transferOwnership` changed, for the audit event. */
export interface OwnershipTransfer {
  previousOwnerId: string | null;
  /** Membership roles before → after, by user id (empty when memberships have no role column). */
  roles: Record<string, { from: string | null; to: string | null }>;
}

/**
 * The teams model (teams and their memberships): the few reads and writes the
 * console performs. The default implementation maps Kysely tables
 * (`kyselyTeamsAdapter`); a host on another ORM passes an object implementing
 * this as `models.teams` instead.
 *
 * @example
 * const teams: TeamsAdapter = {
 *   features: { slug: true, owner: true, memberRoles: true, joinedAt: true, subscriptionFilters: false },
 *   sortKeys: (field, direction) => field === 'created_at' ? [{ key: 'created_at', column: 'teams.created_at', direction }, { key: 'id', column: 'teams.id', direction }] : null,
 *   list: (query) => prismaTeamsPage(query),
 *   get: (id) => prisma.team.findUnique({ where: { id } }).then(toTeam),
 *   …
 * };
 * createAdmin({ db, getUser, models: { teams } });
 */
export interface TeamsAdapter {
  /** Required. What the schema supports, so pages hide what cannot work. */
  readonly features: {
    slug: boolean;
    owner: boolean;
    memberRoles: boolean;
    joinedAt: boolean;
    /** The list can filter by subscription plan and status. */
    subscriptionFilters: boolean;
  };
  /**
   * Required. Sort keys for a public sort field ('created_at', 'name'; at least one must be offered), or
   * null when not sortable. The last key must be the primary key (see `paginate`).
   */
  sortKeys(field: string, direction: 'asc' | 'desc'): SortKey[] | null;
  /** Required. One page of teams (with `search` when it can say how the words were matched). */
  list(query: TeamListQuery): Promise<TeamPage>;
  /** Required. One team, or null. */
  get(id: string): Promise<BackstageTeam | null>;
  /** Required. Teams by id, for labelling rows elsewhere (billing lists). */
  getMany(ids: readonly string[]): Promise<Map<string, BackstageTeam>>;
  /** Required. Exact-or-bounded count for the list header. */
  count(limit: number): Promise<BoundedCount>;
  /** Required. One page of a team's members (a team of 5,000 is paged, never loaded whole). */
  members(teamId: string, page: MemberPageRequest): Promise<Page<TeamMember>>;
  /** Required. One membership, or null when the user is not in the team. */
  membership(teamId: string, userId: string): Promise<TeamMember | null>;
  /** Required. The teams a user belongs to (bounded by `limit`). */
  teamsOfUser(userId: string, limit: number): Promise<UserTeam[]>;
  /** Optional. Member counts for a page of teams (one grouped query); absent: no member column. */
  memberCounts?(teamIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Optional (the default adapter has it when teams have an owner column). Makes
   * `toUserId` (already a member) the owner, in the caller's transaction.
   */
  transferOwnership?(teamId: string, toUserId: string, ctx: WriteContext): Promise<OwnershipTransfer>;
}

/** True for an object that looks like a teams adapter rather than a table mapping. */
export function isTeamsAdapter(value: unknown): value is TeamsAdapter {
  const v = value as Partial<TeamsAdapter> | null;
  return typeof v === 'object' && v !== null && typeof v.list === 'function' && typeof v.get === 'function' && typeof v.members === 'function';
}
