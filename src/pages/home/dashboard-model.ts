import type { DashboardFigures, Queues } from './dashboard-figures';
import {
  jobsChart,
  jobsTile,
  mrrTile,
  planChart,
  seriesChart,
  signupTiles,
  statusChart,
  teamTile,
  tileSnapshot,
  type ChartSpec,
  type Snapshot,
  type TileView,
} from './dashboard-view';
import type { QueueFigures } from './queries';

export type SignupRange = '30d' | '24h';

export interface DashboardModel {
  tiles: TileView[];
  signups: { range: SignupRange; chart: ChartSpec | null; missing: string | null };
  subscriptions: { plans: ChartSpec; statuses: ChartSpec } | null;
  jobs: { state: Queues<QueueFigures[]>['kind'] | 'unreadable'; chart: ChartSpec | null; message: string | null; queues: QueueFigures[] };
  /** Figures that could not be read (the page still renders the others). */
  problems: string[];
}

async function settle<T>(promise: Promise<T>, what: string, problems: string[], log: (message: string, err: unknown) => void): Promise<T | null> {
  try {
    return await promise;
  } catch (err) {
    problems.push(what);
    log(`express-backstage: the dashboard could not read ${what}`, err);
    return null;
  }
}

/** The dashboard as the page renders it: tiles, chart specs (with their live topics) and fallback figures. */
export async function dashboardModel(figures: DashboardFigures, range: SignupRange, live: boolean, log: (message: string, err: unknown) => void): Promise<DashboardModel> {
  const problems: string[] = [];
  const [users, signups, teams, subscriptions, jobs, failed] = await Promise.all([
    settle(figures.users(), 'the user count', problems, log),
    settle(figures.signups(), 'signups', problems, log),
    settle(figures.teams(), 'the team count', problems, log),
    settle(figures.subscriptions(), 'subscriptions', problems, log),
    settle(figures.jobs(), 'queue counts', problems, log),
    settle(figures.failed(), 'failed jobs', problems, log),
  ]);
  const topic = (name: string) => (live ? name : null);

  const tiles: TileView[] = [];
  if (users) tiles.push(...signupTiles(users, signups));
  const team = teamTile(teams, subscriptions);
  if (team) tiles.push(team);
  const mrr = mrrTile(subscriptions);
  if (mrr) tiles.push(mrr);
  if (jobs && failed) tiles.push(jobsTile(failed, jobs));

  const unit = range === '24h' ? 'hour' : 'day';
  const signupChart: ChartSpec | null = signups
    ? {
        type: 'line',
        topic: topic('signups'),
        key: `signups-${unit}`,
        increment: unit,
        label: range === '24h' ? 'Signups per hour over the last 24 hours' : 'Signups per day over the last 30 days',
        ...seriesChart(unit === 'hour' ? signups.hour : signups.day),
      }
    : null;

  const jobsData = jobs ? jobsChart(jobs) : null;
  return {
    tiles,
    signups: {
      range,
      chart: signupChart,
      missing: signups === null && !problems.includes('signups') ? 'Signups need the users table and its created-at column (models.users as a table mapping).' : null,
    },
    subscriptions: subscriptions
      ? {
          plans: { type: 'doughnut', topic: topic('subscriptions'), key: 'subscriptions-plan', label: 'Paying subscriptions by plan', ...planChart(subscriptions) },
          statuses: { type: 'doughnut', topic: topic('subscriptions'), key: 'subscriptions-status', label: 'Subscriptions by status', ...statusChart(subscriptions) },
        }
      : null,
    jobs: {
      state: jobs?.kind ?? 'unreadable',
      chart: jobsData ? { type: 'bar', topic: topic('jobs'), key: 'jobs', label: 'Jobs per queue by state', ...jobsData } : null,
      message: jobs === null ? 'The queue counts could not be read just now.' : null,
      queues: jobs?.kind === 'figures' ? jobs.figures : [],
    },
    problems,
  };
}

/** What the signups poller sends: both series and the tiles they move. */
export async function signupsSnapshot(figures: DashboardFigures): Promise<Snapshot | null> {
  const [users, signups] = await Promise.all([figures.users(), figures.signups()]);
  if (!signups) return null;
  return {
    kind: 'snapshot',
    charts: { 'signups-day': seriesChart(signups.day), 'signups-hour': seriesChart(signups.hour) },
    tiles: tileSnapshot(signupTiles(users, signups)),
  };
}

export async function subscriptionsSnapshot(figures: DashboardFigures): Promise<Snapshot | null> {
  const [teams, subscriptions] = await Promise.all([figures.teams(), figures.subscriptions()]);
  if (!subscriptions) return null;
  return {
    kind: 'snapshot',
    charts: { 'subscriptions-plan': planChart(subscriptions), 'subscriptions-status': statusChart(subscriptions) },
    tiles: tileSnapshot([teamTile(teams, subscriptions), mrrTile(subscriptions)]),
  };
}

export async function jobsSnapshot(figures: DashboardFigures): Promise<Snapshot | null> {
  const [jobs, failed] = await Promise.all([figures.jobs(), figures.failed()]);
  const chart = jobsChart(jobs);
  if (!chart) return null;
  return { kind: 'snapshot', charts: { jobs: chart }, tiles: tileSnapshot([jobsTile(failed, jobs)]) };
}
