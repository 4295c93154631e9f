/**
 * Impersonation (DESIGN §4): support signs in as a customer for a few minutes,
 * with a reason, sees the app as them under a banner, and every step is in the
 * audit log. The host here is express-session keeping `req.session.userId`;
 * test/impersonation-hosts.test.ts covers a passport host and a host without
 * express-session.
 */
import Database from 'better-sqlite3';
import express from 'express';
import { Kysely, SqliteDialect } from 'kysely';
import request from 'supertest';
import { CookieAccessInfo } from 'cookiejar';
import { createAdmin } from '../src';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertTeam, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, sessionUserIdSignIn, type TestApp } from './helpers/test-app';

const T0 = Date.UTC(2026, 2, 2, 9, 30, 0);
let clock = T0;
const now = () => new Date(clock);
const minutesLater = (minutes: number) => {
  clock += minutes * 60_000;
};

const POLICY = 'Only with the customer\'s consent, recorded in the ticket.\nNever change <b>billing</b> details & "plans".';

type Agent = ReturnType<typeof request.agent>;

function sidOf(agent: Agent): string | undefined {
  return (agent as any).jar.getCookie('connect.sid', CookieAccessInfo.All)?.value;
}

/** The console's CSRF token on a page: the hidden form field, or the htmx header on <body>. */
function csrfIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html) ?? /x-csrf-token&#34;:&#34;([^&]+)&#34;/.exec(html);
  if (!match) throw new Error(`no CSRF token in the page:\n${html.slice(0, 500)}`);
  return match[1]!;
}

/** The Stop form's token, read from the banner the way a browser would submit it. */
function bannerToken(html: string): string {
  const banner = /<aside class="backstage-imp[\s\S]*?<\/aside>/.exec(html);
  if (!banner) throw new Error(`no banner in the page:\n${html.slice(0, 500)}`);
  return csrfIn(banner[0]);
}

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('timed out waiting for the audit log');
}

describe.each(DIALECTS)('impersonation on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  let ids: Record<'root' | 'sam' | 'ann' | 'jane' | 'bob' | 'mallory' | 'carol', string>;

  async function signIn(app: TestApp, userId: string): Promise<Agent> {
    const agent = request.agent(app.app);
    await agent.get(`/test/sign-in/${userId}`).expect(200);
    return agent;
  }

  interface Started {
    agent: Agent;
    res: request.Response;
    sidBefore: string | undefined;
    sidAfter: string | undefined;
  }

  async function startImpersonating(operatorId: string, targetId: string, form: Record<string, string> = {}, app = host): Promise<Started> {
    const agent = await signIn(app, operatorId);
    const page = await agent.get(`/admin/users/${targetId}/impersonate`).expect(200);
    const sidBefore = sidOf(agent);
    const res = await agent
      .post(`/admin/users/${targetId}/impersonate`)
      .set('User-Agent', 'support-browser/1.0')
      .type('form')
      .send({ _csrf: csrfIn(page.text), reason: 'Ticket #4521: invoice totals look wrong', minutes: '5', mode: 'read-only', ...form });
    return { agent, res, sidBefore, sidAfter: sidOf(agent) };
  }

  async function lastEventId(): Promise<number> {
    const row = await testDb.db.selectFrom('backstage_audit_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  async function eventsAfter(mark: number) {
    const rows = await testDb.db.selectFrom('backstage_audit_events').selectAll().where('id', '>', mark as any).orderBy('id').execute();
    return rows.map((row: any) => ({
      action: String(row.action),
      actorId: row.actor_id === null ? null : String(row.actor_id),
      actorEmail: row.actor_email,
      subjectId: row.subject_id === null ? null : String(row.subject_id),
      reason: row.reason,
      data: row.data ? JSON.parse(row.data) : null,
      ip: row.ip,
      userAgent: row.user_agent,
    }));
  }

  async function nameOf(userId: string): Promise<string | null> {
    const row = await testDb.db.selectFrom('users').select('name').where('id', '=', userId as any).executeTakeFirstOrThrow();
    return row.name;
  }

  function hostRoutes(app: any) {
    app.get('/', (req: any, res: any) => {
      res.send(`<!doctype html><html><head><title>Tasklane</title></head><body><h1>Signed in as ${req.user ? req.user.email : 'nobody'}</h1></body></html>`);
    });
    app.get('/api/me', (req: any, res: any) => res.json({ email: req.user?.email ?? null }));
    app.get('/fragment', (_req: any, res: any) => res.send('<tr><td>one row for htmx</td></tr>'));
    app.get('/stream', (_req: any, res: any) => {
      res.type('html');
      res.write('<!doctype html><html><body><p>part one</p>');
      setTimeout(() => {
        res.write('<p>part two</p>');
        res.end('</body></html>');
      }, 5);
    });
    app.get('/cached', (_req: any, res: any) => {
      res.set('ETag', '"v1"');
      res.send('<html><body>a page the browser has cached</body></html>');
    });
    app.get('/host-rendered', (req: any, res: any) => {
      res.json({ html: host.admin.bannerHtml(req), target: res.locals.backstageImpersonation?.target.email ?? null });
    });
    app.post('/settings', express.urlencoded({ extended: false }), async (req: any, res: any, next: any) => {
      try {
        await testDb.db.updateTable('users').set({ name: req.body.name }).where('id', '=', req.user.id).execute();
        res.redirect(303, '/?saved=1');
      } catch (err) {
        next(err);
      }
    });
    app.delete('/projects/:id', (_req: any, res: any) => res.status(404).json({ error: 'no such project' }));
  }

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    const [root, sam, ann, jane, bob, mallory, carol] = await insertUsers(testDb.db, dialect, [
      { email: 'root@ops.test', name: 'Rita Root', role: 'superuser' },
      { email: 'sam@ops.test', name: 'Sam Support', role: 'admin' },
      { email: 'ann@ops.test', name: 'Ann Admin', role: 'admin' },
      { email: 'jane@acme.test', name: 'Jane Doe' },
      { email: 'bob@acme.test', name: 'Bob Stone' },
      { email: 'mallory@evil.test', name: 'Mallory', bannedAt: new Date('2026-02-01T00:00:00Z') },
      { email: 'carol@globex.test', name: 'Carol' },
    ]);
    ids = { root, sam, ann, jane, bob, mallory, carol };
    await insertTeam(testDb.db, dialect, 'Acme Inc', [[jane, 'owner'], [bob, 'member']]);
    await insertTeam(testDb.db, dialect, 'Side Project', [[carol, 'owner'], [jane, 'member']]);
    host = await createTestApp({
      db: testDb.db,
      admin: { now, impersonation: { signIn: sessionUserIdSignIn, policy: POLICY } },
      routes: hostRoutes,
    });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  beforeEach(() => {
    clock = T0;
  });

  describe('the start page', () => {
    it('support finds the Impersonate button on the user page and sees who, which teams and the policy before starting', async () => {
      const agent = await signIn(host, ids.sam);
      const userPage = await agent.get(`/admin/users/${ids.jane}`).expect(200);
      expect(userPage.text).toContain(`href="/admin/users/${ids.jane}/impersonate"`);

      const page = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
      const text = decoded(page.text);
      expect(text).toContain('Impersonate Jane Doe');
      expect(text).toContain('jane@acme.test');
      expect(text).toContain('Acme Inc');
      expect(text).toContain('Side Project');
      // The host's policy, verbatim and escaped: its markup shows as text, its line break is kept.
      expect(page.text).toContain('Only with the customer&#39;s consent, recorded in the ticket.<br>Never change &lt;b&gt;billing&lt;/b&gt; details &amp; &#34;plans&#34;.');
      expect(page.text).not.toContain('<b>billing</b>');
      expect(page.text).toMatch(/<textarea name="reason" required/);
      const options = [...page.text.matchAll(/<option value="(\d+)"( selected)?/g)].map((m) => [m[1], !!m[2]]);
      expect(options).toEqual([['5', true], ['10', false], ['15', false], ['30', false]]);
      expect(page.text).toMatch(/name="mode" value="read-only" checked/);
      expect(page.text).toMatch(/name="mode" value="full">/);
    });

    it('hides the button where the policy says no: yourself, operators, banned users', async () => {
      const agent = await signIn(host, ids.sam);
      for (const who of [ids.sam, ids.ann, ids.root, ids.mallory]) {
        const page = await agent.get(`/admin/users/${who}`).expect(200);
        expect(page.text).not.toContain('/impersonate"');
      }
    });

    it('offers durations up to impersonation.maxMinutes only', async () => {
      const long = await createTestApp({ db: testDb.db, migrate: false, admin: { now, impersonation: { signIn: sessionUserIdSignIn, maxMinutes: 90 } } });
      const agent = await signIn(long, ids.sam);
      const page = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
      expect([...page.text.matchAll(/<option value="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([5, 10, 15, 30, 60, 90]);
      expect(page.text).not.toContain('Impersonation policy');
      await long.admin.close();
    });
  });

  describe('starting', () => {
    it('support starts a read-only impersonation: new session id, the app sees Jane, the audit log has who, whom, why, how long, from where', async () => {
      const mark = await lastEventId();
      const started = await startImpersonating(ids.sam, ids.jane);
      expect(started.res.status).toBe(303);
      expect(started.res.headers.location).toBe('/');
      expect(started.sidBefore).toBeDefined();
      expect(started.sidAfter).toBeDefined();
      expect(started.sidAfter).not.toBe(started.sidBefore);

      const home = await started.agent.get('/').expect(200);
      expect(home.text).toContain('Signed in as jane@acme.test');

      const events = await eventsAfter(mark);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'impersonation.started',
        actorId: ids.sam,
        actorEmail: 'sam@ops.test',
        subjectId: ids.jane,
        reason: 'Ticket #4521: invoice totals look wrong',
        data: { mode: 'read-only', minutes: 5, expiresAt: new Date(T0 + 5 * 60_000).toISOString() },
        userAgent: 'support-browser/1.0',
      });
      expect(events[0]!.ip).toMatch(/127\.0\.0\.1|::1/);
    });

    it('the session id from before the start no longer signs anyone in', async () => {
      const started = await startImpersonating(ids.sam, ids.jane);
      const replay = await request(host.app).get('/api/me').set('Cookie', `connect.sid=${started.sidBefore}`).expect(200);
      expect(replay.body).toEqual({ email: null });
      const current = await request(host.app).get('/api/me').set('Cookie', `connect.sid=${started.sidAfter}`).expect(200);
      expect(current.body).toEqual({ email: 'jane@acme.test' });
    });
  });

  describe('refusals: a clear message, a 4xx, and nothing in the audit log', () => {
    async function refused(operatorId: string, targetId: string, form: Record<string, string>, app = host) {
      const mark = await lastEventId();
      const agent = await signIn(app, operatorId);
      const page = await agent.get(`/admin/users/${operatorId}`);
      const res = await agent
        .post(`/admin/users/${targetId}/impersonate`)
        .type('form')
        .send({ _csrf: csrfIn(page.text), reason: 'Ticket #4521: invoice totals look wrong', minutes: '5', mode: 'read-only', ...form });
      const operator = await testDb.db.selectFrom('users').select('email').where('id', '=', operatorId as any).executeTakeFirstOrThrow();
      expect((await agent.get('/api/me')).body.email).toBe(operator.email);
      expect(await eventsAfter(mark)).toEqual([]);
      return { status: res.status, text: decoded(res.text) };
    }

    it('impersonating yourself', async () => {
      const res = await refused(ids.sam, ids.sam, {});
      expect(res.status).toBe(403);
      expect(res.text).toContain('You cannot impersonate yourself.');
    });

    it('an operator as the target (default policy): an admin and a superuser', async () => {
      const admin = await refused(ids.sam, ids.ann, {});
      expect(admin.status).toBe(403);
      expect(admin.text).toContain('ann@ops.test is an operator (admin), and operators cannot be impersonated.');
      const superuser = await refused(ids.sam, ids.root, {});
      expect(superuser.status).toBe(403);
      expect(superuser.text).toContain('root@ops.test is an operator (superuser)');
    });

    it('a banned target', async () => {
      const res = await refused(ids.sam, ids.mallory, {});
      expect(res.status).toBe(403);
      expect(res.text).toContain('mallory@evil.test is banned, and banned users cannot be impersonated.');
    });

    it('a missing or blank reason', async () => {
      for (const reason of ['', '   ', 'x']) {
        const res = await refused(ids.sam, ids.jane, { reason });
        expect(res.status).toBe(400);
        expect(res.text).toContain('Give a reason for impersonating this user');
      }
      const tooLong = await refused(ids.sam, ids.jane, { reason: 'r'.repeat(501) });
      expect(tooLong.status).toBe(400);
      expect(tooLong.text).toContain('The reason must be at most 500 characters.');
    });

    it('a duration over the maximum, or not one of the choices', async () => {
      const over = await refused(ids.sam, ids.jane, { minutes: '60' });
      expect(over.status).toBe(400);
      expect(over.text).toContain('An impersonation lasts at most 30 minutes (impersonation.maxMinutes).');
      const odd = await refused(ids.sam, ids.jane, { minutes: '7' });
      expect(odd.status).toBe(400);
      expect(odd.text).toContain('Choose one of these durations: 5, 10, 15, 30 minutes.');
      for (const minutes of ['', '-5', 'forever', '0x10']) {
        const bad = await refused(ids.sam, ids.jane, { minutes });
        expect(bad.status).toBe(400);
        expect(bad.text).toContain('Choose how long the impersonation lasts');
      }
    });

    it('a mode other than read-only or full', async () => {
      const res = await refused(ids.sam, ids.jane, { mode: 'admin' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('Choose read-only or full mode.');
    });

    it('nested impersonation: while acting as Jane, the start page and the start form are closed', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      const mark = await lastEventId();
      const page = await agent.get(`/admin/users/${ids.bob}/impersonate`);
      expect(page.status).toBe(403);
      expect(decoded(page.text)).toContain('You are acting as jane@acme.test, so the console is closed until you stop impersonating.');
      const post = await agent
        .post(`/admin/users/${ids.bob}/impersonate`)
        .type('form')
        .send({ _csrf: csrfIn(page.text), reason: 'Ticket #1: nested', minutes: '5', mode: 'full' });
      expect(post.status).toBe(403);
      expect((await agent.get('/api/me')).body.email).toBe('jane@acme.test');
      expect(await eventsAfter(mark)).toEqual([]);
    });

    it('the host policy says no (canImpersonate)', async () => {
      const canImpersonate = jest.fn((operator: any, target: any) => operator.isSuperuser || !target.email.endsWith('@globex.test'));
      const policyHost = await createTestApp({ db: testDb.db, migrate: false, admin: { now, impersonation: { signIn: sessionUserIdSignIn, canImpersonate } }, routes: hostRoutes });
      const res = await refused(ids.sam, ids.carol, {}, policyHost);
      expect(res.status).toBe(403);
      expect(res.text).toContain("This app's impersonation policy does not allow you to impersonate carol@globex.test.");
      const [operator, target] = canImpersonate.mock.calls.at(-1)!;
      expect(operator).toMatchObject({ id: ids.sam, email: 'sam@ops.test', role: 'admin', isSuperuser: false, user: expect.objectContaining({ email: 'sam@ops.test' }) });
      expect(target).toMatchObject({ id: ids.carol, email: 'carol@globex.test', banned: false });
      // The button follows the same policy.
      const agent = await signIn(policyHost, ids.sam);
      expect((await agent.get(`/admin/users/${ids.carol}`)).text).not.toContain('/impersonate"');
      expect((await agent.get(`/admin/users/${ids.jane}`)).text).toContain('/impersonate"');
      // Only `true` allows: a truthy value that is not true is a refusal.
      const sloppy = await createTestApp({ db: testDb.db, migrate: false, admin: { now, impersonation: { signIn: sessionUserIdSignIn, canImpersonate: (() => 'yes') as any } }, routes: hostRoutes });
      expect((await refused(ids.sam, ids.jane, {}, sloppy)).status).toBe(403);
      await policyHost.admin.close();
      await sloppy.admin.close();
    });

    it('starting when admin.guard is not mounted says how to mount it', async () => {
      const unguarded = await createTestApp({ db: testDb.db, migrate: false, guard: false, admin: { now, impersonation: { signIn: sessionUserIdSignIn } }, routes: hostRoutes });
      const agent = await signIn(unguarded, ids.sam);
      const page = await agent.get(`/admin/users/${ids.jane}/impersonate`);
      expect(page.status).toBe(409);
      expect(decoded(page.text)).toContain("app.use(admin.guard); app.use('/admin', admin);");
      const res = await refused(ids.sam, ids.jane, {}, unguarded);
      expect(res.status).toBe(409);
      expect(res.text).toContain('Impersonation needs admin.guard, and it did not run for this request.');
      await unguarded.admin.close();
    });

    it('impersonation disabled: the routes are 404 and the button is gone', async () => {
      for (const impersonation of [undefined, false] as const) {
        const off = await createTestApp({ db: testDb.db, migrate: false, admin: { now, impersonation }, routes: hostRoutes });
        const agent = await signIn(off, ids.sam);
        expect((await agent.get(`/admin/users/${ids.jane}`)).text).not.toContain('/impersonate"');
        expect((await agent.get(`/admin/users/${ids.jane}/impersonate`)).status).toBe(404);
        const res = await refused(ids.sam, ids.jane, {}, off);
        expect(res.status).toBe(404);
        const token = csrfIn((await agent.get('/admin/')).text);
        expect((await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: token })).status).toBe(404);
        await off.admin.close();
      }
    });

    it('a user id that does not exist', async () => {
      const agent = await signIn(host, ids.sam);
      const res = await agent.get('/admin/users/999999/impersonate');
      expect(res.status).toBe(404);
      expect(decoded(res.text)).toContain('No user with id 999999.');
    });
  });

  describe('the banner', () => {
    it('is on every HTML page of the app: who you are, who you act as, time left, and a Stop form with its token', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      minutesLater(1);
      const home = await agent.get('/').expect(200);
      const banner = /<aside class="backstage-imp[\s\S]*?<\/aside>/.exec(home.text)![0];
      expect(home.text.indexOf(banner)).toBeLessThan(home.text.indexOf('</body>'));
      expect(decoded(banner)).toContain('You are <strong>sam@ops.test</strong>, acting as\n      <strong>Jane Doe <jane@acme.test></strong>.');
      expect(banner).toContain('4 minutes left');
      expect(banner).toContain('Read-only');
      expect(banner).toContain('<form class="backstage-imp-stop" method="post" action="/admin/impersonation/stop">');
      expect(bannerToken(home.text)).toMatch(/^[0-9a-f]{64,}$/);
      expect(banner).toContain('<link rel="stylesheet" href="/admin/assets/css/impersonation-banner.css">');
      // Nothing a host CSP would block: no inline style, no script.
      expect(banner).not.toMatch(/style=|<script|on\w+=/i);
      expect(Number(home.headers['content-length'])).toBe(Buffer.byteLength(home.text));
      expect(home.headers['cache-control']).toBe('no-store');
      const css = await agent.get('/admin/assets/css/impersonation-banner.css').expect(200);
      expect(css.headers['content-type']).toMatch(/text\/css/);
    });

    it('counts down with the clock', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane, { minutes: '15' });
      expect((await agent.get('/')).text).toContain('15 minutes left');
      minutesLater(13.5);
      expect((await agent.get('/')).text).toContain('2 minutes left');
      minutesLater(1.2);
      expect((await agent.get('/')).text).toContain('less than a minute left');
    });

    it('is not added to JSON, to HTML fragments, or to anything of people who are not impersonating', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      const json = await agent.get('/api/me').expect(200);
      expect(json.headers['content-type']).toMatch(/application\/json/);
      expect(json.body).toEqual({ email: 'jane@acme.test' });
      const fragment = await agent.get('/fragment').expect(200);
      expect(fragment.text).toBe('<tr><td>one row for htmx</td></tr>');
      const head = await agent.head('/').expect(200);
      expect(head.text ?? '').toBe('');

      const jane = await signIn(host, ids.jane);
      expect((await jane.get('/')).text).not.toContain('backstage-imp');
      const sam = await signIn(host, ids.sam);
      expect((await sam.get('/')).text).not.toContain('backstage-imp');
    });

    it('is added to streamed HTML and to pages the browser has cached', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      const stream = await agent.get('/stream').expect(200);
      expect(stream.text).toMatch(/<p>part two<\/p><div class="backstage-imp-spacer"[\s\S]*<\/aside>\n?<\/body><\/html>$/);
      const cached = await agent.get('/cached').set('If-None-Match', '"v1"').expect(200);
      expect(cached.text).toContain('data-backstage-banner');
      expect(cached.headers.etag).toBeUndefined();
    });

    it('hosts can render it themselves: admin.bannerHtml(req) and res.locals.backstageImpersonation', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      const res = await agent.get('/host-rendered').expect(200);
      expect(res.body.target).toBe('jane@acme.test');
      expect(res.body.html).toContain('data-backstage-banner');
      expect(res.body.html).toContain('action="/admin/impersonation/stop"');
      const nobody = await (await signIn(host, ids.sam)).get('/host-rendered').expect(200);
      expect(nobody.body).toEqual({ html: '', target: null });
    });

    it('with injectBanner: false the host places it, and the guard adds none', async () => {
      let manual: TestApp;
      manual = await createTestApp({
        db: testDb.db,
        migrate: false,
        admin: { now, impersonation: { signIn: sessionUserIdSignIn, injectBanner: false } },
        routes: (app) => {
          app.get('/', (req: any, res: any) => res.send(`<html><body><h1>${req.user?.email}</h1><footer>${manual.admin.bannerHtml(req)}</footer></body></html>`));
          app.get('/plain', (_req: any, res: any) => res.send('<html><body>no banner here</body></html>'));
        },
      });
      const { agent } = await startImpersonating(ids.sam, ids.jane, {}, manual);
      const home = await agent.get('/').expect(200);
      expect(home.text.match(/data-backstage-banner/g)).toHaveLength(1);
      expect(home.text).toMatch(/<footer><div class="backstage-imp-spacer"/);
      expect((await agent.get('/plain')).text).not.toContain('data-backstage-banner');
      await manual.admin.close();
    });
  });

  describe('read-only mode', () => {
    it('refuses every change with a clear page, changes nothing, and records the attempt', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      const before = await nameOf(ids.jane);
      const mark = await lastEventId();
      const res = await agent.post('/settings?tab=profile').type('form').send({ name: 'Hacked Name' });
      expect(res.status).toBe(403);
      expect(decoded(res.text)).toContain('You are acting as jane@acme.test in read-only mode, so this POST request was refused and nothing was changed.');
      expect(res.text).toContain('data-backstage-banner');
      expect(res.text.match(/data-backstage-banner/g)).toHaveLength(1);
      expect(await nameOf(ids.jane)).toBe(before);

      for (const method of ['put', 'patch', 'delete'] as const) {
        expect((await agent[method]('/projects/7')).status).toBe(403);
      }
      const api = await agent.post('/settings').set('Accept', 'application/json').send({ name: 'Hacked' });
      expect(api.status).toBe(403);
      expect(api.body.error).toContain('read-only mode');

      const events = await eventsAfter(mark);
      expect(events.map((e) => [e.action, e.data.method, e.data.path])).toEqual([
        ['impersonation.write_refused', 'POST', '/settings'],
        ['impersonation.write_refused', 'PUT', '/projects/7'],
        ['impersonation.write_refused', 'PATCH', '/projects/7'],
        ['impersonation.write_refused', 'DELETE', '/projects/7'],
        ['impersonation.write_refused', 'POST', '/settings'],
      ]);
      expect(events[0]).toMatchObject({ actorId: ids.sam, subjectId: ids.jane });
    });

    it('still lets pages be read and lets Stop through', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      expect((await agent.get('/')).status).toBe(200);
      const stop = await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: bannerToken((await agent.get('/')).text) });
      expect(stop.status).toBe(303);
    });
  });

  describe('full mode', () => {
    it('lets support act as the user and records every change request with its status', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.bob, { mode: 'full' });
      const home = await agent.get('/').expect(200);
      expect(home.text).toContain('Full access');
      const mark = await lastEventId();
      const res = await agent.post('/settings?token=secret-in-query').type('form').send({ name: 'Bob S.' });
      expect(res.status).toBe(303);
      expect(await nameOf(ids.bob)).toBe('Bob S.');
      await agent.delete('/projects/12').expect(404);
      await agent.get('/').expect(200);
      const events = await waitFor(
        () => eventsAfter(mark),
        (rows) => rows.length >= 2,
      );
      expect(events.map((e) => [e.action, e.data])).toEqual([
        ['impersonation.request', { method: 'POST', path: '/settings', status: 303 }],
        ['impersonation.request', { method: 'DELETE', path: '/projects/12', status: 404 }],
      ]);
      expect(events[0]).toMatchObject({ actorId: ids.sam, subjectId: ids.bob });
      expect(JSON.stringify(events)).not.toContain('secret-in-query');
    });
  });

  describe('stopping', () => {
    it('Stop signs support back in with a new session id, records how long it lasted, and returns to the user page', async () => {
      const started = await startImpersonating(ids.sam, ids.jane, { minutes: '15' });
      const { agent } = started;
      minutesLater(2);
      const page = await agent.get('/').expect(200);
      const mark = await lastEventId();
      const stop = await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: bannerToken(page.text) });
      expect(stop.status).toBe(303);
      expect(stop.headers.location).toBe(`/admin/users/${ids.jane}`);
      const sidAfterStop = sidOf(agent);
      expect(sidAfterStop).not.toBe(started.sidAfter);

      const back = await agent.get(stop.headers.location).expect(200);
      expect(decoded(back.text)).toContain('You stopped impersonating jane@acme.test after 2 minutes. You are signed in as yourself again.');
      expect((await agent.get('/api/me')).body.email).toBe('sam@ops.test');
      expect((await agent.get('/')).text).not.toContain('backstage-imp');

      const events = await eventsAfter(mark);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: 'impersonation.stopped', actorId: ids.sam, subjectId: ids.jane, data: { mode: 'read-only', minutes: 15, durationSeconds: 120 } });

      // The impersonation's session id is dead: replaying it signs nobody in.
      const replay = await request(host.app).get('/api/me').set('Cookie', `connect.sid=${started.sidAfter}`).expect(200);
      expect(replay.body).toEqual({ email: null });
    });

    it('Stop needs its CSRF token', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      const mark = await lastEventId();
      for (const token of [undefined, 'forged']) {
        const res = await agent.post('/admin/impersonation/stop').type('form').send(token ? { _csrf: token } : {});
        expect(res.status).toBe(403);
      }
      expect((await agent.get('/api/me')).body.email).toBe('jane@acme.test');
      expect(await eventsAfter(mark)).toEqual([]);
    });

    it('Stop when not impersonating just says so', async () => {
      const agent = await signIn(host, ids.sam);
      const token = csrfIn((await agent.get('/admin/')).text);
      const res = await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: token });
      expect(res.status).toBe(303);
      expect(decoded((await agent.get(res.headers.location)).text)).toContain('You were not impersonating anyone.');
    });
  });

  describe('expiry', () => {
    it('when the time is up, the next request ends it, signs support back in and tells them on the console', async () => {
      const started = await startImpersonating(ids.sam, ids.jane);
      const { agent } = started;
      minutesLater(4);
      expect((await agent.get('/api/me')).body.email).toBe('jane@acme.test');
      minutesLater(1);
      const mark = await lastEventId();
      const res = await agent.get('/');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/admin/users/${ids.jane}`);
      expect(sidOf(agent)).not.toBe(started.sidAfter);

      const back = await agent.get(res.headers.location).expect(200);
      expect(decoded(back.text)).toContain('Your impersonation of jane@acme.test has ended: its 5 minutes were up. You are signed in as yourself again.');
      expect((await agent.get('/api/me')).body.email).toBe('sam@ops.test');
      const events = await eventsAfter(mark);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: 'impersonation.expired', actorId: ids.sam, subjectId: ids.jane, data: { minutes: 5, durationSeconds: 300 } });
    });

    it('a change request that arrives after the time is up is not carried out', async () => {
      const { agent } = await startImpersonating(ids.root, ids.bob, { mode: 'full' });
      const before = await nameOf(ids.bob);
      minutesLater(6);
      const res = await agent.post('/settings').type('form').send({ name: 'Too late' });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/admin/users/${ids.bob}`);
      expect(await nameOf(ids.bob)).toBe(before);
      expect((await agent.get('/api/me')).body.email).toBe('root@ops.test');
    });
  });

  describe('the console while impersonating, and privileges', () => {
    it('the console is closed to the target, with a way to stop', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      for (const path of ['/admin/', '/admin/users', `/admin/users/${ids.jane}`, '/admin/audit']) {
        const res = await agent.get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
        expect(decoded(res.text)).toContain('You are acting as jane@acme.test, so the console is closed until you stop impersonating.');
        expect(res.text).toContain('action="/admin/impersonation/stop"');
        expect(res.text.match(/data-backstage-banner/g)).toHaveLength(1);
      }
      const htmx = await agent.get('/admin/users').set('HX-Request', 'true');
      expect(htmx.status).toBe(403);
    });

    it('acting as an operator (a host policy that allows it) gives no console access and no way to raise privileges', async () => {
      const permissive = await createTestApp({
        db: testDb.db,
        migrate: false,
        admin: { now, impersonation: { signIn: sessionUserIdSignIn, canImpersonate: (operator: any) => operator.isSuperuser } },
        routes: hostRoutes,
      });
      const { agent, res } = await startImpersonating(ids.root, ids.ann, { mode: 'full' }, permissive);
      expect(res.status).toBe(303);
      expect((await agent.get('/api/me')).body.email).toBe('ann@ops.test');
      const token = bannerToken((await agent.get('/')).text);
      expect((await agent.get('/admin/users')).status).toBe(403);
      const promote = await agent.post(`/admin/users/${ids.ann}/role`).type('form').send({ _csrf: token, role: 'superuser' });
      expect(promote.status).toBe(403);
      const ban = await agent.post(`/admin/users/${ids.jane}/ban`).type('form').send({ _csrf: token });
      expect(ban.status).toBe(403);
      const row = await testDb.db.selectFrom('users').select(['role', 'banned_at']).where('id', '=', ids.ann as any).executeTakeFirstOrThrow();
      expect(row.role).toBe('admin');
      expect((await testDb.db.selectFrom('users').select('banned_at').where('id', '=', ids.jane as any).executeTakeFirstOrThrow()).banned_at).toBeNull();
      await permissive.admin.close();
    });

    it('a customer cannot use Stop to become anyone: without an impersonation in their own session it is the plain role gate', async () => {
      const jane = await signIn(host, ids.jane);
      const res = await jane.post('/admin/impersonation/stop').type('form').send({ _csrf: 'whatever' });
      expect(res.status).toBe(403);
      expect((await jane.get('/api/me')).body.email).toBe('jane@acme.test');
    });

    it('signing out in the app ends the impersonation: Stop afterwards signs nobody in', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      const token = bannerToken((await agent.get('/')).text);
      await agent.get('/test/sign-in/anonymous').expect(200);
      const mark = await lastEventId();
      const home = await agent.get('/').expect(200);
      expect(home.text).toContain('Signed in as nobody');
      expect(home.text).not.toContain('backstage-imp');
      const events = await eventsAfter(mark);
      expect(events).toMatchObject([{ action: 'impersonation.ended', actorId: ids.sam, subjectId: ids.jane, data: { cause: 'signed-out' } }]);
      const stop = await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: token });
      expect(stop.status).toBe(303);
      expect(stop.headers.location).toMatch(/^\/login\?next=/);
      expect((await agent.get('/api/me')).body.email).toBeNull();
    });

    it('someone else signing in on the same browser does not inherit the impersonation', async () => {
      const { agent } = await startImpersonating(ids.sam, ids.jane);
      const token = bannerToken((await agent.get('/')).text);
      await agent.get(`/test/sign-in/${ids.carol}`).expect(200);
      const mark = await lastEventId();
      const home = await agent.get('/').expect(200);
      expect(home.text).toContain('Signed in as carol@globex.test');
      expect(home.text).not.toContain('backstage-imp');
      expect(await eventsAfter(mark)).toMatchObject([{ action: 'impersonation.ended', data: { cause: 'signed-in-as-someone-else' } }]);
      expect((await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: token })).status).toBe(403);
      expect((await agent.get('/api/me')).body.email).toBe('carol@globex.test');
    });

    it('the operator is re-checked on every request: demoted mid-impersonation, it ends and signs everyone out', async () => {
      const { agent } = await startImpersonating(ids.ann, ids.carol);
      expect((await agent.get('/api/me')).body.email).toBe('carol@globex.test');
      await testDb.db.updateTable('users').set({ role: 'user' }).where('id', '=', ids.ann as any).execute();
      try {
        const mark = await lastEventId();
        const res = await agent.get('/');
        expect(res.status).toBe(403);
        expect(decoded(res.text)).toContain('Your impersonation of carol@globex.test has ended and you have been signed out: your account no longer has operator access.');
        expect(await eventsAfter(mark)).toMatchObject([{ action: 'impersonation.ended', actorId: ids.ann, data: { cause: 'operator-access-withdrawn' } }]);
        expect((await agent.get('/api/me')).body.email).toBeNull();
      } finally {
        await testDb.db.updateTable('users').set({ role: 'admin' }).where('id', '=', ids.ann as any).execute();
      }
    });

    it('an operator banned mid-impersonation is signed out too', async () => {
      const { agent } = await startImpersonating(ids.ann, ids.carol);
      await testDb.db.updateTable('users').set({ banned_at: dialect === 'sqlite' ? new Date().toISOString() : new Date() }).where('id', '=', ids.ann as any).execute();
      try {
        expect((await agent.get('/api/me')).status).toBe(403);
        expect((await agent.get('/api/me')).body.email).toBeNull();
      } finally {
        await testDb.db.updateTable('users').set({ banned_at: null }).where('id', '=', ids.ann as any).execute();
      }
    });
  });

  it('the audit log tells the whole story on the user page: started, refused write, stopped', async () => {
    const { agent } = await startImpersonating(ids.sam, ids.carol, { reason: 'Ticket #77: owner cannot see invoices' });
    await agent.post('/settings').type('form').send({ name: 'x' }).expect(403);
    minutesLater(3);
    await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: bannerToken((await agent.get('/')).text) }).expect(303);
    const page = await agent.get(`/admin/users/${ids.carol}`).expect(200);
    const text = decoded(page.text);
    expect(text).toContain('impersonation.started');
    expect(text).toContain('impersonation.write_refused');
    expect(text).toContain('impersonation.stopped');
    expect(text).toContain('Ticket #77: owner cannot see invoices');
  });
});

describe('impersonation options are validated with messages that name the option', () => {
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  afterAll(() => db.destroy());
  const getUser = () => null;
  const signIn = () => {};
  it.each<[string, Record<string, unknown>, string]>([
    ['a landing path on another site', { signIn, landingPath: '//evil.test/' }, "options.impersonation.landingPath must be a path on the host app starting with '/', got \"//evil.test/\""],
    ['a relative landing path', { signIn, landingPath: 'app' }, "options.impersonation.landingPath must be a path on the host app starting with '/'"],
    ['a signOut that is not a function', { signIn, signOut: 'yes' }, 'options.impersonation.signOut must be a function, got "yes"'],
    ['injectBanner not a boolean', { signIn, injectBanner: 'auto' }, 'options.impersonation.injectBanner must be true or false, got "auto"'],
    ['maxMinutes too long', { signIn, maxMinutes: 2000 }, 'options.impersonation.maxMinutes must be a whole number of minutes between 1 and 1440, got 2000'],
    ['canImpersonate not a function', { signIn, canImpersonate: true }, 'options.impersonation.canImpersonate must be a function, got true'],
  ])('%s', (_name, impersonation, message) => {
    expect(() => createAdmin({ db, getUser, impersonation } as any)).toThrow(`express-backstage: ${message}`);
  });
});
