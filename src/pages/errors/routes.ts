import express, { type Request, type Response, type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import type { CaptureStats } from '../../errors/error-capture';
import type { ErrorStatus } from '../../errors/error-store';
import { stackLines } from '../../errors/fingerprint';
import { handle } from '../../http/handle';
import { readReason } from '../../http/forms';
import { badRequest, notFound } from '../../http/http-error';
import { operatorOf, requestMeta } from '../../http/operator';
import { setFlash } from '../../http/render';
import { filterOf, parseListParams, type ListDeclaration } from '../../lists/list-params';
import type { BackstageUser } from '../../models/users-adapter';
import { barHeights, bucketStarts, dailyCounts, getErrorGroup, listErrorGroups, recentOccurrences, setErrorStatus, type ErrorGroup, type ErrorSort } from './queries';

const STATUS_CHOICES = ['unresolved', 'resolved', 'muted', 'all'] as const;
const BAR_DAYS = 14;

export const ERRORS_LIST: ListDeclaration = {
  sortable: ['last_seen', 'count'],
  defaultSort: '-last_seen',
  // Absent means unresolved: resolving or muting an error takes it off the default list.
  filters: { status: filterOf.oneOf('status', STATUS_CHOICES) },
  limit: { default: 50, max: 200 },
};

/** What the errors pages need from the capture side besides the console context. */
export interface ErrorsPageDeps {
  stats: () => CaptureStats;
  retentionDays: number;
}

const ACTIONS: Array<{ verb: 'resolve' | 'mute' | 'unresolve'; status: ErrorStatus; action: string; done: string }> = [
  { verb: 'resolve', status: 'resolved', action: 'error.resolved', done: 'resolved. It will reopen if it happens again' },
  { verb: 'mute', status: 'muted', action: 'error.muted', done: 'muted. It keeps counting but stays off the unresolved list' },
  { verb: 'unresolve', status: 'unresolved', action: 'error.unresolved', done: 'back on the unresolved list' },
];

async function targetError(ctx: ConsoleContext, req: Request): Promise<ErrorGroup> {
  const id = String(req.params.id);
  if (!/^\d{1,18}$/.test(id)) throw badRequest(`"${id.slice(0, 40)}" is not an error id: error ids are whole numbers.`);
  const group = await getErrorGroup(ctx, id);
  if (!group) throw notFound(`No error with id ${id}. It may belong to another database.`);
  return group;
}

function label(group: ErrorGroup): string {
  const text = `${group.errorClass}: ${group.message}`;
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

/** `/errors` and `/errors/:id`: the errors captured from the host app, grouped, with resolve / mute / unresolve. */
export function errorsRoutes(context: () => ConsoleContext, deps: ErrorsPageDeps): Router {
  const router = express.Router();

  router.get(
    '/errors',
    handle(async (req, res) => {
      const ctx = context();
      const params = parseListParams(ERRORS_LIST, req.query as Record<string, unknown>);
      const chosen = (params.filters.status as (typeof STATUS_CHOICES)[number] | undefined) ?? 'unresolved';
      const page = await listErrorGroups(ctx, {
        words: params.words,
        status: chosen === 'all' ? undefined : chosen,
        sort: params.sort.field as ErrorSort,
        direction: params.sort.direction,
        limit: params.limit,
        after: params.after,
        before: params.before,
      });
      const now = ctx.options.now();
      const counts = await dailyCounts(
        ctx,
        page.rows.map((g) => g.id),
        now,
        BAR_DAYS,
      );
      const days = bucketStarts(now, BAR_DAYS).slice(0, BAR_DAYS);
      const bars = new Map(
        page.rows.map((g) => {
          const perDay = counts.get(g.id) ?? new Array<number>(BAR_DAYS).fill(0);
          const heights = barHeights(perDay);
          return [g.id, perDay.map((count, i) => ({ count, day: days[i], height: heights[i] }))];
        }),
      );
      await ctx.renderer.page(
        req,
        res,
        'errors/index',
        { params, status: chosen, statuses: STATUS_CHOICES, page, bars, stats: deps.stats(), retentionDays: deps.retentionDays },
        { title: 'Errors', section: 'errors', fragment: 'errors/_results' },
      );
    }),
  );

  router.get(
    '/errors/:id',
    handle(async (req, res) => {
      const ctx = context();
      const group = await targetError(ctx, req);
      const [occurrences, trail] = await Promise.all([recentOccurrences(ctx, group.id, 20), ctx.audit.list({ subjectType: 'error', subjectId: group.id, limit: 10 })]);
      const userIds = [...new Set(occurrences.map((o) => o.userId).filter((id): id is string => id !== null))];
      let users = new Map<string, BackstageUser>();
      if (userIds.length) {
        // A user id that is not a users-table id (a job's own id scheme) must not break the page.
        users = await ctx.users.getMany(userIds).catch(() => new Map<string, BackstageUser>());
      }
      const latest = occurrences[0] ?? null;
      await ctx.renderer.page(
        req,
        res,
        'errors/show',
        { group, occurrences, users, trail: trail.rows, stack: latest ? stackLines(latest.stack) : [], retentionDays: deps.retentionDays },
        { title: `${group.errorClass}`, section: 'errors' },
      );
    }),
  );

  for (const { verb, status, action, done } of ACTIONS) {
    router.post(
      `/errors/:id/${verb}`,
      handle(async (req: Request, res: Response) => {
        const ctx = context();
        const group = await targetError(ctx, req);
        const reason = readReason(req.body);
        const where = `${req.baseUrl}/errors/${encodeURIComponent(group.id)}`;
        if (group.status === status) {
          setFlash(req, 'success', `This error is already ${status}.`);
          res.redirect(303, where);
          return;
        }
        await ctx.audit.withEvent(
          {
            action,
            actor: operatorOf(res),
            subject: { type: 'error', id: group.id, label: label(group) },
            reason,
            data: { from: group.status, to: status, occurrences: group.count },
            ...requestMeta(req),
          },
          (trx) => setErrorStatus(trx, ctx, group.id, status),
        );
        setFlash(req, 'success', `${group.errorClass} is ${done}.`);
        res.redirect(303, where);
      }),
    );
  }

  return router;
}

/** With `errors: false` the navigation entry stays, and says why there is nothing here. */
export function errorsOffRoutes(context: () => ConsoleContext): Router {
  const router = express.Router();
  router.get(
    '/errors',
    handle(async (req, res) => {
      await context().renderer.page(req, res, 'errors/off', {}, { title: 'Errors', section: 'errors' });
    }),
  );
  return router;
}
