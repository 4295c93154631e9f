/**
 * Hostile values stored where the console shows them must come back as text:
 * never as markup, never as an attribute breakout, never as template syntax.
 */
import express4 from 'express4';
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertTeam, insertUsers } from './helpers/host-schema';
import { createTestApp, type TestApp } from './helpers/test-app';

const HOSTILE_NAME = `<script>alert(1)</script>"><img src=x onerror=alert(2)>{{7*7}}<%= 7*7 %>`;
const HOSTILE_EMAIL = `"><svg/onload=alert(3)>@evil.test`;
const HOSTILE_REASON = `</textarea><script>alert(4)</script>' onmouseover='alert(5)`;

function assertInert(html: string) {
  expect(html).not.toMatch(/<script>alert/);
  expect(html).not.toMatch(/<img src=x/);
  expect(html).not.toMatch(/<svg\/onload/);
  expect(html).not.toContain(`' onmouseover='`);
  expect(html).not.toContain('>49<');
}

describe.each([
  ['Express 5', undefined],
  ['Express 4', express4],
])('hostile values render escaped (%s)', (_name, express) => {
  let testDb: TestDb;
  let host: TestApp;
  let ids: string[];

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    ids = await insertUsers(testDb.db, 'sqlite', [
      { email: 'root@ops.test', role: 'superuser' },
      { email: HOSTILE_EMAIL, name: HOSTILE_NAME },
    ]);
    await insertTeam(testDb.db, 'sqlite', HOSTILE_NAME, [[ids[1], 'owner']]);
    host = await createTestApp({ db: testDb.db, express });
    const { agent, csrf } = await host.agentAs(ids[0]);
    await agent.post(`/admin/users/${ids[1]}/ban`).type('form').send({ _csrf: await csrf(), reason: HOSTILE_REASON }).expect(303);
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it.each(['/admin/', '/admin/users', '/admin/users?q=evil', '/admin/audit'])('on %s', async (path) => {
    const { agent } = await host.agentAs(ids[0]);
    const res = await agent.get(path.replace(':id', ids[1])).expect(200);
    assertInert(res.text);
  });

  it('on the user page, with the team name and the audit reason', async () => {
    const { agent } = await host.agentAs(ids[0]);
    const res = await agent.get(`/admin/users/${ids[1]}`).expect(200);
    assertInert(res.text);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('in a 400 message that quotes the bad value', async () => {
    const { agent } = await host.agentAs(ids[0]);
    const res = await agent.get(`/admin/users?sort=${encodeURIComponent('<script>alert(1)</script>')}`).expect(400);
    assertInert(res.text);
  });

  it('sends the security headers on every console response', async () => {
    const { agent } = await host.agentAs(ids[0]);
    const res = await agent.get('/admin/users').expect(200);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(res.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).not.toMatch(/<script>(?!<\/script>)[^<]/);
    expect(res.text).not.toMatch(/\sstyle="/);
  });
});
