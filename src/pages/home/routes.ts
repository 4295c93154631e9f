import express, { type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import { handle } from '../../http/handle';
import { badRequest } from '../../http/http-error';
import type { LiveHub } from '../../live/live-hub';
import type { DashboardFigures } from './dashboard-figures';
import { dashboardModel, type SignupRange } from './dashboard-model';

export interface HomeDependencies {
  figures: DashboardFigures;
  /** Null when live updates are off: the charts render still. */
  hub: LiveHub | null;
  log: (message: string, err: unknown) => void;
}

const RANGES: readonly SignupRange[] = ['30d', '24h'];

/** The console's home page: tiles, live charts and the latest operator actions. */
export function homeRoutes(context: () => ConsoleContext, deps: HomeDependencies): Router {
  const router = express.Router();
  router.get(
    '/',
    handle(async (req, res) => {
      const ctx = context();
      const asked = req.query.signups;
      if (asked !== undefined && !RANGES.includes(asked as SignupRange)) {
        throw badRequest(`The signups chart shows ${RANGES.join(' or ')}; "${String(asked).slice(0, 20)}" is not one of them.`);
      }
      const range = (asked as SignupRange | undefined) ?? '30d';
      const [dashboard, recent] = await Promise.all([dashboardModel(deps.figures, range, deps.hub !== null, deps.log), ctx.audit.list({ limit: 5 })]);
      await ctx.renderer.page(
        req,
        res,
        'home/index',
        { dashboard, recent: recent.rows, withCharts: true, withLive: deps.hub !== null },
        { title: 'Dashboard', section: 'home', fragment: 'home/_signups' },
      );
    }),
  );
  return router;
}

/** Sections on the navigation that later work fills in; until then they say so instead of a dead link. */
export function notYetBuiltRoutes(context: () => ConsoleContext, sections: Array<{ path: string; section: string; title: string; what: string }>): Router {
  const router = express.Router();
  for (const { path, section, title, what } of sections) {
    router.get(
      path,
      handle(async (req, res) => {
        await context().renderer.page(req, res, 'not-yet', { what }, { title, section });
      }),
    );
  }
  return router;
}
