/**
 * The queue pages, on real Bull and BullMQ queues with real workers: support
 * opens the queues, finds the failed invitation, reads its stack trace,
 * retries it; a superuser pauses a queue, retries every failed job and
 * cleans old ones, each confirmed first and audited; nothing secret or
 * hostile in a job reaches the page unescaped.
 */
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type SignedInAgent, type TestApp } from './helpers/test-app';
import { openStream, serve, signInCookie, type Served } from './live-helpers';
import { createFixture, LIBRARIES, sleep, uniquePrefix, type Library, type QueueFixture } from './queues/helpers/queue-fixtures';

const PREFIX = uniquePrefix('queues-pages');
const HOSTILE = '<script>alert("pwned")</script>';

interface Seeded {
  fx: QueueFixture;
  completed: string[];
  failed: string;
  hostile: string;
  delayed: string;
  waiting: string[];
}

let testDb: TestDb;
let host: TestApp;
let ids: { superuser: string; admin: string; customer: string };
const seeded = {} as Record<Library, Seeded>;

/** Jobs in every state, made by real workers: completed (with logs), failed (with stacks), delayed, waiting. */
async function seed(library: Library, customer: string): Promise<Seeded> {
  const fx = await createFixture(library, PREFIX);
  const completed: string[] = [];
  for (let i = 0; i < 25; i++) completed.push(await fx.add({ kind: 'ok', to: `user${i}@customer.test`, userId: i === 0 ? customer : `other-${i}`, teamId: 7 }));
  const failed = await fx.add({ kind: 'fail', to: 'invitee@acme.test', userId: customer, teamId: 7, password: 'hunter2', token: 'abc', meta: { team: { id: 'acme' } } }, { attempts: 1 });
  const hostile = await fx.add({ kind: 'fail', to: HOSTILE, note: HOSTILE, teamId: 8 }, { attempts: 1 });
  fx.startWorker(2);
  await fx.waitForCounts((c) => c.completed === 25 && c.failed === 2, `${library} jobs to finish`);
  await fx.stopWorker();
  const delayed = await fx.add({ kind: 'ok', to: 'later@acme.test', teamId: 7 }, { delay: 3_600_000 });
  const waiting = [await fx.add({ kind: 'ok', to: 'queued-1@acme.test' }), await fx.add({ kind: 'ok', to: 'queued-2@acme.test' })];
  return { fx, completed, failed, hostile, delayed, waiting };
}

beforeAll(async () => {
  testDb = await openTestDb('sqlite');
  await createHostSchema(testDb.db, 'sqlite');
  const [superuser, admin, customer] = await insertUsers(testDb.db, 'sqlite', [
    { email: 'root@ops.test', role: 'superuser' },
    { email: 'sam@ops.test', role: 'admin' },
    { email: 'customer@acme.test' },
  ]);
  ids = { superuser, admin, customer };
  for (const library of LIBRARIES) seeded[library] = await seed(library, customer);
  host = await createTestApp({ db: testDb.db, admin: { queues: LIBRARIES.map((l) => seeded[l].fx.queue) } });
}, 60_000);

afterAll(async () => {
  await host?.admin.close();
  for (const library of LIBRARIES) await seeded[library]?.fx.close();
  await testDb?.destroy();
});

/** Reads a bulk action's progress page until the run has ended and its audit event is written. */
async function finishedRun(agent: SignedInAgent['agent'], url: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const page = await agent.get(url);
    expect(page.status).toBe(200);
    if (page.text.includes('with these counts')) return page.text;
    await sleep(100);
  }
  throw new Error(`the bulk run at ${url} did not end within 30 s`);
}

async function auditRows(action: string) {
  const rows = await testDb.db.selectFrom('backstage_audit_events').selectAll().where('action', '=', action).orderBy('id').execute();
  return rows.map((r: any) => ({ ...r, data: r.data ? JSON.parse(r.data) : null }));
}

/** The page as an operator reads it: entities decoded, tags dropped, spaces collapsed. */
function words(html: string): string {
  return decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

async function as(who: 'superuser' | 'admin') {
  return host.agentAs(ids[who]);
}

describe('the queues overview', () => {
  it('lists every queue with its counts per state, and pause buttons only for superusers', async () => {
    const { agent } = await as('superuser');
    const res = await agent.get('/admin/dev/queues');
    expect(res.status).toBe(200);
    const text = decoded(res.text);
    for (const library of LIBRARIES) {
      const { fx } = seeded[library];
      expect(text).toContain(`Queue ${fx.name}`);
      expect(res.text).toContain(`data-live-tile="queue:${fx.name}:completed"`);
      expect(res.text).toMatch(new RegExp(`data-live-tile="queue:${fx.name}:failed"[^>]*>\\s*<dt><a [^>]*>failed</a></dt>\\s*<dd data-tile-value>2</dd>`));
      expect(res.text).toMatch(new RegExp(`data-live-tile="queue:${fx.name}:completed"[^>]*>\\s*<dt><a [^>]*>completed</a></dt>\\s*<dd data-tile-value>25</dd>`));
      expect(res.text).toContain(`action="/admin/dev/queues/${fx.name}/pause"`);
      // The newest failure, in a few fields (the hostile job failed last; its reason is escaped).
      const newest = (await fx.adapter.listJobs('failed', { size: 1 })).jobs[0];
      expect(words(res.text)).toContain(`Newest failure : #${newest.id} ${newest.name} at ${new Date(newest.timestamps.finished!).toISOString().slice(0, 19).replace('T', ' ')} UTC:`);
      expect(res.text).toContain(`data-live-tile="queue:${fx.name}:latest-failure"`);
    }
    // Live updates are on in this host: the counts move over SSE, not by polling.
    expect(res.text).toContain('data-live-status');
    expect(res.text).not.toContain('hx-trigger="every 5s"');

    const admin = await (await as('admin')).agent.get('/admin/dev/queues');
    expect(admin.status).toBe(200);
    expect(admin.text).not.toContain('/pause"');
    expect(decoded(admin.text)).toContain('only a superuser can do it');
  });

  it('sends the counts of every queue to the open page over the live stream', async () => {
    let served: Served | null = null;
    try {
      served = await serve(host.app);
      const cookie = await signInCookie(served.url, ids.admin);
      const stream = await openStream(served.url, '/admin/live?topics=queues', { cookie });
      expect(stream.status).toBe(200);
      const name = seeded.bull.fx.name;
      await stream.waitFor(() => stream.events('queues').some((e) => e.data.payload?.tiles?.[`queue:${name}:completed`]), 10_000, 'queue counts');
      const snapshot = stream.events('queues').find((e) => e.data.payload?.tiles?.[`queue:${name}:completed`])!.data.payload;
      expect(snapshot.kind).toBe('snapshot');
      expect(snapshot.tiles[`queue:${name}:status`]).toEqual({ value: 'Running', hint: '' });
      expect(snapshot.tiles[`queue:${seeded.bullmq.fx.name}:delayed`]).toEqual({ value: expect.stringMatching(/^\d+$/) });
      expect(snapshot.tiles[`queue:${name}:latest-failure`].value).toMatch(new RegExp(`^#\\d+ __default__ at .* UTC: `));
      stream.close();
    } finally {
      await served?.close();
    }
  });
});

describe.each(LIBRARIES)('%s: jobs of a state', (library) => {
  it('lists failed jobs newest first with their reason, attempts, age and a data preview', async () => {
    const { fx, failed, hostile } = seeded[library];
    const { agent } = await as('admin');
    const res = await agent.get(`/admin/dev/queues/${fx.name}?state=failed`);
    expect(res.status).toBe(200);
    const text = decoded(res.text);
    expect(text).toContain('boom: could not deliver to invitee@acme.test');
    expect(text.indexOf(`#${hostile}`)).toBeLessThan(text.indexOf(`#${failed}`));
    expect(text).toContain('1/1');
    expect(text).toMatch(/seconds? ago|just now/);
    expect(text).toContain('"to":"invitee@acme.test"');
    // State tabs carry every count.
    expect(res.text).toMatch(/<span>completed<\/span> <span class="tab-count" data-tile-value>25<\/span>/);
  });

  it('pages completed jobs without loading them all: 20 per page, newest first', async () => {
    const { fx, completed } = seeded[library];
    const { agent } = await as('admin');
    const first = await agent.get(`/admin/dev/queues/${fx.name}?state=completed`);
    const second = await agent.get(`/admin/dev/queues/${fx.name}?state=completed&page=2`);
    expect(decoded(first.text)).toContain('Jobs 1–20 of 25 completed · page 1 of 2');
    expect(decoded(second.text)).toContain('Jobs 21–25 of 25 completed · page 2 of 2');
    const ids = (html: string) => [...html.matchAll(/<strong class="mono">#([^<]+)<\/strong>/g)].map((m) => m[1]);
    expect(ids(first.text)).toHaveLength(20);
    expect(ids(second.text)).toHaveLength(5);
    expect(new Set([...ids(first.text), ...ids(second.text)])).toEqual(new Set(completed));
    // htmx asks for the results only.
    const fragment = await agent.get(`/admin/dev/queues/${fx.name}?state=completed&page=2`).set('HX-Request', 'true');
    expect(fragment.text).not.toContain('<html');
    expect(fragment.text).toContain('page 2 of 2');
    const beyond = await agent.get(`/admin/dev/queues/${fx.name}?state=completed&page=9`);
    expect(beyond.status).toBe(200);
    expect(decoded(beyond.text)).toContain('No jobs on page 9: there are 25 completed jobs');
  });

  it('shows delayed and waiting jobs in their tabs', async () => {
    const { fx, delayed, waiting } = seeded[library];
    const { agent } = await as('admin');
    const delayedPage = await agent.get(`/admin/dev/queues/${fx.name}?state=delayed`);
    expect(delayedPage.text).toContain(`#${delayed}`);
    expect(decoded(delayedPage.text)).toMatch(/due in (59 minutes|1 hour)/);
    const waitingPage = await agent.get(`/admin/dev/queues/${fx.name}?state=waiting`);
    for (const id of waiting) expect(waitingPage.text).toContain(`#${id}`);
  });

  it.each([
    ['state=bogus', '"state" must be one of waiting, active, delayed, completed, failed, paused.'],
    ['page=0', '"page" must be a whole number from 1 to 10,000,000.'],
    ['page=abc', '"page" must be a whole number from 1 to 10,000,000.'],
    ['size=7', '"size" must be one of 20, 50, 100.'],
    ['state=failed&state=completed', '"state" was given more than once'],
    ['field=a..b&value=1', '"field" must be a data field such as teamId'],
    ['field=constructor.x&value=1', '"field" cannot go through __proto__'],
    ['field=user.password&value=1', '"field" looks like a secret'],
    ['field=teamId', 'Give a "value" to look for.'],
    [`field=teamId&value=${'x'.repeat(201)}`, '"value" is 201 characters long; at most 200 are accepted.'],
    ['field=teamId&value=7&states=failed,bogus', '"states" must be among'],
    [`find=${'9'.repeat(201)}`, '"find" is 201 characters long'],
  ])('answers ?%s with a 400 that says what is wrong', async (query, message) => {
    const { agent } = await as('admin');
    const res = await agent.get(`/admin/dev/queues/${seeded[library].fx.name}?${query}`);
    expect(res.status).toBe(400);
    expect(decoded(res.text)).toContain(message);
  });

  it('answers an unknown queue with a 404 naming the queues there are, and a bad job id with a 400 or 404', async () => {
    const { agent } = await as('admin');
    const unknown = await agent.get('/admin/dev/queues/nope');
    expect(unknown.status).toBe(404);
    expect(decoded(unknown.text)).toContain(`No queue named "nope". The console has: ${seeded.bull.fx.name}, ${seeded.bullmq.fx.name}.`);
    const missing = await agent.get(`/admin/dev/queues/${seeded[library].fx.name}/jobs/999999`);
    expect(missing.status).toBe(404);
    expect(decoded(missing.text)).toContain('has no job 999999');
    const long = await agent.get(`/admin/dev/queues/${seeded[library].fx.name}/jobs/${'x'.repeat(201)}`);
    expect(long.status).toBe(400);
    const logs = await agent.get(`/admin/dev/queues/${seeded[library].fx.name}/jobs/${seeded[library].failed}?logs=-1`);
    expect(logs.status).toBe(400);
  });
});

describe.each(LIBRARIES)('%s: one job', (library) => {
  it('shows the failed job: reason, full stack trace, attempts, timestamps, options, and its data with secrets redacted', async () => {
    const { fx, failed } = seeded[library];
    const { agent } = await as('admin');
    const res = await agent.get(`/admin/dev/queues/${fx.name}/jobs/${failed}`);
    expect(res.status).toBe(200);
    const text = decoded(res.text);
    expect(words(res.text)).toContain('Failed: boom: could not deliver to invitee@acme.test');
    expect(text).toMatch(/<pre class="job-stack">Error: boom: could not deliver to invitee@acme.test\n\s+at /);
    expect(text).toContain('1 made of 1 allowed');
    expect(text).toMatch(/Created<\/dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(/);
    expect(text).toMatch(/Finished<\/dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(/);
    expect(text).toContain('"attempts": 1');
    expect(text).toContain('"to": "invitee@acme.test"');
    expect(text).toContain('"password": "[redacted]"');
    expect(text).toContain('"token": "[redacted]"');
    expect(res.text).not.toContain('hunter2');
    expect(text).not.toContain('"token": "abc"');
    // Linked to its user and team pages.
    expect(res.text).toContain(`href="/admin/users/${ids.customer}"`);
    expect(res.text).toContain('href="/admin/teams/7"');
    // Retry and remove are offered, promote is not (it has not been delayed).
    expect(res.text).toContain(`/jobs/${failed}/retry"`);
    expect(res.text).toContain(`/jobs/${failed}/remove"`);
    expect(res.text).not.toContain(`/jobs/${failed}/promote"`);
    expect(res.text).toMatch(/action="[^"]+\/retry" data-confirm="Retry job #/);
  });

  it('shows a completed job with its progress, return value (redacted) and logs', async () => {
    const { fx, completed } = seeded[library];
    const { agent } = await as('admin');
    const res = await agent.get(`/admin/dev/queues/${fx.name}/jobs/${completed[0]}`);
    const text = decoded(res.text);
    expect(text).toContain('<dt>Progress</dt><dd>100%</dd>');
    expect(text).toContain('"delivered": true');
    expect(text).not.toContain('tok_returned_secret');
    expect(text).toMatch(/<ol class="job-logs" start="1">\s*<li>step 1<\/li><li>step 2<\/li><li>step 3<\/li>/);
    expect(res.text).not.toContain('/retry"');
  });

  it('shows at most 256 KB of a big job\'s data, and says so', async () => {
    const { fx } = seeded[library];
    const id = await fx.add({ kind: 'ok', to: 'big@acme.test', blob: 'x'.repeat(400 * 1024) }, { delay: 3_600_000 });
    const { agent } = await as('admin');
    const res = await agent.get(`/admin/dev/queues/${fx.name}/jobs/${id}`);
    expect(res.status).toBe(200);
    expect(words(res.text)).toMatch(/The data is 400\.\d KB as JSON; only the first 256\.0 KB are shown here\./);
    expect(res.text.length).toBeLessThan(300 * 1024);
    const list = await agent.get(`/admin/dev/queues/${fx.name}?state=delayed`);
    expect(list.text.length).toBeLessThan(60 * 1024);
    // The whole data is one link away, as a JSON file with secrets redacted as on the page.
    const rawUrl = `/admin/dev/queues/${fx.name}/jobs/${id}/data.json`;
    expect(res.text).toContain(`href="${rawUrl}" download`);
    const raw = await agent.get(rawUrl);
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(raw.headers['content-disposition']).toBe(`attachment; filename="${fx.name}-${id}-data.json"`);
    expect(JSON.parse(raw.text)).toEqual({ kind: 'ok', to: 'big@acme.test', blob: 'x'.repeat(400 * 1024) });
    const secret = await agent.get(`/admin/dev/queues/${fx.name}/jobs/${seeded[library].failed}/data.json`);
    expect(JSON.parse(secret.text)).toMatchObject({ password: '[redacted]', token: '[redacted]' });
    expect((await agent.get(`/admin/dev/queues/${fx.name}/jobs/999999/data.json`)).status).toBe(404);
    await fx.adapter.remove(id);
  });

  it('escapes hostile job data and failure reasons on every page', async () => {
    const { fx, hostile } = seeded[library];
    const { agent } = await as('admin');
    for (const url of [`/admin/dev/queues/${fx.name}?state=failed`, `/admin/dev/queues/${fx.name}/jobs/${hostile}`, `/admin/dev/queues/${fx.name}?field=note&op=contains&value=script&states=failed`]) {
      const res = await agent.get(url);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('<script>alert');
      expect(res.text).toContain('&lt;script&gt;alert(');
    }
  });
});

describe.each(LIBRARIES)('%s: finding jobs', (library) => {
  it('by id: straight to the job, or a 404 that says so', async () => {
    const { fx, failed } = seeded[library];
    const { agent } = await as('admin');
    const found = await agent.get(`/admin/dev/queues/${fx.name}?find=${failed}`);
    expect(found.status).toBe(303);
    expect(found.headers.location).toBe(`/admin/dev/queues/${fx.name}/jobs/${failed}`);
    const missing = await agent.get(`/admin/dev/queues/${fx.name}?find=424242`);
    expect(missing.status).toBe(404);
    expect(words(missing.text)).toContain(`Queue "${fx.name}" has no job 424242 .`);
  });

  it('by a data field, saying how many jobs were scanned and whether that was all of them', async () => {
    const { fx, failed, completed } = seeded[library];
    const { agent } = await as('admin');
    const res = await agent.get(`/admin/dev/queues/${fx.name}?field=meta.team.id&op=eq&value=acme&states=failed&states=completed`);
    expect(res.status).toBe(200);
    const text = decoded(res.text);
    expect(words(res.text)).toContain('Scanned 27 jobs (failed, completed, newest first): every job in those states was read, so this list is complete.');
    expect(text).toContain(`#${failed}`);
    expect(text).not.toContain(`#${completed[1]}<`);

    const contains = await agent.get(`/admin/dev/queues/${fx.name}?field=to&op=contains&value=USER1&states=completed`);
    const found = [...contains.text.matchAll(/<strong class="mono">#([^<]+)<\/strong>/g)].map((m) => m[1]);
    // user1, user10…user19
    expect(found).toHaveLength(11);
    expect(words(contains.text)).toContain('Scanned 25 jobs (completed, newest first)');

    const htmx = await agent.get(`/admin/dev/queues/${fx.name}?field=teamId&value=7&states=failed`).set('HX-Request', 'true');
    expect(htmx.text).not.toContain('<html');
    expect(words(htmx.text)).toContain('Scanned 2 jobs (failed, newest first)');
  });
});

describe.each(LIBRARIES)('%s: actions on one job', (library) => {
  it('retries a failed job: back to waiting in Redis, audited with the queue and job name, and its team', async () => {
    const { fx } = seeded[library];
    const id = await fx.add({ kind: 'fail', to: 'retry-me@acme.test', teamId: 77 }, { attempts: 1 });
    fx.startWorker();
    await fx.waitForCounts((c) => c.failed === 3, 'the job to fail');
    await fx.stopWorker();
    const { agent, csrf } = await as('admin');
    const res = await agent.post(`/admin/dev/queues/${fx.name}/jobs/${id}/retry`).type('form').send({ _csrf: await csrf(), reason: 'SMTP is back' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/admin/dev/queues/${fx.name}/jobs/${id}`);
    expect(await fx.redis.zscore(fx.key('failed'), id)).toBeNull();
    expect(await fx.redis.lpos(fx.key('wait'), id)).not.toBeNull();
    const [event] = (await auditRows('job.retried')).filter((e) => e.subject_id === `${fx.name}:${id}`);
    expect(event).toMatchObject({ subject_type: 'job', team_id: '77', reason: 'SMTP is back', actor_role: 'admin' });
    expect(event.data).toMatchObject({ queue: fx.name, job: id, name: library === 'bull' ? '__default__' : 'deliver', state: 'failed' });
    const page = await agent.get(res.headers.location);
    expect(decoded(page.text)).toContain(`Job ${id} (${library === 'bull' ? '__default__' : 'deliver'}) of queue "${fx.name}" is waiting to run again.`);
  });

  it('refuses to retry a job that has not failed, with a 409 that says why', async () => {
    const { fx, completed } = seeded[library];
    const { agent, csrf } = await as('admin');
    const res = await agent.post(`/admin/dev/queues/${fx.name}/jobs/${completed[3]}/retry`).type('form').send({ _csrf: await csrf() });
    expect(res.status).toBe(409);
    expect(decoded(res.text)).toContain(`job ${completed[3]} in queue "${fx.name}" is completed; only failed jobs can be retried`);
    expect((await auditRows('job.retried')).some((e) => e.subject_id === `${fx.name}:${completed[3]}`)).toBe(false);
  });

  it('promotes a delayed job to waiting, audited', async () => {
    const { fx } = seeded[library];
    const id = await fx.add({ kind: 'ok', to: 'promote@acme.test' }, { delay: 7_200_000 });
    const { agent, csrf } = await as('admin');
    const page = await agent.get(`/admin/dev/queues/${fx.name}/jobs/${id}`);
    expect(decoded(page.text)).toMatch(/Delayed until<\/dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in (1 hour|2 hours|119 minutes)\)/);
    const res = await agent.post(`/admin/dev/queues/${fx.name}/jobs/${id}/promote`).type('form').send({ _csrf: await csrf() });
    expect(res.status).toBe(303);
    expect(await fx.redis.zscore(fx.key('delayed'), id)).toBeNull();
    expect(await fx.redis.lpos(fx.key('wait'), id)).not.toBeNull();
    expect((await auditRows('job.promoted')).filter((e) => e.subject_id === `${fx.name}:${id}`)).toHaveLength(1);
  });

  it('removes a job and its data from Redis, audited, and lands on its state list', async () => {
    const { fx, completed } = seeded[library];
    const id = completed[5];
    const { agent, csrf } = await as('admin');
    const res = await agent.post(`/admin/dev/queues/${fx.name}/jobs/${id}/remove`).type('form').send({ _csrf: await csrf() });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/admin/dev/queues/${fx.name}?state=completed`);
    expect(await fx.redis.exists(fx.key(id))).toBe(0);
    expect(await fx.redis.zscore(fx.key('completed'), id)).toBeNull();
    const [event] = (await auditRows('job.removed')).filter((e) => e.subject_id === `${fx.name}:${id}`);
    expect(event.data).toMatchObject({ queue: fx.name, job: id, state: 'completed' });
    completed.splice(5, 1);
  });

  it('refuses every action without the session CSRF token, and changes nothing in Redis', async () => {
    const { fx, failed } = seeded[library];
    const { agent } = await as('superuser');
    for (const verb of ['retry', 'remove']) {
      const res = await agent.post(`/admin/dev/queues/${fx.name}/jobs/${failed}/${verb}`).type('form').send({ _csrf: 'forged' });
      expect(res.status).toBe(403);
    }
    expect(await fx.redis.zscore(fx.key('failed'), failed)).not.toBeNull();
    expect(await fx.redis.exists(fx.key(failed))).toBe(1);
  });

  it('rejects a note longer than 500 characters with a 400', async () => {
    const { fx, failed } = seeded[library];
    const { agent, csrf } = await as('admin');
    const res = await agent.post(`/admin/dev/queues/${fx.name}/jobs/${failed}/retry`).type('form').send({ _csrf: await csrf(), reason: 'x'.repeat(501) });
    expect(res.status).toBe(400);
    expect(await fx.redis.zscore(fx.key('failed'), failed)).not.toBeNull();
  });
});

describe.each(LIBRARIES)('%s: superuser actions on a queue', (library) => {
  it('pauses and resumes the queue (superusers only), audited', async () => {
    const { fx } = seeded[library];
    const admin = await as('admin');
    const refused = await admin.agent.post(`/admin/dev/queues/${fx.name}/pause`).type('form').send({ _csrf: await admin.csrf() });
    expect(refused.status).toBe(403);
    expect(await fx.adapter.isPaused()).toBe(false);

    const { agent, csrf } = await as('superuser');
    const paused = await agent.post(`/admin/dev/queues/${fx.name}/pause`).type('form').send({ _csrf: await csrf(), back: 'queue' });
    expect(paused.status).toBe(303);
    expect(paused.headers.location).toBe(`/admin/dev/queues/${fx.name}`);
    expect(await fx.adapter.isPaused()).toBe(true);
    const page = await agent.get(paused.headers.location);
    expect(decoded(page.text)).toContain(`Queue "${fx.name}" is paused: workers finish their current job and take no new one.`);
    expect(page.text).toContain(`action="/admin/dev/queues/${fx.name}/resume"`);

    const resumed = await agent.post(`/admin/dev/queues/${fx.name}/resume`).type('form').send({ _csrf: await csrf() });
    expect(resumed.headers.location).toBe('/admin/dev/queues');
    expect(await fx.adapter.isPaused()).toBe(false);
    const events = [...(await auditRows('queue.paused')), ...(await auditRows('queue.resumed'))].filter((e) => e.subject_id === fx.name);
    expect(events.map((e) => [e.action, e.subject_type, e.actor_role])).toEqual([
      ['queue.paused', 'queue', 'superuser'],
      ['queue.resumed', 'queue', 'superuser'],
    ]);
  });

  it('retries every failed job after a confirmation that states how many, audited with the counts', async () => {
    const { fx } = seeded[library];
    const admin = await as('admin');
    expect((await admin.agent.get(`/admin/dev/queues/${fx.name}/retry-failed`)).status).toBe(403);
    expect((await admin.agent.post(`/admin/dev/queues/${fx.name}/retry-failed`).type('form').send({ _csrf: await admin.csrf(), count: '1' })).status).toBe(403);

    const failedBefore = await fx.redis.zcard(fx.key('failed'));
    expect(failedBefore).toBeGreaterThanOrEqual(2);
    const { agent, csrf } = await as('superuser');
    const confirm = await agent.get(`/admin/dev/queues/${fx.name}/retry-failed`);
    expect(confirm.status).toBe(200);
    expect(decoded(confirm.text)).toContain(`This will retry <span class="confirm-count">${failedBefore}</span> failed jobs.`);
    expect(confirm.text).toContain(`name="count" value="${failedBefore}"`);
    expect(confirm.text).toMatch(/data-confirm="Retry \d+ failed jobs in queue /);

    const res = await agent.post(`/admin/dev/queues/${fx.name}/retry-failed`).type('form').send({ _csrf: await csrf(), count: String(failedBefore), reason: 'after the SMTP outage' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(new RegExp(`^/admin/dev/queues/${fx.name}/runs/[0-9a-f-]{36}$`));
    const run = await finishedRun(agent, res.headers.location);
    expect(decoded(run)).toContain(`<strong data-run-field="done">${failedBefore}</strong> done`);
    expect(await fx.redis.zcard(fx.key('failed'))).toBe(0);
    const [event] = (await auditRows('queue.retry_all_failed')).filter((e) => e.subject_id === fx.name);
    expect(event.data).toMatchObject({ queue: fx.name, confirmed: failedBefore, retried: failedBefore, skipped: 0, complete: true, cancelled: false });
    expect(event.reason).toBe('after the SMTP outage');

    const nothing = await agent.get(`/admin/dev/queues/${fx.name}/retry-failed`);
    expect(decoded(nothing.text)).toContain(`The queue has 0 failed jobs now`);
    const bad = await agent.post(`/admin/dev/queues/${fx.name}/retry-failed`).type('form').send({ _csrf: await csrf(), count: '-3' });
    expect(bad.status).toBe(400);
  });

  it('cleans completed jobs older than N hours after a confirmation that states exactly how many, audited', async () => {
    const { fx } = seeded[library];
    const { agent, csrf } = await as('superuser');
    const none = await agent.get(`/admin/dev/queues/${fx.name}/clean?state=completed&hours=24`);
    expect(none.status).toBe(200);
    expect(decoded(none.text)).toContain('Nothing to do');
    expect(decoded(none.text)).toMatch(/0 jobs of the \d+ completed jobs finished more than 24 hours ago/);

    const completedNow = await fx.redis.zcard(fx.key('completed'));
    await sleep(20);
    const confirm = await agent.get(`/admin/dev/queues/${fx.name}/clean?state=completed&hours=0`);
    expect(decoded(confirm.text)).toContain(`This will permanently remove <span class="confirm-count">${completedNow}</span> completed jobs that finished more than 0 hours ago.`);
    expect((await agent.get(`/admin/dev/queues/${fx.name}/clean?state=active&hours=1`)).status).toBe(400);
    expect((await agent.get(`/admin/dev/queues/${fx.name}/clean?state=completed&hours=99999`)).status).toBe(400);

    // Confirmed for 3 only: exactly 3 go, the oldest.
    const res = await agent.post(`/admin/dev/queues/${fx.name}/clean`).type('form').send({ _csrf: await csrf(), state: 'completed', hours: '0', count: '3' });
    expect(res.status).toBe(303);
    const run = await finishedRun(agent, res.headers.location);
    expect(decoded(run)).toContain('More jobs of that kind arrived or remained after the count you confirmed');
    expect(await fx.redis.zcard(fx.key('completed'))).toBe(completedNow - 3);
    const events = (await auditRows('queue.cleaned')).filter((e) => e.subject_id === fx.name);
    expect(events[0].data).toMatchObject({ queue: fx.name, state: 'completed', olderThanHours: 0, confirmed: 3, removed: 3, complete: false });
  });
});

describe('audit ordering: the Redis change first, then its audit event', () => {
  it('says clearly when the job was changed but the audit event could not be written', async () => {
    const fx = seeded.bull.fx;
    const id = await fx.add({ kind: 'ok', to: 'audit-down@acme.test' }, { delay: 3_600_000 });
    const { agent, csrf } = await as('admin');
    const token = await csrf();
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await testDb.db.schema.alterTable('backstage_audit_events').renameTo('backstage_audit_events_away').execute();
    try {
      const res = await agent.post(`/admin/dev/queues/${fx.name}/jobs/${id}/promote`).type('form').send({ _csrf: token });
      expect(res.status).toBe(503);
      expect(decoded(res.text)).toContain(`Job ${id} (__default__) of queue "${fx.name}" was promoted: it is waiting to run now, but writing it to the audit log failed`);
      expect(decoded(res.text)).toContain('NOT in the audit log');
      expect(await fx.redis.zscore(fx.key('delayed'), id)).toBeNull();
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('job.promoted was done in Redis but its audit event could not be written'), expect.anything());
    } finally {
      await testDb.db.schema.alterTable('backstage_audit_events_away').renameTo('backstage_audit_events').execute();
      errors.mockRestore();
    }
  });
});

describe('construction', () => {
  it('refuses a queue option that is not a queue, naming options.queues[i]', () => {
    const { createAdmin } = jest.requireActual('../src');
    expect(() => createAdmin({ db: testDb.db, getUser: () => null, queues: [seeded.bull.fx.queue, { name: 'emails' }] })).toThrow(
      /^express-backstage: options\.queues\[1\] is not a Bull or BullMQ queue/,
    );
  });

  it('polls the overview every 5 s when live updates are off', async () => {
    const quiet = await createTestApp({ db: testDb.db, migrate: false, admin: { live: false, queues: [seeded.bull.fx.queue] } });
    try {
      const { agent } = await quiet.agentAs(ids.admin);
      const res = await agent.get('/admin/dev/queues');
      expect(res.text).toContain('hx-get="/admin/dev/queues" hx-trigger="every 5s" hx-swap="outerHTML"');
      expect(res.text).not.toContain('data-live-tile');
      const fragment = await agent.get('/admin/dev/queues').set('HX-Request', 'true');
      expect(fragment.text.trimStart().startsWith('<div id="queue-cards"')).toBe(true);
    } finally {
      await quiet.admin.close();
    }
  });

  it('says so when no queues are connected', async () => {
    const bare = await createTestApp({ db: testDb.db, migrate: false });
    try {
      const { agent } = await bare.agentAs(ids.admin);
      const res = await agent.get('/admin/dev/queues');
      expect(res.status).toBe(200);
      expect(decoded(res.text)).toContain('No queues are connected.');
    } finally {
      await bare.admin.close();
    }
  });
});

// Last: the worker started here also runs whatever earlier tests left waiting.
describe.each(LIBRARIES)('%s: a job a worker is running', (library) => {
  it('shows as active, with no action offered, and refuses removal with a 409', async () => {
    const { fx } = seeded[library];
    const id = await fx.add({ kind: 'block', to: 'slow@acme.test' });
    fx.startWorker();
    try {
      await fx.waitForCounts((c) => c.active === 1, 'the job to be taken');
      const { agent, csrf } = await as('admin');
      const overview = await agent.get('/admin/dev/queues');
      expect(overview.text).toMatch(new RegExp(`data-live-tile="queue:${fx.name}:active"[^>]*>\\s*<dt><a [^>]*>active</a></dt>\\s*<dd data-tile-value>1</dd>`));
      const list = await agent.get(`/admin/dev/queues/${fx.name}?state=active`);
      expect(list.text).toContain(`#${id}<`);
      const page = await agent.get(`/admin/dev/queues/${fx.name}/jobs/${id}`);
      expect(page.text).toContain('<span class="badge accent">active</span>');
      expect(words(page.text)).toContain('A worker is running this job; it cannot be changed until it finishes.');
      expect(page.text).not.toContain(`/jobs/${id}/remove"`);
      const refused = await agent.post(`/admin/dev/queues/${fx.name}/jobs/${id}/remove`).type('form').send({ _csrf: await csrf() });
      expect(refused.status).toBe(409);
      expect(await fx.redis.exists(fx.key(id))).toBe(1);
    } finally {
      fx.releaseBlocked();
      await fx.waitForCounts((c) => c.active === 0, 'the job to finish');
      await fx.stopWorker();
    }
  });
});

describe.each(DIALECTS)('on %s, job actions are audited', (dialect) => {
  it('retry and remove write their events with the job as subject', async () => {
    const db = await openTestDb(dialect);
    const fx = await createFixture('bull', PREFIX);
    let app: TestApp | null = null;
    try {
      await createHostSchema(db.db, dialect);
      const [operator] = await insertUsers(db.db, dialect, [{ email: 'sam@ops.test', role: 'admin' }]);
      const failed = await fx.add({ kind: 'fail', to: 'x@acme.test', teamId: 'team-9' }, { attempts: 1 });
      const done = await fx.add({ kind: 'ok' });
      fx.startWorker();
      await fx.waitForCounts((c) => c.failed === 1 && c.completed === 1, 'jobs to finish');
      await fx.stopWorker();
      app = await createTestApp({ db: db.db, admin: { queues: [fx.queue] } });
      const { agent, csrf } = await app.agentAs(operator);
      expect((await agent.post(`/admin/dev/queues/${fx.name}/jobs/${failed}/retry`).type('form').send({ _csrf: await csrf() })).status).toBe(303);
      expect((await agent.post(`/admin/dev/queues/${fx.name}/jobs/${done}/remove`).type('form').send({ _csrf: await csrf() })).status).toBe(303);
      const rows = await db.db.selectFrom('backstage_audit_events').select(['action', 'subject_type', 'subject_id', 'team_id', 'data']).orderBy('id').execute();
      expect(rows.map((r: any) => [r.action, r.subject_type, r.subject_id, r.team_id, JSON.parse(r.data).queue])).toEqual([
        ['job.retried', 'job', `${fx.name}:${failed}`, 'team-9', fx.name],
        ['job.removed', 'job', `${fx.name}:${done}`, null, fx.name],
      ]);
    } finally {
      await app?.admin.close();
      await fx.close();
      await db.destroy();
    }
  });
});
