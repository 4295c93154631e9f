import { formatNumber } from '../../http/view-helpers';
import type { CurrencyRevenue } from '../../models/subscriptions-adapter';
import { JOB_STATES, type JobState } from '../../queues/queue-adapter';
import type { Queues } from './dashboard-figures';
import type { CountFigure, FailedFigure, QueueFigures, SignupFigures, SubscriptionFigures } from './queries';
import type { SignupSeries } from './signups-query';

/** Labels and series of a chart: what the server renders into `data-chart` and what a snapshot event replaces. */
export interface ChartData {
  labels: string[];
  /** Bucket keys (`2026-11-25`, `2026-11-25T14`) for charts a `{ at }` event increments. */
  keys?: string[];
  datasets: Array<{ label: string; data: number[] }>;
}

/** Everything `public/js/hooks/chart.js` needs to mount a chart, as JSON in the canvas's `data-chart`. */
export interface ChartSpec extends ChartData {
  type: 'line' | 'bar' | 'doughnut';
  /** SSE topic that updates it, or null for a still chart. */
  topic: string | null;
  /** Which entry of a snapshot event's `charts` it takes. */
  key: string;
  /** `{ at }` events add one to the bucket of `at` (day or hour). */
  increment?: 'day' | 'hour';
  stacked?: boolean;
  /** Accessible name of the canvas. */
  label: string;
}

export interface TileView {
  key: string;
  label: string;
  value: string;
  hint: string;
  href?: string;
  tone?: 'ok' | 'bad' | 'muted';
  /** Topic whose snapshots (and, with `count`, `{ at }` events) move it. */
  topic?: string;
  count?: boolean;
}

/** What a snapshot event carries: charts by key and tile texts by key. */
export interface Snapshot {
  kind: 'snapshot';
  charts: Record<string, ChartData>;
  tiles: Record<string, { value: string; hint?: string }>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Nov 25` for a day bucket, `14:00` for an hour bucket (UTC, like every date in the console). */
export function bucketLabel(key: string): string {
  if (key.length === 13) return `${key.slice(11, 13)}:00`;
  return `${MONTHS[Number(key.slice(5, 7)) - 1]} ${Number(key.slice(8, 10))}`;
}

export function seriesChart(series: SignupSeries): ChartData {
  return { labels: series.keys.map(bucketLabel), keys: series.keys, datasets: [{ label: 'Signups', data: series.counts }] };
}

export function countText(figure: CountFigure): string {
  if (figure.kind === 'exact') return formatNumber(figure.value);
  if (figure.kind === 'at-least') return `${formatNumber(figure.value)}+`;
  return `≈ ${new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1, minimumFractionDigits: figure.value >= 1000 ? 1 : 0 }).format(figure.value)}`;
}

/** Money in a currency's own minor unit (cents, yen…), never mixing currencies. */
export function moneyText(minorUnits: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 });
    const digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minorUnits / 10 ** digits);
  } catch {
    return `${currency} ${formatNumber(Math.round(minorUnits / 100))}`;
  }
}

export function mrrText(mrr: CurrencyRevenue[]): string {
  const shown = mrr.filter((m) => m.subscriptions > 0 || m.mrrCents > 0);
  if (shown.length === 0) return moneyText(0, 'USD');
  return shown.map((m) => moneyText(m.mrrCents, m.currency)).join(' · ');
}

export function changeText(last7: number, previous7: number): string {
  if (previous7 === 0) return last7 === 0 ? 'No signups in the 14 days before today' : `${formatNumber(previous7)} in the 7 days before`;
  const change = Math.round(((last7 - previous7) / previous7) * 100);
  const arrow = change > 0 ? '▲' : change < 0 ? '▼' : '=';
  return `${arrow} ${Math.abs(change)}% vs the 7 days before (${formatNumber(previous7)})`;
}

export function signupTiles(users: CountFigure, signups: SignupFigures | null): TileView[] {
  const tiles: TileView[] = [
    {
      key: 'users',
      label: 'Users',
      value: countText(users),
      hint: users.kind === 'estimate' ? 'Estimated from the database statistics' : 'Find a user by email or name →',
      href: '/users',
      topic: 'signups',
      count: users.kind === 'exact',
    },
  ];
  if (signups) {
    tiles.push({
      key: 'signups7',
      label: 'Signups, last 7 days',
      value: formatNumber(signups.last7),
      hint: changeText(signups.last7, signups.previous7),
      tone: signups.last7 >= signups.previous7 ? 'ok' : 'bad',
      topic: 'signups',
      count: true,
    });
  }
  return tiles;
}

export function teamTile(teams: CountFigure | null, subscriptions: SubscriptionFigures | null): TileView | null {
  if (subscriptions) {
    return {
      key: 'activeTeams',
      label: 'Active teams',
      value: formatNumber(subscriptions.activeOrTrialing),
      hint: teams ? `With an active or trialing subscription, of ${countText(teams)} teams` : 'With an active or trialing subscription',
      href: '/teams',
      topic: 'subscriptions',
    };
  }
  if (!teams) return null;
  return { key: 'activeTeams', label: 'Teams', value: countText(teams), hint: 'No subscriptions table: every team is counted', href: '/teams' };
}

export function mrrTile(subscriptions: SubscriptionFigures | null): TileView | null {
  if (!subscriptions) return null;
  const paying = subscriptions.mrr.reduce((n, m) => n + m.subscriptions, 0);
  const skipped = subscriptions.mrr.flatMap((m) => m.notNormalised).reduce((n, x) => n + x.subscriptions, 0);
  return {
    key: 'mrr',
    label: 'MRR',
    value: mrrText(subscriptions.mrr),
    hint: `${formatNumber(paying)} paying subscriptions${skipped ? ` (${formatNumber(skipped)} on other intervals not counted)` : ''}`,
    href: '/billing',
    topic: 'subscriptions',
  };
}

export function jobsTile(failed: Queues<FailedFigure>, jobs: Queues<QueueFigures[]>): TileView {
  const label = 'Failed jobs, 24 h';
  if (failed.kind === 'none') return { key: 'failed24h', label, value: '—', hint: 'No queues configured', tone: 'muted' };
  const { value, complete, unreachable } = failed.figures;
  const queueCount = jobs.kind === 'figures' ? jobs.figures.length : 0;
  return {
    key: 'failed24h',
    label,
    value: `${formatNumber(value)}${complete ? '' : '+'}`,
    hint: unreachable.length ? `Not answering: ${unreachable.join(', ')}` : `Across ${formatNumber(queueCount)} queue${queueCount === 1 ? '' : 's'} →`,
    href: '/dev/queues',
    tone: value > 0 || unreachable.length ? 'bad' : 'ok',
    topic: 'jobs',
  };
}

/** States drawn in the bar chart, in the order of the queue pages. */
export const CHART_STATES: readonly JobState[] = JOB_STATES;

export function jobsChart(jobs: Queues<QueueFigures[]>): ChartData | null {
  if (jobs.kind !== 'figures') return null;
  const queues = jobs.figures;
  return {
    labels: queues.map((q) => q.name),
    datasets: CHART_STATES.map((state) => ({ label: state, data: queues.map((q) => q.counts?.[state] ?? 0) })),
  };
}

export function planChart(subscriptions: SubscriptionFigures): ChartData {
  return { labels: subscriptions.byPlan.map((p) => p.plan || '(none)'), datasets: [{ label: 'Paying subscriptions', data: subscriptions.byPlan.map((p) => p.subscriptions) }] };
}

export function statusChart(subscriptions: SubscriptionFigures): ChartData {
  return { labels: subscriptions.byStatus.map((s) => s.status || '(none)'), datasets: [{ label: 'Subscriptions', data: subscriptions.byStatus.map((s) => s.subscriptions) }] };
}

export function tileSnapshot(tiles: Array<TileView | null>): Snapshot['tiles'] {
  const out: Snapshot['tiles'] = {};
  for (const tile of tiles) if (tile) out[tile.key] = { value: tile.value, hint: tile.hint };
  return out;
}
