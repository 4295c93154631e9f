import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { ConsoleContext } from '../../console-context';
import { requireSuperuser } from '../../http/gate';
import { formError, reasonField } from '../../http/forms';
import { handle } from '../../http/handle';
import { forbidden, HttpError } from '../../http/http-error';
import { operatorOf, requestMeta } from '../../http/operator';
import { setFlash } from '../../http/render';
import { filterOf, parseListParams, type ListDeclaration } from '../../lists/list-params';
import type { BackstageUser, UserStatus } from '../../models/users-adapter';
import { impersonationRefusal } from '../../impersonation/policy';
import { invitationsForUser, teamsOfUser } from './queries';
import { countRows, EXACT_COUNT_THRESHOLD, rowCountHint, rowCountText } from '../../db/counts';
import { searchNotice } from '../../search/search-notice';
import { jobsForLinks } from '../queues/queries';
import { targetUser } from './target';

function usersList(ctx: ConsoleContext): ListDeclaration {
  const statuses: UserStatus[] = ['active', ...(ctx.users.features.ban ? (['banned'] as const) : []), ...(ctx.users.features.confirmed ? (['unconfirmed'] as const) : [])];
  return {
    sortable: ['created_at', 'email', 'name'].filter((field) => ctx.users.sortKeys(field, 'asc') !== null),
    defaultSort: ctx.users.sortKeys('created_at', 'desc') ? '-created_at' : 'email',
    filters: {
      ...(ctx.users.features.roleValues.length ? { role: filterOf.oneOf('role', ctx.users.features.roleValues) } : {}),
      status: filterOf.oneOf('status', statuses),
      from: filterOf.date('from'),
      to: filterOf.date('to'),
    },
    limit: { default: 50, max: 200 },
  };
}


function userSubject(user: BackstageUser) {
  return { type: 'user', id: user.id, label: user.email };
}

export function usersRoutes(context: () => ConsoleContext): Router {
  const router = express.Router();

  router.get(
    '/users',
    handle(async (req, res) => {
      const ctx = context();
      const params = parseListParams(usersList(ctx), req.query as Record<string, unknown>);
      const sort = ctx.users.sortKeys(params.sort.field, params.sort.direction);
      const scopeTeamId = res.locals.backstageTeamScope?.id as string | undefined;
      const [page, total] = await Promise.all([
        ctx.users.list({
          words: params.words,
          role: params.filters.role as string | undefined,
          status: params.filters.status as UserStatus | undefined,
          createdFrom: params.filters.from as Date | undefined,
          createdTo: params.filters.to ? new Date((params.filters.to as Date).getTime() + 86_400_000) : undefined,
          teamId: scopeTeamId,
          sort: sort!,
          limit: params.limit,
          after: params.after,
          before: params.before,
        }),
        params.words.length === 0 && !scopeTeamId
          ? countRows(ctx.db, ctx.dialect, ctx.usersModel?.table ?? null, { threshold: EXACT_COUNT_THRESHOLD, bounded: (limit) => ctx.users.count(limit) })
          : Promise.resolve(null),
      ]);
      await ctx.renderer.page(
        req,
        res,
        'users/index',
        {
          params,
          page,
          total: total && { text: rowCountText(total), hint: rowCountHint(total) },
          searchNotice: searchNotice(page.search, operatorOf(res).isSuperuser),
          features: ctx.users.features,
          sortable: usersList(ctx).sortable,
        },
        { title: 'Users', section: 'users', fragment: 'users/_results' },
      );
    }),
  );

  router.get(
    '/users/:id',
    handle(async (req, res) => {
      const ctx = context();
      const user = await targetUser(ctx, req);
      const [teams, invitations, trail, jobs] = await Promise.all([
        teamsOfUser(ctx, user.id),
        invitationsForUser(ctx, user.email, ctx.options.now()),
        ctx.audit.list({ subjectType: 'user', subjectId: user.id, limit: 20 }),
        // The user's jobs across queues (options.jobLinks.user), failed first; null without queues.
        jobsForLinks(ctx, { user: user.id }),
      ]);
      const operator = operatorOf(res);
      await ctx.renderer.page(
        req,
        res,
        'users/show',
        {
          user,
          teams,
          invitations,
          jobs,
          trail: trail.rows,
          features: ctx.users.features,
          can: {
            changeRole: operator.isSuperuser && !!ctx.users.setRole && operator.id !== user.id,
            ban: !!ctx.users.setBanned && operator.id !== user.id && (operator.isSuperuser || !isOperatorRole(ctx, user)),
            // The same check that guards the impersonation routes (off, yourself, banned, the host's policy).
            impersonate: (await impersonationRefusal(ctx.options, operator, user)) === null,
          },
        },
        { title: user.email, section: 'users' },
      );
    }),
  );

  router.post(
    '/users/:id/role',
    requireSuperuser,
    handle(async (req, res) => {
      const ctx = context();
      const user = await targetUser(ctx, req);
      const operator = operatorOf(res);
      if (!ctx.users.setRole) throw new HttpError(409, 'Roles cannot be changed here: the users table has no role column mapped.');
      if (operator.id === user.id) throw forbidden('You cannot change your own role. Ask another superuser.');
      const form = z
        .object({ role: z.enum(ctx.users.features.roleValues as [string, ...string[]], { error: `Choose one of these roles: ${ctx.users.features.roleValues.join(', ')}.` }), reason: reasonField })
        .safeParse(req.body ?? {});
      if (!form.success) throw formError(form.error);
      const { role, reason } = form.data;
      if (role === user.role) {
        setFlash(req, 'success', `${user.email} already has the role ${role}.`);
        res.redirect(303, `${req.baseUrl}/users/${encodeURIComponent(user.id)}`);
        return;
      }
      await ctx.audit.withEvent(
        { action: 'user.role_changed', actor: operator, subject: userSubject(user), reason, data: { from: user.role, to: role }, ...requestMeta(req) },
        (trx) => ctx.users.setRole!(user.id, role, { trx }),
      );
      setFlash(req, 'success', `${user.email} is now ${role}.`);
      res.redirect(303, `${req.baseUrl}/users/${encodeURIComponent(user.id)}`);
    }),
  );

  for (const banned of [true, false]) {
    router.post(
      `/users/:id/${banned ? 'ban' : 'unban'}`,
      handle(async (req: Request, res: Response) => {
        const ctx = context();
        const user = await targetUser(ctx, req);
        const operator = operatorOf(res);
        if (!ctx.users.setBanned) throw new HttpError(409, 'Users cannot be banned here: the users table has no ban column mapped.');
        if (operator.id === user.id) throw forbidden('You cannot ban or unban yourself.');
        if (!operator.isSuperuser && isOperatorRole(ctx, user)) throw forbidden('Only a superuser can ban or unban another operator.');
        const form = z.object({ reason: reasonField }).safeParse(req.body ?? {});
        if (!form.success) throw formError(form.error);
        if (user.banned === banned) {
          setFlash(req, 'success', `${user.email} is already ${banned ? 'banned' : 'not banned'}.`);
        } else {
          await ctx.audit.withEvent(
            { action: banned ? 'user.banned' : 'user.unbanned', actor: operator, subject: userSubject(user), reason: form.data.reason, ...requestMeta(req) },
            (trx) => ctx.users.setBanned!(user.id, banned, { trx }),
          );
          setFlash(req, 'success', `${user.email} is ${banned ? 'banned' : 'no longer banned'}.`);
        }
        res.redirect(303, `${req.baseUrl}/users/${encodeURIComponent(user.id)}`);
      }),
    );
  }

  return router;
}

function isOperatorRole(ctx: ConsoleContext, user: BackstageUser): boolean {
  return user.role !== null && ctx.options.roles.includes(user.role);
}
