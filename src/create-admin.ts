import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import helmet from 'helmet';
import { AuditLog } from './audit/audit-log';
import type { ConsoleContext } from './console-context';
import { detectDialect } from './db/dialect';
import { assetsRouter } from './http/assets';
import { consoleSession } from './http/console-session';
import { csrfProtection } from './http/csrf';
import { consoleErrorHandler } from './http/error-handler';
import { roleGate } from './http/gate';
import { handle } from './http/handle';
import { notFound } from './http/http-error';
import { createRenderer } from './http/render';
import { migrateToLatest, type MigrateResult } from './migrations/migrate';
import { kyselyUsersAdapter } from './models/kysely-users-adapter';
import { checkTableModel, checkUsersModel, readSchema } from './models/schema-check';
import { resolveOptions, type AdminOptions } from './options';
import { BackstageConfigError } from './options-errors';
import { auditRoutes } from './pages/audit/routes';
import { homeRoutes, notYetBuiltRoutes } from './pages/home/routes';
import { usersRoutes } from './pages/users/routes';

/** The console: an Express router with a few named extras. */
export interface Admin extends Router {
  /** Mount once with `app.use(admin.guard)` before the host's own routes (impersonation banner, expiry, read-only mode). */
  guard: RequestHandler;
  /** Creates or updates the console's own tables (audit log, …). Safe to call on every start. */
  migrate(): Promise<MigrateResult>;
  /** Resolves when the schema mapping has been checked; rejects with the reason when it is wrong. */
  ready(): Promise<void>;
  /** Stops timers and connections the console opened. The host's db and queues stay open. */
  close(): Promise<void>;
}

function looksLikeRequest(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'method' in value && 'url' in value && 'headers' in value;
}

/**
 * Creates the operator console.
 *
 * @example
 * const admin = createAdmin({ db, getUser: (req) => req.user ?? null });
 * app.use(admin.guard);
 * app.use('/admin', admin);
 */
export function createAdmin(options: AdminOptions): Admin {
  if (looksLikeRequest(options)) {
    throw new BackstageConfigError("createAdmin was mounted without being called. Use app.use('/admin', createAdmin({ db, getUser })), not app.use('/admin', createAdmin).");
  }
  const resolved = resolveOptions(options);
  const dialect = resolved.dialect ?? detectDialect(resolved.db);
  const log = (message: string, err?: unknown) => console.error(message, err ?? '');
  const warn = (message: string) => console.warn(message);

  const csrf = csrfProtection();
  const renderer = createRenderer({ hostViews: resolved.views, appName: resolved.appName, now: resolved.now, csrfTokenFor: csrf.tokenFor });
  const audit = new AuditLog(resolved.db, dialect, resolved.now);

  let context: ConsoleContext | null = null;
  const readyPromise: Promise<void> = (async () => {
    const facts = await readSchema(resolved.db);
    const memberships = checkTableModel(resolved.memberships, 'models.memberships', ['team_id', 'user_id'], facts);
    const teams = checkTableModel(resolved.teams, 'models.teams', ['id', 'name'], facts);
    const users =
      resolved.usersAdapter ??
      kyselyUsersAdapter(
        resolved.db,
        checkUsersModel(resolved.usersModel!, facts),
        dialect,
        memberships ? { table: memberships.table, userId: memberships.columns.user_id!, teamId: memberships.columns.team_id! } : null,
      );
    context = { options: resolved, db: resolved.db, dialect, audit, renderer, users, teams: teams && memberships ? teams : null, memberships };
  })();
  // The rejection is shown on every console page and by ready(); this keeps Node from calling it unhandled.
  readyPromise.catch((err) => log(err instanceof Error ? err.message : String(err)));

  const currentContext = () => {
    if (!context) throw new Error('express-backstage: the console is not ready yet');
    return context;
  };

  const router = express.Router() as Admin;
  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: { 'script-src': ["'self'"], 'style-src': ["'self'"], 'frame-ancestors': ["'none'"], 'connect-src': ["'self'"], 'img-src': ["'self'", 'data:'] },
      },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  // Static package files (CSS, htmx, Chart.js): no data, so served before the gate.
  router.use('/assets', assetsRouter());
  router.use(consoleSession(resolved, warn));
  router.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));
  router.use(roleGate(resolved));
  router.use(
    handle(async (_req, _res, next) => {
      await readyPromise;
      next();
    }),
  );
  router.use(csrf.protect);

  router.use(homeRoutes(currentContext));
  router.use(usersRoutes(currentContext));
  router.use(auditRoutes(currentContext));
  router.use(
    notYetBuiltRoutes(currentContext, [
      { path: '/teams', section: 'teams', title: 'Teams', what: 'Team oversight (owner, members, invitations, subscription, jobs)' },
      { path: '/billing', section: 'billing', title: 'Billing', what: 'The billing overview (MRR, past-due subscriptions, trials ending)' },
      { path: '/dev/queues', section: 'dev', title: 'Queues', what: 'The queue dashboard' },
    ]),
  );

  router.use((req: Request, _res: Response, next: NextFunction) => next(notFound(`Nothing in the console at ${req.path}.`)));
  router.use(consoleErrorHandler(renderer, log));

  let guardSeen = false;
  router.guard = (_req, _res, next) => {
    guardSeen = true;
    next();
  };
  Object.defineProperty(router.guard, 'seen', { get: () => guardSeen });
  router.migrate = () => migrateToLatest(resolved.db, dialect);
  router.ready = () => readyPromise;
  router.close = async () => {};
  return router;
}
