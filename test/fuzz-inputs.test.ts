/**
 * Hostile input, generated: an attacker (or a confused operator with a
 * mangled bookmark) throws whatever they like at every list, every form and
 * every id in the console, on SQLite, PostgreSQL and MariaDB. Whatever comes
 * in, the console answers with a page an operator can act on: never a 5xx,
 * never a stack trace, and every 4xx says what was wrong.
 *
 * The routes come from the router itself (the census), so a page added later
 * is fuzzed without anyone listing it here. Fixed seed; CI-sized counts
 * (FUZZ_RUNS per dialect, default 1,000); `npm run test:fuzz` runs 10,000.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Bull from 'bull';
import fc from 'fast-check';
import express4 from 'express4';
import { DIALECTS, openTestDb, type DialectName } from './helpers/dialects';
import { createHostSchema, createInvitationsAndSubscriptions, insertInvitation, insertSubscription, insertTeam, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { encodeText, formBody, csrfTokenIn, RawClient, signIn, type RawResponse } from './helpers/raw-http';
import { listRoutes } from './helpers/route-census';
import { createTestApp, sessionUserIdSignIn, type TestApp } from './helpers/test-app';
import { listen, RESULTS_DIR, type Listening } from './browser/helpers';

jest.setTimeout(20 * 60_000);

const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 20260412);
/** Of each dialect's runs: list parameters, form bodies, route ids. */
const SHARE = { lists: 0.4, forms: 0.3, ids: 0.3 };
const REDIS_URL = process.env.TEST_REDIS_URL;

/** A stack frame (`at fn (file.js:12:5)`, `at node:internal/x:1:2`): DESIGN's `/at .*:\d+:\d+/`, minus times of day ("sampled at 10:12:33"). */
const STACK_FRAME = /\bat [^\n]*?[^\d\s:]:\d+:\d+/;

// ---------------------------------------------------------------- generators

/** Percent-encoded UTF-8, for values put into URLs and forms. */
const pct = encodeText;

/** Text that must not look like a stack frame by itself, so a page quoting it back is not mistaken for a leak. */
const noFrame = (s: string) => !STACK_FRAME.test(s);

const SQL_FRAGMENTS = [
  "' OR '1'='1",
  "1' OR 1=1 --",
  '1; DROP TABLE users; --',
  "' UNION SELECT password_hash, email FROM users --",
  '") OR ("a"="a',
  "admin'--",
  '1 AND SLEEP(5)',
  "'; SELECT pg_sleep(5); --",
  '%',
  '_',
  '\\',
  '!%_',
  "\\'; --",
  'NULL',
  '`id`',
  '"id"',
  'users.password_hash',
  'created_at desc, (select 1)',
];
const STRUCTURE_TRICKS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '[]', '{}', 'null', 'undefined', 'true', 'NaN', 'Infinity', '-Infinity'];
const NUMBERS = ['0', '-1', '1.5', '1e3', '1e308', '-1e308', '2147483647', '2147483648', '-2147483649', '9223372036854775807', '9223372036854775808', '99999999999999999999999999', '0x10', '0b1', ' 1', '1 ', '+1', '00001', '１２３', '٣'];
const DATES = ['2026-01-31', '2026-02-30', '2026-13-01', '0000-00-00', '9999-12-31', '0001-01-01', '+275760-09-13', '2026-1-1', '2026-01-31T00:00:00Z', '31/01/2026', 'yesterday'];
const MARKUP = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "javascript:alert('x')", '{{7*7}}', '<%= 7*7 %>', '${7*7}'];
const PATH_TRICKS = ['../', '..', '../../etc/passwd', '..\\..\\windows', '/', '//evil.test', 'a/b', '.', '%2e%2e%2f'];
const UNICODE = ['\u202e', '\u0000', '\uFEFF', '\u200b', 'e\u0301', '🧨', '\uD800', '\uDFFF', 'İ', 'ǅ', 'ﬀ', 'ß', '\u2028', '\r\n', '\t'];
/** Sent exactly as written, unencoded: malformed or sneaky percent sequences. */
const RAW_TRICKS = ['%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%2e%2e%2f', '..%2F..%2F', '%25', '%u0041', '%FF%FE', '+', '%20%20'];

/**
 * Long text: up to 10 KB once in the URL. Node refuses request heads over 16 KB
 * itself (431, before any app code runs), so multi-byte units are repeated
 * fewer times: each byte costs three characters percent-encoded.
 */
const longText = fc
  .constantFrom('a', '9', 'é', "'", '<', '%', '🧨')
  .chain((unit) => fc.integer({ min: 1000, max: 10_240 }).map((n) => unit.repeat(Math.max(1, Math.floor(n / pct(unit).length)))));

/** Control characters spliced into ordinary text (PostgreSQL refuses NUL in any text value). */
const CONTROLS = ['\u0000', '\u0000', '\u0000', '\u0000', '\u0001', '\u0008', '\u001b', '\u007f', '\u0085', '\ud800', '\r', '\n', '\u2028'];
const withControl = fc
  .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...CONTROLS), fc.nat())
  .map(([text, control, at]) => text.slice(0, at % (text.length + 1)) + control + text.slice(at % (text.length + 1)));

/** Any hostile value, as a string. */
const hostileText: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
    { weight: 3, arbitrary: fc.constantFrom(...SQL_FRAGMENTS, ...STRUCTURE_TRICKS, ...MARKUP, ...PATH_TRICKS, ...UNICODE) },
    { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n })).map(String) },
    { weight: 2, arbitrary: fc.constantFrom(...DATES) },
    { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)) },
    { weight: 1, arbitrary: longText },
    { weight: 3, arbitrary: withControl },
  )
  .filter(noFrame);

/** A value ready for a URL: encoded hostile text, or one of the raw tricks as is. */
const urlValue: fc.Arbitrary<string> = fc.oneof({ weight: 9, arbitrary: hostileText.map(pct) }, { weight: 1, arbitrary: fc.constantFrom(...RAW_TRICKS) });

/** Every parameter name any console page reads, plus shapes qs (Express 4) turns into arrays and objects. */
const KNOWN_PARAMS = [
  'q', 'sort', 'limit', 'after', 'before', 'role', 'status', 'from', 'to', 'plan', 'actor', 'action', 'subject_type', 'subject_id',
  'state', 'page', 'size', 'find', 'field', 'op', 'value', 'states', 'logs', 'user', 'team', 'kind', 'id', 'topics', 'hours', 'instance',
];
const SORTS = ['created_at', '-created_at', 'email', '-email', 'name', '-name', 'last_seen', '-count', 'joined_at', '+email', '--email', '-', '', 'password_hash', '-id', 'id', 'users.email', 'email desc'];
const paramName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KNOWN_PARAMS) },
  { weight: 1, arbitrary: fc.constantFrom(...KNOWN_PARAMS).chain((n) => fc.constantFrom(`${n}[]`, `${n}[0]`, `${n}[a]`, `${n}[__proto__]`, `${n}.x`)) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...STRUCTURE_TRICKS)).filter(noFrame).map(pct) },
);

/** Values each list parameter accepts somewhere in the console (unknown parameters are ignored by the pages that do not read them). */
const VALID_QUERY: Record<string, string[]> = {
  q: ['jane', 'acme', 'zoë', 'jane acme'],
  sort: ['-created_at', 'email', 'name', '-last_seen', 'count'],
  limit: ['1', '20'],
  role: ['user', 'admin'],
  status: ['active', 'banned', 'unconfirmed', 'resolved', 'all', 'past_due', 'none'],
  from: ['2025-01-01'],
  to: ['2027-01-01'],
  plan: ['pro'],
  actor: ['root@ops.test', '1'],
  action: ['user.', 'user.banned'],
  subject_type: ['user'],
  subject_id: ['3'],
  state: ['failed', 'completed', 'delayed'],
  page: ['1', '2'],
  size: ['20', '50'],
  field: ['teamId', 'userId'],
  op: ['eq', 'contains'],
  value: ['1', 'jane'],
  states: ['failed', 'failed,completed'],
  logs: ['1'],
  hours: ['24'],
};
const validQueryPair = fc.constantFrom(...Object.entries(VALID_QUERY)).chain(([name, values]) => fc.constantFrom(...values).map((v) => [name, pct(v)] as [string, string]));

/** A well-formed form for any console action (each route reads the fields it knows). */
const VALID_FORM: Record<string, string> = {
  reason: 'Customer asked for help',
  role: 'user',
  minutes: '5',
  mode: 'read-only',
  back: 'queue',
  count: '0',
  state: 'failed',
  hours: '24',
};

// ---------------------------------------------------------------- cursors

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const hostileJson: fc.Arbitrary<Json> = fc.oneof(
  fc.string({ maxLength: 20 }).filter(noFrame),
  fc.constantFrom(...SQL_FRAGMENTS, ...NUMBERS, ...DATES),
  fc.integer(),
  fc.constantFrom(1e308, -1e308, 2 ** 53, -(2 ** 31) - 1, 2 ** 31, 0.5, -0),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom<Json>(
    { $d: '2026-13-45T00:00:00.000Z' },
    { $d: '+275760-09-13T00:00:00.000Z' },
    { $d: '-271821-04-20T00:00:00.000Z' },
    { $d: '0001-01-01T00:00:00.000Z' },
    { $d: '9999-12-31T23:59:59.999Z' },
    { $d: '1970-01-01T00:00:00.000Z' },
    { $n: '99999999999999999999999999' },
    { $n: '-9223372036854775809' },
    { $n: '-1' },
    { $n: 'abc' },
    { $x: 1 },
    [],
    {},
    [1, 2],
  ),
);

function b64(json: unknown): string {
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/** A real cursor, damaged in one of the ways a hand or a tool would damage it. */
function tamper(cursor: string, how: number, at: number, value: Json): string {
  let payload: { f: string; v: Json[] };
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return cursor;
  }
  const i = payload.v.length ? at % payload.v.length : 0;
  switch (how) {
    case 0: {
      const pos = at % cursor.length;
      const swap = cursor[pos] === 'A' ? 'B' : 'A';
      return cursor.slice(0, pos) + swap + cursor.slice(pos + 1);
    }
    case 1:
      return cursor.slice(0, Math.max(1, at % cursor.length));
    case 2:
      return b64({ ...payload, v: payload.v.map((v, j) => (j === i ? value : v)) });
    case 3:
      return b64({ ...payload, v: [...payload.v, value] });
    case 4:
      return b64({ ...payload, v: payload.v.slice(0, -1) });
    case 5:
      return b64({ ...payload, f: 'AAAAAAAA' });
    case 6:
      return b64({ ...payload, extra: value });
    case 7:
      return b64({ f: payload.f, v: payload.v.map(() => value) });
    default:
      return `${cursor}${cursor}`;
  }
}

// ---------------------------------------------------------------- checks

interface Sent {
  method: string;
  path: string;
  body?: string;
  visitor: string;
}

function describeSent(sent: Sent): string {
  const body = sent.body === undefined ? '' : ` body=${sent.body.slice(0, 300)}`;
  return `${sent.visitor}: ${sent.method} ${sent.path.slice(0, 400)}${body}`;
}

/** The text of the first alert or status notice on a page, tags stripped. */
function noticeText(html: string): string {
  const at = html.search(/role="(?:alert|status)"/);
  if (at === -1) return '';
  const end = html.indexOf('>', at);
  return decoded(html.slice(end + 1, end + 1200).replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/** The rules every answer obeys, whatever was sent. */
function expectSafe(res: RawResponse, sent: Sent): void {
  const where = describeSent(sent);
  if (res.status >= 500) throw new Error(`${res.status} for ${where}\n${decoded(res.text).slice(0, 1500)}`);
  if (STACK_FRAME.test(decoded(res.text))) throw new Error(`stack trace in the answer (${res.status}) to ${where}\n${decoded(res.text).slice(0, 1500)}`);
  if (res.status >= 400) {
    const type = String(res.headers['content-type'] ?? '');
    const message = type.includes('json') ? String((JSON.parse(res.text) as { error?: unknown }).error ?? '') : noticeText(res.text);
    if (!/\w{3,}/.test(message)) throw new Error(`${res.status} without a message for ${where}\n${res.text.slice(0, 800)}`);
  }
}

// ---------------------------------------------------------------- the console under fire

interface Fixture {
  host: TestApp;
  server: Listening;
  routes: Array<{ method: string; path: string }>;
  visitors: Record<'admin' | 'superuser', { client: RawClient; token: string }>;
  /** Real values for each route parameter, by route path and parameter name. */
  real: (route: string, param: string) => string[];
  cursors: string[];
  counts: { lists: number; forms: number; ids: number; sweep: number; requests: number };
}

async function openFixture(dialect: DialectName, cleanups: Array<() => Promise<void>>, express?: unknown): Promise<Fixture> {
  const testDb = await openTestDb(dialect);
  cleanups.push(() => testDb.destroy());
  const { db } = testDb;
  await createHostSchema(db, dialect);
  await createInvitationsAndSubscriptions(db, dialect);
  const users = await insertUsers(db, dialect, [
    { email: 'root@ops.test', name: 'Root', role: 'superuser' },
    { email: 'sam@ops.test', name: 'Sam Support', role: 'admin' },
    { email: 'jane@acme.test', name: 'Jane Doe' },
    { email: 'zoë@ünïcode.test', name: 'Zoë 🧨 \u202eevil' },
    { email: 'bob@acme.test', name: "Bob '; DROP TABLE users; --" },
    { email: 'kim@acme.test', name: 'Kim', confirmedAt: null },
    { email: 'old@acme.test', name: 'Old', bannedAt: new Date(Date.UTC(2026, 0, 2)) },
  ]);
  const [superuser, admin, jane, zoe, bob, kim] = users;
  const teams = [
    await insertTeam(db, dialect, 'Acme Inc', [[jane, 'owner'], [bob, 'member'], [kim, 'member']]),
    await insertTeam(db, dialect, 'Ünïcode GmbH', [[zoe, 'owner']]),
    await insertTeam(db, dialect, 'Empty Co', [[bob, 'owner']]),
  ];
  const invitation = await insertInvitation(db, dialect, { teamId: teams[0], email: 'new@acme.test', invitedById: jane, expiresAt: new Date(Date.now() + 86_400_000) });
  await insertSubscription(db, dialect, { teamId: teams[0], plan: 'pro', status: 'active', amountCents: 4900 });
  await insertSubscription(db, dialect, { teamId: teams[1], plan: 'team', status: 'past_due', amountCents: 19900 });

  let queue: Bull.Queue | null = null;
  const jobs: string[] = [];
  if (REDIS_URL) {
    queue = new Bull('fuzz-mail', REDIS_URL, { prefix: `bs-test-fuzz-${dialect}-${process.pid}-${Date.now().toString(36)}` });
    cleanups.push(async () => {
      await queue!.obliterate({ force: true }).catch(() => undefined);
      await queue!.close();
    });
    // A worker like the host's: sends, or fails the way SMTP fails (a stack without line:column frames).
    void queue.process('invite', async (job) => {
      if (job.data.fail) throw Object.assign(new Error('SMTP said no: 550 mailbox unavailable'), { stack: 'Error: SMTP said no\n    in mailer' });
      return { sent: true };
    });
    for (const data of [{ userId: jane, teamId: teams[0], to: 'jane@acme.test' }, { userId: zoe, teamId: teams[1], note: '<b>hi</b>' }, { userId: kim, teamId: teams[0], fail: true }]) {
      jobs.push(String((await queue.add('invite', data)).id));
    }
    jobs.push(String((await queue.add('later', { userId: bob }, { delay: 3_600_000 })).id));
    for (let i = 0; i < 200 && (await queue.getFailedCount()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  const host = await createTestApp({
    db,
    express,
    admin: {
      impersonation: { signIn: sessionUserIdSignIn },
      ...(queue ? { queues: [queue] } : {}),
    },
  });
  cleanups.push(() => host.admin.close());
  // Two captured error groups (stacks without line:column frames, so only the console's own traces would match).
  host.admin.captureError(Object.assign(new Error('Invoice total is NaN'), { stack: 'Error: Invoice total is NaN\n    in billing/invoice.js' }), { userId: jane });
  host.admin.captureError(Object.assign(new TypeError("Cannot read properties of undefined (reading 'plan')"), { stack: 'TypeError: plan\n    in billing/plan.js' }));
  const errorIds: string[] = [];
  for (let i = 0; i < 100 && errorIds.length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    errorIds.splice(0, errorIds.length, ...(await db.selectFrom('backstage_errors').select('id').execute().catch(() => [])).map((r: any) => String(r.id)));
  }

  const server = await listen(host.app);
  cleanups.push(() => server.close());
  const visitors = {} as Fixture['visitors'];
  for (const [name, id] of [['superuser', superuser], ['admin', admin]] as const) {
    const client = new RawClient(server.url);
    cleanups.push(async () => client.close());
    visitors[name] = { client, token: await signIn(client, id) };
  }
  // Some audit history, so the audit log has pages and cursors.
  for (const verb of ['ban', 'unban', 'ban', 'unban']) {
    await visitors.superuser.client.post(`/admin/users/${kim}/${verb}`, formBody({ _csrf: visitors.superuser.token, reason: `fuzz fixture ${verb}` }));
  }
  // Two impersonations (one over, one running, in a browser of their own), so /impersonations/:id has real ids.
  const impersonator = new RawClient(server.url);
  cleanups.push(async () => impersonator.close());
  await signIn(impersonator, admin);
  for (const [target, stop] of [[jane, true], [bob, false]] as const) {
    const page = await impersonator.get(`/admin/users/${target}/impersonate`);
    await impersonator.post(`/admin/users/${target}/impersonate`, formBody({ _csrf: csrfTokenIn(page.text)!, reason: 'fuzz fixture', minutes: '30' }));
    if (stop) await impersonator.post('/admin/impersonation/stop', formBody({ _csrf: csrfTokenIn((await impersonator.get('/admin/')).text)! }));
  }
  const impersonations = (await db.selectFrom('backstage_audit_events').select('id').where('action', '=', 'impersonation.started').execute()).map((r: any) => String(r.id));

  const routes = listRoutes(host.admin);
  const real = (route: string, param: string): string[] => {
    if (route.startsWith('/users/')) return [jane, zoe, bob, kim, users[6]];
    if (route.startsWith('/teams/')) return param === 'invitationId' ? [invitation] : teams;
    if (route.startsWith('/errors/')) return errorIds.length ? errorIds : ['1'];
    if (route.startsWith('/dev/queues/')) return param === 'name' ? ['fuzz-mail'] : jobs.length ? jobs : ['1'];
    if (route.startsWith('/impersonations/')) return impersonations;
    return ['1'];
  };

  // Real cursors, harvested from the lists' own page links (limit=1 so every list has a next page).
  const cursors = new Set<string>();
  for (const route of routes.filter((r) => r.method === 'GET' && r.path !== '/live')) {
    const concrete = route.path.replace(/:(\w+)/g, (_m, p: string) => encodeURIComponent(real(route.path, p)[0]));
    for (const sort of ['', '&sort=email', '&sort=-name', '&sort=count']) {
      const page = await visitors.superuser.client.get(`/admin${concrete}?limit=1${sort}`);
      for (const match of page.text.matchAll(/[?&;](?:after|before)=([A-Za-z0-9_-]+)/g)) cursors.add(match[1]);
    }
  }

  return { host, server, routes, visitors, real, cursors: [...cursors], counts: { lists: 0, forms: 0, ids: 0, sweep: 0, requests: 0 } };
}

/** Closes whatever was opened, last first, even when opening stopped halfway. */
async function closeAll(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}

/**
 * After a fuzzed request the operator's session may have changed for real: a
 * well-formed impersonation start signs them in as the customer. Stop it, and
 * read the token of whatever session the operator now has.
 */
async function settle(f: Fixture, visitor: 'admin' | 'superuser', res: RawResponse): Promise<void> {
  const v = f.visitors[visitor];
  const location = String(res.headers.location ?? '');
  if (res.status !== 303 || location === '' || location.startsWith('/admin')) return;
  const closed = await v.client.get('/admin/');
  const token = csrfTokenIn(closed.text);
  if (closed.status === 403 && token) await v.client.post('/admin/impersonation/stop', formBody({ _csrf: token }));
  const page = await v.client.get('/admin/');
  if (page.status !== 200) throw new Error(`${visitor} could not get back to the console after ${location} (now ${page.status})`);
  v.token = csrfTokenIn(page.text) ?? v.token;
}

const HEADER_SETS: Array<Record<string, string>> = [{}, { 'hx-request': 'true' }, { accept: 'application/json' }, { 'hx-request': 'true', 'hx-request-type': 'full' }];

async function send(f: Fixture, visitor: 'admin' | 'superuser', method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<void> {
  const sent: Sent = { method, path, body, visitor };
  const res = await f.visitors[visitor].client.request(method, path, { body, headers, timeoutMs: 20_000 });
  f.counts.requests++;
  expectSafe(res, sent);
  if (method === 'POST') await settle(f, visitor, res);
}

function concretePath(f: Fixture, route: string, pick: (param: string) => string): string {
  return `/admin${route.replace(/:(\w+)/g, (_m, p: string) => pick(p))}`;
}

/** fast-check's report quotes the whole counterexample; 10 KB values make it unreadable. */
async function assertShort(run: Promise<void>): Promise<void> {
  try {
    await run;
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    const message = `${(err as Error).message}\n\nCause: ${cause instanceof Error ? cause.message : String(cause)}`;
    throw new Error(message.length > 8000 ? `${message.slice(0, 3000)}\n…\n${message.slice(-4000)}` : message);
  }
}

function fuzzSuite(label: string, dialect: DialectName, express?: unknown, runs = TOTAL_RUNS, sweep = true) {
  describe(`hostile input on ${label}`, () => {
    let f: Fixture;
    const cleanups: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      f = await openFixture(dialect, cleanups, express);
    });

    afterAll(async () => {
      if (f) {
        fs.mkdirSync(RESULTS_DIR, { recursive: true });
        fs.writeFileSync(
          path.join(RESULTS_DIR, `fuzz-${label.replace(/\W+/g, '-')}.json`),
          JSON.stringify({ label, seed: SEED, routes: f.routes.length, cursors: f.cursors.length, ...f.counts }, null, 2),
        );
      }
      await closeAll(cleanups);
    });

    it('every list takes any query string: q, sort, every filter, limits, real and tampered cursors', async () => {
      const gets = f.routes.filter((r) => r.method === 'GET');
      expect(gets.length).toBeGreaterThan(5);
      expect(f.cursors.length).toBeGreaterThan(3);
      const cursorValue = fc.oneof(
        fc.constantFrom(...f.cursors),
        fc.tuple(fc.constantFrom(...f.cursors), fc.nat(8), fc.nat(10_000), hostileJson).map(([c, how, at, v]) => tamper(c, how, at, v)),
      );
      const pair = fc.oneof(
        { weight: 5, arbitrary: fc.tuple(paramName, urlValue) },
        { weight: 2, arbitrary: fc.tuple(fc.constant('sort'), fc.constantFrom(...SORTS).map(pct)) },
        { weight: 3, arbitrary: fc.tuple(fc.constantFrom('after', 'before'), cursorValue) },
        { weight: 1, arbitrary: fc.tuple(fc.constant('limit'), fc.constantFrom('1', '50', '200', '201', '0', '-1', '1e2', '10.0', '007', '99999999999999999999')) },
      );
      await assertShort(fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...gets),
          fc.oneof(
            fc.array(pair, { maxLength: 6 }),
            // Mostly valid, one hostile: gets past validation of the others, so the hostile value reaches the query.
            fc.tuple(fc.array(validQueryPair, { maxLength: 4 }), fc.tuple(fc.constantFrom(...KNOWN_PARAMS), urlValue), fc.nat()).map(([valid, hostile, at]) => {
              const all = [...valid];
              all.splice(at % (valid.length + 1), 0, hostile);
              return all;
            }),
          ),
          fc.constantFrom<'admin' | 'superuser'>('admin', 'superuser'),
          fc.constantFrom(...HEADER_SETS),
          fc.boolean(),
          async (route, pairs, visitor, headers, realIds) => {
            f.counts.lists++;
            const target = concretePath(f, route.path, (p) => (realIds ? encodeURIComponent(f.real(route.path, p)[0]) : pct('x')));
            // One long value at most: several would pass Node's 16 KB limit on the request head (431 from Node itself).
            let budget = 12_000;
            const query = pairs
              .map(([k, v]) => `${k}=${v}`)
              .filter((p) => (budget -= p.length + 1) >= 0)
              .join('&');
            const live = route.path === '/live' ? `topics=signups&` : '';
            await send(f, visitor, 'GET', `${target}?${live}${query}`, undefined, headers);
          },
        ),
        { seed: SEED, numRuns: Math.max(1, Math.round(runs * SHARE.lists)) },
      ));
    });

    it('every form takes any body: known and random fields, repeated, too long, without or with a wrong token', async () => {
      const posts = f.routes.filter((r) => r.method === 'POST');
      expect(posts.length).toBeGreaterThan(3);
      const FORM_FIELDS = ['reason', 'role', 'user_id', 'minutes', 'mode', 'back', 'count', 'state', 'hours', 'confirm', 'status', 'q'];
      const fieldValue = fc.oneof(
        { weight: 6, arbitrary: hostileText },
        { weight: 3, arbitrary: fc.constantFrom('user', 'admin', 'superuser', '5', '30', '31', 'full', 'read-only', 'queue', 'failed', 'completed', '0', '24', 'Customer asked for help') },
        { weight: 1, arbitrary: fc.constant('r'.repeat(70_000)) },
      );
      const field = fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FORM_FIELDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }).filter(noFrame) }), fieldValue);
      await assertShort(fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...posts),
          fc.oneof(
            fc.array(field, { maxLength: 6 }),
            // A well-formed form with one hostile field: the value gets as far as the audit log and the database.
            fc.tuple(fc.subarray(Object.entries(VALID_FORM)), fc.tuple(fc.constantFrom(...FORM_FIELDS), fieldValue)).map(([valid, [name, value]]) => [
              ...valid.filter(([k]) => k !== name),
              [name, value] as [string, string],
            ]),
          ),
          fc.constantFrom<'admin' | 'superuser'>('admin', 'superuser', 'superuser'),
          fc.constantFrom('valid', 'valid', 'valid', 'valid', 'missing', 'forged', 'twice'),
          fc.constantFrom(...HEADER_SETS),
          fc.nat(),
          async (route, fields, visitor, token, headers, which) => {
            f.counts.forms++;
            const target = concretePath(f, route.path, (p) => {
              const values = f.real(route.path, p);
              return encodeURIComponent(values[which % values.length]);
            });
            const v = f.visitors[visitor];
            const csrf: Array<[string, string]> =
              token === 'valid' ? [['_csrf', v.token]] : token === 'forged' ? [['_csrf', 'forged-token']] : token === 'twice' ? [['_csrf', v.token], ['_csrf', v.token]] : [];
            await send(f, visitor, 'POST', target, formBody([...csrf, ...fields]), headers);
          },
        ),
        { seed: SEED + 1, numRuns: Math.max(1, Math.round(runs * SHARE.forms)) },
      ));
    });

    // Once per dialect (not again on Express 4, whose difference is the query parser the samples above cover).
    if (sweep) it('every parameter of every page and every field of every form, with each classic nasty value (a table, not a sample)', async () => {
      // Random sampling rarely puts the one bad character in the one parameter a page sends to SQL; this sweep always does.
      const NASTY = ['a\u0000b', '\ud800x', "' OR 1=1 --", '99999999999999999999', 'é'.repeat(300)];
      for (const route of f.routes.filter((r) => r.method === 'GET')) {
        const target = concretePath(f, route.path, (p) => encodeURIComponent(f.real(route.path, p)[0]));
        for (const name of Object.keys(VALID_QUERY)) {
          for (const value of NASTY) {
            f.counts.sweep++;
            await send(f, 'superuser', 'GET', `${target}?${route.path === '/live' ? 'topics=signups&' : ''}${name}=${pct(value)}`, undefined, {});
          }
        }
      }
      for (const route of f.routes.filter((r) => r.method === 'POST')) {
        const target = concretePath(f, route.path, (p) => encodeURIComponent(f.real(route.path, p)[0]));
        for (const name of Object.keys(VALID_FORM)) {
          for (const value of NASTY) {
            f.counts.sweep++;
            const v = f.visitors.superuser;
            await send(f, 'superuser', 'POST', target, formBody({ _csrf: v.token, ...VALID_FORM, [name]: value }), {});
          }
        }
      }
    });

    it('every route id takes anything: unicode, huge numbers, ../, SQL, 10 KB', async () => {
      const withParams = f.routes.filter((r) => r.path.includes(':'));
      expect(withParams.length).toBeGreaterThan(3);
      const idValue = fc.oneof(
        { weight: 8, arbitrary: hostileText.map((s) => pct(s === '' ? ' ' : s)) },
        { weight: 1, arbitrary: fc.constantFrom(...RAW_TRICKS, ...PATH_TRICKS.filter((p) => !p.includes('\\'))) },
        { weight: 1, arbitrary: fc.constantFrom('a', '9', '%C3%A9').map((unit) => unit.repeat(Math.floor(10_240 / unit.length))) },
      );
      await assertShort(fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...withParams),
          fc.array(fc.oneof(idValue, fc.constant('REAL')), { minLength: 3, maxLength: 3 }),
          fc.constantFrom<'admin' | 'superuser'>('admin', 'superuser'),
          fc.constantFrom(...HEADER_SETS),
          async (route, ids, visitor, headers) => {
            f.counts.ids++;
            let i = 0;
            let long = false;
            const target = concretePath(f, route.path, (p) => {
              const value = ids[i++ % ids.length];
              if (value === 'REAL' || (long && value.length > 2000)) return encodeURIComponent(f.real(route.path, p)[0]);
              // One long id per path: two would pass Node's 16 KB limit on the request head (431 from Node itself).
              long ||= value.length > 2000;
              return value;
            });
            const body = route.method === 'POST' ? formBody({ _csrf: f.visitors[visitor].token, reason: 'fuzzing ids' }) : undefined;
            await send(f, visitor, route.method, target, body, headers);
          },
        ),
        { seed: SEED + 2, numRuns: Math.max(1, Math.round(runs * SHARE.ids)) },
      ));
    });
  });
}

for (const dialect of DIALECTS) fuzzSuite(dialect, dialect);
// Express 4 parses query strings with qs: `a[b]=c` arrives as objects and arrays, a shape of its own.
fuzzSuite('sqlite on Express 4', 'sqlite', express4, Math.round(TOTAL_RUNS / 4), false);

describe('oversized input is refused quickly, before any work is done', () => {
  const cleanups: Array<() => Promise<void>> = [];
  let host: TestApp;
  let user: string;

  beforeAll(async () => {
    const testDb = await openTestDb('sqlite');
    cleanups.push(() => testDb.destroy());
    await createHostSchema(testDb.db, 'sqlite');
    const [root, jane] = await insertUsers(testDb.db, 'sqlite', [{ email: 'root@ops.test', role: 'superuser' }, { email: 'jane@acme.test' }]);
    user = jane;
    host = await createTestApp({ db: testDb.db });
    cleanups.push(() => host.admin.close());
    (host as TestApp & { root: string }).root = root;
  });

  afterAll(() => closeAll(cleanups));

  /** The console on a server that lets request heads of 1 MB through, so the console itself, not Node, judges a huge query. */
  async function serve(maxHeaderSize?: number): Promise<{ client: RawClient; token: string }> {
    const server = http.createServer(maxHeaderSize ? { maxHeaderSize } : {}, host.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const client = new RawClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    cleanups.push(async () => client.close());
    const token = await signIn(client, (host as TestApp & { root: string }).root);
    // Warm: the first error page of a process compiles its templates; the measure is of the refusal itself.
    await client.get('/admin/no-such-page');
    return { client, token };
  }

  it('a 1 MB form field gets 413 with a message, in well under a second, and changes nothing', async () => {
    const { client, token } = await serve();
    const body = formBody({ _csrf: token, reason: 'x'.repeat(1024 * 1024) });
    const res = await client.post(`/admin/users/${user}/ban`, body);
    expect(res.status).toBe(413);
    expect(noticeText(res.text)).toMatch(/too large/);
    expect(res.ms).toBeLessThan(1000);
    const page = await client.get(`/admin/users/${user}`);
    expect(decoded(page.text)).not.toContain('user.banned');
  });

  it('a form of 10,000 fields gets 413 in well under a second', async () => {
    const { client, token } = await serve();
    const fields: Array<[string, string]> = [['_csrf', token]];
    // 40 KB, under the 64 KB size limit: refused for its count.
    for (let i = 0; i < 10_000; i++) fields.push(['r', '1']);
    const res = await client.post(`/admin/users/${user}/ban`, formBody(fields));
    expect(res.status).toBe(413);
    expect(noticeText(res.text)).toMatch(/too many parameters/);
    expect(res.ms).toBeLessThan(1000);
  });

  it('a query of 10,000 repeated parameters is refused in well under a second: by Node (431) on a default server, by the console (400) when the host allows big heads', async () => {
    const query = Array.from({ length: 10_000 }, (_, i) => `status=${i % 2 ? 'active' : 'banned'}`).join('&');
    const plain = await serve();
    const byNode = await plain.client.get(`/admin/users?${query}`);
    expect(byNode.status).toBe(431);
    expect(byNode.ms).toBeLessThan(1000);

    const roomy = await serve(1024 * 1024);
    for (const path of [`/admin/users?${query}`, `/admin/audit?${query.replace(/status/g, 'actor')}`, `/admin/users?${query.replace(/status/g, 'q')}`]) {
      const res = await roomy.client.get(path);
      expect({ path: path.slice(0, 30), status: res.status }).toEqual({ path: path.slice(0, 30), status: 400 });
      expect(noticeText(res.text)).toMatch(/more than once/);
      expect(res.ms).toBeLessThan(1000);
    }
  });
});
