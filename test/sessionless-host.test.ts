/**
 * A host with no server session at all (a signed token in a cookie, as with
 * passport-jwt): the console runs its own express-session for its CSRF secret,
 * under its own cookie name, and everything still works.
 */
import { createHmac } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { createAdmin, type Admin } from '../src';
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';

const SECRET = 'jwt-ish-secret';
const sign = (userId: string) => `${userId}.${createHmac('sha256', SECRET).update(userId).digest('hex')}`;

describe('a host without express-session', () => {
  let testDb: TestDb;
  let admin: Admin;
  let app: express.Express;
  let ids: string[];

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    ids = await insertUsers(testDb.db, 'sqlite', [{ email: 'root@ops.test', role: 'superuser' }, { email: 'c@customer.test' }]);
    app = express();
    app.use(async (req: any, _res, next) => {
      const token = /(?:^|;\s*)token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const [id] = token?.split('.') ?? [];
      if (id && token === sign(id)) req.user = await testDb.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      next();
    });
    admin = createAdmin({ db: testDb.db, getUser: (req: any) => req.user ?? null, sessionSecret: 'console-session-secret-123' });
    app.use('/admin', admin);
    await admin.migrate();
  });

  afterAll(async () => {
    await admin?.close();
    await testDb?.destroy();
  });

  it('sets its own httpOnly, SameSite=Lax session cookie and accepts its CSRF token', async () => {
    const hostCookie = `token=${sign(ids[0])}`;
    const page = await request(app).get('/admin/users').set('Cookie', hostCookie).expect(200);
    const cookie = String(page.headers['set-cookie'] ?? '');
    expect(cookie).toMatch(/^backstage\.sid=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const token = /x-csrf-token&#34;:&#34;([^&]+)&#34;/.exec(page.text)![1];
    const both = `${hostCookie}; ${cookie.split(';')[0]}`;
    await request(app).post(`/admin/users/${ids[1]}/ban`).set('Cookie', both).type('form').send({ _csrf: token, reason: 'fraud' }).expect(303);
    const banned = await testDb.db.selectFrom('users').select('banned_at').where('id', '=', ids[1]).executeTakeFirstOrThrow();
    expect(banned.banned_at).not.toBeNull();
    await request(app).post(`/admin/users/${ids[1]}/unban`).set('Cookie', both).type('form').send({ _csrf: 'forged' }).expect(403);
    await request(app).post(`/admin/users/${ids[1]}/unban`).set('Cookie', hostCookie).type('form').send({ _csrf: token }).expect(403);
  });
});
