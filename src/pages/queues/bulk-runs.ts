/**
 * Bulk queue actions as runs that outlive the request: the POST starts one and
 * answers at once with its progress page; the run works through the jobs in
 * batches (at most 1,000 jobs each, one short Redis command per job, a pause
 * between batches), pushes its progress to every page watching the `bulk`
 * topic, stops between two batches when an operator cancels it, and writes ONE
 * audit event with the final counts when it ends, however it ends.
 *
 * Several instances of the host: progress travels on the live bus (Redis
 * pub/sub when `live: { redis }`), so the progress page and the Cancel button
 * work from any instance; a cancel reaches the instance running the run the
 * same way. A run lives in the memory of the process that runs it: if that
 * process dies mid-run, the jobs already done stay done (each is atomic) but
 * the audit event is not written — the one gap of not holding a lock in Redis
 * for minutes, said in the README.
 */
import { randomUUID } from 'node:crypto';
import type { LiveHub } from '../../live/live-hub';
import type { BatchOptions, BatchProgress } from '../../queues/queue-adapter';
import { queueErrorMessage } from './queries';

export const BULK_TOPIC = 'bulk';
/** Internal: a cancel asked on one instance for a run another instance runs. */
export const BULK_CANCEL_TOPIC = 'bulk-cancel';

/** Finished runs kept for their progress page, per process. */
const KEEP_FINISHED = 100;
const KEEP_FINISHED_MS = 60 * 60 * 1000;
/** Progress events at most this often per run (the last one is always sent). */
const PROGRESS_EVERY_MS = 200;
/** A run another instance stopped reporting for this long no longer blocks a new run of its queue. */
const REMOTE_SILENCE_MS = 60_000;

export type BulkRunStatus = 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';

/** What a progress page shows; also the payload of each `bulk` event. */
export interface BulkRunView {
  id: string;
  queue: string;
  /** `retry-failed`, `promote-delayed`, `remove-all`, `clean`. */
  kind: string;
  /** "Retry 12,000 failed jobs". */
  title: string;
  /** The number the operator confirmed: the run touches at most this many jobs. */
  target: number;
  done: number;
  skipped: number;
  batches: number;
  status: BulkRunStatus;
  /** False when jobs of that kind remained when it ended (cancelled, or more arrived). */
  complete: boolean | null;
  startedAt: number;
  finishedAt: number | null;
  startedBy: string;
  cancelledBy: string | null;
  error: string | null;
  /** Whether the final audit event is written. */
  audit: 'pending' | 'written' | 'failed';
  /** The instance running it. */
  instance: string;
}

export interface BulkRunOutcome extends BatchProgress {
  complete: boolean;
  cancelled: boolean;
}

export interface StartBulkRun {
  queue: string;
  kind: string;
  title: string;
  target: number;
  startedBy: string;
  /** Does the work, passing `options` (signal, onBatch, pause, max) to the adapter. */
  work(options: BatchOptions): Promise<BulkRunOutcome>;
  /** Writes the run's one audit event; a rejection marks the run's audit as failed (the page says so). */
  record(run: BulkRunView): Promise<void>;
}

interface LocalRun {
  view: BulkRunView;
  controller: AbortController;
  lastSent: number;
  /** The update held back by the rate limit, sent when its time comes. */
  trailing: NodeJS.Timeout | null;
}

export class BulkRuns {
  private readonly local = new Map<string, LocalRun>();
  /** Runs other instances run, as last heard on the bus, by id. */
  private readonly seen = new Map<string, BulkRunView>();
  private readonly heard = new Map<string, number>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly hub: LiveHub | null,
    private readonly instance: string,
    /** Milliseconds between two batches (`options.queueBulkPauseMs`): Redis is the app's before it is the console's. */
    private readonly pauseMs: number,
    private readonly log: (message: string, err?: unknown) => void,
  ) {
    if (hub) {
      this.unsubscribe.push(
        hub.listen(BULK_TOPIC, (event) => {
          const view = event.payload as BulkRunView | null;
          if (view && typeof view.id === 'string' && !this.local.has(view.id)) this.remember(view);
        }),
        hub.listen(BULK_CANCEL_TOPIC, (event) => {
          const ask = event.payload as { id?: unknown; by?: unknown } | null;
          if (ask && typeof ask.id === 'string' && typeof ask.by === 'string') this.cancelLocal(ask.id, ask.by);
        }),
      );
    }
  }

  /** The run, wherever it runs (null when unknown here: another instance without a live bus, or forgotten). */
  get(id: string): BulkRunView | null {
    return this.local.get(id)?.view ?? this.seen.get(id) ?? null;
  }

  /**
   * A run of this queue still going, here or on another instance. A run heard
   * of on the bus counts only while it keeps reporting: its instance may have died.
   */
  activeFor(queue: string): BulkRunView | null {
    const going = (view: BulkRunView) => view.queue === queue && (view.status === 'running' || view.status === 'cancelling');
    for (const run of this.local.values()) if (going(run.view)) return run.view;
    const recent = Date.now() - REMOTE_SILENCE_MS;
    for (const view of this.seen.values()) if (going(view) && (this.heard.get(view.id) ?? 0) > recent) return view;
    return null;
  }

  start(spec: StartBulkRun): BulkRunView {
    const view: BulkRunView = {
      id: randomUUID(),
      queue: spec.queue,
      kind: spec.kind,
      title: spec.title,
      target: spec.target,
      done: 0,
      skipped: 0,
      batches: 0,
      status: 'running',
      complete: null,
      startedAt: Date.now(),
      finishedAt: null,
      startedBy: spec.startedBy,
      cancelledBy: null,
      error: null,
      audit: 'pending',
      instance: this.instance,
    };
    const run: LocalRun = { view, controller: new AbortController(), lastSent: 0, trailing: null };
    this.local.set(view.id, run);
    this.forgetOld();
    const finished = this.execute(run, spec).finally(() => this.running.delete(finished));
    this.running.add(finished);
    this.send(run, true);
    return view;
  }

  /** Asks a run to stop after its current batch. False when it is not running any more (or unknown). */
  async cancel(id: string, by: string): Promise<boolean> {
    if (this.local.has(id)) return this.cancelLocal(id, by);
    const view = this.seen.get(id);
    if (!view || view.status !== 'running' || !this.hub) return false;
    await this.hub.publish(BULK_CANCEL_TOPIC, { id, by });
    return true;
  }

  /** Stops every run here between batches and waits for their audit events (admin.close()). */
  async close(): Promise<void> {
    for (const run of this.local.values()) if (run.view.status === 'running') this.cancelLocal(run.view.id, 'the app shutting down');
    await Promise.allSettled([...this.running]);
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private cancelLocal(id: string, by: string): boolean {
    const run = this.local.get(id);
    if (!run || run.view.status !== 'running') return false;
    run.view.status = 'cancelling';
    run.view.cancelledBy = by;
    run.controller.abort();
    this.send(run, true);
    return true;
  }

  private async execute(run: LocalRun, spec: StartBulkRun): Promise<void> {
    const { view } = run;
    try {
      const outcome = await spec.work({
        max: spec.target,
        signal: run.controller.signal,
        pauseMs: this.pauseMs,
        onBatch: (progress) => {
          Object.assign(view, { done: progress.done, skipped: progress.skipped, batches: progress.batches });
          this.send(run, false);
        },
      });
      Object.assign(view, { done: outcome.done, skipped: outcome.skipped, batches: outcome.batches, complete: outcome.complete });
      view.status = outcome.cancelled ? 'cancelled' : 'done';
    } catch (err) {
      view.status = 'failed';
      view.error = queueErrorMessage(err);
      view.complete = false;
    }
    view.finishedAt = Date.now();
    try {
      await spec.record({ ...view });
      view.audit = 'written';
    } catch (err) {
      view.audit = 'failed';
      this.log(`express-backstage: the bulk action "${view.title}" on queue "${view.queue}" ended but its audit event could not be written`, err);
    }
    this.send(run, true);
  }

  /** Publishes the run's state, at most every PROGRESS_EVERY_MS: a skipped update is sent when that time is up, so none is lost. */
  private send(run: LocalRun, force: boolean): void {
    const now = Date.now();
    const wait = run.lastSent + PROGRESS_EVERY_MS - now;
    if (!force && wait > 0) {
      run.trailing ??= setTimeout(() => {
        run.trailing = null;
        this.send(run, true);
      }, wait).unref();
      return;
    }
    if (run.trailing) clearTimeout(run.trailing);
    run.trailing = null;
    run.lastSent = now;
    if (this.hub) void this.hub.publish(BULK_TOPIC, { ...run.view });
  }

  private remember(view: BulkRunView): void {
    this.seen.set(view.id, view);
    this.heard.set(view.id, Date.now());
    this.forgetOld();
  }

  /** Finished runs are kept an hour, and at most KEEP_FINISHED of them, for their progress page. */
  private forgetOld(): void {
    const cutoff = Date.now() - KEEP_FINISHED_MS;
    const finished = [
      ...[...this.local.values()].map((run) => run.view),
      ...this.seen.values(),
    ].filter((view) => view.finishedAt !== null);
    const excess = finished.length - KEEP_FINISHED;
    finished.forEach((view, i) => {
      if (i < excess || view.finishedAt! < cutoff) {
        this.local.delete(view.id);
        this.seen.delete(view.id);
        this.heard.delete(view.id);
      }
    });
  }
}
