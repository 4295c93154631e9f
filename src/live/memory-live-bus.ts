import { EventEmitter } from 'node:events';
import { decodeEvent, encodeEvent, type LiveBus, type LiveEvent, type LiveListener } from './live-bus';

/**
 * The default bus: one process, an EventEmitter. Events still go through a
 * JSON round trip so that a page sees exactly what it would see over Redis.
 */
export class MemoryLiveBus implements LiveBus {
  readonly distributed = false;
  private readonly emitter = new EventEmitter();

  constructor(readonly instanceId: string) {
    // Every open page adds one listener per topic it watches; that is not a leak.
    this.emitter.setMaxListeners(0);
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    const event = decodeEvent(encodeEvent({ topic, payload, origin: this.instanceId, at: Date.now() }));
    if (event) this.emitter.emit(topic, event);
  }

  subscribe(topic: string, listener: LiveListener): () => void {
    const safe = (event: LiveEvent) => {
      try {
        listener(event);
      } catch {
        // One broken listener must not stop the others.
      }
    };
    this.emitter.on(topic, safe);
    return () => this.emitter.off(topic, safe);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
