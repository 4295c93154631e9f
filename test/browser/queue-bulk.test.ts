/**
 * A superuser retries 3,000 failed jobs in real Chromium and watches the
 * progress bar fill over the live stream (no reload), then the final counts;
 * a hidden tab closes its stream and reopens it when visible; a job with a
 * 5 MB payload opens without the page carrying it. Screenshots in
 * test-results/queue-bulk-progress.png and queue-bulk-finished.png.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openTestDb, type TestDb } from '../helpers/dialects';
import { createHostSchema, insertUsers } from '../helpers/host-schema';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { createFixture, uniquePrefix, type QueueFixture } from '../queues/helpers/queue-fixtures';
import { describeInBrowser, launchBrowser, listen, RESULTS_DIR, type Listening } from './helpers';

jest.setTimeout(120_000);

const FAILED = 3000;

describeInBrowser('bulk queue actions in Chromium', () => {
  let testDb: TestDb;
  let fx: QueueFixture;
  let host: TestApp;
  let server: Listening;
  let browser: Browser;
  let root: string;
  let bigJob: string;

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    [root] = await insertUsers(testDb.db, 'sqlite', [{ email: 'root@ops.test', role: 'superuser' }]);
    fx = await createFixture('bull', uniquePrefix('browser-queue-bulk'));
    await fx.addBulk(Array.from({ length: FAILED }, (_, i) => ({ data: { kind: 'fail', n: i, teamId: 7 }, opts: { attempts: 1 } })));
    fx.startWorker(100);
    await fx.waitForCounts((c) => c.failed === FAILED, `${FAILED} failed jobs`, 60_000);
    await fx.stopWorker();
    bigJob = await fx.add({ kind: 'ok', to: 'huge@acme.test', blob: 'x'.repeat(5 * 1024 * 1024) }, { delay: 3_600_000 });
    // A pause between batches long enough to watch the bar move.
    host = await createTestApp({ db: testDb.db, admin: { queues: [fx.queue], queueBulkPauseMs: 400, live: { pollMs: 500 } } });
    server = await listen(host.app);
    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await host?.admin.close();
    await fx?.close();
    await testDb?.destroy();
  });

  async function signedInPage(): Promise<{ page: Page; loads: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    // Every EventSource the page opens, so the test can see streams close and reopen.
    await context.addInitScript(() => {
      const Native = window.EventSource;
      const opened: EventSource[] = [];
      (window as unknown as { __streams: EventSource[] }).__streams = opened;
      window.EventSource = class extends Native {
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          opened.push(this);
        }
      } as typeof EventSource;
    });
    const page = await context.newPage();
    const loads: string[] = [];
    page.on('load', () => loads.push(page.url()));
    await page.goto(`${server.url}/test/sign-in/${root}`);
    return { page, loads };
  }

  it('retries every failed job with the progress bar filling live, then shows the final counts and the audit link', async () => {
    const { page, loads } = await signedInPage();
    await page.goto(`${server.url}/admin/dev/queues/${fx.name}`);
    await page.getByRole('link', { name: 'Retry all failed…' }).click();
    await page.waitForURL(/\/retry-failed$/);
    await page.locator('#confirm-title', { hasText: 'This will retry 3,000 failed jobs.' }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Retry 3,000 failed jobs' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    const loadsOnRunPage = loads.length;

    // Some jobs done, not all: the bar moved without a reload.
    await page.waitForFunction(() => {
      const bar = document.querySelector('progress[data-run-progress]') as HTMLProgressElement | null;
      return bar !== null && bar.value > 0 && bar.value < 3000;
    }, undefined, { timeout: 20_000 });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'queue-bulk-progress.png') });
    await page.getByText('Recorded in the audit log with these counts.').waitFor({ timeout: 30_000 });
    expect(loads.length).toBe(loadsOnRunPage);
    expect(await page.locator('[data-run-field="done"]').textContent()).toBe('3,000');
    expect(await page.locator('[data-run-status]').textContent()).toBe('Finished.');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'queue-bulk-finished.png') });
    expect(await fx.adapter.counts()).toMatchObject({ failed: 0, waiting: FAILED });
    await page.context().close();
  });

  it('a hidden tab closes its live stream and opens a new one when it is visible again', async () => {
    const { page } = await signedInPage();
    await page.goto(`${server.url}/admin/dev/queues`);
    await page.waitForFunction(() => (window as unknown as { __streams: EventSource[] }).__streams.some((s) => s.readyState === 1));
    const setHidden = (hidden: boolean) =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'hidden', { value, configurable: true });
        Object.defineProperty(document, 'visibilityState', { value: value ? 'hidden' : 'visible', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    const hidden = await page.evaluate(() => ({
      open: (window as unknown as { __streams: EventSource[] }).__streams.filter((s) => s.readyState !== 2).length,
      status: document.querySelector('[data-live-status]')?.textContent,
    }));
    expect(hidden).toEqual({ open: 0, status: 'Paused while hidden' });
    await setHidden(false);
    await page.waitForFunction(() => (window as unknown as { __streams: EventSource[] }).__streams.filter((s) => s.readyState === 1).length === 1);
    expect(await page.evaluate(() => (window as unknown as { __streams: EventSource[] }).__streams.length)).toBe(2);
    await page.context().close();
  });

  it('opens a job with a 5 MB payload at once: 256 KB shown, the rest a download away', async () => {
    const { page } = await signedInPage();
    const response = await page.goto(`${server.url}/admin/dev/queues/${fx.name}/jobs/${bigJob}`);
    expect(response!.status()).toBe(200);
    const html = await response!.text();
    expect(html.length).toBeLessThan(300 * 1024);
    await page.getByText(/The data is 5\.0 MB as JSON; only the first 256\.0 KB are shown here\./).waitFor();
    const download = page.getByRole('link', { name: 'Download the whole data as JSON' });
    expect(await download.getAttribute('download')).toBe('');
    await page.context().close();
  });
});
