/**
 * Stored and reflected XSS, judged by a real browser. A customer can name
 * themselves anything, a team anything, invite any address; a job carries
 * whatever the app put in it and fails with whatever the mail server said;
 * an error message quotes whatever the request held. Support then opens those
 * pages with the most privileged session the company has. So the corpus below
 * goes into every field the console shows, and every page is opened in
 * Chromium: no dialog may fire, no element may be injected, no request may go
 * where the payload points, the CSP reports nothing (a violation would mean
 * the browser was handed markup or script to run), and the text is shown as
 * the text it is.
 */
import fs from 'node:fs';
import path from 'node:path';
import Bull from 'bull';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openTestDb, type TestDb } from '../helpers/dialects';
import { createHostSchema, createInvitationsAndSubscriptions, insertInvitation, insertSubscription, insertTeam, insertUsers } from '../helpers/host-schema';
import { csrfTokenIn, encodeText, formBody, RawClient, signIn } from '../helpers/raw-http';
import { listRoutes } from '../helpers/route-census';
import { createTestApp, sessionUserIdSignIn, type TestApp } from '../helpers/test-app';
import { describeInBrowser, launchBrowser, listen, RESULTS_DIR, type Listening } from './helpers';

jest.setTimeout(240_000);

const REDIS_URL = process.env.TEST_REDIS_URL;

/**
 * Each payload calls alert with its own number, so a dialog names the payload
 * that got through. No NUL characters: the console refuses them in input, and
 * the host schema's text columns would store them anyway.
 */
const CORPUS = [
  `<script>alert('xss-1')</script>`,
  `<img src=x onerror=alert('xss-2')>`,
  `"><svg onload=alert('xss-3')>`,
  `'><a id=xss4 href="javascript:alert('xss-4')">click</a>`,
  `javascript:alert('xss-5')`,
  `<svg><script>alert('xss-6')</script></svg>`,
  `{{constructor.constructor('alert("xss-7")')()}}`,
  `<%= 7*7 %> <%- '<b>xss-8</b>' %>`,
  '${alert("xss-9")}',
  `</textarea></title></style><script>alert('xss-10')</script>`,
  `<iframe srcdoc="<script>alert('xss-11')</script>"></iframe>`,
  `" autofocus onfocus="alert('xss-12')" x="`,
  `' onmouseover='alert(13)' data-x='`,
  `<details open ontoggle=alert('xss-14')>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-15')>`,
  `<a href=" &#14;javascript:alert('xss-16')">x</a>`,
  `data:text/html,<script>alert('xss-17')</script>`,
  `--><img src=x onerror=alert('xss-18')><!--`,
  `<base href="//evil.test/">`,
  `<meta http-equiv="refresh" content="0;url=javascript:alert('xss-20')">`,
  `<link rel=stylesheet href="//evil.test/xss-21.css">`,
  `<div hx-get="/admin/users" hx-trigger="load" hx-target="body">xss-22</div>`,
  `\u202e<b>xss-23</b>\u202c`,
  `＜script＞alert('xss-24')＜/script＞`,
  `<scr<script>ipt>alert('xss-25')</scr</script>ipt>`,
  `<object data="javascript:alert('xss-26')"></object>`,
  `<form action="javascript:alert('xss-27')"><button>x</button></form>`,
  `\\"};alert('xss-28');//`,
  `<style>@import'//evil.test/xss-29.css';body{display:none}</style>`,
  `<img src="x" srcset="//evil.test/xss-30.png 1x">`,
];

/** A unique, still hostile value per field and payload (emails and names must not collide). */
const tagged = (payload: string, i: number, what: string) => `${payload} ${what}${i}`;

interface Seeded {
  root: string;
  users: string[];
  teams: string[];
  errors: string[];
  jobs: string[];
  /** Per page path: the exact texts it must show as text. */
  mustShow: Map<string, string[]>;
}

/** What the page looks like to an attacker's checklist, read inside the page. */
async function inspect(page: Page): Promise<{ injected: string[]; csp: string[]; text: string }> {
  return page.evaluate(() => {
    const injected: string[] = [];
    for (const el of Array.from(document.querySelectorAll('*'))) {
      const tag = el.tagName.toLowerCase();
      for (const attr of Array.from(el.attributes)) {
        if (attr.name.startsWith('on')) injected.push(`<${tag} ${attr.name}>`);
        if (['href', 'src', 'action', 'data', 'formaction', 'srcdoc'].includes(attr.name) && /^\s*(javascript|data|vbscript):/i.test(attr.value.replace(/[\u0000-\u001f]/g, ''))) {
          injected.push(`<${tag} ${attr.name}="${attr.value.slice(0, 40)}">`);
        }
      }
      if (tag === 'script' && !el.getAttribute('src')) injected.push('<script> without src');
      if (['iframe', 'object', 'embed', 'base', 'svg', 'math', 'frame', 'mglyph'].includes(tag)) injected.push(`<${tag}>`);
      if (tag === 'meta' && el.getAttribute('http-equiv')) injected.push('<meta http-equiv>');
      if (tag === 'img' && /(^|\/)x$/.test(el.getAttribute('src') ?? '')) injected.push('<img src=x>');
      if (tag === 'style' || (tag === 'link' && /evil/.test(el.getAttribute('href') ?? ''))) injected.push(`<${tag}>`);
      if (tag === 'a' && el.id === 'xss4') injected.push('<a id=xss4>');
      // `<b>xss-23</b>`, `<div hx-get…>xss-22</div>`: a payload that became an element of its own.
      if (/^xss-\d+$/.test((el.textContent ?? '').trim())) injected.push(`<${tag}>${el.textContent}`);
    }
    const csp = ((window as unknown as { __csp?: string[] }).__csp ?? []).slice();
    return { injected, csp, text: document.body ? document.body.innerText : '' };
  });
}

describeInBrowser('the XSS corpus in every field, every page opened in Chromium', () => {
  let testDb: TestDb;
  let host: TestApp;
  let server: Listening;
  let browser: Browser;
  let queue: Bull.Queue | null = null;
  let seeded: Seeded;
  const dialogs: string[] = [];
  const strayRequests: string[] = [];
  const visited: string[] = [];

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    const { db } = testDb;
    await createHostSchema(db, 'sqlite');
    await createInvitationsAndSubscriptions(db, 'sqlite');
    // The operator is hostile too: their own name and email are shown in the header and the audit log.
    const [root] = await insertUsers(db, 'sqlite', [{ email: `"><img src=x onerror=alert('xss-op')>@ops.test`, name: `<script>alert('xss-op-name')</script>`, role: 'superuser' }]);
    const users = await insertUsers(
      db,
      'sqlite',
      CORPUS.map((payload, i) => ({ email: tagged(payload, i, 'user') + '@xss.test', name: payload })),
    );
    const teams: string[] = [];
    for (const [i, payload] of CORPUS.entries()) {
      const team = await insertTeam(db, 'sqlite', tagged(payload, i, 'team'), [[users[i], 'owner'], [users[(i + 1) % users.length], 'member']]);
      await db.updateTable('teams').set({ slug: payload }).where('id', '=', Number(team)).execute();
      await db.updateTable('memberships').set({ role: payload }).where('team_id', '=', Number(team)).where('user_id', '=', Number(users[(i + 1) % users.length])).execute();
      await insertInvitation(db, 'sqlite', { teamId: team, email: tagged(payload, i, 'invite') + '@xss.test', role: payload, invitedById: users[i], expiresAt: new Date(Date.now() + 86_400_000) });
      await insertSubscription(db, 'sqlite', { teamId: team, plan: tagged(payload, i, 'plan'), status: i % 3 === 0 ? 'past_due' : 'active', amountCents: 1000 + i, externalId: payload });
      teams.push(team);
    }

    const jobs: string[] = [];
    if (REDIS_URL) {
      queue = new Bull('xss-mail', REDIS_URL, { prefix: `bs-test-xss-${process.pid}-${Date.now().toString(36)}` });
      void queue.process('*', async (job) => {
        await job.log(job.data.note);
        await job.progress(50);
        if (job.data.fail) throw Object.assign(new Error(job.data.note), { stack: `Error: ${job.data.note}\n    in mailer` });
        return { answer: job.data.note };
      });
      for (const [i, payload] of CORPUS.entries()) {
        const job = await queue.add(tagged(payload, i, 'job'), { userId: users[i], teamId: teams[i], note: payload, fail: i % 2 === 0, nested: { [payload]: payload }, to: tagged(payload, i, 'to') });
        jobs.push(String(job.id));
      }
      await queue.add('later', { userId: users[0], note: CORPUS[1] }, { delay: 3_600_000 });
      for (let i = 0; i < 300; i++) {
        const counts = await queue.getJobCounts();
        if (counts.failed + counts.completed >= CORPUS.length) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    host = await createTestApp({
      db,
      admin: { impersonation: { signIn: sessionUserIdSignIn, landingPath: '/app' }, ...(queue ? { queues: [queue] } : {}) },
      routes: (app) => {
        app.get('/app', (req: any, res: any) => res.send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title></head><body><main><h1>The app</h1></main></body></html>`));
        // A host route that fails with what the request held, recorded by admin.errorHandler.
        app.get('/app/fail', (req: any) => {
          throw Object.assign(new Error(String(req.query.why)), { stack: `Error: ${String(req.query.why)}\n    in host route` });
        });
        app.use((err: any, req: any, res: any, next: any) => host.admin.errorHandler(err, req, res, next));
        app.use((_err: any, _req: any, res: any, _next: any) => res.status(500).send('host error page'));
      },
    });
    server = await listen(host.app);

    // The audit log, through the console itself: a ban and an unban with hostile reasons for every payload user.
    const support = new RawClient(server.url);
    let token = await signIn(support, root);
    for (const [i, payload] of CORPUS.entries()) {
      await support.post(`/admin/users/${users[i]}/ban`, formBody({ _csrf: token, reason: payload }));
      await support.post(`/admin/users/${users[i]}/unban`, formBody({ _csrf: token, reason: tagged(payload, i, 'reason') }));
      await support.post(`/admin/teams/${teams[i]}/scope`, formBody({ _csrf: token }));
      // Errors: captured from a job, and from a failing host request whose URL and user agent carry the payload.
      host.admin.captureError(Object.assign(new Error(tagged(payload, i, 'error')), { stack: `Error: ${payload}\n    in job ${payload}` }), {
        userId: users[i],
        teamId: payload,
        requestId: payload,
        job: payload,
        [payload.slice(0, 30)]: payload,
      });
      await support.get(`/app/fail?why=${encodeText(tagged(payload, i, 'request'))}&${encodeText(payload)}=1`, { headers: { 'user-agent': payload.replace(/[^\x20-\x7e]/g, '?') } });
    }
    await support.post('/admin/scope/exit', formBody({ _csrf: token }));
    token = csrfTokenIn((await support.get('/admin/')).text) ?? token;
    // Impersonations with hostile reasons, of hostile users, by the hostile operator: the Impersonations page lists them all.
    for (const [i, payload] of CORPUS.entries()) {
      const start = await support.get(`/admin/users/${users[i]}/impersonate`);
      await support.post(`/admin/users/${users[i]}/impersonate`, formBody({ _csrf: csrfTokenIn(start.text)!, reason: payload, minutes: '5', mode: i % 2 ? 'full' : 'read-only' }));
      // The last one stays running, so the page's "Running now" table (and its End form) shows it.
      if (i < CORPUS.length - 1) await support.post('/admin/impersonation/stop', formBody({ _csrf: csrfTokenIn((await support.get('/app')).text)! }));
    }
    support.close();
    let errors: string[] = [];
    for (let i = 0; i < 200 && errors.length < CORPUS.length * 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      errors = (await db.selectFrom('backstage_errors').select('id').execute()).map((r: any) => String(r.id));
    }

    const mustShow = new Map<string, string[]>();
    const show = (p: string, ...texts: string[]) => mustShow.set(p, [...(mustShow.get(p) ?? []), ...texts]);
    CORPUS.forEach((payload, i) => {
      show(`/users/${users[i]}`, tagged(payload, i, 'user') + '@xss.test', tagged(payload, i, 'reason'));
      show(`/teams/${teams[i]}`, tagged(payload, i, 'team'), tagged(payload, i, 'invite') + '@xss.test');
      if (jobs[i]) show(`/dev/queues/xss-mail/jobs/${jobs[i]}`, tagged(payload, i, 'job'));
    });
    show('/impersonations', CORPUS[CORPUS.length - 1], tagged(CORPUS[CORPUS.length - 1], CORPUS.length - 1, 'user') + '@xss.test');
    seeded = { root, users, teams, errors, jobs, mustShow };
    browser = await launchBrowser();
  });

  afterAll(async () => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, 'xss-pages.json'), JSON.stringify({ payloads: CORPUS.length, pages: visited.length, visited }, null, 2));
    await browser?.close();
    await server?.close();
    await host?.admin.close();
    if (queue) {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    await testDb?.destroy();
  });

  async function operatorContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(() => {
      (window as unknown as { __csp: string[] }).__csp = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { __csp: string[] }).__csp.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    context.on('page', (page) => {
      page.on('dialog', (dialog) => {
        dialogs.push(`${dialog.type()}: ${dialog.message()} on ${page.url()}`);
        void dialog.dismiss();
      });
    });
    context.on('request', (request) => {
      const url = new URL(request.url());
      // Another origin (//evil.test), or a relative `src=x`; the pages' own query strings may quote the payloads.
      if (url.origin !== server.url || /\/x$/.test(url.pathname) || /evil/.test(url.pathname)) strayRequests.push(request.url());
    });
    const page = await context.newPage();
    await page.goto(`${server.url}/test/sign-in/${seeded.root}`);
    await page.close();
    return context;
  }

  /** Opens each path (several tabs at once) and checks it; returns the problems found. */
  async function openAll(context: BrowserContext, paths: string[]): Promise<string[]> {
    const problems: string[] = [];
    const queue = [...paths];
    const worker = async () => {
      const page = await context.newPage();
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const response = await page.goto(`${server.url}/admin${next}`, { waitUntil: 'load' });
        // Let htmx and the console's script run, so an injected hx-trigger="load" or handler would fire now.
        await page.waitForTimeout(30);
        visited.push(next);
        const status = response?.status() ?? 0;
        if (status >= 500) problems.push(`${status} on ${next}`);
        const { injected, csp, text } = await inspect(page);
        if (injected.length) problems.push(`injected on ${next}: ${[...new Set(injected)].join(', ')}`);
        if (csp.length) problems.push(`CSP violations on ${next}: ${csp.join(', ')}`);
        for (const expected of seeded.mustShow.get(next) ?? []) {
          if (!text.includes(expected)) problems.push(`${next} does not show ${JSON.stringify(expected)} as text`);
        }
      }
      await page.close();
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return problems;
  }

  it('every page of the census, for every hostile user, team, error and job: no dialog, nothing injected, no CSP report, the text as text', async () => {
    const context = await operatorContext();
    const { users, teams, errors, jobs } = seeded;
    const paths: string[] = [];
    for (const route of listRoutes(host.admin).filter((r) => r.method === 'GET' && r.path !== '/live')) {
      const params = route.path.match(/:\w+/g) ?? [];
      if (params.length === 0) {
        paths.push(route.path);
        continue;
      }
      const values = route.path.startsWith('/users/') ? users : route.path.startsWith('/teams/') ? teams : route.path.startsWith('/errors/') ? errors : route.path.startsWith('/dev/queues/') ? jobs : [];
      if (route.path.startsWith('/dev/queues/') && !route.path.includes(':id')) {
        if (queue) paths.push(route.path.replace(':name', 'xss-mail'));
        continue;
      }
      for (const value of values) paths.push(route.path.replace(':name', 'xss-mail').replace(':id', encodeURIComponent(value)));
    }
    if (queue) {
      for (const state of ['failed', 'completed', 'delayed']) paths.push(`/dev/queues/xss-mail?state=${state}`);
      paths.push('/dev/queues/xss-mail?field=note&op=contains&value=xss&states=failed,completed');
      for (const user of users.slice(0, 5)) paths.push(`/dev/linked-jobs?user=${user}`);
    }
    paths.push('/users?limit=200', '/teams?limit=200', '/audit?limit=200', '/errors?limit=200&status=all', '/billing', '/users?q=img', '/users?q=script', '/teams?q=svg', '/errors?q=alert');
    // Downloads (a job's data.json) are files, not pages: served as attachments that no browser renders as HTML.
    const downloads = paths.filter((p) => p.endsWith('.json'));
    for (const download of downloads) {
      const res = await context.request.get(`${server.url}/admin${download}`);
      expect({ download, status: res.status(), type: res.headers()['content-type'], disposition: res.headers()['content-disposition']?.split(';')[0], sniff: res.headers()['x-content-type-options'] }).toEqual({
        download,
        status: 200,
        type: 'application/json; charset=utf-8',
        disposition: 'attachment',
        sniff: 'nosniff',
      });
    }
    const problems = await openAll(context, paths.filter((p) => !p.endsWith('.json')));
    await context.close();
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(strayRequests).toEqual([]);
    expect(visited.length).toBeGreaterThan(CORPUS.length * 3);
  });

  it('reflected: every list parameter holding the corpus comes back as text in the 400 page or the form', async () => {
    const context = await operatorContext();
    const lists = ['/users', '/teams', '/audit', '/errors', '/billing', '/', ...(queue ? ['/dev/queues/xss-mail', '/dev/linked-jobs'] : []), `/teams/${seeded.teams[0]}`];
    const params = ['q', 'sort', 'status', 'role', 'from', 'limit', 'after', 'actor', 'action', 'plan', 'state', 'field', 'value', 'find', 'user', 'team'];
    const paths: string[] = [];
    for (const list of lists) {
      for (const [i, param] of params.entries()) {
        // Every payload is tried in every parameter across the lists, two at a time per page.
        const payload = `${CORPUS[i % CORPUS.length]}${CORPUS[(i + lists.indexOf(list) + 7) % CORPUS.length]}`;
        paths.push(`${list}?${param}=${encodeText(payload)}${param === 'field' ? '&value=1' : ''}`);
      }
    }
    const problems = await openAll(context, paths);
    await context.close();
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(strayRequests).toEqual([]);
  });

  it('the flash after an action, the team scope bar and the impersonation banner in the host app show hostile names as text', async () => {
    const context = await operatorContext();
    const page = await context.newPage();
    const [i] = [2];
    const target = seeded.users[i];
    // A flash naming the user (post/redirect/get), and support mode naming the team, through the browser's own session.
    await page.goto(`${server.url}/admin/users/${target}`);
    const token = csrfTokenIn(await page.content())!;
    await context.request.post(`${server.url}/admin/users/${target}/ban`, { form: { _csrf: token, reason: CORPUS[3] }, maxRedirects: 0 });
    await context.request.post(`${server.url}/admin/teams/${seeded.teams[i]}/scope`, { form: { _csrf: token }, maxRedirects: 0 });
    // Ending the running impersonation from the Impersonations page: its flash names the hostile operator and user.
    await page.goto(`${server.url}/admin/impersonations`);
    const end = /action="\/admin\/impersonations\/(\d+)\/end"/.exec(await page.content());
    expect(end).not.toBeNull();
    await context.request.post(`${server.url}/admin/impersonations/${end![1]}/end`, { form: { _csrf: token, reason: CORPUS[21] }, maxRedirects: 0 });
    const problems = await openAll(context, [`/users/${target}`, '/users', '/audit', '/impersonations']);
    await page.goto(`${server.url}/admin/users`);
    expect(await page.locator('#team-scope').innerText()).toContain(tagged(CORPUS[i], i, 'team'));
    await context.request.post(`${server.url}/admin/users/${target}/unban`, { form: { _csrf: token }, maxRedirects: 0 });

    // Impersonating the hostile user: the banner in the host's page and the closed console name them.
    const start = await context.request.post(`${server.url}/admin/users/${target}/impersonate`, { form: { _csrf: token, reason: CORPUS[10], minutes: '5', mode: 'read-only' }, maxRedirects: 0 });
    expect(start.status()).toBe(303);
    await page.goto(`${server.url}/app`);
    const banner = page.locator('aside.backstage-imp');
    expect(await banner.innerText()).toContain(`${CORPUS[i]} <${tagged(CORPUS[i], i, 'user')}@xss.test>`);
    const inApp = await inspect(page);
    const closed = await page.goto(`${server.url}/admin/`);
    expect(closed?.status()).toBe(403);
    const inConsole = await inspect(page);
    expect(inConsole.text).toContain(tagged(CORPUS[i], i, 'user'));
    await page.getByRole('button', { name: /Stop impersonating/ }).first().click();
    await page.waitForURL(`${server.url}/admin/users/${target}`);
    const after = await inspect(page);
    await context.close();

    expect(problems).toEqual([]);
    // The banner's own stylesheet link is the console's, not the payload's.
    for (const seen of [inApp, inConsole, after]) {
      expect(seen.injected).toEqual([]);
      expect(seen.csp).toEqual([]);
    }
    expect(dialogs).toEqual([]);
    expect(strayRequests).toEqual([]);
  });
});
