/**
 * Makes a queue call fail fast and clearly when Redis is not there.
 *
 * ioredis never rejects a command just because Redis is down: it queues the
 * command and retries the connection (Bull and BullMQ back off up to 20 s per
 * attempt, and 20 attempts per command), so an un-guarded page would hang for
 * minutes. Each adapter call therefore:
 *
 * 1. looks at the client's `status` first and rejects at once when the
 *    connection is known to be down (`reconnecting`, `close`, `end`), without
 *    sending anything;
 * 2. for a write (pause, retry, remove…), waits up to the timeout for the
 *    connection to be `ready` before sending, so a click made while Redis is
 *    away is never queued and carried out later behind the operator's back;
 * 3. races the call against a timer (2 s by default) and rejects with
 *    `REDIS_UNAVAILABLE` when Redis does not answer in time.
 *
 * Nothing here holds state: ioredis keeps reconnecting on its own, and the
 * first call after Redis is back goes through, with no restart.
 */
import { QueueAdapterError } from './queue-error';

export const DEFAULT_REDIS_TIMEOUT_MS = 2000;

/**
 * Connection states in which a command would only be queued, not sent, and
 * what to tell the operator. `unreached` is ours: a BullMQ queue whose first
 * connection has not succeeded yet (BullMQ hides the client until it has).
 */
const DOWN_REASONS: Record<string, string> = {
  reconnecting: 'the connection was lost and is being retried',
  close: 'the connection is closed and is being retried',
  unreached: 'it has not answered since the app started (still trying)',
  end: 'the connection was closed for good (the queue was closed, or its retryStrategy gave up)',
};

/** Pseudo-status for "never connected yet"; see {@link DOWN_REASONS}. */
export const UNREACHED = 'unreached';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

const CONNECTION_ERROR_MESSAGE =
  /Connection is closed|Stream isn't writeable|connect ECONN|The client is closed|Disconnects client|Reached the max retries per request|Connection closed/i;

/** Whether an error means "Redis is not reachable" rather than "Redis said no". */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) ||
    CONNECTION_ERROR_MESSAGE.test(err.message)
  );
}

/** Why a connection in this status cannot be used now, or `undefined` when it can (or may soon). */
export function downReason(status: string | undefined): string | undefined {
  return status === undefined ? undefined : DOWN_REASONS[status];
}

export function redisUnavailable(queue: string, action: string, detail: string, cause?: unknown): QueueAdapterError {
  const after = detail.startsWith(DOWN_REASONS.end)
    ? 'It will not reconnect by itself: the host must reopen the queue.'
    : 'The console reconnects by itself once Redis is back; no restart is needed.';
  return new QueueAdapterError('REDIS_UNAVAILABLE', `Redis is unreachable for queue "${queue}" (${action}): ${detail}. ${after}`, {
    queue,
    cause,
  });
}

/** The REDIS_UNAVAILABLE error for a connection known to be down, or `undefined` when it is not. */
export function unavailableFor(status: string | undefined, queue: string, action: string): QueueAdapterError | undefined {
  const reason = downReason(status);
  return reason === undefined ? undefined : redisUnavailable(queue, action, reason);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Waits until `status()` says `ready` (or has no status to report), rejecting
 * at once if the connection is down and after `timeoutMs` if it never gets ready.
 */
export async function waitUntilConnected(
  status: () => string | undefined,
  queue: string,
  action: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = status();
    if (current === undefined || current === 'ready') return;
    const down = unavailableFor(current, queue, action);
    if (down) throw down;
    if (Date.now() >= deadline) {
      throw redisUnavailable(queue, action, `not connected after ${timeoutMs} ms (connection status: ${current})`);
    }
    await sleep(20);
  }
}

/**
 * Runs `run()` but settles within `timeoutMs`: a late answer is ignored (its
 * rejection is swallowed so it cannot surface as an unhandled rejection), and
 * connection errors become `REDIS_UNAVAILABLE`. Other errors pass through.
 */
export function withRedisTimeout<T>(
  queue: string,
  action: string,
  timeoutMs: number,
  run: () => Promise<T>,
  status: () => string | undefined = () => undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      const current = status();
      reject(
        redisUnavailable(
          queue,
          action,
          `no answer within ${timeoutMs} ms${current !== undefined ? ` (connection status: ${current})` : ''}`,
        ),
      );
    }, timeoutMs);
    timer.unref();
    let pending: Promise<T>;
    try {
      pending = run();
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err instanceof QueueAdapterError) reject(err);
        else if (isConnectionError(err)) reject(redisUnavailable(queue, action, (err as Error).message, err));
        else reject(err);
      },
    );
  });
}
