/**
 * The dashboard at /admin: tiles and charts computed by the database from a
 * hand-built population whose every figure is known, on each dialect.
 */
import { sql } from 'kysely';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, createInvitationsAndSubscriptions, insertSubscription, insertTeam, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';

/** The console's clock for these tests: mid-afternoon UTC, so "today" already has hours behind it. */
const NOW = new Date('2026-03-15T14:30:00.000Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const daysAgo = (n: number, hour = 9) => new Date(Date.UTC(2026, 2, 15 - n, hour, 5));

/** Every chart the page rendered, by its key, read back from the canvases' data-chart JSON. */
function chartsOf(html: string): Record<string, { type: string; topic: string | null; labels: string[]; keys?: string[]; datasets: Array<{ label: string; data: number[] }> }> {
  const charts: Record<string, any> = {};
  for (const match of html.matchAll(/data-chart="([^"]+)"/g)) {
    const spec = JSON.parse(decoded(match[1]));
    charts[spec.key] = spec;
  }
  return charts;
}

/** A tile's value and hint, read from the page. */
function tileOf(html: string, key: string): { value: string; hint: string } | null {
  const match = new RegExp(`data-tile="${key}"[\\s\\S]*?data-tile-value>([^<]*)<\\/div>\\s*<div class="hint[^"]*" data-tile-hint>([^<]*)<`).exec(html);
  return match ? { value: decoded(match[1]).trim(), hint: decoded(match[2]).trim() } : null;
}

/**
 * Signups: 2 today (one at 13:00, one at 14:10 — the latter in the current hour), 1 yesterday at 20:00,
 * 1 four days ago, 1 six days ago (still "last 7 days"), 3 between 7 and 13 days ago, 1 40 days ago
 * (outside the chart). Plus the two operators, created long ago.
 */
function population(): Array<{ email: string; role?: string; createdAt: Date }> {
  return [
    { email: 'root@ops.test', role: 'superuser', createdAt: new Date('2025-01-01T00:00:00Z') },
    { email: 'sam@ops.test', role: 'admin', createdAt: new Date('2025-01-02T00:00:00Z') },
    { email: 'today-1@acme.test', createdAt: new Date('2026-03-15T13:00:00Z') },
    { email: 'today-2@acme.test', createdAt: new Date('2026-03-15T14:10:00Z') },
    { email: 'yesterday@acme.test', createdAt: new Date('2026-03-14T20:00:00Z') },
    { email: 'four-days@acme.test', createdAt: daysAgo(4) },
    { email: 'six-days@acme.test', createdAt: daysAgo(6, 0) },
    { email: 'seven-days@globex.test', createdAt: daysAgo(7, 23) },
    { email: 'ten-days@globex.test', createdAt: daysAgo(10) },
    { email: 'thirteen-days@globex.test', createdAt: daysAgo(13) },
    { email: 'forty-days@initech.test', createdAt: daysAgo(40) },
  ];
}

describe.each(DIALECTS)('the dashboard on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  let admin: string;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    await createInvitationsAndSubscriptions(testDb.db, dialect);
    const ids = await insertUsers(testDb.db, dialect, population());
    admin = ids[1];
    const acme = await insertTeam(testDb.db, dialect, 'Acme', [[ids[2], 'owner']]);
    const globex = await insertTeam(testDb.db, dialect, 'Globex', [[ids[7], 'owner']]);
    const initech = await insertTeam(testDb.db, dialect, 'Initech', [[ids[10], 'owner']]);
    const umbrella = await insertTeam(testDb.db, dialect, 'Umbrella', [[ids[8], 'owner']]);
    const hooli = await insertTeam(testDb.db, dialect, 'Hooli', [[ids[9], 'owner']]);
    // MRR by hand: USD 2 × $29 monthly + $240 yearly (= $20/month) + past-due $29 = $107; EUR €10 monthly; trialing and canceled excluded.
    await insertSubscription(testDb.db, dialect, { teamId: acme, plan: 'pro', status: 'active', amountCents: 2900 });
    await insertSubscription(testDb.db, dialect, { teamId: globex, plan: 'pro', status: 'active', amountCents: 2900 });
    await insertSubscription(testDb.db, dialect, { teamId: initech, plan: 'business', status: 'active', amountCents: 24000, interval: 'year' });
    await insertSubscription(testDb.db, dialect, { teamId: umbrella, plan: 'pro', status: 'past_due', amountCents: 2900 });
    await insertSubscription(testDb.db, dialect, { teamId: hooli, plan: 'starter', status: 'active', amountCents: 1000, currency: 'eur' });
    await insertSubscription(testDb.db, dialect, { teamId: hooli, plan: 'pro', status: 'trialing', amountCents: 2900 });
    await insertSubscription(testDb.db, dialect, { teamId: acme, plan: 'starter', status: 'canceled', amountCents: 1000 });
    host = await createTestApp({ db: testDb.db, admin: { now: () => NOW } });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('support sees signups per day over 30 days, counted by the database in UTC days', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/').expect(200);
    const line = chartsOf(res.text)['signups-day'];
    expect(line.type).toBe('line');
    expect(line.topic).toBe('signups');
    expect(line.keys).toHaveLength(30);
    expect(line.keys![29]).toBe('2026-03-15');
    expect(line.keys![0]).toBe('2026-02-14');
    expect(line.labels[29]).toBe('Mar 15');
    const byDay = Object.fromEntries(line.keys!.map((key, i) => [key, line.datasets[0].data[i]]));
    expect(byDay).toMatchObject({ '2026-03-15': 2, '2026-03-14': 1, '2026-03-11': 1, '2026-03-09': 1, '2026-03-08': 1, '2026-03-05': 1, '2026-03-02': 1 });
    expect(line.datasets[0].data.reduce((a, b) => a + b, 0)).toBe(8);
    // Without JavaScript the same figures are a table next to the canvas.
    expect(decoded(res.text)).toMatch(/<th scope="row">Mar 15<\/th>\s*<td class="num">2<\/td>/);
  });

  it('the signups tile compares the last 7 days with the 7 before', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/').expect(200);
    expect(tileOf(res.text, 'signups7')).toEqual({ value: '5', hint: '▲ 67% vs the 7 days before (3)' });
    expect(tileOf(res.text, 'users')!.value).toBe('11');
  });

  it('the toggle shows signups per hour over the last 24 hours, as an htmx fragment', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/?signups=24h').set('HX-Request', 'true').expect(200);
    expect(res.text).not.toContain('<html');
    expect(res.text).toContain('id="signups-card"');
    const hourly = chartsOf(res.text)['signups-hour'];
    expect(hourly.keys).toHaveLength(24);
    expect(hourly.keys![23]).toBe('2026-03-15T14');
    expect(hourly.keys![0]).toBe('2026-03-14T15');
    const byHour = Object.fromEntries(hourly.keys!.map((key, i) => [key, hourly.datasets[0].data[i]]));
    expect(byHour).toMatchObject({ '2026-03-15T14': 1, '2026-03-15T13': 1, '2026-03-14T20': 1 });
    expect(hourly.datasets[0].data.reduce((a, b) => a + b, 0)).toBe(3);
    expect(hourly.labels[23]).toBe('14:00');
  });

  it('an unknown range is a clear 400, not a chart of nothing', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/?signups=1y').expect(400);
    expect(decoded(res.text)).toContain('The signups chart shows 30d or 24h');
  });

  it('subscriptions by plan and by status, MRR per currency and active teams come from grouped queries', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/').expect(200);
    const charts = chartsOf(res.text);
    const plans = Object.fromEntries(charts['subscriptions-plan'].labels.map((label, i) => [label, charts['subscriptions-plan'].datasets[0].data[i]]));
    expect(plans).toEqual({ pro: 3, business: 1, starter: 1 });
    const statuses = Object.fromEntries(charts['subscriptions-status'].labels.map((label, i) => [label, charts['subscriptions-status'].datasets[0].data[i]]));
    expect(statuses).toEqual({ active: 4, past_due: 1, trialing: 1, canceled: 1 });
    expect(charts['subscriptions-plan'].type).toBe('doughnut');
    expect(tileOf(res.text, 'mrr')!.value).toBe('$107 · €10');
    expect(tileOf(res.text, 'activeTeams')!.value).toBe('5');
  });

  it('without queues the jobs tile and chart say so instead of showing zeros', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/').expect(200);
    expect(tileOf(res.text, 'failed24h')).toEqual({ value: '—', hint: 'No queues configured' });
    expect(res.text).toContain('No queues configured. Pass your Bull or BullMQ queues');
    expect(chartsOf(res.text).jobs).toBeUndefined();
  });

  it('figures are kept for a few seconds, and a published signup makes the next load read them again', async () => {
    const { agent } = await host.agentAs(admin);
    await agent.get('/admin/').expect(200);
    await insertUsers(testDb.db, dialect, [{ email: `late-${dialect}@acme.test`, createdAt: new Date('2026-03-15T14:20:00Z') }]);
    const cached = await agent.get('/admin/').expect(200);
    expect(tileOf(cached.text, 'signups7')!.value).toBe('5');
    await host.admin.publish('signups', { at: '2026-03-15T14:20:00Z' });
    const fresh = await agent.get('/admin/').expect(200);
    expect(tileOf(fresh.text, 'signups7')!.value).toBe('6');
    expect(tileOf(fresh.text, 'users')!.value).toBe('12');
    await testDb.db.deleteFrom('users').where('email', '=', `late-${dialect}@acme.test`).execute();
    await host.admin.publish('signups', {});
  });

  it('the page loads Chart.js from the package and the hook, and no inline script', async () => {
    const { agent } = await host.agentAs(admin);
    const res = await agent.get('/admin/').expect(200);
    expect(res.text).toContain('/admin/assets/vendor/chart.js/chart.umd.min.js');
    expect(res.text).toContain('/admin/assets/js/hooks/chart.js');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\sstyle="/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    const asset = await agent.get('/admin/assets/vendor/chart.js/chart.umd.min.js').expect(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });
});

describe.each(DIALECTS)('signups when the users table stores dates its own way, on %s', (dialect) => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
  });

  afterAll(async () => {
    await testDb?.destroy();
  });

  async function accounts(storage: 'epoch-ms' | 'epoch-s' | 'iso-text') {
    const table = `accounts_${storage.replace('-', '_')}`;
    const type = storage === 'iso-text' ? 'varchar(40)' : 'bigint';
    await testDb.db.schema
      .createTable(table)
      .addColumn('id', 'integer', (col) => col.primaryKey())
      .addColumn('email', 'varchar(200)', (col) => col.notNull())
      .addColumn('role', 'varchar(20)')
      .addColumn('signed_up', sql.raw(type) as any)
      .execute();
    const write = (date: Date) => (storage === 'epoch-ms' ? date.getTime() : storage === 'epoch-s' ? Math.floor(date.getTime() / 1000) : date.toISOString().replace('T', ' ').slice(0, 19));
    const rows = [
      { id: 1, email: 'ops@x.test', role: 'admin', signed_up: write(new Date('2025-01-01T00:00:00Z')) },
      { id: 2, email: 'a@x.test', role: 'user', signed_up: write(new Date(NOW.getTime() - 10 * 60_000)) },
      { id: 3, email: 'b@x.test', role: 'user', signed_up: write(new Date(NOW.getTime() - 2 * HOUR)) },
      { id: 4, email: 'c@x.test', role: 'user', signed_up: write(new Date(NOW.getTime() - 3 * DAY)) },
    ];
    await testDb.db.insertInto(table).values(rows).execute();
    return table;
  }

  it.each(['epoch-ms', 'epoch-s', 'iso-text'] as const)('dates stored as %s are bucketed by day and hour', async (storage) => {
    const table = await accounts(storage);
    const host = await createTestApp({
      db: testDb.db,
      hostUsers: { table, id: 'id' },
      admin: { now: () => NOW, models: { users: { table, columns: { createdAt: 'signed_up', name: null, bannedAt: null, confirmedAt: null, lastSignInAt: null }, dates: storage } } },
    });
    try {
      const { agent } = await host.agentAs('1');
      const day = chartsOf((await agent.get('/admin/').expect(200)).text)['signups-day'];
      const byDay = Object.fromEntries(day.keys!.map((key, i) => [key, day.datasets[0].data[i]]));
      expect(byDay['2026-03-15']).toBe(2);
      expect(byDay['2026-03-12']).toBe(1);
      const hour = chartsOf((await agent.get('/admin/?signups=24h').expect(200)).text)['signups-hour'];
      const byHour = Object.fromEntries(hour.keys!.map((key, i) => [key, hour.datasets[0].data[i]]));
      expect(byHour['2026-03-15T14']).toBe(1);
      expect(byHour['2026-03-15T12']).toBe(1);
    } finally {
      await host.admin.close();
    }
  });
});

describe('jobs on the dashboard, through the queue adapter interface', () => {
  let testDb: TestDb;
  let host: TestApp;

  /** A hand-written adapter: two queues with known counts and failures at known times. */
  function queue(name: string, counts: Record<string, number>, failedAgoMs: number[]) {
    const failed = failedAgoMs.map((ago, i) => ({
      id: `${name}-${i}`,
      queue: name,
      name: 'job',
      state: 'failed',
      data: {},
      opts: {},
      attemptsMade: 1,
      attemptsAllowed: 1,
      progress: 0,
      failedReason: 'boom',
      stacktrace: [],
      returnValue: null,
      timestamps: { created: NOW.getTime() - ago - 1000, processed: NOW.getTime() - ago - 500, finished: NOW.getTime() - ago, delayedUntil: null },
    }));
    return {
      name,
      counts: async () => ({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: failed.length, paused: 0, ...counts }),
      listJobs: async (state: string, page: { start?: number; size?: number } = {}) => {
        const start = page.start ?? 0;
        const size = page.size ?? 20;
        const jobs = state === 'failed' ? failed.slice(start, start + size) : [];
        return { state, jobs, total: state === 'failed' ? failed.length : 0, start, size };
      },
      getJob: async () => null,
    };
  }

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    await insertUsers(testDb.db, 'sqlite', [{ email: 'ops@ops.test', role: 'admin' }]);
    const emails = queue('emails', { waiting: 4, active: 1, completed: 120 }, [HOUR, 2 * HOUR, 30 * HOUR]);
    const billing = queue('billing', { delayed: 2, completed: 40 }, [10 * 60_000]);
    host = await createTestApp({ db: testDb.db, admin: { now: () => NOW, queues: [emails, billing] } });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('support sees jobs per queue by state and the failures of the last 24 hours', async () => {
    const { agent } = await host.agentAs('1');
    const res = await agent.get('/admin/').expect(200);
    const bar = chartsOf(res.text).jobs;
    expect(bar.type).toBe('bar');
    expect(bar.topic).toBe('jobs');
    expect(bar.labels).toEqual(['emails', 'billing']);
    const series = Object.fromEntries(bar.datasets.map((d) => [d.label, d.data]));
    expect(series).toMatchObject({ waiting: [4, 0], active: [1, 0], delayed: [0, 2], completed: [120, 40], failed: [3, 1] });
    expect(tileOf(res.text, 'failed24h')).toEqual({ value: '3', hint: 'Across 2 queues →' });
  });
});
