import type { Request } from 'express';
import type { ConsoleContext } from '../../console-context';
import { badRequest, notFound } from '../../http/http-error';
import type { BackstageUser } from '../../models/users-adapter';

/** The user a route acts on (`:id`), with the checks every such route shares: too long → 400, unknown → 404. */
export async function targetUser(ctx: ConsoleContext, req: Request): Promise<BackstageUser> {
  const id = String(req.params.id);
  if (id.length > 64) throw badRequest('That user id is too long to be real.');
  const user = await ctx.users.get(id);
  if (!user) throw notFound(`No user with id ${id}.`);
  return user;
}
