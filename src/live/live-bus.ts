/**
 * The event bus behind `<mount>/live`: what every instance of the host app
 * publishes and what the console's open pages receive.
 */

/** One event as it travels on the bus and reaches a page. */
export interface LiveEvent {
  topic: string;
  /** Plain JSON (what was published, after a JSON round trip). */
  payload: unknown;
  /** The instance that published it ({@link LiveBus.instanceId}). */
  origin: string;
  /** When it was published, in milliseconds since the epoch. */
  at: number;
}

export type LiveListener = (event: LiveEvent) => void;

/**
 * The bus contract: publish, subscribe, close. The console ships two:
 * {@link MemoryLiveBus} (one process, the default) and {@link RedisLiveBus}
 * (every instance sharing one Redis sees every event).
 *
 * @example
 * const off = bus.subscribe('signups', (event) => console.log(event.origin, event.payload));
 * await bus.publish('signups', { at: new Date().toISOString() });
 * off();
 */
export interface LiveBus {
  /** Required. This instance's id: every event it publishes carries it as `origin`. */
  readonly instanceId: string;
  /** Required. True when events reach other processes too (Redis), false for a single process. */
  readonly distributed: boolean;
  /** Required. Sends an event to every subscriber of `topic`, on every instance the bus reaches. */
  publish(topic: string, payload: unknown): Promise<void>;
  /** Required. Calls `listener` for each event on `topic` until the returned function is called. */
  subscribe(topic: string, listener: LiveListener): () => void;
  /** Optional. Resolves when every subscription made so far is active (Redis confirms SUBSCRIBE). */
  ready?(): Promise<void>;
  /** Required. Drops every subscription and closes what the bus opened. */
  close(): Promise<void>;
}

/** The JSON an event carries on the wire (Redis) and in an SSE `data:` line. */
export function encodeEvent(event: LiveEvent): string {
  return JSON.stringify({ topic: event.topic, origin: event.origin, at: event.at, payload: event.payload });
}

/** Reads an event back from the wire; null for anything that is not one of ours. */
export function decodeEvent(text: string): LiveEvent | null {
  try {
    const parsed = JSON.parse(text) as Partial<LiveEvent>;
    if (typeof parsed?.topic !== 'string' || typeof parsed.origin !== 'string' || typeof parsed.at !== 'number') return null;
    return { topic: parsed.topic, origin: parsed.origin, at: parsed.at, payload: parsed.payload ?? null };
  } catch {
    return null;
  }
}
