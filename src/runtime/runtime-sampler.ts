import type { LiveHub } from '../live/live-hub';
import { RUNTIME_WATCH_TOPIC } from '../live/live-topics';
import type { DatabaseFigures } from './database-figures';
import { osFigures, ProcessProbe } from './process-probe';
import type { RedisFigures } from './redis-figures';
import { buildSample, type RuntimeSample } from './runtime-sample';

export interface RuntimeSamplerConfig {
  hub: LiveHub | null;
  instanceId: string;
  sampleMs: number;
  database: () => Promise<DatabaseFigures | null>;
  redis: () => Promise<RedisFigures | null>;
  log: (message: string, err?: unknown) => void;
  /** How long database figures are kept between samples. Default 10 s. */
  databaseEveryMs?: number;
}


/**
 * One sampler per console: runs while a page here watches the runtime topic,
 * or (with Redis) while a page on another instance does, and publishes one
 * sample per interval under this instance's id. Stopped, it holds no timer,
 * histogram or observer.
 */
export class RuntimeSampler {
  private readonly probe = new ProcessProbe();
  private timer: NodeJS.Timeout | null = null;
  private signal: NodeJS.Timeout | null = null;
  private localWatchers = false;
  private remoteUntil = 0;
  private database: { at: number; value: Promise<DatabaseFigures | null> } | null = null;
  private readonly instances = new Map<string, number>();
  private last: RuntimeSample | null = null;
  private closed = false;
  /** How often a watched instance says so on the bus, and how long others keep sampling after the last signal. */
  private readonly signalMs: number;
  private readonly remoteWindowMs: number;

  constructor(private readonly config: RuntimeSamplerConfig) {
    this.signalMs = Math.max(1000, config.sampleMs * 2);
    this.remoteWindowMs = this.signalMs * 3;
    const hub = config.hub;
    if (!hub) return;
    hub.onWatch('runtime', {
      start: () => {
        this.localWatchers = true;
        this.update();
      },
      stop: () => {
        this.localWatchers = false;
        this.update();
      },
    });
    hub.listen('runtime', (event) => this.instances.set(event.origin, Date.now()));
    if (hub.distributed) {
      hub.listen(RUNTIME_WATCH_TOPIC, (event) => {
        if (event.origin === config.instanceId) return;
        this.remoteUntil = Date.now() + this.remoteWindowMs;
        this.update();
      });
    }
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Instances that published a sample in the last 30 s (this one always first). */
  knownInstances(): string[] {
    const now = Date.now();
    const others = [...this.instances].filter(([id, at]) => id !== this.config.instanceId && now - at < 30_000).map(([id]) => id).sort();
    return [this.config.instanceId, ...others];
  }

  /** A sample for a page being rendered: the last live one if fresh, else one taken now. */
  async current(): Promise<RuntimeSample> {
    if (this.last && Date.now() - this.last.at < this.config.sampleMs * 2) return this.last;
    return this.take();
  }

  close(): void {
    this.closed = true;
    this.localWatchers = false;
    this.remoteUntil = 0;
    this.update();
  }

  private get wanted(): boolean {
    return !this.closed && (this.localWatchers || Date.now() < this.remoteUntil);
  }

  private update(): void {
    const hub = this.config.hub;
    if (this.wanted && !this.timer) {
      this.probe.start();
      const tick = () => {
        if (!this.wanted) {
          this.update();
          return;
        }
        this.take()
          .then((sample) => hub?.publish('runtime', sample))
          .catch((err) => this.config.log('express-backstage: a runtime sample failed', err instanceof Error ? err.message : err));
      };
      // The first sample comes one interval after the start, so that it covers a whole interval.
      this.timer = setInterval(tick, this.config.sampleMs);
      this.timer.unref();
    } else if (!this.wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.probe.stop();
      this.database = null;
    }
    if (hub?.distributed && this.localWatchers && !this.closed && !this.signal) {
      const ping = () => void hub.publish(RUNTIME_WATCH_TOPIC, {});
      this.signal = setInterval(ping, this.signalMs);
      this.signal.unref();
      ping();
    } else if ((!this.localWatchers || this.closed) && this.signal) {
      clearInterval(this.signal);
      this.signal = null;
    }
  }

  private databaseFigures(): Promise<DatabaseFigures | null> {
    const every = this.config.databaseEveryMs ?? 10_000;
    const now = Date.now();
    if (!this.database || now - this.database.at >= every) {
      const value = this.config.database().catch(() => null);
      this.database = { at: now, value };
    }
    return this.database.value;
  }

  private async take(): Promise<RuntimeSample> {
    const proc = this.probe.sample();
    const [database, redis] = await Promise.all([this.databaseFigures(), this.config.redis().catch(() => null)]);
    const sample = buildSample(this.config.instanceId, Date.now(), proc, osFigures(), database, redis);
    if (this.probe.running) this.last = sample;
    return sample;
  }
}
