import type { ErrorStore } from './error-store';

const DAY_MS = 86_400_000;
const FIRST_RUN_MS = 60_000;
const EVERY_MS = 60 * 60_000;

export interface Retention {
  /** Prunes once now (also what the timer does). */
  runOnce(): Promise<{ deleted: number; batches: number }>;
  stop(): void;
}

/**
 * Prunes occurrences older than `retentionDays`, a minute after start and then
 * hourly, in bounded batches. The timers are unref'd (they never keep the host
 * alive) and `stop()` clears them. A failure is logged and tried again next time.
 */
export function startRetention(config: { store: ErrorStore; retentionDays: number; now: () => Date; warn: (message: string) => void }): Retention {
  let running: Promise<{ deleted: number; batches: number }> | null = null;
  const runOnce = () => {
    if (running) return running;
    const before = new Date(config.now().getTime() - config.retentionDays * DAY_MS);
    running = config.store.prune(before).finally(() => {
      running = null;
    });
    return running;
  };
  const tick = () => {
    runOnce().catch((err) => config.warn(`express-backstage: pruning old error occurrences failed (if the tables are missing, run await admin.migrate() at start-up); trying again in an hour: ${err instanceof Error ? err.message : String(err)}`));
  };
  const first = setTimeout(tick, FIRST_RUN_MS);
  const every = setInterval(tick, EVERY_MS);
  first.unref?.();
  every.unref?.();
  return {
    runOnce,
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
