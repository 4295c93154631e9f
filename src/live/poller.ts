import type { TopicWatcher } from './live-hub';

/**
 * One timer that runs `tick` every `intervalMs` while started, never two ticks
 * at once (a slow tick delays the next instead of piling up). Used as a
 * {@link TopicWatcher}: it runs only while a page watches its topic, once per
 * process however many tabs are open.
 */
export class Poller implements TopicWatcher {
  private timer: NodeJS.Timeout | null = null;
  private nextAt = 0;
  private running = false;
  private busy = false;
  private again = false;

  constructor(
    private readonly intervalMs: number,
    private readonly tick: () => Promise<void>,
    private readonly log: (message: string, err?: unknown) => void,
  ) {}

  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Runs within `delayMs` instead of at the next interval (something said the figures changed). A burst of pokes runs once. */
  poke(delayMs = 100): void {
    if (!this.running) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    // Never postpone a run already due sooner: a steady stream of pokes must not starve the poller.
    if (this.timer && this.nextAt <= Date.now() + delayMs) return;
    this.schedule(delayMs);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.nextAt = Date.now() + delayMs;
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.timer = null;
    if (!this.running) return;
    this.busy = true;
    try {
      await this.tick();
    } catch (err) {
      this.log('express-backstage: a live figure could not be read', err instanceof Error ? err.message : err);
    } finally {
      this.busy = false;
    }
    if (!this.running) return;
    if (this.again) {
      this.again = false;
      this.schedule(100);
    } else {
      this.schedule(this.intervalMs);
    }
  }
}
