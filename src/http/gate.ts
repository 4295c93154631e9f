import type { Request, RequestHandler } from 'express';
import type { ResolvedOptions } from '../options';
import { handle } from './handle';
import { HttpError } from './http-error';
import type { Operator } from './operator';

/** htmx and fetch callers get a status they can act on instead of an HTML redirect. */
export function wantsFragmentOrJson(req: Request): boolean {
  return req.get('hx-request') === 'true' || (req.accepts(['html', 'json']) === 'json' && !req.accepts('html'));
}

function stringOrNull(value: unknown): string | null {
  return value === null || value === undefined || value === '' ? null : String(value);
}

/**
 * Role gate for every console route: anonymous → the host's login page (401 for
 * htmx/JSON), signed in without an allowed role → 403. Role is read from the
 * host's user on every request, so a demotion takes effect at once.
 */
export function roleGate(options: ResolvedOptions): RequestHandler {
  return handle(async (req, res, next) => {
    const user = await options.getUser(req);
    if (user === null || user === undefined) {
      if (wantsFragmentOrJson(req)) throw new HttpError(401, 'Your session has ended. Sign in again to use the console.');
      const back = encodeURIComponent(req.originalUrl);
      res.redirect(303, `${options.loginPath}${options.loginPath.includes('?') ? '&' : '?'}next=${back}`);
      return;
    }
    const role = stringOrNull(options.roleOf(user));
    if (role === null || !options.roles.includes(role)) {
      throw new HttpError(403, 'This console is for operators. Your account does not have an operator role.');
    }
    const operator: Operator = {
      id: stringOrNull(options.idOf(user)),
      email: stringOrNull((user as { email?: unknown }).email),
      name: stringOrNull((user as { name?: unknown }).name),
      role,
      isSuperuser: options.superuserRoles.includes(role),
      user,
    };
    res.locals.backstageOperator = operator;
    next();
  });
}

/** Dangerous actions: enforced here on the server, not only hidden in the page. */
export const requireSuperuser: RequestHandler = (_req, res, next) => {
  const operator = res.locals.backstageOperator as Operator | undefined;
  if (!operator?.isSuperuser) {
    next(new HttpError(403, 'Only a superuser can do this.'));
    return;
  }
  next();
};
