import { impersonationRefusal } from '../../impersonation/policy';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { ConsoleContext } from '../../console-context';
import { requireSuperuser } from '../../http/gate';
import { formError, reasonField } from '../../http/forms';
import { handle } from '../../http/handle';
import { badRequest, HttpError, notFound } from '../../http/http-error';
import { operatorOf, requestMeta } from '../../http/operator';
import { setFlash } from '../../http/render';
import { filterOf, parseListParams, type ListDeclaration } from '../../lists/list-params';
import { invitationState } from '../../models/invitations-adapter';
import { SUBSCRIPTION_STATUSES } from '../../models/subscriptions-adapter';
import type { TeamsAdapter } from '../../models/teams-adapter';
import { externalBillingUrl } from '../billing/external-url';
import { billingPeriod, formatMoney } from '../billing/money';
import { TEAM_INVITATIONS_LIMIT, teamDetail, teamsListPage } from './queries';
import { countRows, EXACT_COUNT_THRESHOLD, rowCountHint, rowCountText } from '../../db/counts';
import { searchNotice } from '../../search/search-notice';
import { byUrlId, NO_TEAMS, targetTeam, teamSubject } from './target';

const PLANS_LIMIT = 100;
const PLANS_TTL_MS = 60_000;

/** The teams list, declared: what it searches, filters and sorts by. */
function teamsList(ctx: ConsoleContext, teams: TeamsAdapter): ListDeclaration {
  const filters: ListDeclaration['filters'] =
    teams.features.subscriptionFilters && ctx.subscriptions ? { plan: filterOf.text('plan', 100), status: filterOf.oneOf('status', [...SUBSCRIPTION_STATUSES, 'none']) } : {};
  return {
    sortable: ['created_at', 'name'].filter((field) => teams.sortKeys(field, 'asc') !== null),
    defaultSort: teams.sortKeys('created_at', 'desc') ? '-created_at' : 'name',
    filters,
    limit: { default: 50, max: 200 },
  };
}

/** A team page's members are a list too: only cursors and a limit. */
const MEMBERS_LIST: ListDeclaration = { sortable: ['joined_at'], defaultSort: 'joined_at', limit: { default: 50, max: 200 } };


function teamPath(base: string, id: string): string {
  return `${base}/teams/${encodeURIComponent(id)}`;
}

export function teamsRoutes(context: () => ConsoleContext): Router {
  const router = express.Router();
  let plansCache: { at: number; plans: string[] } | null = null;

  /** Plan names for the filter's choices; read at most once a minute (a GROUP BY over subscriptions). */
  async function planChoices(ctx: ConsoleContext): Promise<string[]> {
    if (!ctx.subscriptions) return [];
    if (!plansCache || Date.now() - plansCache.at > PLANS_TTL_MS) plansCache = { at: Date.now(), plans: await ctx.subscriptions.plans(PLANS_LIMIT) };
    return plansCache.plans;
  }

  router.get(
    '/teams',
    handle(async (req, res) => {
      const ctx = context();
      if (!ctx.teamsAdapter) {
        await ctx.renderer.page(req, res, 'teams/none', { message: NO_TEAMS }, { title: 'Teams', section: 'teams' });
        return;
      }
      const teams = ctx.teamsAdapter;
      const declaration = teamsList(ctx, teams);
      const params = parseListParams(declaration, req.query as Record<string, unknown>);
      const filtered = params.words.length > 0 || params.filters.plan !== undefined || params.filters.status !== undefined;
      const [page, total, plans] = await Promise.all([
        teamsListPage(ctx, teams, {
          words: params.words,
          plan: params.filters.plan as string | undefined,
          subscriptionStatus: params.filters.status as string | undefined,
          sort: teams.sortKeys(params.sort.field, params.sort.direction)!,
          limit: params.limit,
          after: params.after,
          before: params.before,
        }),
        filtered ? Promise.resolve(null) : countRows(ctx.db, ctx.dialect, ctx.teams?.table ?? null, { threshold: EXACT_COUNT_THRESHOLD, bounded: (limit) => teams.count(limit) }),
        planChoices(ctx),
      ]);
      await ctx.renderer.page(
        req,
        res,
        'teams/index',
        {
          params,
          page,
          total: total && { text: rowCountText(total), hint: rowCountHint(total) },
          searchNotice: searchNotice(page.search, operatorOf(res).isSuperuser),
          plans,
          statuses: SUBSCRIPTION_STATUSES,
          features: teams.features,
          billing: !!ctx.subscriptions,
          sortable: declaration.sortable,
        },
        { title: 'Teams', section: 'teams', fragment: 'teams/_results' },
      );
    }),
  );

  router.get(
    '/teams/:id',
    handle(async (req, res) => {
      const ctx = context();
      const { teams, team } = await targetTeam(ctx, req);
      const params = parseListParams(MEMBERS_LIST, req.query as Record<string, unknown>);
      const now = ctx.options.now();
      const detail = await teamDetail(ctx, teams, team, { limit: params.limit, after: params.after, before: params.before }, now);
      const operator = operatorOf(res);
      const scope = res.locals.backstageTeamScope as { id: string } | undefined;
      await ctx.renderer.page(
        req,
        res,
        'teams/show',
        {
          ...detail,
          params,
          features: teams.features,
          invitationFeatures: ctx.invitations?.features ?? null,
          invitationsLimit: TEAM_INVITATIONS_LIMIT,
          subscriptionFeatures: ctx.subscriptions?.features ?? null,
          billing: !!ctx.subscriptions,
          externalUrl: externalBillingUrl(ctx, detail.subscription),
          money: formatMoney,
          period: billingPeriod,
          inScope: scope?.id === team.id,
          can: {
            resend: !!ctx.invitations?.resend,
            transfer: !!teams.transferOwnership && operator.isSuperuser,
            transferHidden: !!teams.transferOwnership && !operator.isSuperuser,
            impersonateOwner: detail.owner !== null && (await impersonationRefusal(ctx.options, operator, detail.owner)) === null,
          },
        },
        { title: team.name, section: 'teams', fragment: 'teams/_members' },
      );
    }),
  );

  router.post(
    '/teams/:id/invitations/:invitationId/resend',
    handle(async (req, res) => {
      const ctx = context();
      const { team } = await targetTeam(ctx, req);
      const invitations = ctx.invitations;
      if (!invitations) throw notFound('This console has no invitations table mapped (options.models.invitations).');
      if (!invitations.resend) throw new HttpError(409, 'Invitations cannot be resent from the console: the invitations adapter has no resend method.');
      const invitationId = String(req.params.invitationId);
      const invitation = await byUrlId(invitationId, 'invitation', (id) => invitations.get(id));
      if (!invitation || invitation.teamId !== team.id) throw notFound(`No invitation with id ${invitationId} in ${team.name}.`);
      const now = ctx.options.now();
      if (invitationState(invitation, now) === 'accepted') throw new HttpError(409, `The invitation to ${invitation.email} was already accepted; there is nothing to resend.`);
      const form = z.object({ reason: reasonField }).safeParse(req.body ?? {});
      if (!form.success) throw formError(form.error);
      const renewed = await ctx.audit.withEvent(
        {
          action: 'invitation.resent',
          actor: operatorOf(res),
          subject: { type: 'invitation', id: invitation.id, label: invitation.email },
          teamId: team.id,
          reason: form.data.reason,
          data: { email: invitation.email, previousExpiresAt: invitation.expiresAt?.toISOString() ?? null },
          ...requestMeta(req),
        },
        (trx) => invitations.resend!(invitation.id, now, { trx }),
      );
      const until = renewed.expiresAt ? ` It is valid until ${renewed.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.` : '';
      setFlash(req, 'success', `The invitation to ${invitation.email} was resent.${until}`);
      res.redirect(303, `${teamPath(req.baseUrl, team.id)}#invitations`);
    }),
  );

  router.post(
    '/teams/:id/transfer',
    requireSuperuser,
    handle(async (req, res) => {
      const ctx = context();
      const { teams, team } = await targetTeam(ctx, req);
      if (!teams.transferOwnership) throw new HttpError(409, 'Ownership cannot be transferred from the console: the teams table has no owner column mapped.');
      const form = z
        .object({
          user_id: z.string({ error: 'Choose the member who becomes the owner.' }).trim().min(1, { error: 'Choose the member who becomes the owner.' }).max(64, { error: 'That user id is too long to be real.' }),
          reason: reasonField,
        })
        .safeParse(req.body ?? {});
      if (!form.success) throw formError(form.error);
      const { user_id: userId, reason } = form.data;
      const membership = await byUrlId(userId, 'user', (id) => teams.membership(team.id, id));
      if (!membership) throw badRequest(`User ${userId} is not a member of ${team.name}. Only a member can become its owner.`);
      const user = await ctx.users.get(membership.userId);
      const label = user?.email ?? `user ${membership.userId}`;
      if (team.ownerId === membership.userId) {
        setFlash(req, 'success', `${label} already owns ${team.name}.`);
        res.redirect(303, teamPath(req.baseUrl, team.id));
        return;
      }
      const data: Record<string, unknown> = { from: team.ownerId, to: membership.userId };
      const event = { action: 'team.ownership_transferred', actor: operatorOf(res), subject: teamSubject(team), teamId: team.id, reason, data, ...requestMeta(req) };
      await ctx.audit.withEvent(event, async (trx) => {
        // The event is written after the change, in the same transaction, so it can say which roles moved.
        data.roles = (await teams.transferOwnership!(team.id, membership.userId, { trx })).roles;
      });
      setFlash(req, 'success', `${label} now owns ${team.name}.`);
      res.redirect(303, teamPath(req.baseUrl, team.id));
    }),
  );

  return router;
}
