/**
 * Error capture for the host app: `errorHandler` (Express error middleware)
 * and `captureError` (jobs, timers) put the error in a bounded in-memory queue
 * and return at once; a timer writes the queue to the database in small
 * batches. Nothing here can throw into the host's request, wait on the
 * database, or grow without bound: when the queue is full or the database
 * fails, errors are dropped and counted (the errors page shows the count).
 */
import type { ErrorRequestHandler, Request } from 'express';
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';
import { ErrorStore, type StoredOccurrence } from './error-store';
import { fingerprintOf, fullStackOf, scrubSecrets, type Fingerprint } from './fingerprint';
import { idOrNull, safeExtra, snapshotRequest, type OccurrenceContext, type RequestSnapshot } from './request-context';

/**
 * What `captureError` may be told about where an error happened. Known fields
 * are stored as such; any other field is kept in the occurrence's context with
 * secret-looking keys redacted.
 *
 * @example
 * admin.captureError(err, { userId: job.data.userId, teamId: job.data.teamId, job: 'send-invitation', jobId: job.id });
 */
export interface CaptureContext {
  /** The request the error belongs to, if any: its method, path, route, user… are recorded. */
  req?: Request;
  userId?: string | number | null;
  teamId?: string | number | null;
  requestId?: string | null;
  [extra: string]: unknown;
}

export interface CaptureStats {
  /** Errors waiting to be written. */
  queued: number;
  /** Errors not recorded since this instance started (queue full, database unavailable, console closed). */
  dropped: number;
  lastDropReason: string | null;
  lastDropAt: Date | null;
}

export interface ErrorCaptureConfig {
  db: Kysely<any>;
  dialect: DialectName;
  now: () => Date;
  /** The signed-in user's id for a request (the console's getUser + idOf), sync or async. */
  userIdOf: (req: Request) => unknown;
  warn: (message: string) => void;
  maxQueue?: number;
  batchSize?: number;
  /** How long to gather errors before writing a batch. */
  flushDelayMs?: number;
  /** Least time between two writes, so a flood of errors costs a few commits a second, not hundreds. */
  minFlushIntervalMs?: number;
  /** How long to stop writing after the database failed. */
  backoffMs?: number;
}

interface Pending {
  error: unknown;
  at: Date;
  request: RequestSnapshot | null;
  user: unknown;
  teamId: string | null;
  requestId: string | null;
  extra: Record<string, unknown> | undefined;
}

const WARN_EVERY_MS = 60_000;
const USER_LOOKUP_MS = 1_000;

/** Express's and http-errors' convention: an explicit status below 500 is the client's mistake, not a bug. */
function isClientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const status = Number((error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode);
  return Number.isInteger(status) && status >= 400 && status < 500;
}

/** The team a request acts for, where hosts conventionally keep it: `req.team`, `res.locals.team` / `teamId`. */
function teamIdOf(req: Request, res: unknown): string | null {
  const locals = (res as { locals?: { team?: { id?: unknown }; teamId?: unknown } } | null)?.locals;
  const candidates = [(req as { team?: { id?: unknown } }).team?.id, locals?.team?.id, locals?.teamId];
  for (const candidate of candidates) {
    const id = idOrNull(candidate, 64);
    if (id) return id;
  }
  return null;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
    );
  });
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * When one error floods (every request failing), its count stays exact but only
 * this many of its occurrences per batch keep a row with stack and context: the
 * write cost of a flood stays bounded, and ten examples per write (at most four
 * writes a second) are plenty.
 */
const OCCURRENCES_PER_GROUP_PER_BATCH = 10;

function countOnly(pending: Pending, fp: Fingerprint): StoredOccurrence {
  return { fingerprint: fp.hash, errorClass: fp.errorClass, message: fp.message, frame: fp.frame, stack: '', occurredAt: pending.at, userId: null, context: {}, counted: true };
}

export class ErrorCapture {
  private readonly store: ErrorStore;
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly flushDelayMs: number;
  private readonly minFlushIntervalMs: number;
  private readonly backoffMs: number;
  private lastFlushAt = 0;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private pausedUntil = 0;
  private lastWarnAt = 0;
  private closed = false;
  private dropped = 0;
  private lastDropReason: string | null = null;
  private lastDropAt: Date | null = null;
  /** The error each request already recorded, so one error passing two handlers counts once. */
  private readonly recorded = new WeakMap<object, unknown>();

  constructor(private readonly config: ErrorCaptureConfig) {
    this.store = new ErrorStore(config.db, config.dialect);
    this.maxQueue = config.maxQueue ?? 1000;
    // One transaction per write: a flood's surplus is only counted, so a big batch stays a small write.
    this.batchSize = config.batchSize ?? 500;
    this.flushDelayMs = config.flushDelayMs ?? 50;
    this.minFlushIntervalMs = config.minFlushIntervalMs ?? 250;
    this.backoffMs = config.backoffMs ?? 5_000;
  }

  /** Express error middleware: records the error, then `next(err)` so the host's own handler answers. */
  readonly errorHandler: ErrorRequestHandler = (err, req, res, next) => {
    try {
      if (!isClientError(err)) this.enqueue(err, req, res, {});
    } catch {
      this.drop(1, 'the request could not be read');
    }
    next(err);
  };

  /** Records an error caught outside a request (jobs, timers). Never throws. */
  capture(error: unknown, context: CaptureContext = {}): void {
    try {
      const { req, ...rest } = context ?? {};
      this.enqueue(error, req ?? null, req?.res ?? null, rest);
    } catch {
      this.drop(1, 'the error could not be read');
    }
  }

  private enqueue(error: unknown, req: Request | null, res: unknown, context: Omit<CaptureContext, 'req'>): void {
    if (req) {
      if (this.recorded.get(req) === error) return;
      this.recorded.set(req, error);
    }
    if (this.closed) {
      this.drop(1, 'the console was closed');
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.drop(1, `the capture queue was full (${this.maxQueue} errors waiting)`);
      return;
    }
    const { userId, teamId, requestId, ...extra } = context;
    let user: unknown = userId ?? null;
    if (req && (userId === undefined || userId === null)) {
      try {
        user = this.config.userIdOf(req);
      } catch {
        user = null;
      }
      // An async lookup is awaited at write time, not here; keep its rejection from going unhandled.
      if (user instanceof Promise) user.catch(() => undefined);
    }
    const request = req ? snapshotRequest(req) : null;
    this.queue.push({
      error,
      at: this.config.now(),
      request,
      user,
      teamId: idOrNull(teamId, 64) ?? (req ? teamIdOf(req, res) : null),
      requestId: idOrNull(requestId) ?? request?.requestId ?? null,
      extra: Object.keys(extra).length ? extra : undefined,
    });
    this.schedule(this.flushDelayMs);
  }

  private drop(n: number, reason: string): void {
    this.dropped += n;
    this.lastDropReason = reason;
    this.lastDropAt = new Date();
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.running || this.closed) return;
    const now = Date.now();
    const wait = Math.max(delayMs, this.pausedUntil - now, this.lastFlushAt + this.minFlushIntervalMs - now);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
    this.timer.unref?.();
  }

  /** Writes everything queued now (in batches); resolves when done. Used by the timer, by close() and by tests. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.running) return this.running.then(() => (this.queue.length ? this.flush() : undefined));
    this.lastFlushAt = Date.now();
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.queue.length) this.schedule(this.flushDelayMs);
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      await yieldToEventLoop();
      const batch = this.queue.splice(0, this.batchSize);
      if (Date.now() < this.pausedUntil) {
        this.drop(batch.length, this.lastDropReason ?? 'the database was unavailable');
        continue;
      }
      // Async user lookups started at capture time; wait for them together, each for at most a second.
      const userIds = await Promise.all(batch.map((pending) => (pending.user instanceof Promise ? withTimeout(pending.user, USER_LOOKUP_MS) : pending.user)));
      const rows: StoredOccurrence[] = [];
      const perGroup = new Map<string, number>();
      for (const [i, pending] of batch.entries()) {
        try {
          const fp = fingerprintOf(pending.error);
          const n = perGroup.get(fp.hash) ?? 0;
          perGroup.set(fp.hash, n + 1);
          rows.push(n < OCCURRENCES_PER_GROUP_PER_BATCH ? this.toOccurrence(pending, fp, userIds[i]) : countOnly(pending, fp));
        } catch {
          // A hostile error object (a getter that throws) costs only itself.
          this.drop(1, 'the error object could not be read');
        }
      }
      try {
        await this.store.record(rows);
      } catch (err) {
        const cause = err instanceof Error ? err.message : String(err);
        this.drop(rows.length, `the database refused the write: ${cause.slice(0, 200)}`);
        this.pausedUntil = Date.now() + this.backoffMs;
        this.warnThrottled(`express-backstage: ${rows.length} captured error(s) could not be recorded (${cause.slice(0, 200)}). If the tables are missing, run await admin.migrate() at start-up. Errors are dropped and counted until the database answers again.`);
      }
    }
  }

  private warnThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    try {
      this.config.warn(message);
    } catch {
      // A broken logger must not break capture.
    }
  }

  private toOccurrence(pending: Pending, fp: Fingerprint, user: unknown): StoredOccurrence {
    const userId = idOrNull(user, 64);
    const context: OccurrenceContext = {
      ...(pending.request ? { request: pending.request } : {}),
      userId,
      teamId: pending.teamId,
      requestId: pending.requestId,
      ...(pending.extra ? { extra: safeExtra(pending.extra) } : {}),
    };
    return {
      fingerprint: fp.hash,
      errorClass: fp.errorClass,
      message: fp.message,
      frame: fp.frame,
      stack: scrubSecrets(fullStackOf(pending.error)),
      occurredAt: pending.at,
      userId,
      context: context as Record<string, unknown>,
    };
  }

  stats(): CaptureStats {
    return { queued: this.queue.length, dropped: this.dropped, lastDropReason: this.lastDropReason, lastDropAt: this.lastDropAt };
  }

  /** Writes what is queued, then refuses further captures (they are counted as dropped). */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
