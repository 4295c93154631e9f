/**
 * Impersonation in real Chromium, as support does it: from the user's page,
 * fill in the form, land in the app as the customer with the banner (styled,
 * under the host's strict CSP), be refused a change in read-only mode, press
 * Stop, be back in the console. Saves a screenshot of the banner to
 * test-results/impersonation-banner.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { openTestDb, type TestDb } from '../helpers/dialects';
import { createHostSchema, insertTeam, insertUsers } from '../helpers/host-schema';
import { createTestApp, sessionUserIdSignIn, type TestApp } from '../helpers/test-app';
import { describeInBrowser, launchBrowser, listen, RESULTS_DIR, type Listening } from './helpers';

jest.setTimeout(60_000);

const HOST_CSP = "default-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'";

describeInBrowser('impersonation in Chromium', () => {
  let testDb: TestDb;
  let host: TestApp;
  let server: Listening;
  let browser: Browser;
  let ids: Record<'sam' | 'jane', string>;
  const writes: string[] = [];

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    const [sam, jane] = await insertUsers(testDb.db, 'sqlite', [
      { email: 'sam@ops.test', name: 'Sam Support', role: 'admin' },
      { email: 'jane@acme.test', name: 'Jane Doe' },
    ]);
    ids = { sam, jane };
    await insertTeam(testDb.db, 'sqlite', 'Acme Inc', [[jane, 'owner']]);
    host = await createTestApp({
      db: testDb.db,
      admin: { appName: 'Tasklane', impersonation: { signIn: sessionUserIdSignIn, landingPath: '/app', policy: 'Only with the customer\'s consent.' } },
      routes: (app) => {
        // The host's own pages, under a CSP that forbids inline styles and scripts.
        app.use('/app', (_req: any, res: any, next: any) => {
          res.set('Content-Security-Policy', HOST_CSP);
          next();
        });
        app.get('/app', (req: any, res: any) => {
          res.send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tasklane</title></head>
<body>
  <header><h1>Tasklane</h1><p id="who">Signed in as ${req.user ? req.user.email : 'nobody'}</p></header>
  <main>
    <h2>Acme Inc · Projects</h2>
    <ul><li>Website relaunch</li><li>Q3 invoices</li></ul>
    <form method="post" action="/app/projects"><input name="name" value="New project"><button id="create">Create project</button></form>
  </main>
</body></html>`);
        });
        app.post('/app/projects', express.urlencoded({ extended: false }), (req: any, res: any) => {
          writes.push(String(req.body.name));
          res.redirect(303, '/app');
        });
      },
    });
    server = await listen(host.app);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await host?.admin.close();
    await testDb?.destroy();
  });

  async function newPage(): Promise<{ page: Page; cspViolations: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    // The console's data-confirm asks "Sign in to the app as …?": support says yes.
    page.on('dialog', (dialog) => dialog.accept());
    return { page, cspViolations };
  }

  it('support impersonates Jane from her page, sees the app as her with the banner, is refused a change, stops, and is back in the console', async () => {
    const { page, cspViolations } = await newPage();
    await page.goto(`${server.url}/test/sign-in/${ids.sam}`);

    await page.goto(`${server.url}/admin/users/${ids.jane}`);
    await page.getByRole('link', { name: 'Impersonate' }).click();
    await page.waitForURL(`${server.url}/admin/users/${ids.jane}/impersonate`);
    await expectText(page, 'h1', 'Impersonate Jane Doe');
    await expectText(page, '.policy', "Only with the customer's consent.");

    await page.getByLabel('Reason (required, kept in the audit log)').fill('Ticket #4521: Jane cannot see the Q3 invoices project');
    await page.getByLabel('Duration').selectOption('5');
    expect(await page.getByLabel('Read-only: look, change nothing').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Start impersonating' }).click();

    await page.waitForURL(`${server.url}/app`);
    await expectText(page, '#who', 'Signed in as jane@acme.test');
    const banner = page.locator('aside.backstage-imp');
    await banner.waitFor({ state: 'visible' });
    const bannerText = await banner.innerText();
    expect(bannerText).toContain('You are sam@ops.test, acting as Jane Doe <jane@acme.test>');
    expect(bannerText).toContain('5 minutes left');
    expect(bannerText).toContain('READ-ONLY');
    // Styled by the console's stylesheet despite the host's CSP: fixed to the bottom of the window.
    const style = await banner.evaluate((el) => {
      const css = getComputedStyle(el);
      return { position: css.position, bottom: css.bottom };
    });
    expect(style).toEqual({ position: 'fixed', bottom: '0px' });
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await banner.screenshot({ path: path.join(RESULTS_DIR, 'impersonation-banner.png') });

    // Read-only: the app's own form is refused, with the banner still there to stop.
    await page.locator('#create').click();
    await expectText(page, 'h1', 'Refused: read-only impersonation');
    expect(await page.locator('main').innerText()).toContain('nothing was changed');
    expect(writes).toEqual([]);

    await page.getByRole('button', { name: 'Stop impersonating' }).click();
    await page.waitForURL(`${server.url}/admin/users/${ids.jane}`);
    await expectText(page, '.notice.success', 'You stopped impersonating jane@acme.test');
    await expectText(page, '.whoami', 'sam@ops.test');
    const trail = await page.locator('#trail-title').locator('..').innerText();
    expect(trail).toContain('impersonation.started');
    expect(trail).toContain('impersonation.write_refused');
    expect(trail).toContain('impersonation.stopped');

    await page.goto(`${server.url}/app`);
    await expectText(page, '#who', 'Signed in as sam@ops.test');
    expect(await page.locator('aside.backstage-imp').count()).toBe(0);
    expect(cspViolations).toEqual([]);
    expect(fs.statSync(path.join(RESULTS_DIR, 'impersonation-banner.png')).size).toBeGreaterThan(1000);
    await page.context().close();
  });
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  const locator = page.locator(selector).first();
  await locator.waitFor({ state: 'attached' });
  expect(await locator.innerText()).toContain(text);
}
