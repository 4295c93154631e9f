import express, { type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import { handle } from '../../http/handle';

const COUNT_LIMIT = 10_000;

/** The console's home page: a few real figures and the latest operator actions. */
export function homeRoutes(context: () => ConsoleContext): Router {
  const router = express.Router();
  router.get(
    '/',
    handle(async (req, res) => {
      const ctx = context();
      const [users, recent] = await Promise.all([ctx.users.count(COUNT_LIMIT), ctx.audit.list({ limit: 10 })]);
      await ctx.renderer.page(req, res, 'home/index', { users, recent: recent.rows }, { title: 'Dashboard', section: 'home' });
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
