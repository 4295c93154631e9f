/**
 * What the queue pages read, through the queue adapters only (never Bull or
 * BullMQ directly). Queries never see `req`; they take adapters and plain values.
 */
import type { ConsoleContext } from '../../console-context';
import { jobIndexOf, type IndexLookup, type QueueJobIndex } from '../../queues/job-index';
import type { JobLinkKind } from '../../options';
import {
  JOB_STATES,
  SEARCH_ORDER,
  type CleanableState,
  type FindJobsResult,
  type JobCounts,
  type JobPage,
  type JobState,
  type JobView,
  type JobViewState,
  type LatestFailure,
  type QueueAdapter,
} from '../../queues/queue-adapter';

/** One queue as the overview shows it: counts and paused flag, or why Redis did not answer. */
export interface QueueSummary {
  name: string;
  counts: JobCounts | null;
  paused: boolean | null;
  /** The adapter's message when the queue did not answer (Redis down, timeout…). */
  error: string | null;
  canPause: boolean;
  /** The newest failed job (id, name, reason, time), or null when none failed or the queue did not answer. */
  latestFailure: LatestFailure | null;
}

/** The adapter's message without the library prefix, for an operator. */
export function queueErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^express-backstage:\s*/, '').slice(0, 500);
}

/** Counts and paused flag of one queue, read in parallel (O(1) counters); never throws. */
export async function summariseQueue(queue: QueueAdapter): Promise<QueueSummary> {
  const canPause = queue.supports('pause') && queue.supports('resume');
  try {
    const [counts, paused, latestFailure] = await Promise.all([queue.counts(), queue.isPaused(), queue.latestFailure ? queue.latestFailure() : Promise.resolve(null)]);
    return { name: queue.name, counts, paused, error: null, canPause, latestFailure };
  } catch (err) {
    return { name: queue.name, counts: null, paused: null, error: queueErrorMessage(err), canPause, latestFailure: null };
  }
}

/** Every queue's summary; one unreachable queue never hides the others. */
export function summariseQueues(queues: readonly QueueAdapter[]): Promise<QueueSummary[]> {
  return Promise.all(queues.map((queue) => summariseQueue(queue)));
}

export function findQueue(queues: readonly QueueAdapter[], name: string): QueueAdapter | null {
  return queues.find((queue) => queue.name === name) ?? null;
}

/** One page of a state, newest first: `page` is 1-based; only that page is read (ZREVRANGE/LRANGE by index). */
export function jobsOfState(queue: QueueAdapter, state: JobState, page: number, size: number): Promise<JobPage> {
  return queue.listJobs(state, { start: (page - 1) * size, size });
}

/** The finish time a clean compares with (the libraries index finished jobs by it). */
function finishedAt(job: JobView): number {
  return job.timestamps.finished ?? job.timestamps.processed ?? job.timestamps.created ?? 0;
}

/**
 * How many completed (or failed) jobs finished before `cutoff`: the list is
 * newest first by finish time, so a binary search over positions finds the
 * first older job in about log2(total) one-job reads (20 for a million jobs).
 * A job removed meanwhile can shift the answer by a few; the action is then
 * capped at the number the operator confirmed.
 */
export async function countFinishedBefore(queue: QueueAdapter, state: CleanableState, cutoff: number, total: number): Promise<number> {
  let low = 0;
  let high = total;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const page = await queue.listJobs(state, { start: mid, size: 1 });
    const job = page.jobs[0];
    if (!job) {
      high = mid;
      continue;
    }
    if (finishedAt(job) < cutoff) high = mid;
    else low = mid + 1;
  }
  return total - low;
}


// ---- jobs tied to users and teams (jobLinks) ----

/** Jobs read per queue when looking for one user's or team's jobs. */
export const LINKED_SCAN_LIMIT = 2000;
/** Matches kept per queue, and shown in all. */
export const LINKED_LIMIT = 50;

export interface LinkedJobs {
  kind: JobLinkKind;
  id: string;
  /** The data path searched (`options.jobLinks[kind]`). */
  path: string;
  /** Failed first, then active, waiting, paused, delayed, completed; newest first within a state. */
  jobs: JobView[];
  /** Jobs read across every queue. */
  scanned: number;
  /** False when some queue had more jobs than were read. */
  complete: boolean;
  /** True when more matched than are shown (`LINKED_LIMIT`). */
  truncated: boolean;
  scanLimit: number;
  /** Queues read from the job index (`ZREVRANGE` by link), and queues scanned (no index, or nothing indexed for that link yet). */
  indexedQueues: string[];
  scannedQueues: string[];
  /** True when an indexed queue's backfill has not finished, so older jobs may be missing from the index. */
  indexPartial: boolean;
  /** Jobs found per state (from the index: every indexed job read, up to `LINKED_INDEX_READ` per queue). */
  counts: Record<string, number>;
  /** Queues that did not answer, with why. */
  errors: Array<{ queue: string; message: string }>;
  queues: number;
}

/** Job ids read from the index per queue (newest first) before ordering failed first. */
export const LINKED_INDEX_READ = 200;

type QueueResult = (FindJobsResult & { source: 'index' | 'scan'; partial: boolean; counts?: Record<string, number> }) | { error: string; queue: string };

const STATE_RANK = new Map<string, number>(SEARCH_ORDER.map((state, i) => [state, i]));

/** Failed first, then by SEARCH_ORDER; a job in no sorted set is in a list (waiting, active or paused): ranked as waiting. */
function stateRank(state: string | null): number {
  return STATE_RANK.get(state ?? 'waiting') ?? JOB_STATES.length;
}

interface IndexedRead {
  /** The newest `read` ids linked to the value, in the order shown, with their state from the index (null: in a list). */
  order: Array<{ id: string; state: string | null }>;
  /** The first `limit` jobs of `order` that `accept` keeps. */
  jobs: JobView[];
  lookup: IndexLookup;
}

/**
 * One user's or team's jobs of one queue from its job index: the newest `read`
 * ids, their states in one pipelined round trip of ZSCOREs, failed first, and
 * only the jobs shown fetched (getJobs skips locating them again). Entries of
 * jobs that are gone are dropped. Null when the index cannot answer yet (no
 * entries and no finished backfill): the caller scans instead.
 */
async function readIndexed(
  queue: QueueAdapter,
  index: QueueJobIndex,
  kind: JobLinkKind,
  value: string,
  { read, limit, keep = () => true, accept = () => true }: { read: number; limit: number; keep?: (state: string | null) => boolean; accept?: (job: JobView) => boolean },
): Promise<IndexedRead | null> {
  const lookup = await index.lookup(kind, value, read);
  if (lookup.total === 0 && !lookup.complete) return null;
  const states = await index.classify(lookup.ids);
  const order = lookup.ids
    .map((id, i) => ({ id, state: states[i] ?? null, i }))
    .filter(({ state }) => keep(state))
    .sort((a, b) => stateRank(a.state) - stateRank(b.state) || a.i - b.i)
    .map(({ id, state }) => ({ id, state }));
  const jobs: JobView[] = [];
  const gone: string[] = [];
  for (let at = 0; at < order.length && jobs.length < limit; at += limit) {
    const chunk = order.slice(at, at + limit);
    const views = await queue.getJobs(
      chunk.map(({ id }) => id),
      chunk.map(({ state }) => state as JobViewState | null),
    );
    views.forEach((job, i) => {
      if (job === null) gone.push(chunk[i].id);
      else if (jobs.length < limit && accept(job)) jobs.push(job);
    });
  }
  if (gone.length > 0) await index.drop(kind, value, gone).catch(() => undefined);
  return { order, jobs, lookup };
}

/** One queue's jobs for a link: from the index when it has entries (or a finished backfill), else the bounded scan. */
async function linkedJobsOf(queue: QueueAdapter, kind: JobLinkKind, path: string, id: string): Promise<QueueResult> {
  const index = jobIndexOf(queue);
  if (index) {
    try {
      const indexed = await readIndexed(queue, index, kind, id, { read: LINKED_INDEX_READ, limit: LINKED_LIMIT });
      if (indexed) {
        const { jobs, order, lookup } = indexed;
        const counts: Record<string, number> = {};
        for (const job of jobs) counts[job.state] = (counts[job.state] ?? 0) + 1;
        for (const { state } of order.slice(LINKED_LIMIT)) {
          const label = state ?? 'waiting or active';
          counts[label] = (counts[label] ?? 0) + 1;
        }
        return { jobs, scanned: jobs.length, complete: lookup.total <= LINKED_INDEX_READ, source: 'index', partial: !lookup.complete, counts };
      }
    } catch {
      // The index could not be read: the scan below says what it could.
    }
  }
  try {
    const result = await queue.findJobsByLinks({ [path]: id }, { scanLimit: LINKED_SCAN_LIMIT, limit: LINKED_LIMIT });
    return { ...result, source: 'scan', partial: false };
  } catch (err) {
    return { error: queueErrorMessage(err), queue: queue.name };
  }
}

/** Job ids a data search reads from the index (newest first) before keeping those in the chosen states. */
export const SEARCH_INDEX_READ = 1000;

/** A data search answered from the job index rather than by scanning. */
export interface IndexedSearch extends FindJobsResult {
  source: 'index';
  kind: JobLinkKind;
  /** Jobs linked to that value in the index, in every state. */
  entries: number;
  /** True while the backfill has not indexed the jobs that existed before the console ran. */
  partial: boolean;
}

/** Which link kind a data field is indexed as (`options.jobLinks`), or null. */
export function indexedKindOf(ctx: ConsoleContext, field: string): JobLinkKind | null {
  const entry = (Object.entries(ctx.options.jobLinks) as Array<[JobLinkKind, string | null]>).find(([, path]) => path === field);
  return entry ? entry[0] : null;
}

/**
 * `field = value` for an indexed field, from the index: the newest
 * `SEARCH_INDEX_READ` job ids linked to the value, their states in one
 * pipelined round trip, then only the jobs shown are fetched (failed first,
 * newest first within a state). Null when the queue has no index or the index
 * cannot answer yet (no entries and no finished backfill): the page scans then.
 */
export async function searchByIndex(queue: QueueAdapter, kind: JobLinkKind, value: string, states: readonly JobState[], limit: number): Promise<IndexedSearch | null> {
  const index = jobIndexOf(queue);
  if (!index) return null;
  const listStates = states.filter((state) => state === 'waiting' || state === 'active' || state === 'paused');
  const indexed = await readIndexed(queue, index, kind, value, {
    read: SEARCH_INDEX_READ,
    limit,
    // A job in no sorted set is in a list: kept if any list state was asked; its exact state comes with the job.
    keep: (state) => (state === null ? listStates.length > 0 : states.includes(state as JobState)),
    accept: (job) => states.includes(job.state as JobState),
  });
  if (!indexed) return null;
  const { jobs, lookup } = indexed;
  return {
    source: 'index',
    kind,
    jobs,
    scanned: lookup.ids.length,
    complete: lookup.total <= SEARCH_INDEX_READ && jobs.length < limit,
    entries: lookup.total,
    partial: !lookup.complete,
  };
}

function newestFirst(job: JobView): number {
  return job.timestamps.finished ?? job.timestamps.processed ?? job.timestamps.created ?? 0;
}

/**
 * The jobs of one user or team across every queue, failed ones first: a
 * bounded scan (`LINKED_SCAN_LIMIT` jobs per queue, newest first, failed
 * before completed) of the data path `options.jobLinks` names. Null when
 * there are no queues or that link is switched off. Never throws for a queue
 * that is down: it is listed in `errors`.
 *
 * @example
 * const linked = await jobsForLinks(ctx, { team: team.id });
 * // in the view: include('../partials/jobs-for', { linked })
 */
export async function jobsForLinks(ctx: ConsoleContext, links: Partial<Record<JobLinkKind, string>>): Promise<LinkedJobs | null> {
  const entry = (Object.entries(links) as Array<[JobLinkKind, string | undefined]>).find(([, id]) => id !== undefined && id !== '');
  if (!entry) return null;
  const [kind, id] = entry as [JobLinkKind, string];
  const path = ctx.options.jobLinks[kind];
  if (!path || ctx.queues.length === 0) return null;
  const results = await Promise.all(ctx.queues.map((queue) => linkedJobsOf(queue, kind, path, id)));
  const linked: LinkedJobs = {
    kind, id, path, jobs: [], scanned: 0, complete: true, truncated: false, scanLimit: LINKED_SCAN_LIMIT,
    indexedQueues: [], scannedQueues: [], indexPartial: false, counts: {}, errors: [], queues: ctx.queues.length,
  };
  results.forEach((result, i) => {
    if ('error' in result) {
      linked.errors.push({ queue: result.queue, message: result.error });
      return;
    }
    const name = ctx.queues[i]!.name;
    if (result.source === 'index') {
      linked.indexedQueues.push(name);
      linked.indexPartial ||= result.partial;
    } else {
      linked.scannedQueues.push(name);
      linked.scanned += result.scanned;
    }
    linked.jobs.push(...result.jobs);
    linked.complete &&= result.complete;
    if (result.counts) for (const [state, n] of Object.entries(result.counts)) linked.counts[state] = (linked.counts[state] ?? 0) + n;
    else for (const job of result.jobs) linked.counts[job.state] = (linked.counts[job.state] ?? 0) + 1;
  });
  linked.jobs.sort(
    (a, b) => stateRank(a.state) - stateRank(b.state) || newestFirst(b) - newestFirst(a),
  );
  if (linked.jobs.length > LINKED_LIMIT) {
    linked.jobs = linked.jobs.slice(0, LINKED_LIMIT);
    linked.truncated = true;
  }
  return linked;
}
