import type { LiveHub } from '../../live/live-hub';
import { Poller } from '../../live/poller';
import type { DashboardFigures } from './dashboard-figures';
import { jobsSnapshot, signupsSnapshot, subscriptionsSnapshot } from './dashboard-model';
import type { Snapshot } from './dashboard-view';

/**
 * The dashboard's own live figures. While a page here watches a topic, one
 * poller per topic (per process, not per tab) re-reads the cached aggregates
 * and sends a snapshot to this process's pages when the figures changed. A
 * host event on the same topic (from any instance) makes the poller read now.
 */
export function startDashboardFeeds(hub: LiveHub, figures: DashboardFigures, pollMs: number, log: (message: string, err?: unknown) => void): void {
  const feed = (topic: string, snapshot: () => Promise<Snapshot | null>) => {
    let last: string | null = null;
    const poller = new Poller(pollMs, async () => {
      const next = await snapshot();
      if (!next) return;
      const json = JSON.stringify(next);
      if (json === last) return;
      last = json;
      hub.emitLocal(topic, next, { retain: true });
    }, log);
    hub.onWatch(topic, {
      start: () => poller.start(),
      stop: () => {
        poller.stop();
        last = null;
      },
    });
    return poller;
  };

  const signups = feed('signups', () => signupsSnapshot(figures));
  const subscriptions = feed('subscriptions', () => subscriptionsSnapshot(figures));
  const jobs = feed('jobs', () => jobsSnapshot(figures));

  // The host's transaction may commit just after it publishes: read a moment later.
  hub.listen('signups', () => {
    figures.invalidate('signups', 'users');
    signups.poke(500);
  });
  hub.listen('subscriptions', () => {
    figures.invalidate('subscriptions', 'teams');
    subscriptions.poke(500);
  });
  hub.listen('jobs', () => {
    figures.invalidate('jobs', 'failed');
    jobs.poke(250);
  });
}
