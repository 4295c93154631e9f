/**
 * The error tracker, as support and engineering use it: a customer says "the
 * export broke", the error is on /admin/errors with how often and for whom,
 * someone resolves it, and it reopens when it comes back.
 */
import express5 from 'express';
import request from 'supertest';
import { createAdmin } from '../src';
import { ErrorCapture } from '../src/errors/error-capture';
import { ERRORS_TABLE, ErrorStore, OCCURRENCES_TABLE } from '../src/errors/error-store';
import { startRetention } from '../src/errors/retention';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, currentSchema, migrateToLatest } from '../src/migrations/migrate';
import { backstageMigrations } from '../src/migrations/migrations';
import Database from 'better-sqlite3';
import { Kysely, Migrator, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import { Pool } from 'pg';
import { DIALECTS, openTestDb, type DialectName, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';

// The host's failing code. Each throw is on its own line: a line is part of an error's identity.
class ReportExportError extends Error {}
function exportReport(id: string, owner: string): never {
  throw new ReportExportError(`Report ${id} for "${owner}" could not be exported`);
}
function exportReportFromTheOldPage(id: string, owner: string): never {
  throw new ReportExportError(`Report ${id} for "${owner}" could not be exported`);
}
function saveSettings(): never {
  throw new Error('Settings could not be saved: connect to postgres://app:db-SECRET-pw@db/app refused');
}
function failWith(message: string): never {
  throw new TypeError(message);
}

const HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>';

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Capture writes asynchronously; wait until the database shows what the test expects. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() - started > timeoutMs) throw err;
      await sleep(20);
    }
  }
}

/** The host's own error handler: it must answer, whatever the console does. */
function hostErrorHandler(err: any, _req: any, res: any, _next: any) {
  res.status(Number(err?.status) || 500).json({ handledBy: 'host', message: 'Sorry, something went wrong on our side.' });
}

function mountHostRoutes(app: any, admin: { errorHandler: any }, express: any = express5) {
  app.use('/app', express.urlencoded({ extended: false }));
  app.get('/app/reports/:id/export', (req: any) => exportReport(String(req.params.id), String(req.query.owner ?? 'acme')));
  app.get('/app/old-reports/:id/export', (req: any) => exportReportFromTheOldPage(String(req.params.id), String(req.query.owner ?? 'acme')));
  app.post('/app/settings', () => saveSettings());
  app.get('/app/fail', (req: any) => failWith(String(req.query.message ?? 'failure')));
  app.get('/app/missing', (_req: any, _res: any, next: any) => next(Object.assign(new Error('No such page'), { status: 404 })));
  app.use(admin.errorHandler);
  app.use(hostErrorHandler);
}

describe.each(DIALECTS)('error tracker on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  let clock: Date;
  let ids: Record<'superuser' | 'admin' | 'jane', string>;

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };

  async function groupsWhere(messageLike: string) {
    const rows = await testDb.db.selectFrom(ERRORS_TABLE).selectAll().where('message', 'like', `%${messageLike}%`).orderBy('id').execute();
    return rows.map((row): Record<string, any> & { id: string; occurrence_count: number } => ({ ...row, id: String(row.id), occurrence_count: Number(row.occurrence_count) }));
  }

  async function occurrencesOf(errorId: string) {
    return testDb.db.selectFrom(OCCURRENCES_TABLE).selectAll().where('error_id', '=', errorId).orderBy('id').execute();
  }

  async function auditActions(subjectId: string) {
    const rows = await testDb.db.selectFrom('backstage_audit_events').select('action').where('subject_type', '=', 'error').where('subject_id', '=', subjectId).orderBy('id').execute();
    return rows.map((r) => r.action);
  }

  beforeAll(async () => {
    clock = new Date('2026-03-10T12:00:00.000Z');
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
    const [superuser, admin, jane] = await insertUsers(testDb.db, dialect, [
      { email: 'root@ops.test', role: 'superuser' },
      { email: 'sam@ops.test', role: 'admin' },
      { email: 'jane@acme.test', name: 'Jane Doe' },
    ]);
    ids = { superuser, admin, jane };
    host = await createTestApp({ db: testDb.db, admin: { now: () => clock } });
    mountHostRoutes(host.app, host.admin);
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  it('the same failure from two requests is one group with two occurrences, whatever the report id', async () => {
    const { agent } = await host.agentAs(ids.jane);
    const first = await agent.get('/app/reports/41/export?owner=acme');
    expect(first.status).toBe(500);
    expect(first.body).toEqual({ handledBy: 'host', message: 'Sorry, something went wrong on our side.' });
    advance(60_000);
    await agent.get('/app/reports/97/export?owner=globex').expect(500);

    const [group] = await eventually(async () => {
      const groups = await groupsWhere('could not be exported');
      expect(groups).toHaveLength(1);
      expect(groups[0].occurrence_count).toBe(2);
      return groups;
    });
    expect(group).toMatchObject({ error_class: 'ReportExportError', status: 'unresolved', message: 'Report 97 for "globex" could not be exported' });
    expect(group.frame).toMatch(/^test\/errors\.test\.ts:\d+:\d+$/);
    const occurrences = await eventually(async () => {
      const rows = await occurrencesOf(group.id);
      expect(rows).toHaveLength(2);
      return rows;
    });
    const context = JSON.parse(occurrences[0].context);
    expect(context).toMatchObject({ userId: ids.jane, request: { method: 'GET', path: '/app/reports/41/export', route: '/app/reports/:id/export', queryKeys: ['owner'] } });
    expect(occurrences[0].user_id).toBe(ids.jane);
  });

  it('the same message thrown from another line is another group', async () => {
    await request(host.app).get('/app/old-reports/41/export?owner=acme').expect(500);
    const groups = await eventually(async () => {
      const rows = await groupsWhere('could not be exported');
      expect(rows).toHaveLength(2);
      return rows;
    });
    expect(groups[0].frame).not.toBe(groups[1].frame);
    expect(groups.map((g) => g.occurrence_count)).toEqual([2, 1]);
  });

  it('support finds the error, sees how often and for whom, and opens the customer from it', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const list = await agent.get('/admin/errors?q=exported').expect(200);
    expect(list.text).toContain('ReportExportError');
    expect(decoded(list.text)).toContain('Report 97 for "globex" could not be exported');
    expect(list.text).toMatch(/class="bar bar-h-10"/);
    expect(list.text).toMatch(/class="bar bar-h-0"/);
    expect(list.text).not.toMatch(/\sstyle=/);
    expect(list.text).toContain('href="/admin/errors"');

    const [group] = await groupsWhere('could not be exported');
    const page = await agent.get(`/admin/errors/${group.id}`).expect(200);
    expect(page.text).toContain(`href="/admin/users/${ids.jane}"`);
    expect(page.text).toContain('jane@acme.test');
    expect(page.text).toContain('/app/reports/:id/export');
    // The host's own frames stand out from express's and Node's.
    expect(page.text).toMatch(/<li class="frame-app"[^>]*>\s*at exportReport \([^)]*test\/errors\.test\.ts:\d+:\d+\)/);
    expect(page.text).toMatch(/<li class="frame-library"[^>]*>[^<]*node_modules/);
    expect(page.text).not.toMatch(/\sstyle=/);
  });

  it('the list searches class and message, filters by status and sorts by count', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const byClass = await agent.get('/admin/errors?q=reportexport').expect(200);
    expect(byClass.text).toContain('ReportExportError');
    const none = await agent.get('/admin/errors?q=nothing+like+this').expect(200);
    expect(none.text).toContain('No unresolved errors match');
    const byCount = await agent.get('/admin/errors?q=exported&sort=-count&status=all').expect(200);
    const counts = [...byCount.text.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(counts).toEqual([2, 1]);
    const fewestFirst = await agent.get('/admin/errors?q=exported&sort=count').expect(200);
    expect([...fewestFirst.text.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]))).toEqual([1, 2]);
    const htmx = await agent.get('/admin/errors?q=exported').set('HX-Request', 'true').expect(200);
    expect(htmx.text).not.toContain('<html');
    expect(htmx.text).toContain('ReportExportError');
  });

  it('redacts cookies, authorization and secret-looking fields before anything is stored', async () => {
    const { agent } = await host.agentAs(ids.jane);
    await agent
      .post('/app/settings?token=tok_live_SECRET&page=2')
      .set('Authorization', 'Bearer SECRET-bearer-token')
      .set('Cookie', 'remember_me=SECRET-cookie')
      .set('X-Api-Key', 'SECRET-api-key')
      .set('X-Request-Id', 'req-7f3a')
      .type('form')
      .send({ password: 'hunter2-SECRET', email: 'jane@acme.test' })
      .expect(500);
    const [group] = await eventually(async () => {
      const rows = await groupsWhere('Settings could not be saved');
      expect(rows).toHaveLength(1);
      return rows;
    });
    const [occurrence] = await eventually(async () => {
      const rows = await occurrencesOf(group.id);
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(JSON.stringify({ group, occurrence })).not.toContain('SECRET');
    const context = JSON.parse(occurrence.context);
    expect(context.requestId).toBe('req-7f3a');
    expect(context.request.queryKeys).toEqual(['token', 'page']);
    expect(context.request.bodyKeys).toEqual(['password', 'email']);
    expect(context.request.headers).toMatchObject({ cookie: '[redacted]', authorization: '[redacted]', 'x-api-key': '[redacted]' });
    expect(group.message).toContain('postgres://app:[redacted]@db/app');

    host.admin.captureError(new Error('Nightly invoice job failed'), { userId: ids.jane, teamId: 12, job: 'invoices', password: 'job-SECRET', nested: { apiToken: 'SECRET' } });
    const [jobGroup] = await eventually(async () => {
      const rows = await groupsWhere('Nightly invoice job failed');
      expect(rows).toHaveLength(1);
      return rows;
    });
    const [jobOccurrence] = await eventually(async () => {
      const rows = await occurrencesOf(jobGroup.id);
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(jobOccurrence.context).not.toContain('SECRET');
    expect(JSON.parse(jobOccurrence.context)).toMatchObject({ userId: ids.jane, teamId: '12', extra: { job: 'invoices', password: '[redacted]', nested: { apiToken: '[redacted]' } } });

    const { agent: operator } = await host.agentAs(ids.superuser);
    for (const id of [group.id, jobGroup.id]) {
      const page = await operator.get(`/admin/errors/${id}`).expect(200);
      expect(page.text).not.toContain('SECRET');
    }
  });

  it('a resolved error that happens again reopens and says so', async () => {
    await request(host.app).get('/app/fail?message=Invoice+PDF+renderer+crashed').expect(500);
    const [group] = await eventually(async () => {
      const rows = await groupsWhere('Invoice PDF renderer crashed');
      expect(rows).toHaveLength(1);
      return rows;
    });
    const { agent, csrf } = await host.agentAs(ids.admin);
    advance(60_000);
    const resolved = await agent.post(`/admin/errors/${group.id}/resolve`).type('form').send({ _csrf: await csrf(), reason: 'Fixed in #812' });
    expect(resolved.status).toBe(303);
    expect(resolved.headers.location).toBe(`/admin/errors/${group.id}`);
    expect((await groupsWhere('Invoice PDF renderer crashed'))[0]).toMatchObject({ status: 'resolved' });
    expect(await auditActions(group.id)).toEqual(['error.resolved']);
    const offTheList = await agent.get('/admin/errors?q=invoice+pdf').expect(200);
    expect(offTheList.text).not.toContain('Invoice PDF renderer crashed');

    advance(60_000);
    await request(host.app).get('/app/fail?message=Invoice+PDF+renderer+crashed').expect(500);
    await eventually(async () => {
      const [row] = await groupsWhere('Invoice PDF renderer crashed');
      expect(row).toMatchObject({ status: 'unresolved', occurrence_count: 2 });
      expect(row.reopened_at).not.toBeNull();
    });
    const page = await agent.get(`/admin/errors/${group.id}`).expect(200);
    expect(page.text).toContain('Reopened: happened again after being resolved');
    const list = await agent.get('/admin/errors?q=invoice+pdf').expect(200);
    expect(list.text).toContain('>reopened<');
  });

  it('a muted error keeps counting but never reopens, until it is unmuted', async () => {
    await request(host.app).get('/app/fail?message=Avatar+upload+timed+out').expect(500);
    const [group] = await eventually(async () => {
      const rows = await groupsWhere('Avatar upload timed out');
      expect(rows).toHaveLength(1);
      return rows;
    });
    const { agent, csrf } = await host.agentAs(ids.admin);
    advance(60_000);
    await agent.post(`/admin/errors/${group.id}/mute`).type('form').send({ _csrf: await csrf() }).expect(303);
    advance(60_000);
    await request(host.app).get('/app/fail?message=Avatar+upload+timed+out').expect(500);
    await request(host.app).get('/app/fail?message=Avatar+upload+timed+out').expect(500);
    await eventually(async () => {
      const [row] = await groupsWhere('Avatar upload timed out');
      expect(row).toMatchObject({ status: 'muted', occurrence_count: 3, reopened_at: null });
    });
    expect((await agent.get('/admin/errors?q=avatar').expect(200)).text).not.toContain('Avatar upload timed out');
    expect((await agent.get('/admin/errors?q=avatar&status=muted').expect(200)).text).toContain('Avatar upload timed out');

    await agent.post(`/admin/errors/${group.id}/unresolve`).type('form').send({ _csrf: await csrf() }).expect(303);
    expect((await groupsWhere('Avatar upload timed out'))[0]).toMatchObject({ status: 'unresolved' });
    // Asking again for the state it is already in changes nothing and audits nothing.
    await agent.post(`/admin/errors/${group.id}/unresolve`).type('form').send({ _csrf: await csrf() }).expect(303);
    expect(await auditActions(group.id)).toEqual(['error.muted', 'error.unresolved']);
  });

  it('client errors (an explicit 4xx status) pass through without being recorded', async () => {
    const missing = await request(host.app).get('/app/missing').expect(404);
    expect(missing.body.handledBy).toBe('host');
    await request(host.app).get('/app/fail?message=Marker+after+the+404').expect(500);
    await eventually(async () => expect(await groupsWhere('Marker after the 404')).toHaveLength(1));
    expect(await groupsWhere('No such page')).toHaveLength(0);
  });

  it('escapes hostile error messages on the list and on the error page', async () => {
    await request(host.app).get(`/app/fail?message=${encodeURIComponent(HOSTILE)}`).expect(500);
    const [group] = await eventually(async () => {
      const rows = await groupsWhere('<script>alert');
      expect(rows).toHaveLength(1);
      return rows;
    });
    const { agent } = await host.agentAs(ids.admin);
    const list = await agent.get('/admin/errors?q=pwned').expect(200);
    const page = await agent.get(`/admin/errors/${group.id}`).expect(200);
    for (const html of [list.text, page.text]) {
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img src=x');
      expect(decoded(html)).toContain(HOSTILE);
    }
  });

  it('refuses bad list parameters and ids with a 400 that says what is wrong', async () => {
    const { agent, csrf } = await host.agentAs(ids.admin);
    const badSort = await agent.get('/admin/errors?sort=message').expect(400);
    expect(badSort.text).toContain('Cannot sort by');
    const badStatus = await agent.get('/admin/errors?status=everything').expect(400);
    expect(decoded(badStatus.text)).toContain('"status" must be one of: unresolved, resolved, muted, all');
    await agent.get('/admin/errors?limit=5000').expect(400);
    await agent.get('/admin/errors?after=not-a-cursor').expect(400);
    const badId = await agent.get('/admin/errors/abc').expect(400);
    expect(badId.text).toContain('error ids are whole numbers');
    await agent.get('/admin/errors/987654321').expect(404);
    const [group] = await groupsWhere('could not be exported');
    const longReason = await agent.post(`/admin/errors/${group.id}/resolve`).type('form').send({ _csrf: await csrf(), reason: 'x'.repeat(501) });
    expect(longReason.status).toBe(400);
    expect(longReason.text).toContain('at most 500 characters');
  });

  it('pages through error groups with cursors', async () => {
    for (let i = 0; i < 7; i++) host.admin.captureError(Object.assign(new Error(`Paging probe ${i}`), { stack: `Error: Paging probe ${i}\n    at probe (/srv/app/src/probe-${i}.js:1:1)` }));
    await eventually(async () => expect(await groupsWhere('Paging probe')).toHaveLength(7));
    const { agent } = await host.agentAs(ids.admin);
    const seen: string[] = [];
    let url: string | null = '/admin/errors?q=paging+probe&limit=3';
    while (url) {
      const res = await agent.get(url).expect(200);
      seen.push(...[...res.text.matchAll(/src\/probe-(\d)\.js/g)].map((m) => m[1]));
      const next = /rel="next" href="([^"]+)"/.exec(res.text);
      url = next ? next[1].replace(/&amp;/g, '&') : null;
    }
    expect(seen.sort()).toEqual(['0', '1', '2', '3', '4', '5', '6']);
  });

  it('prunes old occurrences in batches and keeps each group\'s counts', async () => {
    const marker = 'Retention probe';
    const probe = (i: number) => new Error(`${marker} ${i}`);
    const old = new Date(clock.getTime() - 40 * 86_400_000);
    const saved = clock;
    clock = old;
    for (let i = 0; i < 5; i++) host.admin.captureError(probe(i));
    await eventually(async () => expect((await groupsWhere(marker))[0]?.occurrence_count).toBe(5));
    clock = saved;
    host.admin.captureError(probe(99));
    const [group] = await eventually(async () => {
      const rows = await groupsWhere(marker);
      expect(rows[0].occurrence_count).toBe(6);
      return rows;
    });
    expect(await occurrencesOf(group.id)).toHaveLength(6);

    const store = new ErrorStore(testDb.db, dialect);
    const pruned = await store.prune(new Date(clock.getTime() - 30 * 86_400_000), { batchSize: 2 });
    expect(pruned.deleted).toBeGreaterThanOrEqual(5);
    expect(pruned.batches).toBeGreaterThanOrEqual(3);
    expect(await occurrencesOf(group.id)).toHaveLength(1);
    const [after] = await groupsWhere(marker);
    expect(after.occurrence_count).toBe(6);

    // The timer does the same through retentionDays; stop() clears it.
    const retention = startRetention({ store, retentionDays: 30, now: () => clock, warn: () => {} });
    expect(await retention.runOnce()).toEqual({ deleted: 0, batches: 0 });
    retention.stop();

    const { agent } = await host.agentAs(ids.admin);
    const page = await agent.get(`/admin/errors/${group.id}`).expect(200);
    expect(page.text).toContain('The 1 most recent of 6 events');
  });

  it('two instances writing the same errors at once lose no count and make one group', async () => {
    const captures = Array.from({ length: 4 }, () => new ErrorCapture({ db: testDb.db, dialect, now: () => clock, userIdOf: () => null, warn: () => {}, batchSize: 5 }));
    const errorAt = (kind: 'a' | 'b') => Object.assign(new Error(`Concurrency probe ${kind}`), { stack: `Error: Concurrency probe ${kind}\n    at probe (/srv/app/src/concurrency.js:${kind === 'a' ? 1 : 2}:1)` });
    for (const capture of captures) {
      for (let i = 0; i < 25; i++) capture.capture(errorAt(i % 2 === 0 ? 'a' : 'b'));
    }
    await Promise.all(captures.map((c) => c.flush()));
    for (const capture of captures) expect(capture.stats()).toMatchObject({ dropped: 0, queued: 0 });
    const groups = await groupsWhere('Concurrency probe');
    const byMessage = groups.map((g) => [g.message, g.occurrence_count]).sort((x, y) => (x[0] < y[0] ? -1 : 1));
    expect(byMessage).toEqual([
      ['Concurrency probe a', 52],
      ['Concurrency probe b', 48],
    ]);
    const occurrences = await testDb.db.selectFrom(OCCURRENCES_TABLE).select((eb) => eb.fn.countAll().as('n')).where('error_id', 'in', groups.map((g) => g.id)).executeTakeFirstOrThrow();
    expect(Number(occurrences.n)).toBe(100);
    await Promise.all(captures.map((c) => c.close()));
  });

  it('counts and shows the errors it had to drop when its queue was full', async () => {
    for (let i = 0; i < 1_100; i++) host.admin.captureError(new Error('Flood probe'));
    const { agent } = await host.agentAs(ids.admin);
    const list = await agent.get('/admin/errors').expect(200);
    expect(list.text).toContain('100 errors were not recorded');
    expect(list.text).toContain('the capture queue was full');
    const [flood] = await eventually(async () => {
      const rows = await groupsWhere('Flood probe');
      expect(rows[0]?.occurrence_count).toBe(1000);
      return rows;
    }, 15_000);
    // A flood keeps exact counts but stores only a sample of occurrences (10 per group per write).
    const stored = (await occurrencesOf(flood.id)).length;
    expect(stored).toBeGreaterThanOrEqual(10);
    expect(stored).toBeLessThanOrEqual(100);
  });
});

/** A Kysely whose database cannot be reached: nothing listens on port 1; a better-sqlite3 handle already closed. */
function unreachableDb(dialect: DialectName): Kysely<any> {
  if (dialect === 'postgres') {
    return new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', max: 1, connectionTimeoutMillis: 500 }) }) });
  }
  if (dialect === 'mysql') {
    return new Kysely({ dialect: new MysqlDialect({ pool: createPool({ uri: 'mysql://root@127.0.0.1:1/none', connectionLimit: 1, connectTimeout: 500 }) as any }) });
  }
  const closed = new Database(':memory:');
  closed.close();
  return new Kysely({ dialect: new SqliteDialect({ database: closed }) });
}

describe.each(DIALECTS)('a failing database during capture on %s', (dialect) => {
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    error = jest.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => {
    warn.mockRestore();
    error.mockRestore();
  });

  async function hostOn(db: any) {
    const admin = createAdmin({ db, getUser: () => null });
    const app = express5();
    mountHostRoutes(app, admin);
    return { app, admin };
  }

  it('tables missing (migrate never ran): the host still answers with its own status and body', async () => {
    const testDb = await openTestDb(dialect);
    try {
      const { app, admin } = await hostOn(testDb.db);
      const res = await request(app).get('/app/reports/41/export');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ handledBy: 'host', message: 'Sorry, something went wrong on our side.' });
      admin.captureError(new Error('from a job'));
      await admin.close();
      expect(warn.mock.calls.flat().join('\n')).toMatch(/could not be recorded.*admin\.migrate\(\)/);
    } finally {
      await testDb.destroy();
    }
  });

  it('an unreachable database (refused connection, closed handle): the host still answers, and capture counts what it dropped', async () => {
    const db = unreachableDb(dialect);
    try {
      const { app, admin } = await hostOn(db);
      const started = Date.now();
      for (let i = 0; i < 3; i++) {
        const res = await request(app).get(`/app/reports/${i}/export`);
        expect(res.status).toBe(500);
        expect(res.body).toEqual({ handledBy: 'host', message: 'Sorry, something went wrong on our side.' });
      }
      expect(Date.now() - started).toBeLessThan(2_000);
      await admin.close();

      const capture = new ErrorCapture({ db, dialect, now: () => new Date(), userIdOf: () => null, warn: () => {} });
      expect(() => capture.capture(new Error('into the void'))).not.toThrow();
      await capture.flush();
      expect(capture.stats()).toMatchObject({ dropped: 1, queued: 0 });
      expect(capture.stats().lastDropReason).toMatch(/database refused the write/);
      await capture.close();
    } finally {
      await db.destroy().catch(() => {});
    }
  });

  it('a getUser that throws or rejects does not change the host response either', async () => {
    const testDb = await openTestDb(dialect);
    try {
      await migrateToLatest(testDb.db, dialect);
      for (const getUser of [() => { throw new Error('session store down'); }, () => Promise.reject(new Error('session store down'))]) {
        const admin = createAdmin({ db: testDb.db, getUser });
        const app = express5();
        mountHostRoutes(app, admin);
        const res = await request(app).get('/app/reports/5/export');
        expect(res.status).toBe(500);
        expect(res.body.handledBy).toBe('host');
        await admin.close();
      }
      const rows = await testDb.db.selectFrom(ERRORS_TABLE).select('occurrence_count').execute();
      expect(rows.map((r) => Number(r.occurrence_count))).toEqual([2]);
    } finally {
      await testDb.destroy();
    }
  });
});

describe.each(DIALECTS)('the 0002_errors migration on %s', (dialect) => {
  it('creates both tables and rolls back cleanly', async () => {
    const testDb = await openTestDb(dialect);
    try {
      // Introspection sees every PostgreSQL schema: look at this test's own.
      const schema = dialect === 'postgres' ? await currentSchema(testDb.db) : undefined;
      const tableNames = async () => (await testDb.db.introspection.getTables()).filter((t) => !schema || t.schema === schema).map((t) => t.name);
      const migrator = new Migrator({
        db: testDb.db,
        provider: { getMigrations: async () => backstageMigrations(dialect) },
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: MIGRATION_LOCK_TABLE,
        ...(schema ? { migrationTableSchema: schema } : {}),
      });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const tables = await tableNames();
      expect(tables).toEqual(expect.arrayContaining([ERRORS_TABLE, OCCURRENCES_TABLE]));
      const down = await migrator.migrateDown();
      expect(down.error).toBeUndefined();
      expect(down.results?.map((r) => r.migrationName)).toEqual(['0002_errors']);
      const after = await tableNames();
      expect(after).not.toContain(ERRORS_TABLE);
      expect(after).not.toContain(OCCURRENCES_TABLE);
      expect((await migrator.migrateToLatest()).results?.map((r) => r.migrationName)).toEqual(['0002_errors']);
    } finally {
      await testDb.destroy();
    }
  });
});

describe('errorHandler in the host app (SQLite)', () => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await openTestDb('sqlite');
    await createHostSchema(testDb.db, 'sqlite');
  });
  afterAll(async () => {
    await testDb?.destroy();
  });

  it('works in an Express 4 host too: the host handler answers and the route pattern is recorded', async () => {
    const express4 = require('express4');
    const host = await createTestApp({ db: testDb.db, express: express4 });
    mountHostRoutes(host.app, host.admin, express4);
    const res = await request(host.app).get('/app/reports/8/export?owner=initech');
    expect(res.status).toBe(500);
    expect(res.body.handledBy).toBe('host');
    await host.admin.close();
    const occurrence = await testDb.db.selectFrom(OCCURRENCES_TABLE).select('context').executeTakeFirstOrThrow();
    expect(JSON.parse(occurrence.context).request).toMatchObject({ route: '/app/reports/:id/export', queryKeys: ['owner'] });
  });

  it('an error passing the handler twice is counted once', async () => {
    const testDb2 = await openTestDb('sqlite');
    try {
      await createHostSchema(testDb2.db, 'sqlite');
      await migrateToLatest(testDb2.db, 'sqlite');
      const admin = createAdmin({ db: testDb2.db, getUser: () => null });
      const app = express5();
      app.get('/boom', () => failWith('Twice through the handler'));
      app.use(admin.errorHandler);
      app.use(admin.errorHandler);
      app.use(hostErrorHandler);
      await request(app).get('/boom').expect(500);
      await admin.close();
      const rows = await testDb2.db.selectFrom(ERRORS_TABLE).select('occurrence_count').execute();
      expect(rows.map((r) => Number(r.occurrence_count))).toEqual([1]);
    } finally {
      await testDb2.destroy();
    }
  });

  it('an error object that cannot be read costs only itself, never the request or its batch', async () => {
    const testDb2 = await openTestDb('sqlite');
    try {
      await migrateToLatest(testDb2.db, 'sqlite');
      const capture = new ErrorCapture({ db: testDb2.db, dialect: 'sqlite', now: () => new Date(), userIdOf: () => null, warn: () => {} });
      const hostile = new Error('unreadable');
      Object.defineProperty(hostile, 'message', {
        get() {
          throw new Error('gotcha');
        },
      });
      const trap = new Proxy({}, { get: () => { throw new Error('trap'); } });
      const next = jest.fn();
      capture.errorHandler(trap, { headers: {} } as any, {} as any, next);
      expect(next).toHaveBeenCalledTimes(1);
      expect(next.mock.calls[0][0] === trap).toBe(true);
      capture.capture(hostile);
      capture.capture(new Error('Readable neighbour'));
      await capture.flush();
      expect(capture.stats().dropped).toBe(2);
      const rows = await testDb2.db.selectFrom(ERRORS_TABLE).select(['message', 'occurrence_count']).execute();
      expect(rows.map((r) => [r.message, Number(r.occurrence_count)])).toEqual([['Readable neighbour', 1]]);
      await capture.close();
    } finally {
      await testDb2.destroy();
    }
  });

  it('errors: false turns capture off but keeps the errorHandler line working', async () => {
    const host = await createTestApp({ db: testDb.db, admin: { errors: false } });
    mountHostRoutes(host.app, host.admin);
    const before = await testDb.db.selectFrom(ERRORS_TABLE).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const res = await request(host.app).get('/app/reports/9/export');
    expect(res.status).toBe(500);
    expect(res.body.handledBy).toBe('host');
    host.admin.captureError(new Error('ignored'));
    await host.admin.close();
    const after = await testDb.db.selectFrom(ERRORS_TABLE).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    const [superuser] = await insertUsers(testDb.db, 'sqlite', [{ email: 'off@ops.test', role: 'superuser' }]);
    const { agent } = await host.agentAs(superuser);
    const page = await agent.get('/admin/errors').expect(200);
    expect(page.text).toContain('Error tracking is turned off');
  });

  it('validates the errors option with a message that names it', () => {
    const db = testDb.db;
    const getUser = () => null;
    expect(() => createAdmin({ db, getUser, errors: { retentionDays: 0 } })).toThrow(
      'express-backstage: options.errors.retentionDays must be a whole number of days between 1 and 3650, got 0',
    );
    expect(() => createAdmin({ db, getUser, errors: { retentionDays: 7.5 } })).toThrow('options.errors.retentionDays');
    expect(() => createAdmin({ db, getUser, errors: 'on' as any })).toThrow('express-backstage: options.errors must be false or an object ({ retentionDays }), got "on"');
  });
});
