import type { DateStorage } from '../db/dates';

/**
 * Where the host keeps its users. Every field has a default matching the
 * conventional schema (DESIGN §2); set a column to `null` to say it does not exist.
 *
 * @example
 * // accounts table, boolean is_admin, "is_active" instead of a ban date
 * users: {
 *   table: 'accounts',
 *   columns: { name: 'full_name', role: 'is_admin', bannedAt: 'is_active', confirmedAt: null },
 *   role: { kind: 'boolean', trueValue: 'admin', falseValue: 'user' },
 *   banned: { kind: 'active-flag' },
 * }
 */
export interface UsersModelConfig {
  table?: string;
  columns?: {
    id?: string;
    email?: string;
    name?: string | null;
    role?: string | null;
    createdAt?: string | null;
    bannedAt?: string | null;
    confirmedAt?: string | null;
    lastSignInAt?: string | null;
  };
  /** How the role column is stored: a string (default) or a boolean such as `is_admin`. */
  role?: { kind: 'string'; values?: string[] } | { kind: 'boolean'; trueValue?: string; falseValue?: string };
  /** How "banned" is stored: a timestamp (default), a boolean `banned`, or an inverted `is_active`. */
  banned?: { kind: 'timestamp' | 'boolean' | 'active-flag' };
  /** How the table stores dates (default: native, ISO text on SQLite). */
  dates?: DateStorage;
}

export interface ResolvedUsersModel {
  table: string;
  columns: {
    id: string;
    email: string;
    name: string | null;
    role: string | null;
    createdAt: string | null;
    bannedAt: string | null;
    confirmedAt: string | null;
    lastSignInAt: string | null;
  };
  role: { kind: 'string'; values: string[] } | { kind: 'boolean'; trueValue: string; falseValue: string };
  banned: { kind: 'timestamp' | 'boolean' | 'active-flag' };
  dates: DateStorage;
  /** Columns the host named explicitly: missing ones are errors, missing defaults just hide a feature. */
  explicit: ReadonlySet<string>;
}
