import type { ResolvedTableModel } from '../options';
import type { ResolvedUsersModel } from '../models/users-model-config';
import type { SearchTarget } from './search-target';

/** The users list searches the email (whole addresses and prefixes too) and the name. */
export function usersSearchTarget(model: ResolvedUsersModel): SearchTarget {
  const c = model.columns;
  return {
    name: 'users',
    table: model.table,
    fields: [{ column: c.email, kind: 'email' }, ...(c.name ? [{ column: c.name, kind: 'text' as const }] : [])],
    recency: c.createdAt ?? c.id,
  };
}

/** The teams list searches the name and the slug. */
export function teamsSearchTarget(model: ResolvedTableModel<'id' | 'name' | 'created_at' | 'slug' | 'owner_id'>): SearchTarget {
  const c = model.columns;
  return {
    name: 'teams',
    table: model.table,
    fields: [{ column: c.name!, kind: 'text' }, ...(c.slug ? [{ column: c.slug, kind: 'text' as const }] : [])],
    recency: c.created_at ?? c.id!,
  };
}

/** The searches of a running console that can have indexes of their own: the Kysely-mapped users and teams. */
export function consoleSearchTargets(models: {
  usersModel: ResolvedUsersModel | null;
  teams: ResolvedTableModel<'id' | 'name' | 'created_at' | 'slug' | 'owner_id'> | null;
}): SearchTarget[] {
  return [...(models.usersModel ? [usersSearchTarget(models.usersModel)] : []), ...(models.teams ? [teamsSearchTarget(models.teams)] : [])];
}
