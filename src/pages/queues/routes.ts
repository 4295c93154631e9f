/**
 * The queue pages: `/dev/queues` (every queue, live counts, pause/resume),
 * `/dev/queues/:name` (jobs of a state, find by id or by data field, bulk
 * retry and clean), `/dev/queues/:name/jobs/:id` (one job, retry / remove /
 * promote) and `/dev/linked-jobs` (a user's or team's jobs, for their pages).
 *
 * Who may do what: any operator reads every page and retries, removes or
 * promotes one job; pausing or resuming a queue and the bulk actions (retry
 * all failed, clean) stop or change production work at scale, so they are
 * superuser-only, enforced here with `requireSuperuser` and said on the page.
 *
 * Audit ordering: these changes happen in Redis, which cannot join the
 * database transaction `audit.withEvent` offers. So every action runs in Redis
 * first and its audit event is written right after it succeeded and before
 * success is reported. A Redis failure is reported and audits nothing (single
 * job actions are atomic); a bulk action that fails midway audits what it
 * reports (the error) since some jobs may already be done. If the audit write
 * itself fails, the operator gets a 503 page saying the change was made but is
 * NOT in the audit log, and the failure is logged.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import { requireSuperuser } from '../../http/gate';
import { jobIndexOf } from '../../queues/job-index';
import { handle } from '../../http/handle';
import { bulkRoutes } from './bulk-routes';
import type { BulkRuns } from './bulk-runs';
import { changeRecorder, jobOf, jobSubject, jobUrl, notSupported, queueOf, queueSubject, queueUrl, readReason, runUrl } from './route-helpers';
import { HttpError, notFound } from '../../http/http-error';
import { operatorOf } from '../../http/operator';
import { setFlash } from '../../http/render';
import type { LiveHub } from '../../live/live-hub';
import { readDataPath } from '../../queues/job-search';
import { JOB_STATES, type FindJobsResult, type JobView, type QueueAdapter } from '../../queues/queue-adapter';
import * as fmt from './format';
import { indexProgressText, latestFailureText, startQueueCountsFeed, statusText, tileKey } from './live-counts';
import {
  FIND_LIMIT,
  FIND_SCAN_LIMIT,
  LOG_PAGE_SIZE,
  PAGE_SIZES,
  parseJobPageParams,
  parseLinkedParams,
  parseQueuePageParams,
  pathValue,
  type FieldSearch,
} from './params';
import { indexedKindOf, jobsForLinks, jobsOfState, searchByIndex, summariseQueues, type IndexedSearch, type QueueSummary } from './queries';

export interface QueuesPageDeps {
  /** The live hub, or null when `live: false` (the overview then polls its counts every 5 s). */
  hub: LiveHub | null;
  /** The adapters, built at construction (the live feed starts before the context is ready). */
  queues: readonly QueueAdapter[];
  pollMs: number;
  log: (message: string, err?: unknown) => void;
  /** The bulk actions' runs (shared with `admin.close()`, which stops them). */
  runs: BulkRuns;
  /** `options.queueBulkCap`. */
  bulkCap: number;
}

/** A data search: from the job index when the field is an indexed link and the match is exact, else the bounded scan. */
async function findByData(ctx: ConsoleContext, queue: QueueAdapter, search: FieldSearch): Promise<(FindJobsResult & { source: 'scan' }) | IndexedSearch> {
  const kind = search.op === 'eq' ? indexedKindOf(ctx, search.field) : null;
  if (kind) {
    const indexed = await searchByIndex(queue, kind, search.value, search.states, FIND_LIMIT).catch(() => null);
    if (indexed) return indexed;
  }
  const scanned = await queue.findJobs({ field: search.field, op: search.op, value: search.value, states: search.states, scanLimit: FIND_SCAN_LIMIT, limit: FIND_LIMIT });
  return { ...scanned, source: 'scan' };
}

export function queuesRoutes(context: () => ConsoleContext, deps: QueuesPageDeps): Router {
  const router = express.Router();
  if (deps.hub) startQueueCountsFeed(deps.hub, deps.queues, deps.pollMs, deps.log);

  const recordChange = changeRecorder(deps.log);
  router.use(bulkRoutes(context, { runs: deps.runs, cap: deps.bulkCap, withLive: deps.hub !== null }));

  router.get(
    '/dev/queues',
    handle(async (req, res) => {
      const ctx = context();
      const summaries = await summariseQueues(ctx.queues);
      await ctx.renderer.page(
        req,
        res,
        'queues/index',
        { summaries, states: JOB_STATES, withLive: deps.hub !== null, isSuperuser: operatorOf(res).isSuperuser, tileKey, statusText, latestFailureText },
        { title: 'Queues', section: 'dev', fragment: 'queues/_cards' },
      );
    }),
  );

  for (const verb of ['pause', 'resume'] as const) {
    router.post(
      `/dev/queues/:name/${verb}`,
      requireSuperuser,
      handle(async (req: Request, res: Response) => {
        const ctx = context();
        const queue = queueOf(ctx, req);
        const reason = readReason(req);
        if (!queue.supports(verb)) throw notSupported(queue, verb === 'pause' ? 'pausing' : 'resuming');
        await (verb === 'pause' ? queue.pause() : queue.resume());
        const done = verb === 'pause' ? `Queue "${queue.name}" is paused: workers finish their current job and take no new one` : `Queue "${queue.name}" is running again`;
        await recordChange(ctx, req, res, { action: verb === 'pause' ? 'queue.paused' : 'queue.resumed', subject: queueSubject(queue), reason, data: { queue: queue.name } }, done);
        setFlash(req, 'success', `${done}.`);
        res.redirect(303, (req.body ?? {}).back === 'queue' ? queueUrl(req, queue.name) : `${req.baseUrl}/dev/queues`);
      }),
    );
  }

  router.get(
    '/dev/queues/:name',
    handle(async (req, res) => {
      const ctx = context();
      const queue = queueOf(ctx, req);
      const params = parseQueuePageParams(req.query as Record<string, unknown>);
      let missing: string | null = null;
      if (params.find) {
        const job = await queue.getJob(params.find);
        if (job) {
          res.redirect(303, jobUrl(req, queue.name, job.id));
          return;
        }
        missing = params.find;
      }
      // This page needs Redis: an outage here is the 503 page with the adapter's message (the overview shows it per queue instead).
      const [counts, paused, page, found] = await Promise.all([
        queue.counts(),
        queue.isPaused(),
        params.search ? null : jobsOfState(queue, params.state, params.page, params.size),
        params.search ? findByData(ctx, queue, params.search) : null,
      ]);
      const summary: QueueSummary = { name: queue.name, counts, paused, error: null, canPause: queue.supports('pause') && queue.supports('resume'), latestFailure: null };
      const isSuperuser = operatorOf(res).isSuperuser;
      const index = jobIndexOf(queue);
      const indexProgress = index ? await index.progress().catch(() => null) : null;
      const activeRun = deps.runs.activeFor(queue.name);
      await ctx.renderer.page(
        req,
        res,
        'queues/show',
        {
          queue: { name: queue.name },
          summary,
          params,
          page,
          found,
          missing,
          states: JOB_STATES,
          pageSizes: PAGE_SIZES,
          limits: { scan: FIND_SCAN_LIMIT, find: FIND_LIMIT },
          can: {
            pause: isSuperuser && summary.canPause,
            retryAll: isSuperuser && queue.supports('retryAllFailed'),
            promoteAll: isSuperuser && queue.supports('promoteAllDelayed'),
            removeAll: isSuperuser && queue.supports('removeAll'),
            clean: isSuperuser && queue.supports('clean'),
          },
          isSuperuser,
          withLive: deps.hub !== null,
          tileKey,
          statusText,
          fmt,
          indexProgress,
          bulkCap: deps.bulkCap,
          indexProgressText,
          indexedFields: index ? Object.values(ctx.options.jobLinks).filter((path): path is string => typeof path === 'string') : [],
          activeRun: activeRun ? { title: activeRun.title, done: activeRun.done, target: activeRun.target, url: runUrl(req, activeRun) } : null,
        },
        { title: queue.name, section: 'dev', fragment: 'queues/_results', status: missing ? 404 : 200 },
      );
    }),
  );

  router.post(
    '/dev/queues/:name/index-backfill',
    requireSuperuser,
    handle(async (req: Request, res: Response) => {
      const ctx = context();
      const queue = queueOf(ctx, req);
      const reason = readReason(req);
      const index = jobIndexOf(queue);
      if (!index) throw new HttpError(501, `Queue "${queue.name}" has no job index: only Bull and BullMQ queues are indexed, and only when options.jobLinks names a data path.`);
      const started = await index.startBackfill();
      if (started === 'running') {
        setFlash(req, 'success', `The job index backfill of "${queue.name}" is already running (on this or another instance of the app).`);
      } else {
        const done = `The job index backfill of "${queue.name}" started: it walks the queue's jobs 1,000 at a time, and this page shows its progress`;
        await recordChange(ctx, req, res, { action: 'queue.index_backfill_started', subject: queueSubject(queue), reason, data: { queue: queue.name } }, done);
        setFlash(req, 'success', `${done}.`);
      }
      res.redirect(303, queueUrl(req, queue.name));
    }),
  );

  router.get(
    '/dev/queues/:name/jobs/:id',
    handle(async (req, res) => {
      const ctx = context();
      const queue = queueOf(ctx, req);
      const { logsPage } = parseJobPageParams(req.query as Record<string, unknown>);
      const job = await jobOf(queue, req);
      const logs = queue.supports('jobLogs') ? await queue.jobLogs(job.id, { start: (logsPage - 1) * LOG_PAGE_SIZE, size: LOG_PAGE_SIZE }) : null;
      const teamPath = ctx.options.jobLinks.team;
      const userPath = ctx.options.jobLinks.user;
      const linkOf = (path: string | null) => {
        const value = path ? readDataPath(job.data, path.split('.')) : undefined;
        return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
      };
      await ctx.renderer.page(
        req,
        res,
        'queues/job',
        {
          queue: { name: queue.name },
          job,
          logs,
          logsPage,
          logPageSize: LOG_PAGE_SIZE,
          shown: { data: fmt.prettyJson(job.data), opts: fmt.prettyJson(job.opts), returnValue: fmt.prettyJson(job.returnValue) },
          links: { user: linkOf(userPath), team: linkOf(teamPath) },
          can: {
            retry: job.state === 'failed' && queue.supports('retry'),
            promote: job.state === 'delayed' && queue.supports('promote'),
            remove: job.state !== 'active' && queue.supports('remove'),
          },
          fmt,
        },
        { title: `Job ${job.id} · ${queue.name}`, section: 'dev' },
      );
    }),
  );

  router.get(
    '/dev/queues/:name/jobs/:id/data.json',
    handle(async (req, res) => {
      const queue = queueOf(context(), req);
      const job = await jobOf(queue, req);
      // The whole data (redacted like the page), as a file: a browser saves it or shows it in its own viewer, never in the page.
      res.set('Content-Disposition', `attachment; filename="${encodeURIComponent(`${queue.name}-${job.id}-data`)}.json"`);
      res.set('Cache-Control', 'no-store');
      res.type('application/json').send(JSON.stringify(job.data ?? null, null, 2));
    }),
  );

  const JOB_ACTIONS = [
    { verb: 'retry', action: 'job.retried', run: (q: QueueAdapter, id: string) => q.retry(id), done: 'is waiting to run again' },
    { verb: 'promote', action: 'job.promoted', run: (q: QueueAdapter, id: string) => q.promote(id), done: 'was promoted: it is waiting to run now' },
    { verb: 'remove', action: 'job.removed', run: (q: QueueAdapter, id: string) => q.remove(id), done: 'was removed' },
  ] as const;

  for (const { verb, action, run, done } of JOB_ACTIONS) {
    router.post(
      `/dev/queues/:name/jobs/:id/${verb}`,
      handle(async (req: Request, res: Response) => {
        const ctx = context();
        const queue = queueOf(ctx, req);
        const reason = readReason(req);
        if (!queue.supports(verb)) throw notSupported(queue, `${verb === 'retry' ? 'retrying' : verb === 'promote' ? 'promoting' : 'removing'} jobs`);
        const job = await jobOf(queue, req);
        await run(queue, job.id);
        const teamPath = ctx.options.jobLinks.team;
        const team = teamPath ? readDataPath(job.data, teamPath.split('.')) : undefined;
        const message = `Job ${job.id} (${job.name}) of queue "${queue.name}" ${done}`;
        await recordChange(
          ctx,
          req,
          res,
          {
            action,
            subject: jobSubject(job),
            teamId: typeof team === 'string' || typeof team === 'number' ? String(team) : null,
            reason,
            data: { queue: queue.name, job: job.id, name: job.name, state: job.state, attemptsMade: job.attemptsMade },
          },
          message,
        );
        setFlash(req, 'success', `${message}.`);
        res.redirect(303, verb === 'remove' ? queueUrl(req, queue.name, { state: JOB_STATES.includes(job.state as never) ? job.state : 'failed' }) : jobUrl(req, queue.name, job.id));
      }),
    );
  }

  router.get(
    '/dev/linked-jobs',
    handle(async (req, res) => {
      const ctx = context();
      const { kind, id } = parseLinkedParams(req.query as Record<string, unknown>);
      const linked = await jobsForLinks(ctx, { [kind]: id });
      const why =
        ctx.queues.length === 0
          ? 'No queues are connected to the console (options.queues).'
          : !ctx.options.jobLinks[kind]
            ? `Jobs are not linked to ${kind}s (options.jobLinks.${kind} is off).`
            : null;
      await ctx.renderer.page(req, res, 'queues/linked', { linked, why, kind, id, fmt }, { title: `Jobs of ${kind} ${id}`, section: 'dev', fragment: 'queues/_linked' });
    }),
  );

  return router;
}
