/**
 * Topic names are allow-listed: a page may subscribe only to these, and a host
 * may publish only to the ones it owns. Names are part of the public API.
 */

/** Topics a console page may subscribe to with `<mount>/live?topics=…`. */
export const PAGE_TOPICS = ['signups', 'subscriptions', 'jobs', 'queues', 'runtime', 'bulk'] as const;

/**
 * Topics a host publishes with `admin.publish(topic, payload)`:
 * - `signups`: `{ at }` (ISO date or epoch ms) when a user signs up — the dashboard's line chart and tiles move.
 * - `subscriptions`: anything, when a subscription changes — the pies and MRR are re-read.
 * - `jobs`: anything, when a job completes or fails — the queue counts are re-read now instead of at the next poll.
 */
export const HOST_TOPICS = ['signups', 'subscriptions', 'jobs'] as const;

export type PageTopic = (typeof PAGE_TOPICS)[number];
export type HostTopic = (typeof HOST_TOPICS)[number];

/** Internal: a page somewhere watches the runtime page, so every instance samples (Redis only). */
export const RUNTIME_WATCH_TOPIC = 'runtime-watch';

/** Largest payload a host may publish, as JSON. Events are hints and small figures, not documents. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

export function isPageTopic(topic: string): topic is PageTopic {
  return (PAGE_TOPICS as readonly string[]).includes(topic);
}

export function isHostTopic(topic: unknown): topic is HostTopic {
  return typeof topic === 'string' && (HOST_TOPICS as readonly string[]).includes(topic);
}

/**
 * Reads `?topics=a,b` into a list of allowed topics, or the sentence that
 * explains what is wrong with it.
 */
export function parseTopics(raw: unknown): { topics: PageTopic[] } | { error: string } {
  const allowed = PAGE_TOPICS.join(', ');
  if (typeof raw !== 'string' || raw.trim() === '') return { error: `Say which updates to stream with ?topics=… (any of ${allowed}).` };
  if (raw.length > 200) return { error: `The topics parameter is too long; use any of ${allowed}.` };
  const asked = [...new Set(raw.split(',').map((t) => t.trim()).filter(Boolean))];
  const unknown = asked.filter((t) => !isPageTopic(t));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).map((t) => JSON.stringify(t.slice(0, 40))).join(', ');
    return { error: `Unknown live topic${unknown.length > 1 ? 's' : ''} ${shown}; the console streams ${allowed}.` };
  }
  if (asked.length === 0) return { error: `Say which updates to stream with ?topics=… (any of ${allowed}).` };
  return { topics: asked as PageTopic[] };
}

/**
 * What `admin.publish` accepts: a host topic and a small plain-JSON payload.
 * Returns the payload as it will travel (after a JSON round trip); throws a
 * TypeError that says what is wrong otherwise.
 */
export function checkHostEvent(topic: unknown, payload: unknown): unknown {
  if (!isHostTopic(topic)) {
    throw new TypeError(`express-backstage: admin.publish(topic, payload): topic must be one of ${HOST_TOPICS.join(', ')}, got ${JSON.stringify(topic)}`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(payload ?? null);
  } catch {
    json = undefined;
  }
  if (json === undefined) throw new TypeError('express-backstage: admin.publish(topic, payload): payload must be plain JSON (objects, arrays, strings, numbers)');
  const size = Buffer.byteLength(json);
  if (size > MAX_PAYLOAD_BYTES) throw new TypeError(`express-backstage: admin.publish(topic, payload): payload is ${size} bytes as JSON; at most ${MAX_PAYLOAD_BYTES} are sent`);
  return JSON.parse(json);
}
