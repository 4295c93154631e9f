import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeEvent, type LiveBus, type LiveEvent, type LiveListener } from './live-bus';
import { checkHostEvent, type PageTopic } from './live-topics';

export interface LiveHubConfig {
  bus: LiveBus;
  heartbeatMs: number;
  maxBufferBytes: number;
  maxClients: number;
  maxStreamMs: number;
  /** Milliseconds the page waits before reconnecting (the SSE `retry:` field). */
  retryMs?: number;
  log: (message: string, err?: unknown) => void;
}

/** Starts and stops a producer of events (a poller, a sampler) with the first and last page watching its topic. */
export interface TopicWatcher {
  start(): void;
  stop(): void;
}

interface StreamClient {
  id: number;
  res: ServerResponse & { flush?: () => void };
  topics: ReadonlySet<string>;
  opened: number;
  gone: boolean;
}

export interface LiveHubStats {
  clients: number;
  /** Clients disconnected because they did not read fast enough. */
  dropped: number;
  /** Topics with at least one page watching here. */
  watched: string[];
}

/**
 * The console's side of `<mount>/live`: open streams, one bus subscription per
 * watched topic fanned out to every stream (each event serialised once), one
 * heartbeat timer for all streams, watchers started and stopped with their
 * audience, and a clean shutdown.
 */
export class LiveHub {
  private readonly clients = new Set<StreamClient>();
  private readonly byTopic = new Map<string, Set<StreamClient>>();
  private readonly busSubscriptions = new Map<string, () => void>();
  private readonly watchers = new Map<string, TopicWatcher[]>();
  private readonly extraSubscriptions = new Set<() => void>();
  /** The latest state event per topic (a poller's snapshot), replayed to a page that joins later. */
  private readonly retained = new Map<string, string>();
  private heartbeat: NodeJS.Timeout | null = null;
  private nextId = 1;
  private dropped = 0;
  private closed = false;
  private lastPublishErrorLog = 0;

  constructor(private readonly config: LiveHubConfig) {}

  get instanceId(): string {
    return this.config.bus.instanceId;
  }

  get distributed(): boolean {
    return this.config.bus.distributed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether another stream may open (false when closed or full): checked before any header is written. */
  refusal(): string | null {
    if (this.closed) return 'The console is shutting down; live updates will resume when it is back.';
    if (this.clients.size >= this.config.maxClients) return 'Too many live pages are open on this server right now; the page will retry.';
    return null;
  }

  /** Turns `res` into an event stream of `topics` until the page goes away, is too slow, or the hub closes. */
  stream(req: IncomingMessage, res: ServerResponse, topics: readonly PageTopic[]): void {
    const client: StreamClient = { id: this.nextId++, res, topics: new Set(topics), opened: Date.now(), gone: false };
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    this.clients.add(client);
    // The response's 'close' is the connection going away (the page left, or the socket was cut).
    const leave = () => this.leave(client);
    res.on('close', leave);
    res.on('error', leave);
    this.write(client, `retry: ${this.config.retryMs ?? 3000}\n: connected\n\n`);
    for (const topic of client.topics) this.join(topic, client);
    this.ensureHeartbeat();
    const ready = this.config.bus.ready ? this.config.bus.ready() : Promise.resolve();
    ready.then(
      () => this.write(client, `event: ready\ndata: ${JSON.stringify({ instance: this.instanceId, topics })}\n\n`),
      () => undefined,
    );
  }

  /** Publishes on the bus (every instance). Failures are logged, never thrown: live updates are best-effort. */
  async publish(topic: string, payload: unknown): Promise<void> {
    if (this.closed) return;
    try {
      await withTimeout(this.config.bus.publish(topic, payload), 3000);
    } catch (err) {
      const now = Date.now();
      if (now - this.lastPublishErrorLog > 60_000) {
        this.lastPublishErrorLog = now;
        this.config.log(`express-backstage: a live "${topic}" event could not be published`, err instanceof Error ? err.message : err);
      }
    }
  }

  /** The host's `admin.publish`: checks the topic and payload, then publishes on the bus. */
  async publishFromHost(topic: unknown, payload: unknown): Promise<void> {
    const checked = checkHostEvent(topic, payload);
    await this.publish(topic as string, checked);
  }

  /**
   * Sends an event to this process's pages only (figures each instance computes for its own viewers).
   * With `retain`, it is also the topic's current state: a page that starts watching later gets it first.
   */
  emitLocal(topic: string, payload: unknown, options: { retain?: boolean } = {}): void {
    if (this.closed) return;
    const frame = this.deliver({ topic, payload: JSON.parse(JSON.stringify(payload ?? null)), origin: this.instanceId, at: Date.now() });
    if (options.retain && frame && this.byTopic.has(topic)) this.retained.set(topic, frame);
  }

  /** Subscribes to the bus for the hub's lifetime (dropped on close). */
  listen(topic: string, listener: LiveListener): () => void {
    const off = this.config.bus.subscribe(topic, listener);
    const once = () => {
      if (this.extraSubscriptions.delete(once)) off();
    };
    this.extraSubscriptions.add(once);
    return once;
  }

  /** Registers a producer started when the first page here watches `topic` and stopped when the last leaves. */
  onWatch(topic: string, watcher: TopicWatcher): void {
    const list = this.watchers.get(topic) ?? [];
    list.push(watcher);
    this.watchers.set(topic, list);
    if ((this.byTopic.get(topic)?.size ?? 0) > 0) this.safely(() => watcher.start());
  }

  watching(topic: string): number {
    return this.byTopic.get(topic)?.size ?? 0;
  }

  stats(): LiveHubStats {
    return { clients: this.clients.size, dropped: this.dropped, watched: [...this.byTopic.keys()] };
  }

  /** Ends every stream, stops every watcher and timer, and closes the bus (and the Redis connections it opened). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const client of [...this.clients]) {
      client.res.end();
      // A page that stopped reading would keep the socket open: cut it after a grace period.
      setTimeout(() => client.res.destroy(), 1000).unref();
      this.leave(client);
    }
    for (const off of [...this.extraSubscriptions]) off();
    for (const [topic, off] of this.busSubscriptions) {
      off();
      this.busSubscriptions.delete(topic);
    }
    await this.config.bus.close();
  }

  private join(topic: string, client: StreamClient): void {
    let set = this.byTopic.get(topic);
    if (!set) {
      set = new Set();
      this.byTopic.set(topic, set);
      this.busSubscriptions.set(
        topic,
        this.config.bus.subscribe(topic, (event) => this.deliver(event)),
      );
    }
    set.add(client);
    const retained = this.retained.get(topic);
    if (retained) this.write(client, retained);
    if (set.size === 1) for (const watcher of this.watchers.get(topic) ?? []) this.safely(() => watcher.start());
  }

  private leave(client: StreamClient): void {
    if (client.gone) return;
    client.gone = true;
    this.clients.delete(client);
    for (const topic of client.topics) {
      const set = this.byTopic.get(topic);
      if (!set) continue;
      set.delete(client);
      if (set.size > 0) continue;
      this.byTopic.delete(topic);
      this.retained.delete(topic);
      this.busSubscriptions.get(topic)?.();
      this.busSubscriptions.delete(topic);
      for (const watcher of this.watchers.get(topic) ?? []) this.safely(() => watcher.stop());
    }
    if (this.clients.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  private deliver(event: LiveEvent): string | null {
    const audience = this.byTopic.get(event.topic);
    if (!audience || audience.size === 0) return null;
    // Serialised once, written to every stream.
    const frame = `event: ${event.topic}\ndata: ${encodeEvent(event)}\n\n`;
    for (const client of [...audience]) this.write(client, frame);
    return frame;
  }

  private write(client: StreamClient, chunk: string): void {
    if (client.gone) return;
    const ok = client.res.write(chunk);
    // compression() and similar middleware buffer until flushed.
    if (typeof client.res.flush === 'function') client.res.flush();
    if (!ok && client.res.writableLength > this.config.maxBufferBytes) {
      this.dropped++;
      this.leave(client);
      client.res.destroy();
    }
  }

  private ensureHeartbeat(): void {
    if (this.heartbeat || this.closed) return;
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      for (const client of [...this.clients]) {
        if (now - client.opened > this.config.maxStreamMs) {
          // The page reconnects after `retry` and passes the role gate again.
          this.leave(client);
          client.res.end();
          continue;
        }
        this.write(client, ': heartbeat\n\n');
      }
    }, this.config.heartbeatMs);
    this.heartbeat.unref();
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.config.log('express-backstage: a live updates producer failed', err);
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
