import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { MemoryStore } from 'express-session';
import helmet from 'helmet';
import { AuditLog } from './audit/audit-log';
import type { ConsoleContext } from './console-context';
import { detectDialect } from './db/dialect';
import { assetsRouter } from './http/assets';
import { logoOrigins, themeRoute } from './http/branding';
import { consoleSession } from './http/console-session';
import { csrfProtection } from './http/csrf';
import { refuseNul } from './http/refuse-nul';
import { consoleErrorHandler } from './http/error-handler';
import { roleGate } from './http/gate';
import { handle } from './http/handle';
import { notFound } from './http/http-error';
import { createRenderer } from './http/render';
import { migrateToLatest, type MigrateResult } from './migrations/migrate';
import { consoleSearchTargets } from './search/console-targets';
import { createSearchIndexes, type SearchIndexResult } from './search/search-index-ddl';
import { kyselyUsersAdapter } from './models/kysely-users-adapter';
import { checkUsersModel, readSchema } from './models/schema-check';
import { resolveOptions, type AdminOptions } from './options';
import { BackstageConfigError } from './options-errors';
import { auditRoutes } from './pages/audit/routes';
import { homeRoutes } from './pages/home/routes';
import { consoleLive } from './live/console-live';
import { usersRoutes } from './pages/users/routes';
import { queuesRoutes } from './pages/queues/routes';
import { BulkRuns } from './pages/queues/bulk-runs';
import type { QueueAdapter } from './queues/queue-adapter';
import { toQueueAdapters } from './queues/to-queue-adapter';
import { startJobIndexes } from './queues/job-index';
import { checkTeamsModels } from './models/check-teams-models';
import { billingRoutes } from './pages/billing/routes';
import { teamsRoutes } from './pages/teams/routes';
import { teamScope, teamScopeRoutes } from './pages/teams/scope';
import type { CaptureContext } from './errors/error-capture';
import { errorTracking } from './errors/error-tracking';
import { createImpersonation } from './impersonation/create-impersonation';
import { runtimeFindings } from './doctor/runtime-doctor';
import type { Finding as DoctorFinding } from './doctor/run-doctor';
import { CONSOLE_INTERNALS, type ConsoleInternals, type ObservedRequests } from './console-internals';

/** The console: an Express router with a few named extras. */
export interface Admin extends Router {
  /**
   * Mount once with `app.use(admin.guard)` after the host's session and sign-in middleware and before
   * its routes and the console (impersonation banner, expiry, read-only mode, audit of requests).
   */
  guard: RequestHandler;
  /**
   * The impersonation banner for this request as HTML, or '' when it is not impersonating; for hosts
   * that set `impersonation.injectBanner: false` and place it in their own layout. The same data is
   * on `res.locals.backstageImpersonation`.
   *
   * @example
   * app.use((req, res, next) => { res.locals.impersonationBanner = admin.bannerHtml(req); next(); });
   */
  bannerHtml(req: Request): string;
  /**
   * Express error-handling middleware that records the error on the console's Errors page, then
   * passes it on with `next(err)` so the host's own error handler still answers. Mount it after the
   * host's routes and before the host's error handler. Never throws, never waits on the database:
   * errors are queued in memory and written in small batches. Errors with a 4xx `status` are not recorded.
   *
   * @example
   * app.use('/app', appRoutes);
   * app.use(admin.errorHandler);
   * app.use((err, req, res, next) => res.status(500).render('500'));
   */
  errorHandler: ErrorRequestHandler;
  /**
   * Records an error caught outside the request path (jobs, timers, event handlers). Never throws.
   * `context` may name the user, team and request; any other fields are kept with secrets redacted.
   *
   * @example
   * queue.on('failed', (job, err) => admin.captureError(err, { userId: job.data.userId, teamId: job.data.teamId, job: job.name, jobId: job.id }));
   */
  captureError(error: unknown, context?: CaptureContext): void;
  /**
   * Tells every open console page (on every instance, when `live.redis` is set) that something
   * happened, so the dashboard moves without a reload. Topics: `signups` (`{ at }`: the line chart
   * and the tiles count it in), `subscriptions` and `jobs` (the pies, MRR and queue bars are re-read
   * now). Best-effort: a Redis outage is logged, never thrown; a wrong topic or a payload that is not
   * small plain JSON (16 KiB) rejects.
   *
   * @example
   * app.post('/signup', async (req, res) => {
   *   const user = await createUser(req.body);
   *   void admin.publish('signups', { at: new Date().toISOString() });
   *   res.redirect('/welcome');
   * });
   */
  publish(topic: 'signups' | 'subscriptions' | 'jobs', payload?: unknown): Promise<void>;
  /** Creates or updates the console's own tables (audit log, …). Safe to call on every start. */
  migrate(): Promise<MigrateResult>;
  /**
   * Opt-in: creates the indexes that let the users and teams searches find any
   * part of an email, name or slug among millions of rows (SQLite: an FTS5
   * trigram table kept in step by triggers; PostgreSQL: pg_trgm GIN indexes,
   * built CONCURRENTLY; MySQL/MariaDB have none). The console never changes the
   * host's schema unless asked; `npx express-backstage search-index` does the same.
   */
  createSearchIndexes(): Promise<SearchIndexResult[]>;
  /** Resolves when the schema mapping has been checked; rejects with the reason when it is wrong. */
  ready(): Promise<void>;
  /**
   * The checks only the running app can answer, as `npx express-backstage doctor` prints them: the
   * console starts against the schema, the session store it sees (the MemoryStore in production is a
   * warning), and whether `admin.guard` runs before the console (given `app`: before your routes too,
   * read from the app's middleware stack). `doctor --app <file>` runs it for you.
   *
   * @example
   * app.get('/healthz/backstage', async (_req, res) => res.json(await admin.doctor({ app })));
   */
  doctor(options?: { app?: unknown }): Promise<DoctorFinding[]>;
  /** Stops timers and connections the console opened (its own pool when `db` was a URL). The host's db, pool and queues stay open. */
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
  let queues: QueueAdapter[];
  try {
    // Synchronously, so a wrong queue object fails here, naming options.queues[i].
    queues = toQueueAdapters(resolved.queues);
  } catch (err) {
    if (resolved.ownsDb) void resolved.db.destroy().catch(() => undefined);
    throw err;
  }
  const dialect = resolved.dialect ?? detectDialect(resolved.db);
  const log = (message: string, err?: unknown) => console.error(message, err ?? '');
  // Index jobs by user and team from the queues' own events (src/queues/job-index.ts).
  const jobIndexes = startJobIndexes(resolved.jobIndex ? queues : [], resolved.jobLinks, { log });
  const warn = (message: string) => console.warn(message);

  const csrf = csrfProtection();
  const theme = themeRoute(resolved);
  const brand = { logoUrl: resolved.logoUrl, homeUrl: resolved.homeUrl, themeVersion: resolved.accentColor ? theme.version : null };
  const renderer = createRenderer({
    hostViews: resolved.views,
    appName: resolved.appName,
    now: resolved.now,
    csrfTokenFor: csrf.tokenFor,
    layoutLocals: (_req, res) => ({ teamScope: res.locals.backstageTeamScope ?? null, brand, hasQueues: queues.length > 0 }),
  });
  const audit = new AuditLog(resolved.db, dialect, resolved.now);
  const errors = errorTracking(resolved, dialect, warn);

  let context: ConsoleContext | null = null;
  const readyPromise: Promise<void> = (async () => {
    const facts = await readSchema(resolved.db, dialect);
    const { teams, memberships, teamsAdapter, invitations, subscriptions } = checkTeamsModels(resolved, facts, dialect);
    const usersModel = resolved.usersAdapter ? null : checkUsersModel(resolved.usersModel!, facts);
    const users =
      resolved.usersAdapter ??
      kyselyUsersAdapter(
        resolved.db,
        usersModel!,
        dialect,
        memberships ? { table: memberships.table, userId: memberships.columns.user_id!, teamId: memberships.columns.team_id! } : null,
      );
    context = { options: resolved, db: resolved.db, dialect, audit, renderer, users, usersModel, teams: teams && memberships ? teams : null, memberships, teamsAdapter, invitations, subscriptions, queues };
  })();
  // The rejection is shown on every console page and by ready(); this keeps Node from calling it unhandled.
  readyPromise.catch((err) => log(err instanceof Error ? err.message : String(err)));

  const currentContext = () => {
    if (!context) throw new Error('express-backstage: the console is not ready yet');
    return context;
  };
  const live = consoleLive({ options: resolved, db: resolved.db, dialect, context: currentContext, log });

  const sessionMiddleware = consoleSession(resolved, warn);
  const impersonation = createImpersonation({ options: resolved, ready: readyPromise, context: currentContext, renderer, csrfTokenFor: csrf.tokenFor, consoleSession: sessionMiddleware, log });

  const router = express.Router() as Admin;
  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: { 'script-src': ["'self'"], 'style-src': ["'self'"], 'frame-ancestors': ["'none'"], 'connect-src': ["'self'"], 'img-src': ["'self'", 'data:', ...logoOrigins(resolved.logoUrl)] },
      },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  // Static package files (CSS, htmx, Chart.js) and the theme made from the options: no data, so served before the gate.
  router.use('/assets/theme.css', theme.handler);
  router.use('/assets', assetsRouter());
  // What the runtime doctor reports: did the host's guard run, which session store does the host use.
  const observed: ObservedRequests = { seen: 0, guarded: 0, hostStore: undefined };
  router.use((req: Request, _res: Response, next: NextFunction) => {
    observed.seen++;
    if (impersonation.wasGuarded(req)) observed.guarded++;
    const store = req.session ? (req as Request & { sessionStore?: object }).sessionStore : null;
    observed.hostStore = store ? { name: store.constructor?.name ?? 'unknown', memory: store instanceof MemoryStore || store.constructor?.name === 'MemoryStore' } : null;
    next();
  });
  router.use(sessionMiddleware);
  router.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));
  // While impersonating, only POST /impersonation/stop gets through (as the recorded operator); otherwise the role gate.
  router.use(impersonation.consoleGate(roleGate(resolved)));
  router.use(
    handle(async (_req, _res, next) => {
      await readyPromise;
      next();
    }),
  );
  router.use(csrf.protect);
  router.use(refuseNul);
  router.use(teamScope());

  router.use(homeRoutes(currentContext, live.home));
  router.use(live.routes(currentContext));
  router.use(usersRoutes(currentContext));
  router.use(impersonation.routes());
  router.use(auditRoutes(currentContext));
  router.use(teamsRoutes(currentContext));
  router.use(teamScopeRoutes(currentContext));
  router.use(billingRoutes(currentContext));
  router.use(errors.routes(currentContext));
  const bulkRuns = new BulkRuns(live.hub, live.hub?.instanceId ?? 'this process', resolved.queueBulkPauseMs, log);
  router.use(queuesRoutes(currentContext, { hub: live.hub, queues, pollMs: resolved.live.pollMs, log, runs: bulkRuns, bulkCap: resolved.queueBulkCap }));

  router.use((req: Request, _res: Response, next: NextFunction) => next(notFound(`Nothing in the console at ${req.path}.`)));
  router.use(consoleErrorHandler(renderer, log));

  router.guard = impersonation.guard;
  router.bannerHtml = impersonation.bannerHtml;
  router.publish = (topic, payload) => live.publish(topic, payload);
  router.migrate = () => migrateToLatest(resolved.db, dialect);
  router.createSearchIndexes = async () => {
    await readyPromise;
    return createSearchIndexes(resolved.db, dialect, consoleSearchTargets(currentContext()));
  };
  router.ready = () => readyPromise;
  const internals: ConsoleInternals = { options: resolved, dialect, ready: readyPromise, context: currentContext, wasGuarded: impersonation.wasGuarded, guard: impersonation.guard, observed };
  Object.defineProperty(router, CONSOLE_INTERNALS, { value: internals });
  router.doctor = (doctorOptions = {}) => runtimeFindings(internals, { app: doctorOptions.app });
  router.errorHandler = errors.errorHandler;
  router.captureError = errors.captureError;
  let closed: Promise<void> | null = null;
  router.close = () => {
    closed ??= (async () => {
      // Runs first: each stops between two batches and writes its audit event (which needs the database).
      await bulkRuns.close();
      await live.close();
      await jobIndexes.close();
      await readyPromise.catch(() => {});
      await errors.close();
      if (resolved.ownsDb) await resolved.db.destroy();
    })();
    return closed;
  };
  return router;
}
