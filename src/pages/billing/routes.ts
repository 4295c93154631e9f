import express, { type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import { handle } from '../../http/handle';
import { billingPeriod, formatMoney } from './money';
import { billingOverview, CANCELED_WINDOW_DAYS, TRIAL_WINDOW_DAYS, WATCH_LIST_LIMIT } from './queries';

/** Why the billing page has nothing to show, in the operator's words. */
function whyNoBilling(ctx: ConsoleContext): string {
  if (ctx.options.billing === null) return 'Billing is turned off in this console (options.billing is false).';
  if (!ctx.teamsAdapter) return 'Billing needs teams, and this console has no teams table mapped (options.models.teams).';
  return 'No "subscriptions" table was found. Map yours with options.models.subscriptions, or pass a subscriptions adapter.';
}

export function billingRoutes(context: () => ConsoleContext): Router {
  const router = express.Router();
  router.get(
    '/billing',
    handle(async (req, res) => {
      const ctx = context();
      if (!ctx.subscriptions || !ctx.teamsAdapter) {
        await ctx.renderer.page(req, res, 'billing/none', { message: whyNoBilling(ctx) }, { title: 'Billing', section: 'billing' });
        return;
      }
      const overview = await billingOverview(ctx, ctx.subscriptions, ctx.teamsAdapter, ctx.options.now());
      await ctx.renderer.page(
        req,
        res,
        'billing/index',
        { ...overview, features: ctx.subscriptions.features, money: formatMoney, period: billingPeriod, limit: WATCH_LIST_LIMIT, trialDays: TRIAL_WINDOW_DAYS, canceledDays: CANCELED_WINDOW_DAYS },
        { title: 'Billing', section: 'billing' },
      );
    }),
  );
  return router;
}
