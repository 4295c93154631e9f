/**
 * The authorisation matrix: every console route × every kind of visitor, with
 * the exact status each must get. The census fails when a route has no row, so
 * a new page cannot ship without deciding who may use it.
 */
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, createInvitationsAndSubscriptions, insertInvitation, insertSubscription, insertTeam, insertUsers } from './helpers/host-schema';
import { listRoutes } from './helpers/route-census';
import { createTestApp, sessionUserIdSignIn, type TestApp } from './helpers/test-app';
import Bull from 'bull';
import { redisOptions, uniquePrefix } from './queues/helpers/queue-fixtures';

type Visitor = 'anonymous' | 'user' | 'admin' | 'superuser';

/** Expected status per visitor; `ok` is what an allowed visitor gets (200 for pages, 303 for form posts). */
interface Row {
  admin: number;
  superuser: number;
  /** Form fields for POST routes. */
  body?: Record<string, string>;
  /** What an operator who is impersonating a user gets; default 403 (the console is closed while impersonating). */
  impersonating?: number;
  /** An event stream that never ends: only its status and content type are read. */
  stream?: boolean;
}

const PAGE: Row = { admin: 200, superuser: 200 };
const ACTION: Row = { admin: 303, superuser: 303 };
const SUPERUSER_ACTION: Row = { admin: 403, superuser: 303 };

const MATRIX: Record<string, Row> = {
  'GET /': PAGE,
  'GET /users': PAGE,
  'GET /users/:id': PAGE,
  'POST /users/:id/role': { ...SUPERUSER_ACTION, body: { role: 'user' } },
  'POST /users/:id/ban': ACTION,
  'POST /users/:id/unban': ACTION,
  'GET /users/:id/impersonate': PAGE,
  'POST /users/:id/impersonate': { ...ACTION, body: { reason: 'Matrix check', minutes: '5', mode: 'read-only' } },
  'POST /impersonation/stop': { ...ACTION, impersonating: 303 },
  'GET /audit': PAGE,
  'GET /errors': PAGE,
  'GET /errors/:id': PAGE,
  'POST /errors/:id/resolve': ACTION,
  'POST /errors/:id/mute': ACTION,
  'POST /errors/:id/unresolve': ACTION,
  'GET /teams': PAGE,
  'GET /teams/:id': PAGE,
  'POST /teams/:id/invitations/:invitationId/resend': ACTION,
  'POST /teams/:id/transfer': SUPERUSER_ACTION, // body (the new owner) is filled in once the fixture exists
  'POST /teams/:id/scope': ACTION,
  'POST /scope/exit': ACTION,
  'GET /billing': PAGE,
  'GET /dev/queues': PAGE,
  'POST /dev/queues/:name/pause': SUPERUSER_ACTION,
  'POST /dev/queues/:name/resume': SUPERUSER_ACTION,
  'GET /dev/queues/:name': PAGE,
  'GET /dev/queues/:name/retry-failed': { admin: 403, superuser: 200 },
  'POST /dev/queues/:name/retry-failed': { ...SUPERUSER_ACTION, body: { count: '0' } },
  'GET /dev/queues/:name/clean': { admin: 403, superuser: 200 },
  'POST /dev/queues/:name/clean': { ...SUPERUSER_ACTION, body: { state: 'completed', hours: '24', count: '0' } },
  'GET /dev/queues/:name/promote-delayed': { admin: 403, superuser: 200 },
  'POST /dev/queues/:name/promote-delayed': { ...SUPERUSER_ACTION, body: { count: '0' } },
  'GET /dev/queues/:name/remove-all': { admin: 403, superuser: 200 },
  'POST /dev/queues/:name/remove-all': { ...SUPERUSER_ACTION, body: { state: 'waiting', count: '0' } },
  // A finished run (the fixture's), so cancelling it is the "already ended" redirect for every run.
  'GET /dev/queues/:name/runs/:id': PAGE,
  'POST /dev/queues/:name/runs/:id/cancel': SUPERUSER_ACTION,
  'POST /dev/queues/:name/index-backfill': SUPERUSER_ACTION,
  'GET /dev/queues/:name/jobs/:id': PAGE,
  'GET /dev/queues/:name/jobs/:id/data.json': PAGE,
  // Each visitor acts on a job of its own (see jobFor), so both get the success status.
  'POST /dev/queues/:name/jobs/:id/retry': ACTION,
  'POST /dev/queues/:name/jobs/:id/promote': ACTION,
  'POST /dev/queues/:name/jobs/:id/remove': ACTION,
  'GET /dev/linked-jobs': PAGE,
  'GET /dev/runtime': PAGE,
  'GET /live': { ...PAGE, stream: true },
  'GET /impersonations': PAGE,
  // The fixture impersonation is over, so ending it is the "nothing to end" redirect, for every run.
  'POST /impersonations/:id/end': SUPERUSER_ACTION,
};

/** Status and content type of a response that never ends (the live stream), then the connection is dropped. */
function streamHead(agent: any, url: string): Promise<{ status: number; type: string }> {
  return new Promise((resolve, reject) => {
    agent
      .get(url)
      .buffer(false)
      .parse((res: any, done: (err: null, body: null) => void) => {
        resolve({ status: res.statusCode, type: String(res.headers['content-type'] ?? '') });
        res.destroy();
        done(null, null);
      })
      .end((err: unknown) => {
        if (err) reject(err);
      });
  });
}

describe('authorisation matrix (SQLite)', () => {
  let testDb: TestDb;
  let host: TestApp;
  let errorId: string;
  let impersonationId: string;
  let runId: string;
  let ids: Record<Visitor | 'target' | 'team' | 'invitation', string>;
  // A real Bull queue, so queue and job routes resolve: per visitor, a failed, a delayed and a removable job.
  let queue: Bull.Queue;
  const jobFor: Record<string, Record<string, string>> = { admin: {}, superuser: {} };

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    const [superuser, admin, user, target] = await insertUsers(testDb.db, 'sqlite', [
      { email: 'root@ops.test', role: 'superuser' },
      { email: 'sam@ops.test', role: 'admin' },
      { email: 'plain@customer.test' },
      { email: 'target@customer.test' },
    ]);
    await createInvitationsAndSubscriptions(testDb.db, 'sqlite');
    const team = await insertTeam(testDb.db, 'sqlite', 'Target Co', [[target, 'owner'], [user, 'member']]);
    const invitation = await insertInvitation(testDb.db, 'sqlite', { teamId: team, email: 'new@customer.test', invitedById: target, expiresAt: new Date(Date.now() + 86_400_000) });
    await insertSubscription(testDb.db, 'sqlite', { teamId: team, plan: 'pro', status: 'past_due', amountCents: 4900 });
    ids = { anonymous: '', superuser, admin, user, target, team, invitation };
    MATRIX['POST /teams/:id/transfer'] = { ...SUPERUSER_ACTION, body: { user_id: user } };
    queue = new Bull('matrix', { redis: redisOptions(), prefix: uniquePrefix('authorization-matrix') });
    queue.on('error', () => undefined);
    const failing = await Promise.all(['admin', 'superuser'].map(() => queue.add({ teamId: team }, { attempts: 1 })));
    void queue.process(async () => {
      throw new Error('matrix fixture failure');
    });
    for (const job of failing) await job.finished().catch(() => undefined);
    await queue.pause(true);
    for (const [i, visitor] of (['admin', 'superuser'] as const).entries()) {
      jobFor[visitor].retry = String(failing[i].id);
      jobFor[visitor].promote = String((await queue.add({ teamId: team }, { delay: 3_600_000 })).id);
      jobFor[visitor].remove = String((await queue.add({ teamId: team }, { delay: 3_600_000 })).id);
    }
    await queue.add({ teamId: team });
    host = await createTestApp({ db: testDb.db, admin: { impersonation: { signIn: sessionUserIdSignIn }, queues: [queue] } });
    // One bulk run (removing the paused job above), so /runs/:id has something to show.
    const operator = await host.agentAs(superuser);
    const started = await operator.agent.post('/admin/dev/queues/matrix/remove-all').type('form').send({ _csrf: await operator.csrf(), state: 'paused', count: '1' });
    runId = /\/runs\/([^/]+)$/.exec(started.headers.location ?? '')![1];
    for (let i = 0; i < 100 && !(await operator.agent.get(started.headers.location)).text.includes('with these counts'); i++) await new Promise((r) => setTimeout(r, 50));
    // One captured error group, so /errors/:id has something to show.
    const seen = new Date().toISOString();
    await testDb.db
      .insertInto('backstage_errors')
      .values({ fingerprint: 'f'.repeat(64), error_class: 'TypeError', message: 'Matrix fixture error', frame: 'src/app.js:1:1', status: 'unresolved', occurrence_count: 1, first_seen: seen, last_seen: seen })
      .execute();
    errorId = String((await testDb.db.selectFrom('backstage_errors').select('id').executeTakeFirstOrThrow()).id);
    // One impersonation in the audit log (long over), so /impersonations/:id/end has something to name.
    await testDb.db
      .insertInto('backstage_audit_events')
      .values({ created_at: new Date(Date.now() - 3_600_000).toISOString(), actor_id: superuser, actor_email: 'root@ops.test', actor_role: 'superuser', action: 'impersonation.started', subject_type: 'user', subject_id: target, subject_label: 'target@customer.test', reason: 'Matrix fixture', data: JSON.stringify({ mode: 'read-only', minutes: 5, expiresAt: new Date(Date.now() - 3_300_000).toISOString() }) })
      .execute();
    impersonationId = String((await testDb.db.selectFrom('backstage_audit_events').select('id').where('reason', '=', 'Matrix fixture').executeTakeFirstOrThrow()).id);
  });

  afterAll(async () => {
    await host?.admin.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await testDb?.destroy();
  });

  function concrete(path: string, visitor: 'admin' | 'superuser' = 'admin'): string {
    if (path === '/live') return '/live?topics=signups';
    if (path === '/dev/linked-jobs') return `/dev/linked-jobs?team=${ids.team}`;
    if (path.startsWith('/dev/queues/:name/runs/')) return path.replace(':name', 'matrix').replace(':id', runId);
    if (path.startsWith('/dev/queues/')) {
      const verb = /\/(retry|promote|remove)$/.exec(path)?.[1] ?? 'retry';
      return path.replace(':name', 'matrix').replace(':id', jobFor[visitor][verb]);
    }
    if (path.startsWith('/errors/')) return path.replace(':id', errorId);
    if (path.startsWith('/impersonations/')) return path.replace(':id', impersonationId);
    if (path.startsWith('/teams/')) return path.replace(':id', ids.team).replace(':invitationId', ids.invitation);
    return path.replace(':id', ids.target);
  }

  it('every route of the router has a row in the matrix, and no row is stale', () => {
    const routes = listRoutes(host.admin).map((r) => `${r.method} ${r.path}`);
    expect(routes.length).toBeGreaterThan(5);
    const missing = routes.filter((r) => !(r in MATRIX));
    expect(missing).toEqual([]);
    const stale = Object.keys(MATRIX).filter((key) => !routes.includes(key));
    expect(stale).toEqual([]);
  });

  const keys = Object.keys(MATRIX);

  it.each(keys)('%s: anonymous is sent to the login page (401 for htmx), plain users get 403', async (key) => {
    const [method, path] = key.split(' ');
    const url = `/admin${concrete(path)}`;
    const anonymous = (await host.agentAs(null)).agent;
    const res = method === 'GET' ? await anonymous.get(url) : await anonymous.post(url).type('form').send({});
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/login\?next=/);
    const htmx = method === 'GET' ? await anonymous.get(url).set('HX-Request', 'true') : await anonymous.post(url).set('HX-Request', 'true');
    expect(htmx.status).toBe(401);

    const { agent, csrf } = await host.agentAs(ids.user);
    const token = await csrf().catch(() => 'no-token-for-plain-users');
    const plain = method === 'GET' ? await agent.get(url) : await agent.post(url).type('form').send({ _csrf: token, ...MATRIX[key].body });
    expect(plain.status).toBe(403);
    expect(plain.text).not.toContain('target@customer.test');
  });

  it.each(keys)('%s: admin and superuser get exactly their status', async (key) => {
    const [method, path] = key.split(' ');
    for (const visitor of ['admin', 'superuser'] as const) {
      const url = `/admin${concrete(path, visitor)}`;
      const { agent, csrf } = await host.agentAs(ids[visitor]);
      if (MATRIX[key].stream) {
        const head = await streamHead(agent, url);
        expect({ visitor, status: head.status, type: head.type }).toEqual({ visitor, status: MATRIX[key][visitor], type: 'text/event-stream; charset=utf-8' });
        continue;
      }
      const res = method === 'GET' ? await agent.get(url) : await agent.post(url).type('form').send({ _csrf: await csrf(), ...MATRIX[key].body });
      expect({ visitor, status: res.status }).toEqual({ visitor, status: MATRIX[key][visitor] });
    }
  });

  it.each(keys)('%s: an operator impersonating a user gets exactly their status (only Stop gets through)', async (key) => {
    const [method, path] = key.split(' ');
    const url = `/admin${concrete(path)}`;
    const { agent, csrf } = await host.agentAs(ids.superuser);
    const start = await agent.post(`/admin/users/${ids.target}/impersonate`).type('form').send({ _csrf: await csrf(), reason: 'Matrix check', minutes: '5' });
    expect(start.status).toBe(303);
    const closed = await agent.get('/admin/');
    expect(closed.status).toBe(403);
    const token = /name="_csrf" value="([^"]+)"/.exec(closed.text)![1];
    const res = method === 'GET' ? await agent.get(url) : await agent.post(url).type('form').send({ _csrf: token, ...MATRIX[key].body });
    expect(res.status).toBe(MATRIX[key].impersonating ?? 403);
  });

  it.each(keys.filter((key) => !key.startsWith('GET')))('%s: refused without a CSRF token, with a forged one and with another session\'s', async (key) => {
    const [, path] = key.split(' ');
    const url = `/admin${concrete(path)}`;
    const before = await testDb.db.selectFrom('backstage_audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const { agent } = await host.agentAs(ids.superuser);
    const other = await host.agentAs(ids.superuser);
    const otherToken = await other.csrf();
    for (const token of [undefined, 'forged-token', otherToken]) {
      const res = await agent.post(url).type('form').send({ ...(token ? { _csrf: token } : {}), ...MATRIX[key].body });
      expect(res.status).toBe(403);
    }
    const after = await testDb.db.selectFrom('backstage_audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});
