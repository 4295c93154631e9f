/**
 * Operators work in several apps' consoles: each one carries its app's name,
 * logo, colour and a way back to the app, without loosening the CSP.
 */
import { createAdmin } from '../src';
import { themeStylesheet } from '../src/http/branding';
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';

describe('a console branded as the host app', () => {
  let testDb: TestDb;
  let host: TestApp;
  let adminId: string;

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
    [adminId] = await insertUsers(testDb.db, 'sqlite', [{ email: 'ops@acme.test', role: 'admin' }]);
    host = await createTestApp({
      db: testDb.db,
      admin: { appName: 'Acme <Cloud>', logoUrl: 'https://cdn.acme.test/logo.svg', homeUrl: '/dashboard', accentColor: '#0F766E' },
    });
  });
  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('shows the app name, logo and a link back to the app on every page', async () => {
    const { agent } = await host.agentAs(adminId);
    const res = await agent.get('/admin/users').expect(200);
    const html = decoded(res.text);
    expect(html).toContain('<title>Users · Acme <Cloud> console</title>');
    expect(res.text).not.toContain('Acme <Cloud>');
    expect(res.text).toContain('<img class="brand-logo" src="https://cdn.acme.test/logo.svg" alt="" width="28" height="28">');
    expect(html).toContain('<a class="back-to-app" href="/dashboard">← Back to Acme <Cloud></a>');
    // The logo's origin, and only it, is added to the images the CSP allows.
    expect(res.headers['content-security-policy']).toContain("img-src 'self' data: https://cdn.acme.test");
    expect(res.headers['content-security-policy']).toContain("style-src 'self'");
    expect(res.text).not.toMatch(/\sstyle=/);
  });

  it('applies the accent colour through a served stylesheet, not inline style', async () => {
    const { agent } = await host.agentAs(adminId);
    const page = await agent.get('/admin/').expect(200);
    const href = /<link rel="stylesheet" href="(\/admin\/assets\/theme\.css\?v=[0-9a-f]{10})">/.exec(page.text)?.[1];
    expect(href).toBeDefined();
    const css = await agent.get(href!).expect(200).expect('content-type', /text\/css/).expect('cache-control', /immutable/);
    expect(css.text).toContain('--accent: #0f766e;');
    expect(css.text).toContain('--accent-ink: #ffffff;');
    expect(css.text).toContain('--accent-soft: #e7f1f1;');
  });

  it('the stylesheet is static, so it is served before the role gate like the other assets', async () => {
    const { agent } = await host.agentAs(null);
    await agent.get('/admin/assets/theme.css').expect(200);
    await agent.get('/admin/users').expect(303);
  });
});

describe('branding options are checked like every other option', () => {
  let testDb: TestDb;
  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
  });
  afterAll(() => testDb?.destroy());
  const getUser = () => null;

  it.each([
    ['a colour name', { accentColor: 'teal' }, `options.accentColor must be a hex colour such as '#4f46e5', got "teal"`],
    ['CSS smuggled in the colour', { accentColor: '#fff; background: url(x)' }, "options.accentColor must be a hex colour such as '#4f46e5'"],
    ['a javascript: home link', { homeUrl: 'javascript:alert(1)' }, `options.homeUrl must be a path starting with '/' or an http(s) URL, got "javascript:alert(1)"`],
    ['a protocol-relative logo', { logoUrl: '//evil.test/x.png' }, `options.logoUrl must be a path starting with '/' or an http(s) URL, got "//evil.test/x.png"`],
  ])('%s', (_what, branding, message) => {
    expect(() => createAdmin({ db: testDb.db, getUser, ...branding })).toThrow(`express-backstage: ${message}`);
  });

  it('without options the console keeps its own look and links no theme', async () => {
    expect(themeStylesheet({ appName: 'Backstage', logoUrl: null, homeUrl: null, accentColor: null })).not.toContain('--accent');
  });

  it('a light accent gets dark text', () => {
    expect(themeStylesheet({ appName: 'x', logoUrl: null, homeUrl: null, accentColor: '#fde047' })).toContain('--accent-ink: #1b1f24;');
  });
});
