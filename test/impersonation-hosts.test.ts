/**
 * Impersonation on the kinds of host auth DESIGN §1 promises: passport
 * (`req.login` / `req.user`, emulated faithfully below because passport is not
 * a dependency), a host with no express-session at all (a signed token cookie,
 * the console running its own session for CSRF and the impersonation record),
 * and Express 4. The plain express-session host is test/impersonation.test.ts.
 * Host auth does not depend on the database, so these run on SQLite.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { CookieAccessInfo } from 'cookiejar';
import { createAdmin, type Admin } from '../src';
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertTeam, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, sessionUserIdSignIn } from './helpers/test-app';

const T0 = Date.UTC(2026, 2, 2, 9, 30, 0);
let clock = T0;
const now = () => new Date(clock);

type Agent = ReturnType<typeof request.agent>;

function cookieValue(agent: Agent, name: string): string | undefined {
  return (agent as any).jar.getCookie(name, CookieAccessInfo.All)?.value;
}

function csrfIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no CSRF field in the page:\n${html.slice(0, 400)}`);
  return match[1]!;
}

let testDb: TestDb;
let ids: Record<'sam' | 'jane', string>;

async function findUser(id: unknown) {
  return (await testDb.db.selectFrom('users').select(['id', 'email', 'name', 'role']).where('id', '=', id as any).executeTakeFirst()) ?? null;
}

async function actions(): Promise<string[]> {
  const rows = await testDb.db.selectFrom('backstage_audit_events').select('action').orderBy('id').execute();
  return rows.map((row) => String(row.action));
}

/** Host pages every fixture shares: an HTML home, a JSON "who am I", a form that changes data. */
function hostPages(app: any, writes: string[]) {
  app.get('/', (req: any, res: any) => res.send(`<!doctype html><html><body><h1>Hello ${req.user ? req.user.email : 'stranger'}</h1></body></html>`));
  app.get('/api/me', (req: any, res: any) => res.json({ email: req.user?.email ?? null }));
  app.post('/settings', (req: any, res: any) => {
    writes.push(req.user?.email);
    res.redirect(303, '/');
  });
}

beforeAll(async () => {
  testDb = await openTestDb('sqlite');
  await createHostSchema(testDb.db, 'sqlite');
  const [sam, jane] = await insertUsers(testDb.db, 'sqlite', [
    { email: 'sam@ops.test', name: 'Sam Support', role: 'admin' },
    { email: 'jane@acme.test', name: 'Jane Doe' },
  ]);
  ids = { sam, jane };
  await insertTeam(testDb.db, 'sqlite', 'Acme Inc', [[jane, 'owner']]);
});

afterAll(async () => {
  await testDb?.destroy();
});

beforeEach(() => {
  clock = T0;
});

/**
 * passport 0.7's contract, as lib/http/request.js and lib/sessionmanager.js
 * implement it: `req.login(user, [options], done)` sets `req.user`, regenerates
 * the session (keeping nothing unless `keepSessionInfo`), stores
 * `serializeUser(user)` under `req.session.passport.user` and saves;
 * `passport.session()` deserializes it into `req.user` on every request;
 * `req.logout(done)` removes it, saves, and regenerates the session.
 */
function fakePassport(serializeUser: (user: any) => unknown, deserializeUser: (id: unknown) => Promise<unknown>) {
  function merge(target: any, source: any) {
    for (const key of Object.keys(source)) if (key !== 'cookie') target[key] = source[key];
  }
  const initialize = (req: any, _res: any, next: any) => {
    req.login = req.logIn = (user: any, options: any, done?: (err?: unknown) => void) => {
      if (typeof options === 'function') {
        done = options;
        options = {};
      }
      options = options ?? {};
      req.user = user;
      const prevSession = req.session;
      req.session.regenerate((err: unknown) => {
        if (err) return done!(err);
        if (options.keepSessionInfo) merge(req.session, prevSession);
        req.session.passport = req.session.passport ?? {};
        req.session.passport.user = serializeUser(user);
        req.session.save((saveErr: unknown) => {
          if (saveErr) {
            req.user = null;
            return done!(saveErr);
          }
          done!();
        });
      });
    };
    req.logout = req.logOut = (done: (err?: unknown) => void) => {
      req.user = null;
      if (req.session.passport) delete req.session.passport.user;
      req.session.save(() => req.session.regenerate((err: unknown) => done(err)));
    };
    req.isAuthenticated = () => !!req.user;
    next();
  };
  const sessionStrategy = async (req: any, _res: any, next: any) => {
    try {
      const id = req.session?.passport?.user;
      if (id !== undefined) {
        const user = await deserializeUser(id);
        if (user) req.user = user;
        else delete req.session.passport.user;
      }
      next();
    } catch (err) {
      next(err);
    }
  };
  return { initialize: () => initialize, session: () => sessionStrategy };
}

describe('a passport host', () => {
  let admin: Admin;
  let app: express.Express;
  const writes: string[] = [];

  beforeAll(async () => {
    const passport = fakePassport((user) => String(user.id), (id) => findUser(id));
    app = express();
    app.use(session({ name: 'app.sid', secret: 'passport-host-secret', resave: false, saveUninitialized: false }));
    app.use(passport.initialize());
    app.use(passport.session());
    app.post('/login-as/:id', async (req: any, res: any, next: any) => {
      req.login(await findUser(req.params.id), (err: unknown) => (err ? next(err) : res.redirect(303, '/')));
    });
    admin = createAdmin({
      db: testDb.db,
      getUser: (req: any) => req.user ?? null,
      now,
      impersonation: {
        // The documented passport hook: req.login with the user; the console re-attaches its record after passport's own regenerate.
        signIn: (req: any, user) => new Promise<void>((resolve, reject) => req.login(user, (err: unknown) => (err ? reject(err) : resolve()))),
      },
    });
    app.use(admin.guard);
    app.use('/admin', admin);
    hostPages(app, writes);
    app.post('/logout', (req: any, res: any, next: any) => req.logout((err: unknown) => (err ? next(err) : res.redirect(303, '/'))));
    await admin.migrate();
    await admin.ready();
  });

  afterAll(() => admin.close());

  async function signedInAs(userId: string): Promise<Agent> {
    const agent = request.agent(app);
    await agent.post(`/login-as/${userId}`).expect(303);
    return agent;
  }

  async function start(agent: Agent) {
    const page = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
    return agent.post(`/admin/users/${ids.jane}/impersonate`).type('form').send({ _csrf: csrfIn(page.text), reason: 'Ticket #9: passport host', minutes: '10' });
  }

  it('support impersonates, sees the app as the user under the banner, is refused a write, stops, and is themselves again', async () => {
    const agent = await signedInAs(ids.sam);
    const sidBefore = cookieValue(agent, 'app.sid');
    const started = await start(agent);
    expect(started.status).toBe(303);
    const sidDuring = cookieValue(agent, 'app.sid');
    expect(sidDuring).not.toBe(sidBefore);

    const home = await agent.get('/').expect(200);
    expect(home.text).toContain('Hello jane@acme.test');
    expect(home.text).toContain('data-backstage-banner');
    expect(decoded(home.text)).toContain('You are <strong>sam@ops.test</strong>');

    const refused = await agent.post('/settings').type('form').send({ name: 'x' });
    expect(refused.status).toBe(403);
    expect(writes).toEqual([]);

    const stop = await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: csrfIn(home.text) });
    expect(stop.status).toBe(303);
    expect(cookieValue(agent, 'app.sid')).not.toBe(sidDuring);
    expect((await agent.get('/api/me')).body.email).toBe('sam@ops.test');
    expect((await agent.get(stop.headers.location)).status).toBe(200);
    expect((await actions()).slice(-3)).toEqual(['impersonation.started', 'impersonation.write_refused', 'impersonation.stopped']);
  });

  it("read-only refuses the app's own sign-out like any other write, and Stop still brings support back", async () => {
    const agent = await signedInAs(ids.sam);
    await start(agent).then((res) => expect(res.status).toBe(303));
    const token = csrfIn((await agent.get('/')).text);
    // The host's logout is a write: a read-only impersonation refuses it, like any other.
    expect((await agent.post('/logout')).status).toBe(403);
    expect((await agent.get('/api/me')).body.email).toBe('jane@acme.test');
    const stop = await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: token });
    expect(stop.status).toBe(303);
    expect((await agent.get('/api/me')).body.email).toBe('sam@ops.test');
  });

  it('with req.logout in full mode, the session regenerates and Stop signs nobody in', async () => {
    const agent = await signedInAs(ids.sam);
    const page = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
    await agent.post(`/admin/users/${ids.jane}/impersonate`).type('form').send({ _csrf: csrfIn(page.text), reason: 'Ticket #9: logout', minutes: '5', mode: 'full' }).expect(303);
    const token = csrfIn((await agent.get('/')).text);
    await agent.post('/logout').expect(303);
    expect((await agent.get('/api/me')).body.email).toBeNull();
    const stop = await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: token });
    expect(stop.status).toBe(303);
    expect(stop.headers.location).toMatch(/^\/login\?next=/);
    expect((await agent.get('/api/me')).body.email).toBeNull();
    // passport's regenerate took the record with it, so there is no "stopped" event; the trail ends with the logout request itself.
    const requests = async () =>
      (await testDb.db.selectFrom('backstage_audit_events').select('data').where('action', '=', 'impersonation.request').execute()).map((row) => JSON.parse(String(row.data)));
    for (let i = 0; i < 50 && (await requests()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await requests()).toEqual([{ method: 'POST', path: '/logout', status: 303 }]);
  });
});

describe('a host without express-session (a signed token cookie)', () => {
  const SECRET = 'jwt-ish-host-secret';
  let admin: Admin;
  let app: express.Express;
  const writes: string[] = [];

  const sign = (id: string) => `${id}.${createHmac('sha256', SECRET).update(id).digest('hex')}`;
  function verify(token: string | undefined): string | null {
    if (!token) return null;
    const [id, mac] = token.split('.');
    if (!id || !mac) return null;
    const expected = createHmac('sha256', SECRET).update(id).digest('hex');
    return mac.length === expected.length && timingSafeEqual(Buffer.from(mac), Buffer.from(expected)) ? id : null;
  }
  function cookieFrom(req: any, name: string): string | undefined {
    for (const part of String(req.headers.cookie ?? '').split(';')) {
      const [key, ...value] = part.trim().split('=');
      if (key === name) return decodeURIComponent(value.join('='));
    }
    return undefined;
  }

  beforeAll(async () => {
    app = express();
    app.use(async (req: any, _res: any, next: any) => {
      try {
        const id = verify(cookieFrom(req, 'token'));
        req.user = id ? await findUser(id) : null;
        next();
      } catch (err) {
        next(err);
      }
    });
    app.get('/token-for/:id', (req: any, res: any) => res.cookie('token', sign(req.params.id), { httpOnly: true, sameSite: 'lax' }).send('ok'));
    admin = createAdmin({
      db: testDb.db,
      getUser: (req: any) => req.user ?? null,
      now,
      sessionSecret: 'console-own-session-secret',
      impersonation: {
        signIn: (req, user) => {
          req.res!.cookie('token', sign(user.id), { httpOnly: true, sameSite: 'lax' });
        },
        signOut: (req) => {
          req.res!.clearCookie('token');
        },
      },
    });
    app.use(admin.guard);
    app.use('/admin', admin);
    hostPages(app, writes);
    await admin.migrate();
    await admin.ready();
  });

  afterAll(() => admin.close());

  it('the console keeps its own session: start, banner, read-only, expiry, all through the token cookie', async () => {
    const agent = request.agent(app);
    await agent.get(`/token-for/${ids.sam}`).expect(200);
    const page = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
    const consoleSid = cookieValue(agent, 'backstage.sid');
    expect(consoleSid).toBeDefined();
    const started = await agent.post(`/admin/users/${ids.jane}/impersonate`).type('form').send({ _csrf: csrfIn(page.text), reason: 'Ticket #10: token host', minutes: '5' });
    expect(started.status).toBe(303);
    expect(cookieValue(agent, 'backstage.sid')).not.toBe(consoleSid);

    const home = await agent.get('/').expect(200);
    expect(home.text).toContain('Hello jane@acme.test');
    expect(home.text).toContain('data-backstage-banner');
    expect((await agent.post('/settings')).status).toBe(403);
    expect(writes).toEqual([]);

    clock += 5 * 60_000;
    const expired = await agent.get('/');
    expect(expired.status).toBe(303);
    expect(expired.headers.location).toBe(`/admin/users/${ids.jane}`);
    expect((await agent.get('/api/me')).body.email).toBe('sam@ops.test');
    expect(decoded((await agent.get(expired.headers.location)).text)).toContain('its 5 minutes were up');
  });

  it('visitors who never used the console get no console session from the guard', async () => {
    const res = await request(app).get('/').expect(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.text).not.toContain('backstage-imp');
  });

  it('an operator who lost access mid-impersonation is signed out through signOut', async () => {
    const [ann] = await insertUsers(testDb.db, 'sqlite', [{ email: 'ann@ops.test', role: 'admin' }]);
    const agent = request.agent(app);
    await agent.get(`/token-for/${ann}`).expect(200);
    const page = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
    await agent.post(`/admin/users/${ids.jane}/impersonate`).type('form').send({ _csrf: csrfIn(page.text), reason: 'Ticket #11', minutes: '5' }).expect(303);
    await testDb.db.updateTable('users').set({ role: 'user' }).where('id', '=', ann as any).execute();
    const res = await agent.get('/');
    expect(res.status).toBe(403);
    expect(cookieValue(agent, 'token')).toBeFalsy();
    expect((await agent.get('/api/me')).body.email).toBeNull();
  });
});

describe('an Express 4 host', () => {
  it('start, banner, read-only refusal and stop work the same', async () => {
    const express4 = require('express4');
    const writes: string[] = [];
    const host = await createTestApp({
      db: testDb.db,
      express: express4,
      migrate: false,
      admin: { now, impersonation: { signIn: sessionUserIdSignIn } },
      routes: (app) => hostPages(app, writes),
    });
    const agent = request.agent(host.app);
    await agent.get(`/test/sign-in/${ids.sam}`).expect(200);
    const page = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
    await agent.post(`/admin/users/${ids.jane}/impersonate`).type('form').send({ _csrf: csrfIn(page.text), reason: 'Ticket #12: Express 4', minutes: '5' }).expect(303);
    const home = await agent.get('/').expect(200);
    expect(home.text).toContain('Hello jane@acme.test');
    expect(home.text).toContain('data-backstage-banner');
    expect(Number(home.headers['content-length'])).toBe(Buffer.byteLength(home.text));
    expect((await agent.post('/settings')).status).toBe(403);
    const stop = await agent.post('/admin/impersonation/stop').type('form').send({ _csrf: csrfIn(home.text) });
    expect(stop.status).toBe(303);
    expect((await agent.get('/api/me')).body.email).toBe('sam@ops.test');
    expect(writes).toEqual([]);
    await host.admin.close();
  });
});

describe('sessions that outlive the configuration that started them', () => {
  const store = new session.MemoryStore();
  const writes: string[] = [];

  function hostWith(impersonation: false | { signIn: typeof sessionUserIdSignIn }) {
    const app = express();
    app.use(session({ secret: 'shared-secret-shared-secret', store, resave: false, saveUninitialized: false }));
    app.get('/test/sign-in/:id', (req: any, res: any) => {
      req.session.userId = req.params.id;
      res.send('ok');
    });
    app.use(async (req: any, _res: any, next: any) => {
      req.user = req.session.userId ? await findUser(req.session.userId) : null;
      next();
    });
    const admin = createAdmin({ db: testDb.db, getUser: (req: any) => req.user ?? null, now, impersonation });
    app.use(admin.guard);
    app.use('/admin', admin);
    hostPages(app, writes);
    return { app, admin };
  }

  async function impersonatingOn(app: express.Express): Promise<Agent> {
    const agent = request.agent(app);
    await agent.get(`/test/sign-in/${ids.sam}`).expect(200);
    const page = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
    await agent.post(`/admin/users/${ids.jane}/impersonate`).type('form').send({ _csrf: csrfIn(page.text), reason: 'Ticket #13', minutes: '5' }).expect(303);
    expect((await agent.get('/api/me')).body.email).toBe('jane@acme.test');
    return agent;
  }

  it('impersonation switched off while one was running: the next request ends it and signs everyone out', async () => {
    const before = hostWith({ signIn: sessionUserIdSignIn });
    const after = hostWith(false);
    await after.admin.ready();
    const agent = await impersonatingOn(before.app);
    const cookie = `connect.sid=${cookieValue(agent, 'connect.sid')}`;
    const res = await request(after.app).get('/').set('Cookie', cookie);
    expect(res.status).toBe(403);
    expect(res.text).toContain('The impersonation in this browser has ended and you have been signed out.');
    expect((await actions()).at(-1)).toBe('impersonation.ended');
    expect((await request(after.app).get('/api/me').set('Cookie', cookie)).body.email).toBeNull();
    await before.admin.close();
    await after.admin.close();
  });

  it('an impersonation record the console cannot read (tampered, or from another version) ends the same way', async () => {
    const { app, admin } = hostWith({ signIn: sessionUserIdSignIn });
    const agent = await impersonatingOn(app);
    const sid = decodeURIComponent(cookieValue(agent, 'connect.sid')!).slice(2).split('.')[0]!;
    const stored: any = await new Promise((resolve, reject) => store.get(sid, (err, value) => (err ? reject(err) : resolve(value))));
    stored.backstageImpersonation.mode = 'superuser';
    await new Promise<void>((resolve, reject) => store.set(sid, stored, (err) => (err ? reject(err) : resolve())));
    const res = await agent.get('/');
    expect(res.status).toBe(403);
    expect((await agent.get('/api/me')).body.email).toBeNull();
    expect((await agent.get('/admin/')).status).toBe(303);
    await admin.close();
  });
});

describe('a signIn hook that throws', () => {
  it('the start is on record, followed by its failure; support is signed out rather than left half-switched', async () => {
    const errorLog = jest.spyOn(console, 'error').mockImplementation(() => {});
    const host = await createTestApp({
      db: testDb.db,
      migrate: false,
      admin: {
        now,
        impersonation: {
          signIn: () => {
            throw new Error('session store is down');
          },
        },
      },
      routes: (app) => hostPages(app, []),
    });
    const agent = request.agent(host.app);
    await agent.get(`/test/sign-in/${ids.sam}`).expect(200);
    const page = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
    const res = await agent.post(`/admin/users/${ids.jane}/impersonate`).type('form').send({ _csrf: csrfIn(page.text), reason: 'Ticket #14', minutes: '5' });
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('session store is down');
    expect((await actions()).slice(-2)).toEqual(['impersonation.started', 'impersonation.ended']);
    expect((await agent.get('/api/me')).body.email).toBeNull();
    errorLog.mockRestore();
    await host.admin.close();
  });
});
