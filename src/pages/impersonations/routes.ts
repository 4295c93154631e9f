import express, { type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import { requireSuperuser } from '../../http/gate';
import { handle } from '../../http/handle';
import { readReason } from '../../http/forms';
import { badRequest, notFound } from '../../http/http-error';
import { operatorOf, requestMeta } from '../../http/operator';
import { setFlash } from '../../http/render';
import { IMPERSONATION_SUBJECT, KILLED_ACTION } from '../../impersonation/kill-switch';
import { parseListParams, type ListDeclaration } from '../../lists/list-params';
import { impersonationById, recentImpersonations, runningImpersonations } from './queries';

/** The recent list: newest first, cursor pages (its sort is the audit log's). */
const RECENT_LIST: ListDeclaration = { sortable: ['started_at'], defaultSort: '-started_at', limit: { default: 50, max: 200 } };

/**
 * `/impersonations`: who is acting as whom right now, and every impersonation
 * before, from the audit log. Any operator can look; ending one is for
 * superusers (`POST /impersonations/:id/end`, enforced here): it writes an
 * `impersonation.killed` event, and the guard ends that impersonation on its
 * browser's next request, on whichever instance serves it.
 */
export function impersonationsRoutes(context: () => ConsoleContext): Router {
  const router = express.Router();

  router.get(
    '/impersonations',
    handle(async (req, res) => {
      const ctx = context();
      const params = parseListParams(RECENT_LIST, req.query as Record<string, unknown>);
      const [running, recent] = await Promise.all([runningImpersonations(ctx), recentImpersonations(ctx, { limit: params.limit, after: params.after, before: params.before })]);
      await ctx.renderer.page(
        req,
        res,
        'impersonations/index',
        { params, running, page: recent, canEnd: operatorOf(res).isSuperuser, enabled: !!ctx.options.impersonation },
        { title: 'Impersonations', section: 'impersonations', fragment: 'impersonations/_recent' },
      );
    }),
  );

  router.post(
    '/impersonations/:id/end',
    requireSuperuser,
    handle(async (req, res) => {
      const ctx = context();
      const id = String(req.params.id);
      if (!/^\d{1,18}$/.test(id)) throw badRequest(`"${id.slice(0, 40)}" is not an impersonation id: they are whole numbers.`);
      const impersonation = await impersonationById(ctx, id);
      if (!impersonation) throw notFound(`No impersonation with id ${id}.`);
      const reason = readReason(req.body);
      const who = `${impersonation.operator.email ?? impersonation.operator.id}'s impersonation of ${impersonation.target.email}`;
      const back = `${req.baseUrl}/impersonations`;
      if (impersonation.status !== 'running') {
        setFlash(req, 'success', `${who} is not running any more (${impersonation.status}); there is nothing to end.`);
        res.redirect(303, back);
        return;
      }
      await ctx.audit.record({
        action: KILLED_ACTION,
        actor: operatorOf(res),
        subject: { type: IMPERSONATION_SUBJECT, id, label: `${impersonation.operator.email ?? impersonation.operator.id} as ${impersonation.target.email}` },
        reason,
        data: { operator: impersonation.operator, target: impersonation.target, startedAt: impersonation.startedAt?.toISOString() ?? null },
        ...requestMeta(req),
      });
      setFlash(req, 'success', `Ended ${who}: on their next request they are signed back in as themselves, whichever server it reaches.`);
      res.redirect(303, back);
    }),
  );

  return router;
}
