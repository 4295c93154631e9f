/**
 * The authorisation matrix: every console route × every kind of visitor, with
 * the exact status each must get. The census fails when a route has no row, so
 * a new page cannot ship without deciding who may use it.
 */
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertTeam, insertUsers } from './helpers/host-schema';
import { listRoutes } from './helpers/route-census';
import { createTestApp, type TestApp } from './helpers/test-app';

type Visitor = 'anonymous' | 'user' | 'admin' | 'superuser';

/** Expected status per visitor; `ok` is what an allowed visitor gets (200 for pages, 303 for form posts). */
interface Row {
  admin: number;
  superuser: number;
  /** Form fields for POST routes. */
  body?: Record<string, string>;
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
  'GET /audit': PAGE,
  'GET /teams': PAGE,
  'GET /billing': PAGE,
  'GET /dev/queues': PAGE,
};

describe('authorisation matrix (SQLite)', () => {
  let testDb: TestDb;
  let host: TestApp;
  let ids: Record<Visitor | 'target', string>;

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    const [superuser, admin, user, target] = await insertUsers(testDb.db, 'sqlite', [
      { email: 'root@ops.test', role: 'superuser' },
      { email: 'sam@ops.test', role: 'admin' },
      { email: 'plain@customer.test' },
      { email: 'target@customer.test' },
    ]);
    ids = { anonymous: '', superuser, admin, user, target };
    await insertTeam(testDb.db, 'sqlite', 'Target Co', [[target, 'owner']]);
    host = await createTestApp({ db: testDb.db });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  function concrete(path: string): string {
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
    const url = `/admin${concrete(path)}`;
    for (const visitor of ['admin', 'superuser'] as const) {
      const { agent, csrf } = await host.agentAs(ids[visitor]);
      const res = method === 'GET' ? await agent.get(url) : await agent.post(url).type('form').send({ _csrf: await csrf(), ...MATRIX[key].body });
      expect({ visitor, status: res.status }).toEqual({ visitor, status: MATRIX[key][visitor] });
    }
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
