import type { Request } from 'express';
import type { ConsoleContext } from '../../console-context';
import { badRequest, notFound } from '../../http/http-error';
import type { BackstageTeam, TeamsAdapter } from '../../models/teams-adapter';

export const MAX_ID_LENGTH = 64;

/** The message shown where teams are switched off because the host has none mapped. */
export const NO_TEAMS =
  'This console has no teams: no "teams" and "memberships" tables were found. Map yours with options.models.teams and options.models.memberships, or pass a teams adapter.';

/**
 * PostgreSQL refuses to compare an integer or uuid column with text that is
 * not one (`invalid input syntax`, 22P02), with a number beyond the column's
 * range (22003) or with a NUL byte (22021): every data exception (22xxx). For
 * an id in the URL that means "no such row", not a console failure.
 */
export function isMalformedIdError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/** Reads one row by an id from the URL: too long → 400, malformed for the column → null. */
export async function byUrlId<T>(id: string, what: string, read: (id: string) => Promise<T | null>): Promise<T | null> {
  if (id.length > MAX_ID_LENGTH) throw badRequest(`That ${what} id is too long to be real (at most ${MAX_ID_LENGTH} characters).`);
  try {
    return await read(id);
  } catch (err) {
    if (isMalformedIdError(err)) return null;
    throw err;
  }
}

export function teamsOf(ctx: ConsoleContext): TeamsAdapter {
  if (!ctx.teamsAdapter) throw notFound(NO_TEAMS);
  return ctx.teamsAdapter;
}

/** The team a route names in `:id`, with the checks every team route shares. */
export async function targetTeam(ctx: ConsoleContext, req: Request): Promise<{ teams: TeamsAdapter; team: BackstageTeam }> {
  const teams = teamsOf(ctx);
  const id = String(req.params.id);
  const team = await byUrlId(id, 'team', (value) => teams.get(value));
  if (!team) throw notFound(`No team with id ${id}.`);
  return { teams, team };
}

export function teamSubject(team: BackstageTeam) {
  return { type: 'team', id: team.id, label: team.name };
}
