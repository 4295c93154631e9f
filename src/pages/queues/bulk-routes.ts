/**
 * The bulk queue actions, superuser-only: retry every failed job, promote
 * every delayed job, remove every waiting / delayed / paused job, clean
 * finished jobs older than an age.
 *
 * Each is three steps. GET counts exactly what it would touch and asks to
 * confirm that number. POST checks the number (and, above the per-action cap,
 * a second confirmation where the operator types it), starts a run
 * (bulk-runs.ts) and redirects to its progress page. The run touches at most
 * the confirmed number of jobs, in batches, can be cancelled between two
 * batches, and writes one audit event with its final counts.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import { requireSuperuser } from '../../http/gate';
import { handle } from '../../http/handle';
import { badRequest, HttpError, notFound } from '../../http/http-error';
import { operatorOf, requestMeta, type Operator } from '../../http/operator';
import { setFlash } from '../../http/render';
import { single } from '../../lists/list-params';
import { REMOVABLE_STATES, type QueueAction, type QueueAdapter, type RemovableState } from '../../queues/queue-adapter';
import { BULK_TOPIC, type BulkRunOutcome, type BulkRuns, type BulkRunView } from './bulk-runs';
import * as fmt from './format';
import { parseCleanChoice, parseConfirmedCount, pathValue, type CleanChoice } from './params';
import { countFinishedBefore } from './queries';
import { notSupported, plural, queueOf, queueSubject, queueUrl, readReason, runUrl } from './route-helpers';
import type { BatchOptions } from '../../queues/queue-adapter';

export interface BulkRoutesDeps {
  runs: BulkRuns;
  /** Above this many jobs, an action needs a second confirmation (`options.queueBulkCap`). */
  cap: number;
  withLive: boolean;
}

/** Largest number a confirmation may carry: the cap asks twice, this only keeps the number sane. */
const MAX_CONFIRMED = 100_000_000;

/** What the operator chose on the confirmation page, besides the number. */
type Choice = { clean?: CleanChoice; state?: RemovableState };

interface Counted {
  count: number;
  /** The sentence under the heading: where the number comes from. */
  facts: string[];
}

interface BulkKind {
  kind: 'retry-failed' | 'promote-delayed' | 'remove-all' | 'clean';
  needs: QueueAction;
  audit: string;
  danger: boolean;
  choose(source: Record<string, unknown>): Choice;
  count(queue: QueueAdapter, choice: Choice): Promise<Counted>;
  /** "Retry 1,204 failed jobs" */
  title(count: number, choice: Choice): string;
  /** The confirmation's sentence around the number: "This will [retry] 1,204 [failed jobs]." */
  sentence(count: number, choice: Choice): { verb: string; noun: string };
  consequences(choice: Choice): string[];
  run(queue: QueueAdapter, choice: Choice, options: BatchOptions): Promise<BulkRunOutcome>;
  /** The state tab to go back to. */
  back(choice: Choice): string;
  /** Facts of the choice kept in the audit event. */
  facts(choice: Choice): Record<string, unknown>;
}

const removableState = (source: Record<string, unknown>): RemovableState => {
  const problems: string[] = [];
  const raw = single(source, 'state', problems) ?? 'delayed';
  if (problems.length > 0 || !(REMOVABLE_STATES as readonly string[]).includes(raw)) {
    throw badRequest(`Only ${REMOVABLE_STATES.join(', ')} jobs can be removed all at once ("state"); finished jobs are removed with Clean.`);
  }
  return raw as RemovableState;
};

const hoursText = (hours: number) => plural(hours, 'hour');

const KINDS: readonly BulkKind[] = [
  {
    kind: 'retry-failed',
    needs: 'retryAllFailed',
    audit: 'queue.retry_all_failed',
    danger: false,
    choose: () => ({}),
    async count(queue) {
      const failed = (await queue.counts()).failed;
      return { count: failed, facts: [`The queue has ${plural(failed, 'failed job')} now; the oldest failures go first.`] };
    },
    title: (count) => `Retry ${plural(count, 'failed job')}`,
    sentence: (count) => ({ verb: 'retry', noun: count === 1 ? 'failed job' : 'failed jobs' }),
    consequences: () => [
      'Each goes back to waiting and runs again on the app’s workers, with its side effects (emails, charges…). Jobs that fail again come back to the failed list and are not retried twice.',
    ],
    run: async (queue, _choice, options) => {
      const { retried, ...rest } = await queue.retryAllFailed(options);
      return { done: retried, ...rest };
    },
    back: () => 'failed',
    facts: () => ({}),
  },
  {
    kind: 'promote-delayed',
    needs: 'promoteAllDelayed',
    audit: 'queue.promote_all_delayed',
    danger: false,
    choose: () => ({}),
    async count(queue) {
      const delayed = (await queue.counts()).delayed;
      return { count: delayed, facts: [`The queue has ${plural(delayed, 'delayed job')} now; the soonest due go first.`] };
    },
    title: (count) => `Promote ${plural(count, 'delayed job')}`,
    sentence: (count) => ({ verb: 'promote', noun: count === 1 ? 'delayed job' : 'delayed jobs' }),
    consequences: () => ['Each runs now instead of at its scheduled time, as soon as a worker is free.'],
    run: (queue, _choice, options) => queue.promoteAllDelayed(options),
    back: () => 'delayed',
    facts: () => ({}),
  },
  {
    kind: 'remove-all',
    needs: 'removeAll',
    audit: 'queue.removed_all',
    danger: true,
    choose: (source) => ({ state: removableState(source) }),
    async count(queue, choice) {
      const n = (await queue.counts())[choice.state!];
      return { count: n, facts: [`The queue has ${plural(n, `${choice.state} job`)} now; the oldest go first. A job a worker takes meanwhile is skipped.`] };
    },
    title: (count, choice) => `Remove ${plural(count, `${choice.state} job`)}`,
    sentence: (count, choice) => ({ verb: 'permanently remove', noun: `${choice.state} ${count === 1 ? 'job' : 'jobs'}` }),
    consequences: () => ['Removed jobs and their logs are gone for good: they never run, and cannot be opened or retried afterwards.'],
    run: (queue, choice, options) => queue.removeAll(choice.state!, options),
    back: (choice) => choice.state!,
    facts: (choice) => ({ state: choice.state }),
  },
  {
    kind: 'clean',
    needs: 'clean',
    audit: 'queue.cleaned',
    danger: true,
    choose: (source) => ({ clean: parseCleanChoice(source) }),
    async count(queue, choice) {
      const { state, hours } = choice.clean!;
      const total = (await queue.counts())[state];
      const older = await countFinishedBefore(queue, state, Date.now() - hours * 3_600_000, total);
      return { count: older, facts: [`${plural(older, 'job')} of the ${plural(total, `${state} job`)} finished more than ${hoursText(hours)} ago; the oldest go first.`] };
    },
    title: (count, choice) => `Clean ${plural(count, `${choice.clean!.state} job`)} older than ${hoursText(choice.clean!.hours)}`,
    sentence: (count, choice) => ({
      verb: 'permanently remove',
      noun: `${choice.clean!.state} ${count === 1 ? 'job' : 'jobs'} that finished more than ${hoursText(choice.clean!.hours)} ago`,
    }),
    consequences: () => ['Removed jobs and their logs are gone for good: they cannot be opened or retried afterwards.'],
    run: async (queue, choice, options) => {
      const { removed, ...rest } = await queue.clean(choice.clean!.state, choice.clean!.hours * 3_600_000, options);
      return { done: removed, skipped: 0, ...rest };
    },
    back: (choice) => choice.clean!.state,
    facts: (choice) => ({ state: choice.clean!.state, olderThanHours: choice.clean!.hours }),
  },
];

function who(operator: Operator): string {
  return operator.email ?? operator.name ?? (operator.id ? `user ${operator.id}` : 'an operator');
}


/** The final counts, named as the action names them (`retried`, `removed`…), for the audit event. */
function doneKey(kind: BulkKind['kind']): string {
  return kind === 'retry-failed' ? 'retried' : kind === 'promote-delayed' ? 'promoted' : 'removed';
}

export function bulkRoutes(context: () => ConsoleContext, deps: BulkRoutesDeps): Router {
  const router = express.Router();

  /** The run in the path, of the queue in the path, or a 404 that says why it may be gone. */
  function runOf(queue: QueueAdapter, req: Request): BulkRunView {
    const run = deps.runs.get(pathValue(req.params.id, 'run id'));
    if (!run || run.queue !== queue.name) {
      throw notFound('No such bulk action here. Runs are kept for an hour by the instance of the app that ran them; the audit log has every one that ended.');
    }
    return run;
  }

  async function confirmPage(req: Request, res: Response, queue: QueueAdapter, bulk: BulkKind, choice: Choice, second: { count: number; error?: string } | null) {
    const ctx = context();
    const counted = second ? { count: second.count, facts: [] } : await bulk.count(queue, choice);
    const active = deps.runs.activeFor(queue.name);
    await ctx.renderer.page(
      req,
      res,
      'queues/confirm',
      {
        queue: { name: queue.name },
        bulk: {
          kind: bulk.kind,
          danger: bulk.danger,
          title: bulk.title(counted.count, choice),
          sentence: bulk.sentence(counted.count, choice),
          consequences: bulk.consequences(choice),
          back: bulk.back(choice),
        },
        counted,
        choice,
        cap: deps.cap,
        second,
        active: active ? { title: active.title, url: runUrl(req, active) } : null,
        removable: REMOVABLE_STATES,
        fmt,
      },
      { title: `${bulk.title(counted.count, choice)} · ${queue.name}`, section: 'dev', status: second?.error ? 400 : 200 },
    );
  }

  for (const bulk of KINDS) {
    const path = `/dev/queues/:name/${bulk.kind}`;

    router.get(
      path,
      requireSuperuser,
      handle(async (req, res) => {
        const queue = queueOf(context(), req);
        if (!queue.supports(bulk.needs)) throw notSupported(queue, bulk.kind.replace('-', ' '));
        await confirmPage(req, res, queue, bulk, bulk.choose(req.query as Record<string, unknown>), null);
      }),
    );

    router.post(
      path,
      requireSuperuser,
      handle(async (req, res) => {
        const ctx = context();
        const queue = queueOf(ctx, req);
        const body = (req.body ?? {}) as Record<string, unknown>;
        const choice = bulk.choose(body);
        const count = parseConfirmedCount(body, MAX_CONFIRMED);
        const reason = readReason(req);
        if (!queue.supports(bulk.needs)) throw notSupported(queue, bulk.kind.replace('-', ' '));
        const back = queueUrl(req, queue.name, { state: bulk.back(choice) });
        if (count === 0) {
          setFlash(req, 'success', `Nothing was done: there was nothing to ${bulk.kind === 'clean' ? 'clean' : bulk.kind.split('-')[0]} in queue "${queue.name}" when you confirmed.`);
          res.redirect(303, back);
          return;
        }
        if (count > deps.cap) {
          const typed = single(body, 'confirmLarge', []);
          if (typed === undefined || typed === '') return confirmPage(req, res, queue, bulk, choice, { count });
          if (typed.replace(/[\s,._]/g, '') !== String(count)) {
            return confirmPage(req, res, queue, bulk, choice, { count, error: `You typed "${typed.slice(0, 20)}"; type ${count} (the number of jobs) to go on.` });
          }
        }
        // Redis answers before a run starts: an outage is a 503 now, not a run that fails in the background.
        await queue.counts();
        const active = deps.runs.activeFor(queue.name);
        if (active) {
          throw new HttpError(409, `Another bulk action is running on queue "${queue.name}" (${active.title}, started by ${active.startedBy}). Wait for it to end or cancel it: ${runUrl(req, active)}`);
        }
        const operator = operatorOf(res);
        const meta = requestMeta(req);
        const title = bulk.title(count, choice);
        const run = deps.runs.start({
          queue: queue.name,
          kind: bulk.kind,
          title,
          target: count,
          startedBy: who(operator),
          work: (options) => bulk.run(queue, choice, options),
          record: async (view) => {
            await ctx.audit.record({
              action: bulk.audit,
              subject: queueSubject(queue),
              reason,
              actor: operator,
              ...meta,
              data: {
                queue: queue.name,
                ...bulk.facts(choice),
                confirmed: count,
                [doneKey(bulk.kind)]: view.done,
                skipped: view.skipped,
                batches: view.batches,
                complete: view.complete,
                cancelled: view.status === 'cancelled',
                ...(view.cancelledBy ? { cancelledBy: view.cancelledBy } : {}),
                ...(view.error ? { error: view.error } : {}),
                seconds: Math.round(((view.finishedAt ?? Date.now()) - view.startedAt) / 100) / 10,
              },
            });
          },
        });
        res.redirect(303, runUrl(req, run));
      }),
    );
  }

  router.get(
    '/dev/queues/:name/runs/:id',
    handle(async (req, res) => {
      const ctx = context();
      const queue = queueOf(ctx, req);
      const run = runOf(queue, req);
      await ctx.renderer.page(
        req,
        res,
        'queues/run',
        { queue: { name: queue.name }, run, runUrl: runUrl(req, run), live: deps.withLive ? { topic: BULK_TOPIC, url: `${req.baseUrl}/live` } : null, withLive: deps.withLive, isSuperuser: operatorOf(res).isSuperuser, fmt },
        { title: `${run.title} · ${queue.name}`, section: 'dev', fragment: 'queues/_run' },
      );
    }),
  );

  router.post(
    '/dev/queues/:name/runs/:id/cancel',
    requireSuperuser,
    handle(async (req, res) => {
      const ctx = context();
      const queue = queueOf(ctx, req);
      const run = runOf(queue, req);
      const operator = operatorOf(res);
      const asked = await deps.runs.cancel(run.id, who(operator));
      setFlash(
        req,
        'success',
        asked ? 'Cancelling: the run stops after the batch it is doing (at most 1,000 jobs). The audit event says how far it got.' : 'That run had already ended; nothing to cancel.',
      );
      res.redirect(303, runUrl(req, run));
    }),
  );

  return router;
}
