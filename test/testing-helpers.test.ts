/**
 * `express-backstage/testing`, used the way a host's own test suite uses it:
 * sign in through the host's real login route, act in the console with the
 * CSRF token ready, and read what the audit log recorded.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import session from 'express-session';
import type { Kysely } from 'kysely';
import { createAdmin, type Admin } from '../src';
import { consoleMounted, readAuditLog, signedInAgent } from '../src/testing';
import { loadSupertest } from '../src/testing/supertest-peer';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';

/** A host app of the usual kind: a login form, a session, req.user, the console at /ops. */
async function hostApp(db: Kysely<any>): Promise<{ app: express.Express; admin: Admin }> {
  const app = express();
  app.use(session({ secret: 'host-secret-host-secret', resave: false, saveUninitialized: false }));
  app.use(express.urlencoded({ extended: false }));
  app.post('/login', async (req, res) => {
    const user = await db.selectFrom('users').select('id').where('email', '=', String(req.body.email)).executeTakeFirst();
    if (!user) {
      res.status(401).send('wrong email or password');
      return;
    }
    (req.session as any).userId = user.id;
    res.redirect(302, '/');
  });
  app.use(async (req: any, _res, next) => {
    req.user = req.session.userId ? await db.selectFrom('users').selectAll().where('id', '=', req.session.userId).executeTakeFirst() : null;
    next();
  });
  const admin = createAdmin({ db, getUser: (req: any) => req.user ?? null });
  await admin.migrate();
  app.use(admin.guard);
  app.use('/ops', admin);
  return { app, admin };
}

const signInAs = (email: string) => (agent: any) => agent.post('/login').type('form').send({ email, password: 'irrelevant' }).expect(302);

describe.each(DIALECTS)('a host tests its console with express-backstage/testing on %s', (dialect) => {
  let testDb: TestDb;
  let host: { app: express.Express; admin: Admin };
  let ids: string[];

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    ids = await insertUsers(testDb.db, dialect, [
      { email: 'root@host.test', role: 'superuser' },
      { email: 'support@host.test', role: 'admin' },
      { email: 'customer@host.test' },
    ]);
    host = await hostApp(testDb.db);
  });
  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('a superuser signed in through the host login promotes a customer, and the test reads the audit event', async () => {
    const agent = await signedInAgent(host.app, { signIn: signInAs('root@host.test'), mount: '/ops' });
    expect(agent.mount).toBe('/ops');
    await agent.get('/ops/users').expect(200);
    const token = await agent.csrf();
    expect(token).toMatch(/^\S{16,}$/);
    expect(await agent.csrf()).toBe(token);

    const since = new Date(Date.now() - 1000);
    const res = await agent.submit(`/users/${ids[2]}/role`, { role: 'admin', reason: 'new support hire' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/ops/users/${ids[2]}`);

    const events = await readAuditLog(testDb.db, { action: 'user.role_changed', subjectId: ids[2], since });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'user.role_changed',
      actor: { id: ids[0], email: 'root@host.test', role: 'superuser' },
      subject: { type: 'user', id: ids[2], label: 'customer@host.test' },
      reason: 'new support hire',
      data: { from: 'user', to: 'admin' },
    });
    expect(await readAuditLog(testDb.db, { actor: 'support@host.test' })).toEqual([]);
  });

  it('a request without the token is still refused: the helper adds it, it does not switch CSRF off', async () => {
    const agent = await signedInAgent(host.app, { signIn: signInAs('root@host.test'), mount: '/ops' });
    await agent.post(`/ops/users/${ids[1]}/ban`).type('form').send({ reason: 'no token' }).expect(403);
  });
});

describe('signedInAgent explains what went wrong', () => {
  let testDb: TestDb;
  let host: { app: express.Express; admin: Admin };
  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    await insertUsers(testDb.db, 'sqlite', [{ email: 'customer@host.test' }]);
    host = await hostApp(testDb.db);
  });
  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('a signIn that signs nobody in', async () => {
    const agent = await signedInAgent(host.app, { signIn: () => {}, mount: '/ops' });
    await expect(agent.csrf()).rejects.toThrow(
      "express-backstage/testing: could not read the console's CSRF token: GET /ops/audit?limit=1 answered 303, a redirect to /login?next=%2Fops%2Faudit%3Flimit%3D1. The agent is not signed in",
    );
  });

  it('a user without an operator role', async () => {
    const agent = await signedInAgent(host.app, { signIn: signInAs('customer@host.test'), mount: '/ops' });
    await expect(agent.submit('/users/1/ban', { reason: 'x' })).rejects.toThrow('answered 403. The signed-in user has no operator role');
  });

  it('the wrong mount path', async () => {
    const agent = await signedInAgent(host.app, { signIn: signInAs('customer@host.test') });
    await expect(agent.csrf()).rejects.toThrow('answered 404. Is the console mounted at /admin? Pass { mount } to signedInAgent.');
  });

  it('no signIn at all', async () => {
    await expect(signedInAgent(host.app, {} as any)).rejects.toThrow('signedInAgent(app, { signIn }) needs signIn');
  });

  it('a project without supertest is told to install it', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'backstage-no-supertest-'));
    try {
      expect(() => loadSupertest([empty])).toThrow(
        'express-backstage/testing: signedInAgent needs supertest, which this project does not have. Install it as a dev dependency: npm install --save-dev supertest',
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('readAuditLog takes what createAdmin takes, and checks its limit', async () => {
    await expect(readAuditLog({ nope: true } as any)).rejects.toThrow('express-backstage: readAuditLog(db) must be a Kysely instance, a pg Pool');
    await expect(readAuditLog(testDb.db, { limit: 0 })).rejects.toThrow('readAuditLog limit must be a whole number from 1 to 1000, got 0');
  });
});

const root = path.resolve(__dirname, '..');
(fs.existsSync(path.join(root, 'dist/testing/index.js')) ? describe : describe.skip)('express-backstage/testing as a host imports it', () => {
  const expected = 'function function';
  it('from CommonJS', () => {
    const out = execFileSync(process.execPath, ['-e', "const t = require('express-backstage/testing'); console.log(typeof t.signedInAgent, typeof t.readAuditLog)"], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe(expected);
  });
  it('from ESM', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', "import { signedInAgent, readAuditLog } from 'express-backstage/testing'; console.log(typeof signedInAgent, typeof readAuditLog)"], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe(expected);
  });
});

it('express-backstage/testing exports what the README documents', () => {
  expect(Object.keys(require('../src/testing')).sort()).toEqual(['consoleMounted', 'consolePages', 'consoleReady', 'consoleSays', 'createTestUser', 'readAuditLog', 'removeTestUsers', 'signedInAgent', 'usersColumns']);
});

describe('consoleMounted tells a console that was never mounted from one that was', () => {
  let testDb: TestDb;
  let admin: Admin;
  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    admin = createAdmin({ db: testDb.db, getUser: () => null });
  });
  afterAll(async () => {
    await admin.close();
    await testDb.destroy();
  });

  it('the lines were pasted into another module (server.js): the app the tests load does not mount it', async () => {
    const app = express();
    app.get('/', (_req, res) => res.send('home'));
    expect(await consoleMounted(app, admin)).toBe(false);
  });

  it('mounted in the app, in a router, or in a sub-app the stack does not show', async () => {
    const direct = express();
    direct.use(admin.guard);
    direct.use('/admin', admin);
    expect(await consoleMounted(direct, admin)).toBe(true);

    const inRouter = express();
    const router = express.Router();
    router.use('/admin', admin);
    inRouter.use(router);
    expect(await consoleMounted(inRouter, admin)).toBe(true);

    const subApp = express();
    subApp.use('/admin', admin);
    const outer = express();
    outer.use('/internal', subApp);
    expect(await consoleMounted(outer, admin, { mount: '/internal/admin' })).toBe(true);
    expect(await consoleMounted(outer, admin, { mount: '/admin' })).toBe(false);
  });
});
