/**
 * The dashboard and the runtime page in real Chromium, under the console's
 * CSP (`script-src 'self'`, `style-src 'self'`): the charts draw, move when
 * something happens, tear down when htmx swaps them out, and without
 * JavaScript the same figures are tables.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openTestDb, type TestDb } from '../helpers/dialects';
import { createHostSchema, createInvitationsAndSubscriptions, insertSubscription, insertTeam, insertUsers } from '../helpers/host-schema';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { describeInBrowser, launchBrowser, listen, RESULTS_DIR, type Listening } from './helpers';

const DAY = 86_400_000;

describeInBrowser('the live dashboard in Chromium', () => {
  let browser: Browser;
  let testDb: TestDb;
  let host: TestApp;
  let server: Listening;
  let admin: string;
  const queueCounts = { emails: { waiting: 3, active: 1, delayed: 0, completed: 40, failed: 2, paused: 0 }, billing: { waiting: 0, active: 0, delayed: 2, completed: 12, failed: 0, paused: 0 } };

  /** A queue seen through the adapter interface, with counts the test can change. */
  function queue(name: keyof typeof queueCounts) {
    return {
      name,
      counts: async () => ({ ...queueCounts[name] }),
      listJobs: async (state: string, page: { start?: number; size?: number } = {}) => ({ state, jobs: [], total: 0, start: page.start ?? 0, size: page.size ?? 20 }),
      getJob: async () => null,
    };
  }

  beforeAll(async () => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    browser = await launchBrowser();
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    await createInvitationsAndSubscriptions(testDb.db, 'sqlite');
    const now = Date.now();
    const people = [{ email: 'sam@ops.test', name: 'Sam Support', role: 'admin', createdAt: new Date(now - 90 * DAY) }];
    // A month of signups with a weekly rhythm, so the line has a shape.
    for (let day = 0; day < 30; day++) {
      const count = 2 + ((day * 7) % 5) + (day % 7 === 2 ? 4 : 0);
      for (let i = 0; i < count; i++) people.push({ email: `user-${day}-${i}@example.test`, name: `User ${day}-${i}`, role: 'user', createdAt: new Date(now - day * DAY - i * 3_600_000) });
    }
    const ids = await insertUsers(testDb.db, 'sqlite', people);
    admin = ids[0];
    const plans: Array<[string, string, number]> = [
      ['pro', 'active', 4900],
      ['pro', 'active', 4900],
      ['pro', 'past_due', 4900],
      ['business', 'active', 19900],
      ['starter', 'active', 900],
      ['starter', 'trialing', 900],
      ['starter', 'canceled', 900],
    ];
    for (const [i, [plan, status, amount]] of plans.entries()) {
      const team = await insertTeam(testDb.db, 'sqlite', `Team ${i}`, [[ids[i + 1], 'owner']]);
      await insertSubscription(testDb.db, 'sqlite', { teamId: team, plan, status, amountCents: amount });
    }
    host = await createTestApp({ db: testDb.db, admin: { appName: 'Acme', queues: [queue('emails'), queue('billing')], live: { pollMs: 500, sampleMs: 500 } } });
    server = await listen(host.app);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.admin.close();
    await server?.close();
    await testDb?.destroy();
  });

  /** A signed-in page that records CSP violations and console errors. */
  async function operatorPage(options: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, javaScriptEnabled: options.javaScriptEnabled ?? true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      // Failed requests are reported with their URL below.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      // The host app of the test has no favicon; everything else must load.
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
      });
    });
    await page.goto(`${server.url}/test/sign-in/${admin}`);
    return { context, page, problems };
  }

  /** How many pixels of a canvas are painted: a blank canvas has none. */
  function paintedPixels(page: Page, selector: string): Promise<number[]> {
    return page.$$eval(selector, (canvases) =>
      (canvases as HTMLCanvasElement[]).map((canvas) => {
        const context = canvas.getContext('2d')!;
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
        return painted;
      }),
    );
  }

  it('draws the three charts under the CSP, then moves the line and the tiles within 2 s of a signup', async () => {
    const { context, page, problems } = await operatorPage();
    const streams: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/admin/live')) streams.push(new URL(request.url()).search);
    });
    await page.goto(`${server.url}/admin/`);
    await page.waitForSelector('canvas[data-chart-ready]');
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart-ready]').length === 4);
    const keys = await page.$$eval('canvas[data-chart]', (canvases) => canvases.map((c) => JSON.parse(c.getAttribute('data-chart')!).key));
    expect(keys).toEqual(['signups-day', 'subscriptions-plan', 'subscriptions-status', 'jobs']);
    await page.waitForTimeout(400); // the first animation
    const painted = await paintedPixels(page, 'canvas[data-chart]');
    for (const count of painted) expect(count).toBeGreaterThan(2000);
    // The figures are still there for screen readers, visually hidden.
    expect(await page.isVisible('.chart.is-drawn .chart-canvas')).toBe(true);
    await page.waitForSelector('[data-live-status][data-state="live"]');
    // One EventSource for every chart and tile of the page.
    expect(streams).toEqual([`?topics=${encodeURIComponent('jobs,signups,subscriptions')}`]);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'dashboard.png'), fullPage: true });

    const before = await page.evaluate(() => {
      const chart = (window as any).Chart.getChart(document.querySelector('canvas[data-chart*="signups-day"]'));
      return { today: chart.data.datasets[0].data.at(-1), tile: document.querySelector('[data-tile="signups7"] [data-tile-value]')!.textContent };
    });
    const started = Date.now();
    await host.admin.publish('signups', { at: new Date().toISOString() });
    await page.waitForFunction(
      (expected) => {
        const chart = (window as any).Chart.getChart(document.querySelector('canvas[data-chart*="signups-day"]'));
        return chart.data.datasets[0].data.at(-1) === expected;
      },
      before.today + 1,
      { timeout: 2000 },
    );
    expect(Date.now() - started).toBeLessThan(2000);
    const tile = await page.textContent('[data-tile="signups7"] [data-tile-value]');
    expect(Number(tile!.replace(/,/g, ''))).toBe(Number(before.tile!.replace(/,/g, '')) + 1);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'dashboard-after-signup.png'), fullPage: false });

    expect(problems).toEqual([]);
    // The watch itself works: an inline style attribute is refused by the CSP and reported.
    await page.evaluate(() => document.body.setAttribute('style', 'outline: 1px solid red'));
    await page.waitForTimeout(200);
    expect(problems.some((problem) => problem.includes('CSP violation: style-src'))).toBe(true);
    await context.close();
  });

  it('a failed job moves the bar chart and the failed-jobs tile', async () => {
    const { context, page, problems } = await operatorPage();
    await page.goto(`${server.url}/admin/`);
    await page.waitForSelector('canvas[data-chart*="jobs"][data-chart-ready]');
    await page.waitForSelector('[data-live-status][data-state="live"]');
    queueCounts.emails = { ...queueCounts.emails, active: 0, failed: 3 };
    await host.admin.publish('jobs', { queue: 'emails', state: 'failed' });
    await page.waitForFunction(
      () => {
        const chart = (window as any).Chart.getChart(document.querySelector('canvas[data-chart*="jobs"]'));
        const failed = chart.data.datasets.find((d: any) => d.label === 'failed');
        return failed.data[0] === 3;
      },
      undefined,
      { timeout: 3000 },
    );
    await page.screenshot({ path: path.join(RESULTS_DIR, 'dashboard-failed-job.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the 24-hour toggle swaps the chart through htmx: the old chart is destroyed, the new one live', async () => {
    const { context, page, problems } = await operatorPage();
    let streams = 0;
    page.on('request', (request) => {
      if (request.url().includes('/admin/live')) streams++;
    });
    await page.goto(`${server.url}/admin/`);
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart-ready]').length === 4);
    await page.waitForSelector('[data-live-status][data-state="live"]');
    await page.click('text=Per hour, 24 hours');
    await page.waitForSelector('canvas[data-chart*="signups-hour"][data-chart-ready]');
    expect(page.url()).toContain('signups=24h');
    const charts = await page.evaluate(() => Object.keys((window as any).Chart.instances).length);
    expect(charts).toBe(4);
    const labels = await page.evaluate(() => (window as any).Chart.getChart(document.querySelector('canvas[data-chart*="signups-hour"]')).data.labels.length);
    expect(labels).toBe(24);
    await page.waitForSelector('[data-live-status][data-state="live"]');
    const before = await page.evaluate(() => (window as any).Chart.getChart(document.querySelector('canvas[data-chart*="signups-hour"]')).data.datasets[0].data.at(-1));
    await host.admin.publish('signups', { at: new Date().toISOString() });
    await page.waitForFunction(
      (expected) => (window as any).Chart.getChart(document.querySelector('canvas[data-chart*="signups-hour"]')).data.datasets[0].data.at(-1) === expected,
      before + 1,
      { timeout: 2000 },
    );
    await page.screenshot({ path: path.join(RESULTS_DIR, 'dashboard-24h.png'), fullPage: false });
    // The swapped chart joined the page's one stream: the topics did not change, so neither did the connection.
    expect(streams).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('without JavaScript the same figures are tables, and nothing is blank', async () => {
    const { context, page } = await operatorPage({ javaScriptEnabled: false });
    await page.goto(`${server.url}/admin/`);
    expect(await page.isVisible('.chart-fallback table')).toBe(true);
    expect(await page.isVisible('.chart-canvas')).toBe(false);
    expect(await page.locator('.chart-fallback table').count()).toBe(4);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'dashboard-no-javascript.png'), fullPage: true });
    await context.close();
  });

  it('the runtime page draws its charts and its figures move', async () => {
    const { context, page, problems } = await operatorPage();
    await page.goto(`${server.url}/admin/dev/runtime`);
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart-ready]').length === 3);
    const first = await page.textContent('[data-live-at]');
    await page.waitForFunction((was) => document.querySelector('[data-live-at]')!.textContent !== was, first, { timeout: 3000 });
    await page.waitForFunction(() => (window as any).Chart.getChart(document.querySelector('canvas[data-chart*="memory"]')).data.labels.length >= 3, undefined, { timeout: 4000 });
    const painted = await paintedPixels(page, 'canvas[data-chart]');
    for (const count of painted) expect(count).toBeGreaterThan(500);
    const text = await page.textContent('main');
    expect(text).toContain('Node.js process');
    expect(text).toMatch(/Delay p99\s*[\d.]+ ms/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'runtime.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });
});
