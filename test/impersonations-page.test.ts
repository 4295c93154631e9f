/**
 * Impersonation hardening: the host hears when an impersonation starts and
 * ends (to e-mail the customer), a broken hook never breaks the flow, and
 * `/admin/impersonations` shows who is acting as whom, with a superuser kill
 * switch that ends a running impersonation on its next request.
 */
import request from 'supertest';
import { createAdmin } from '../src';
import type { ImpersonationEndEvent, ImpersonationStartEvent } from '../src/impersonation/hooks';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, sessionUserIdSignIn, type TestApp } from './helpers/test-app';

const T0 = Date.UTC(2026, 2, 2, 9, 30, 0);
let clock = T0;
const now = () => new Date(clock);

type Agent = ReturnType<typeof request.agent>;

function csrfIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html) ?? /x-csrf-token&#34;:&#34;([^&]+)&#34;/.exec(html);
  if (!match) throw new Error(`no CSRF token in the page:\n${html.slice(0, 300)}`);
  return match[1];
}

function words(html: string): string {
  return decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe.each(DIALECTS)('impersonation hooks and the Impersonations page on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  let ids: Record<'root' | 'sam' | 'jane' | 'bob' | 'kim', string>;
  const started: ImpersonationStartEvent[] = [];
  const ended: ImpersonationEndEvent[] = [];
  const logged: string[] = [];
  let hookMode: 'record' | 'throw' | 'reject' | 'slow' = 'record';
  let errorSpy: jest.SpyInstance;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    const [root, sam, jane, bob, kim] = await insertUsers(testDb.db, dialect, [
      { email: 'root@ops.test', role: 'superuser' },
      { email: 'sam@ops.test', role: 'admin' },
      { email: 'jane@acme.test', name: 'Jane Doe' },
      { email: 'bob@acme.test' },
      { email: 'kim@acme.test' },
    ]);
    ids = { root, sam, jane, bob, kim };
    errorSpy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    });
    const hook = <E>(list: E[]) => (event: E) => {
      list.push(event);
      if (hookMode === 'throw') throw new Error('the mailer is down');
      if (hookMode === 'reject') return Promise.reject(new Error('SMTP said no'));
      if (hookMode === 'slow') return new Promise<void>((resolve) => setTimeout(resolve, 3000));
      return undefined;
    };
    host = await createTestApp({
      db: testDb.db,
      admin: { now, live: false, impersonation: { signIn: sessionUserIdSignIn, landingPath: '/app', onStart: hook(started), onEnd: hook(ended) } },
      routes: (app) => app.get('/app', (req: any, res: any) => res.send(`<html><body><p id="who">${req.user?.email ?? 'nobody'}</p></body></html>`)),
    });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
    errorSpy?.mockRestore();
  });

  beforeEach(() => {
    clock = T0;
    hookMode = 'record';
    started.length = 0;
    ended.length = 0;
    logged.length = 0;
  });

  async function signedIn(userId: string): Promise<Agent> {
    const agent = request.agent(host.app);
    await agent.get(`/test/sign-in/${userId}`).expect(200);
    return agent;
  }

  async function impersonate(operatorId: string, targetId: string, reason = 'Ticket #4521: cannot see invoices'): Promise<Agent> {
    const agent = await signedIn(operatorId);
    const page = await agent.get(`/admin/users/${targetId}/impersonate`).expect(200);
    await agent.post(`/admin/users/${targetId}/impersonate`).type('form').send({ _csrf: csrfIn(page.text), reason, minutes: '15', mode: 'read-only' }).expect(303);
    return agent;
  }

  async function stop(agent: Agent): Promise<void> {
    const app = await agent.get('/app');
    await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: csrfIn(app.text) }).expect(303);
  }

  it('tells the host when support starts and stops acting as a customer, with who, whom, why and how long', async () => {
    const agent = await impersonate(ids.sam, ids.jane);
    await settle();
    expect(started).toHaveLength(1);
    expect(started[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      operator: { id: ids.sam, email: 'sam@ops.test', role: 'admin' },
      target: { id: ids.jane, email: 'jane@acme.test', name: 'Jane Doe' },
      reason: 'Ticket #4521: cannot see invoices',
      mode: 'read-only',
      minutes: 15,
      startedAt: new Date(T0),
      expiresAt: new Date(T0 + 15 * 60_000),
    });
    clock += 4 * 60_000;
    await stop(agent);
    await settle();
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ id: started[0].id, how: 'stopped', durationSeconds: 240, endedAt: new Date(T0 + 4 * 60_000), target: { email: 'jane@acme.test' } });
  });

  it('tells the host when the time runs out, on the next request', async () => {
    const agent = await impersonate(ids.sam, ids.bob);
    clock += 16 * 60_000;
    await agent.get('/app').expect(303);
    await settle();
    expect(ended.map((e) => [e.how, e.target.email])).toEqual([['expired', 'bob@acme.test']]);
  });

  it.each(['throw', 'reject'] as const)('a hook that fails (%s) is logged and changes nothing: the impersonation starts and stops as usual', async (mode) => {
    hookMode = mode;
    const agent = await impersonate(ids.sam, ids.kim);
    expect((await agent.get('/app')).text).toContain('kim@acme.test');
    await stop(agent);
    expect((await agent.get('/app')).text).toContain('sam@ops.test');
    await settle();
    await settle();
    expect(started).toHaveLength(1);
    expect(ended).toHaveLength(1);
    expect(logged.filter((line) => /impersonation\.onStart threw for sam@ops\.test acting as kim@acme\.test; the impersonation started anyway/.test(line))).toHaveLength(1);
    expect(logged.filter((line) => /impersonation\.onEnd threw .* the impersonation ended anyway/.test(line))).toHaveLength(1);
  });

  it('a slow hook (sending an e-mail) does not slow the start down', async () => {
    hookMode = 'slow';
    const startedAt = Date.now();
    const agent = await impersonate(ids.sam, ids.jane);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    await stop(agent);
  });

  it('the Impersonations page shows who is acting as whom right now, and what happened before', async () => {
    const running = await impersonate(ids.sam, ids.jane, 'Checking the export for ticket 77');
    const done = await impersonate(ids.root, ids.bob, 'Billing question');
    await stop(done);
    const { agent } = await host.agentAs(ids.root);
    const page = await agent.get('/admin/impersonations').expect(200);
    const runningSection = words(page.text.slice(page.text.indexOf('id="running-title"'), page.text.indexOf('id="recent-title"')));
    expect(runningSection).toContain('sam@ops.test admin jane@acme.test read-only Checking the export for ticket 77');
    expect(runningSection).not.toContain('bob@acme.test');
    expect(runningSection).toContain('End now');
    const recent = words(page.text.slice(page.text.indexOf('id="recent-title"')));
    expect(recent).toMatch(/root@ops\.test bob@acme\.test read-only, 15 min Billing question stopped/);
    expect(recent).toMatch(/sam@ops\.test jane@acme\.test read-only, 15 min Checking the export for ticket 77 running/);
    // An admin sees the same page, without the kill switch.
    const { agent: admin } = await host.agentAs(ids.sam);
    const adminPage = await admin.get('/admin/impersonations').expect(200);
    expect(words(adminPage.text)).toContain('Only a superuser can end someone else');
    expect(adminPage.text).not.toContain('End now');
    await stop(running);
  });

  it('a superuser ends a running impersonation: it stops on its next request, support is back as themselves, the host is told, all of it audited', async () => {
    const operator = await impersonate(ids.sam, ids.kim);
    await settle();
    const id = started[0].id!;
    const { agent: root, csrf } = await host.agentAs(ids.root);
    const token = await csrf();

    const res = await root.post(`/admin/impersonations/${id}/end`).type('form').send({ _csrf: token, reason: 'Not covered by the ticket' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/impersonations');
    const flash = words((await root.get('/admin/impersonations')).text);
    expect(flash).toContain("Ended sam@ops.test's impersonation of kim@acme.test: on their next request they are signed back in as themselves");

    // The impersonating browser's next request, whatever it is, ends it.
    const next = await operator.get('/app');
    expect(next.status).toBe(303);
    expect(next.headers.location).toBe(`/admin/users/${ids.kim}`);
    const back = await operator.get(`/admin/users/${ids.kim}`);
    expect(back.status).toBe(200);
    expect(words(back.text)).toContain('A superuser (root@ops.test) ended your impersonation of kim@acme.test from the Impersonations page. You are signed in as yourself again.');
    expect((await operator.get('/app')).text).toContain('sam@ops.test');
    await settle();
    expect(ended.map((e) => [e.how, e.id])).toEqual([['killed', id]]);

    const events = await testDb.db.selectFrom('backstage_audit_events').select(['action', 'actor_email', 'subject_type', 'subject_id', 'reason', 'data']).where('id', '>', id).orderBy('id').execute();
    expect(events.map((e) => [e.action, e.actor_email, e.subject_type])).toEqual([
      ['impersonation.killed', 'root@ops.test', 'impersonation'],
      ['impersonation.ended', 'sam@ops.test', 'user'],
    ]);
    expect(events[0]).toMatchObject({ subject_id: id, reason: 'Not covered by the ticket' });
    expect(JSON.parse(String(events[1].data))).toMatchObject({ cause: 'killed', killedBy: 'root@ops.test', impersonationId: id });

    const page = words((await root.get('/admin/impersonations')).text);
    expect(page).toMatch(/sam@ops\.test kim@acme\.test read-only, 15 min Ticket #4521: cannot see invoices ended by a superuser by root@ops\.test/);
    // Ending it again says there is nothing to end, and writes nothing.
    const again = await root.post(`/admin/impersonations/${id}/end`).type('form').send({ _csrf: token });
    expect(again.status).toBe(303);
    expect(words((await root.get('/admin/impersonations')).text)).toContain('is not running any more (killed); there is nothing to end.');
  });

  it('ending is for superusers only, and names a real impersonation', async () => {
    const operator = await impersonate(ids.root, ids.jane);
    await settle();
    const id = started[0].id!;
    const { agent, csrf } = await host.agentAs(ids.sam);
    const res = await agent.post(`/admin/impersonations/${id}/end`).type('form').send({ _csrf: await csrf() });
    expect(res.status).toBe(403);
    expect(words(res.text)).toContain('Only a superuser can do this.');
    // Root is impersonating in one browser and uses the console in another.
    const { agent: root, csrf: rootCsrf } = await host.agentAs(ids.root);
    const token = await rootCsrf();
    expect((await root.post('/admin/impersonations/999999999/end').type('form').send({ _csrf: token })).status).toBe(404);
    expect((await root.post('/admin/impersonations/abc/end').type('form').send({ _csrf: token })).status).toBe(400);
    // The refused attempt left it running.
    expect((await operator.get('/app')).text).toContain('jane@acme.test');
    await stop(operator);
  });

  it('impersonation.onStart and onEnd must be functions', () => {
    expect(() => createAdmin({ db: testDb.db, getUser: () => null, impersonation: { signIn: sessionUserIdSignIn, onStart: 'mail' as any } })).toThrow(
      'express-backstage: options.impersonation.onStart must be a function, got "mail"',
    );
    expect(() => createAdmin({ db: testDb.db, getUser: () => null, impersonation: { signIn: sessionUserIdSignIn, onEnd: 42 as any } })).toThrow('options.impersonation.onEnd must be a function');
  });
});
