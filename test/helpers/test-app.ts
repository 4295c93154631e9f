/**
 * A real host app for the suites: Express (5 by default, 4 on request) with
 * express-session, a tiny host auth that loads `req.user` from the users table,
 * and the console mounted at /admin.
 */
import express5 from 'express';
import session from 'express-session';
import type { Kysely } from 'kysely';
import request from 'supertest';
import { createAdmin, type Admin, type AdminOptions } from '../../src';

export interface TestApp {
  app: express5.Express;
  admin: Admin;
  /** A supertest agent signed in as the given user id (or anonymous with null). */
  agentAs(userId: string | null): Promise<SignedInAgent>;
}

export interface SignedInAgent {
  agent: ReturnType<typeof request.agent>;
  /** The console's CSRF token for this agent's session. */
  csrf(): Promise<string>;
}

export interface TestAppOptions {
  db: Kysely<any>;
  admin?: Partial<AdminOptions>;
  /** The express module to build the host with (express 5 by default). */
  express?: any;
  /** Set false to skip admin.migrate(). */
  migrate?: boolean;
  /** Where the host's own auth loads users from (default: users.id). */
  hostUsers?: { table: string; id: string };
  /** Set false to leave admin.guard unmounted (a host that forgot it). */
  guard?: boolean;
  /** The host's own routes, added after the console (behind the guard when it is mounted). */
  routes?: (app: any) => void;
}

/** The impersonation hook of this host: its auth reads `req.session.userId`. */
export const sessionUserIdSignIn = (req: any, user: { id: string }) => {
  req.session.userId = user.id;
};

export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const express = options.express ?? express5;
  const app = express();
  app.set('trust proxy', false);
  app.use(session({ secret: 'test-secret-test-secret', resave: false, saveUninitialized: false }));
  app.get('/test/sign-in/:id', (req: any, res: any) => {
    req.session.userId = req.params.id === 'anonymous' ? undefined : req.params.id;
    res.send('ok');
  });
  app.use(async (req: any, _res: any, next: any) => {
    try {
      if (req.session?.userId) {
        const users = options.hostUsers ?? { table: 'users', id: 'id' };
        req.user = (await options.db.selectFrom(users.table).selectAll().where(users.id, '=', req.session.userId).executeTakeFirst()) ?? null;
      }
      next();
    } catch (err) {
      next(err);
    }
  });
  const admin = createAdmin({ db: options.db, getUser: (req: any) => req.user ?? null, ...options.admin });
  if (options.guard !== false) app.use(admin.guard);
  app.use('/admin', admin);
  app.get('/login', (_req: any, res: any) => res.send('host login page'));
  options.routes?.(app);
  if (options.migrate !== false) await admin.migrate();
  await admin.ready();

  return {
    app,
    admin,
    async agentAs(userId) {
      const agent = request.agent(app);
      if (userId !== null) await agent.get(`/test/sign-in/${userId}`).expect(200);
      let token: string | null = null;
      return {
        agent,
        async csrf() {
          if (token) return token;
          const res = await agent.get('/admin/');
          const match = /x-csrf-token&#34;:&#34;([^&]+)&#34;/.exec(res.text);
          if (!match) throw new Error(`no CSRF token on the dashboard (status ${res.status})`);
          token = match[1];
          return token;
        },
      };
    },
  };
}
