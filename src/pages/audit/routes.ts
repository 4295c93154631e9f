import express, { type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import { handle } from '../../http/handle';
import { filterOf, parseListParams, type ListDeclaration } from '../../lists/list-params';

const AUDIT_LIST: ListDeclaration = {
  sortable: ['created_at'],
  defaultSort: '-created_at',
  filters: {
    actor: filterOf.text('actor', 320),
    action: filterOf.text('action', 100),
    subject_type: filterOf.text('subject_type', 50),
    subject_id: filterOf.text('subject_id', 64),
    from: filterOf.date('from'),
    to: filterOf.date('to'),
  },
  limit: { default: 50, max: 200 },
};

const DAY_MS = 86_400_000;

export function auditRoutes(context: () => ConsoleContext): Router {
  const router = express.Router();
  router.get(
    '/audit',
    handle(async (req, res) => {
      const ctx = context();
      const params = parseListParams(AUDIT_LIST, req.query as Record<string, unknown>);
      const f = params.filters as Record<string, string | Date | undefined>;
      const scopeTeamId = res.locals.backstageTeamScope?.id as string | undefined;
      const page = await ctx.audit.list({
        actor: f.actor as string | undefined,
        action: f.action as string | undefined,
        subjectType: f.subject_type as string | undefined,
        subjectId: f.subject_id as string | undefined,
        teamId: scopeTeamId,
        from: f.from as Date | undefined,
        to: f.to ? new Date((f.to as Date).getTime() + DAY_MS) : undefined,
        limit: params.limit,
        after: params.after,
        before: params.before,
      });
      await ctx.renderer.page(req, res, 'audit/index', { params, page }, { title: 'Audit log', section: 'audit', fragment: 'audit/_results' });
    }),
  );
  return router;
}
