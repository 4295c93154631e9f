/**
 * Live counts on the queue pages, over the console's event stream
 * (`<mount>/live?topics=queues`, DESIGN §5).
 *
 * While a page in this process watches the `queues` topic, one poller (per
 * process, not per tab) reads every queue's O(1) counters and paused flag
 * every `pollMs`, and when something changed sends a snapshot to this
 * process's pages. The snapshot uses the tile shape `public/js/live.js`
 * already understands (`{ kind: 'snapshot', tiles: { key: { value, hint } } }`),
 * so the queue pages need no script of their own: each count is an element
 * with `data-live-tile="queue:<name>:<state>"`. A host's
 * `admin.publish('jobs')` makes the poller read at once.
 */
import type { LiveHub } from '../../live/live-hub';
import { Poller } from '../../live/poller';
import { formatNumber } from '../../http/view-helpers';
import { jobIndexOf, type BackfillProgress } from '../../queues/job-index';
import { JOB_STATES, type QueueAdapter } from '../../queues/queue-adapter';
import { summariseQueues, type QueueSummary } from './queries';

/** The queue pages' own topic: the dashboard's `jobs` feed reads more (its failed-jobs figure), which these pages do not show. */
export const LIVE_TOPIC = 'queues';

/** The tile key of one figure of one queue: a state's count, or `status`. */
export function tileKey(queue: string, what: string): string {
  return `queue:${queue}:${what}`;
}

/** `Running` / `Paused` / `Unreachable`, with the error as the hint. */
export function statusText(summary: QueueSummary): { value: string; hint: string } {
  if (summary.error !== null) return { value: 'Unreachable', hint: summary.error };
  return { value: summary.paused ? 'Paused' : 'Running', hint: '' };
}

/** `#4521 send-invitation at 14:02:11 UTC: SMTP 550 …`, or that nothing failed. */
export function latestFailureText(summary: QueueSummary): string {
  if (summary.error !== null) return '—';
  const failure = summary.latestFailure;
  if (!failure) return 'No failed jobs.';
  const at = failure.finishedAt ? ` at ${new Date(failure.finishedAt).toISOString().slice(0, 19).replace('T', ' ')} UTC` : '';
  const reason = failure.failedReason ? `: ${failure.failedReason.length > 160 ? `${failure.failedReason.slice(0, 159)}…` : failure.failedReason}` : '';
  return `#${failure.id} ${failure.name}${at}${reason}`;
}

export function countTiles(summaries: readonly QueueSummary[]): Record<string, { value: string; hint?: string }> {
  const tiles: Record<string, { value: string; hint?: string }> = {};
  for (const summary of summaries) {
    for (const state of JOB_STATES) tiles[tileKey(summary.name, state)] = { value: summary.counts ? formatNumber(summary.counts[state]) : '—' };
    tiles[tileKey(summary.name, 'status')] = statusText(summary);
    tiles[tileKey(summary.name, 'latest-failure')] = { value: latestFailureText(summary) };
  }
  return tiles;
}

/** The job index card's sentence, on the page and in each live snapshot (so a running backfill counts up on screen). */
export function indexProgressText(progress: BackfillProgress): string {
  if (progress.status === 'idle') {
    return "Jobs are indexed by user and team as they are added. Jobs older than the console's first start are not indexed until a backfill walks them; until then the user and team pages scan the newest jobs.";
  }
  const counts = `Job index: ${formatNumber(progress.indexed)} of ${formatNumber(progress.total)} jobs indexed`;
  if (progress.status === 'done') return `${counts} (backfill finished).`;
  if (progress.status === 'running') return `${counts} (backfill running).`;
  return `${counts} (backfill stopped: start it again to resume where it stopped).`;
}

/** Each indexed queue's backfill progress as a tile (one HGETALL per queue); a queue whose index does not answer is left out. */
async function indexTiles(queues: readonly QueueAdapter[]): Promise<Record<string, { value: string }>> {
  const tiles: Record<string, { value: string }> = {};
  await Promise.all(
    queues.map(async (queue) => {
      const index = jobIndexOf(queue);
      const progress = index ? await index.progress().catch(() => null) : null;
      if (progress) tiles[tileKey(queue.name, 'index')] = { value: indexProgressText(progress) };
    }),
  );
  return tiles;
}

/** Registers the poller with the hub: it runs only while some page here watches `jobs`. */
export function startQueueCountsFeed(hub: LiveHub, queues: readonly QueueAdapter[], pollMs: number, log: (message: string, err?: unknown) => void): void {
  if (queues.length === 0) return;
  const poller = new Poller(
    pollMs,
    async () => {
      // Sent every poll, changed or not: a tab that was hidden (its stream closed) and comes back is
      // current within one interval. Pages only repaint tiles whose text changed. Not retained: the
      // dashboard's own `jobs` snapshot stays the one replayed to late joiners.
      const [summaries, index] = await Promise.all([summariseQueues(queues), indexTiles(queues)]);
      hub.emitLocal(LIVE_TOPIC, { kind: 'snapshot', tiles: { ...countTiles(summaries), ...index } });
    },
    log,
  );
  hub.onWatch(LIVE_TOPIC, { start: () => poller.start(), stop: () => poller.stop() });
  // A host's admin.publish('jobs') (a job finished) makes the counts read at once.
  hub.listen('jobs', () => poller.poke(250));
}
