import type { Kysely } from 'kysely';
import type { Page, SortKey } from '../pagination/keyset';
import type { BoundedCount } from '../db/sql-helpers';
import type { SearchInfo } from '../search/table-search';

/** A user as the console shows it, whatever the host's schema looks like. */
export interface BackstageUser {
  id: string;
  email: string;
  name: string | null;
  role: string | null;
  createdAt: Date | null;
  bannedAt: Date | null;
  /** True when the schema stores "banned" as a flag: there is no date to show. */
  banned: boolean;
  confirmedAt: Date | null;
  lastSignInAt: Date | null;
}

export type UserStatus = 'active' | 'banned' | 'unconfirmed';

export interface UserListQuery {
  /** Words that must each match the email or the name. */
  words: string[];
  role?: string;
  status?: UserStatus;
  createdFrom?: Date;
  createdTo?: Date;
  /** Restrict to members of one team (the console's team scope). */
  teamId?: string;
  sort: SortKey[];
  limit: number;
  after?: string;
  before?: string;
}

/**
 * A page of users, with how the search was answered when there were words:
 * through indexes, or over the newest rows only (the page says so). Adapters
 * of a host's own may leave `search` out.
 */
export type UserPage = Page<BackstageUser> & { search?: SearchInfo | null };

/** What a write needs besides its arguments: the transaction that also writes the audit event. */
export interface WriteContext {
  /** Run the write on this transaction so that it and its audit event commit together. */
  trx?: Kysely<any>;
}

/**
 * The users model: the few reads and writes the console performs on the host's
 * users. The default implementation maps a Kysely table; a host on another ORM
 * can pass an object implementing this instead.
 */
export interface UsersAdapter {
  /** Required. What the schema supports, so pages hide what cannot work. */
  readonly features: { ban: boolean; confirmed: boolean; lastSignIn: boolean; roleValues: readonly string[] };
  /** Required. Sort fields a list may use, by public name ('created_at', 'email', 'name'). */
  sortKeys(field: string, direction: 'asc' | 'desc'): SortKey[] | null;
  /** Required. One page of users (with `search` when it can say how the words were matched). */
  list(query: UserListQuery): Promise<UserPage>;
  /** Required. One user, or null. */
  get(id: string): Promise<BackstageUser | null>;
  /** Required. Users by id, for labelling rows elsewhere (owners, inviters). */
  getMany(ids: readonly string[]): Promise<Map<string, BackstageUser>>;
  /** Required. Exact-or-bounded count for list headers: `{ value, exact }`. */
  count(limit: number): Promise<BoundedCount>;
  /** Optional (present when the schema has a role column). */
  setRole?(id: string, role: string, ctx: WriteContext): Promise<void>;
  /** Optional (present when the schema has a ban column). */
  setBanned?(id: string, banned: boolean, ctx: WriteContext): Promise<void>;
}
