// The Bull queue `mail`, and the check that decides whether the demo has one at all.
import Queue from 'bull';
import { Redis } from 'ioredis';

export const MAIL_QUEUE_NAME = 'mail';

/** Job options every mail job gets: three attempts, 1 s then 2 s apart. */
export const MAIL_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 7 * 24 * 3600 }, // keep a week of sent mails; failed ones stay until someone looks
};

// Keys live under `tasklane:mail:*`, so the demo never touches another app's `bull:mail` queue.
const KEY_PREFIX = 'tasklane';

/**
 * One quick PING with a short connect timeout and no retries.
 * @returns {Promise<{ ok: true } | { ok: false, reason: string }>}
 */
export async function checkRedis(redisUrl, timeoutMs = 1000) {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    disconnectTimeout: 100, // its default (2 s) would hold the process open after a refused connection
  });
  let connectError = null; // e.g. ECONNREFUSED; connect() itself only says "Connection is closed."
  client.on('error', (error) => {
    connectError ??= error;
  });
  let timer;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + 250);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    const cause = connectError ?? error;
    return { ok: false, reason: cause.code ?? cause.message };
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * The `mail` queue, or null when Redis is not reachable at start (logged once; the
 * demo runs without sending mail rather than filling the log with reconnect attempts).
 */
export async function openMailQueue({ redisUrl, log = console }) {
  const redis = await checkRedis(redisUrl);
  if (!redis.ok) {
    log.warn(`mail: Redis is not reachable at ${redactUrl(redisUrl)} (${redis.reason}); invitations are stored but no mail is sent.`);
    return null;
  }
  const queue = new Queue(MAIL_QUEUE_NAME, redisUrl, { prefix: KEY_PREFIX, defaultJobOptions: MAIL_JOB_OPTIONS });
  // Redis going away later: one line per outage, not one per reconnect attempt.
  let down = false;
  queue.on('error', (error) => {
    if (down) return;
    down = true;
    log.warn(`mail: lost the Redis connection (${error.code ?? error.message}); jobs wait until it is back.`);
  });
  queue.client.on('ready', () => {
    if (down) log.info('mail: Redis connection is back.');
    down = false;
  });
  return queue;
}

/** The name of invitation email jobs: what operators see in the console's queue pages. */
export const MAIL_JOB = 'send-invitation';

/** Queues the invitation email; gives up after `timeoutMs` rather than hang a request while Redis is down. */
export async function enqueueInvitationEmail(queue, { invitationId, teamId, invitedById, email }, timeoutMs = 3000) {
  let timer;
  try {
    return await Promise.race([
      queue.add(MAIL_JOB, { type: 'send-invitation', invitationId, teamId, userId: invitedById, email }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not accept the job within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function redactUrl(value) {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(invalid URL)';
  }
}
