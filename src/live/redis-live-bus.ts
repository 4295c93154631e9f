import { decodeEvent, encodeEvent, type LiveBus, type LiveEvent, type LiveListener } from './live-bus';

/** The subset of an ioredis connection the bus uses (typed structurally: ioredis is the host's dependency). */
export interface RedisConnectionLike {
  status?: string;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
  /** Used by the runtime page (version, memory, clients, ops/sec). */
  info?(...args: any[]): Promise<string>;
}

/** An ioredis client the host already has: the bus duplicates it rather than taking over the host's connection. */
export interface RedisClientLike extends RedisConnectionLike {
  duplicate(override?: Record<string, unknown>): RedisConnectionLike;
}

export interface RedisLiveBusConfig {
  /** Opens one connection (called twice: a publisher and a subscriber, both closed by `close()`). */
  connect: (role: 'publisher' | 'subscriber') => RedisConnectionLike;
  instanceId: string;
  /** Prepended to every topic to make the channel name. Default `backstage:live:`. */
  channelPrefix?: string;
  log?: (message: string, err?: unknown) => void;
}

/**
 * Redis pub/sub: one publisher and one subscriber connection per console,
 * one channel per topic (`<prefix><topic>`), subscribed while someone here
 * listens to it. Every instance sharing the Redis sees every event; each
 * event carries the instance that published it.
 */
export class RedisLiveBus implements LiveBus {
  readonly distributed = true;
  readonly instanceId: string;
  private readonly prefix: string;
  private readonly publisher: RedisConnectionLike;
  private readonly subscriber: RedisConnectionLike;
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly log: (message: string, err?: unknown) => void;
  private lastErrorLog = 0;
  private closed = false;

  constructor(config: RedisLiveBusConfig) {
    this.instanceId = config.instanceId;
    this.prefix = config.channelPrefix ?? 'backstage:live:';
    this.log = config.log ?? ((message, err) => console.warn(message, err ?? ''));
    this.publisher = config.connect('publisher');
    this.subscriber = config.connect('subscriber');
    for (const connection of [this.publisher, this.subscriber]) connection.on('error', (err: unknown) => this.reportError(err));
    this.subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
  }

  /** The publisher connection, for read-only commands such as INFO (never the subscriber: it is in subscribe mode). */
  get commands(): RedisConnectionLike {
    return this.publisher;
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    if (this.closed) return;
    await this.publisher.publish(this.prefix + topic, encodeEvent({ topic, payload, origin: this.instanceId, at: Date.now() }));
  }

  subscribe(topic: string, listener: LiveListener): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
      this.track(this.subscriber.subscribe(this.prefix + topic));
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(topic);
      if (!current || !current.delete(listener) || current.size > 0) return;
      this.listeners.delete(topic);
      if (!this.closed) this.track(this.subscriber.unsubscribe(this.prefix + topic));
    };
  }

  async ready(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await Promise.allSettled([...this.pending]);
    await Promise.all([this.publisher, this.subscriber].map((connection) => quitQuickly(connection)));
  }

  private track(command: Promise<unknown>): void {
    const settled = command.catch((err) => this.reportError(err)).finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  private deliver(channel: string, message: string): void {
    if (!channel.startsWith(this.prefix)) return;
    const event: LiveEvent | null = decodeEvent(message);
    if (!event || event.topic !== channel.slice(this.prefix.length)) return;
    for (const listener of [...(this.listeners.get(event.topic) ?? [])]) {
      try {
        listener(event);
      } catch {
        // One broken listener must not stop the others.
      }
    }
  }

  private reportError(err: unknown): void {
    if (this.closed) return;
    const now = Date.now();
    if (now - this.lastErrorLog < 60_000) return;
    this.lastErrorLog = now;
    this.log('express-backstage: the live updates Redis connection failed; pages stop updating until it is back', err instanceof Error ? err.message : err);
  }
}

/** QUIT, or a hard disconnect when Redis does not answer within a second (it may be down). */
async function quitQuickly(connection: RedisConnectionLike): Promise<void> {
  if (connection.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 1000);
  });
  const result = await Promise.race([connection.quit().then(() => 'ok' as const, () => 'failed' as const), timeout]);
  clearTimeout(timer);
  if (result !== 'ok') connection.disconnect();
}
