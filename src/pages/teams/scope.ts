import express, { type RequestHandler, type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import { handle } from '../../http/handle';
import { operatorOf, requestMeta } from '../../http/operator';
import { setFlash } from '../../http/render';
import { targetTeam, teamSubject } from './target';

export interface TeamScope {
  id: string;
  name: string;
}

/**
 * Puts the session's team scope on `res.locals.backstageTeamScope`, where the
 * users list, the audit log (and later the jobs lists) read it to narrow
 * themselves to one team. Mounted after the role gate.
 */
export function teamScope(): RequestHandler {
  return (req, res, next) => {
    const scope = req.session?.backstageTeamScope;
    if (scope && typeof scope.id === 'string' && typeof scope.name === 'string') {
      res.locals.backstageTeamScope = { id: scope.id, name: scope.name } satisfies TeamScope;
    }
    next();
  };
}

/** Entering and leaving "support mode" for one team; both are audited. */
export function teamScopeRoutes(context: () => ConsoleContext): Router {
  const router = express.Router();

  router.post(
    '/teams/:id/scope',
    handle(async (req, res) => {
      const ctx = context();
      const { team } = await targetTeam(ctx, req);
      const operator = operatorOf(res);
      const previous = req.session.backstageTeamScope;
      if (previous && previous.id !== team.id) {
        await ctx.audit.record({
          action: 'team.scope_exited',
          actor: operator,
          subject: { type: 'team', id: previous.id, label: previous.name },
          teamId: previous.id,
          data: { switchedTo: team.id },
          ...requestMeta(req),
        });
      }
      if (previous?.id !== team.id) {
        await ctx.audit.record({ action: 'team.scope_entered', actor: operator, subject: teamSubject(team), teamId: team.id, ...requestMeta(req) });
      }
      req.session.backstageTeamScope = { id: team.id, name: team.name };
      setFlash(req, 'success', `Support mode for ${team.name}: the users list and the audit log show only this team until you exit.`);
      res.redirect(303, `${req.baseUrl}/users`);
    }),
  );

  router.post(
    '/scope/exit',
    handle(async (req, res) => {
      const ctx = context();
      const scope = req.session.backstageTeamScope;
      if (!scope) {
        setFlash(req, 'success', 'You were not in support mode for any team.');
        res.redirect(303, `${req.baseUrl}/teams`);
        return;
      }
      await ctx.audit.record({
        action: 'team.scope_exited',
        actor: operatorOf(res),
        subject: { type: 'team', id: scope.id, label: scope.name },
        teamId: scope.id,
        ...requestMeta(req),
      });
      delete req.session.backstageTeamScope;
      setFlash(req, 'success', `Left support mode for ${scope.name}: the console shows every team again.`);
      res.redirect(303, `${req.baseUrl}/teams/${encodeURIComponent(scope.id)}`);
    }),
  );

  return router;
}
