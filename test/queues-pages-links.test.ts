/**
 * Jobs tied to users and teams (`jobLinks`): support opens a customer's page
 * and sees that customer's jobs across every queue, the failed invitation
 * first, its stack trace one click away; the team page lists the team's jobs.
 */
import { openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertTeam, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';
import { createFixture, uniquePrefix, type QueueFixture } from './queues/helpers/queue-fixtures';
import { createAdmin } from '../src';

const PREFIX = uniquePrefix('queues-pages-links');

function words(html: string): string {
  return decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

/** Job ids in the order a page lists them. */
function listed(html: string): string[] {
  return [...html.matchAll(/href="\/admin\/dev\/queues\/([^/"]+)\/jobs\/([^"]+)"/g)].map((m) => `${m[1]}#${m[2]}`);
}

let testDb: TestDb;
let host: TestApp;
let bull: QueueFixture;
let bullmq: QueueFixture;
let ids: { admin: string; alice: string; bob: string; team: string; otherTeam: string };
const jobs: Record<string, string> = {};

beforeAll(async () => {
  testDb = await openTestDb('sqlite');
  await createHostSchema(testDb.db, 'sqlite');
  const [admin, alice, bob] = await insertUsers(testDb.db, 'sqlite', [{ email: 'sam@ops.test', role: 'admin' }, { email: 'alice@acme.test' }, { email: 'bob@globex.test' }]);
  const team = await insertTeam(testDb.db, 'sqlite', 'Acme', [[alice, 'owner']]);
  const otherTeam = await insertTeam(testDb.db, 'sqlite', 'Globex', [[bob, 'owner']]);
  ids = { admin, alice, bob, team, otherTeam };

  bull = await createFixture('bull', PREFIX);
  bullmq = await createFixture('bullmq', PREFIX);
  // Ids are numbers in some apps' job data and strings in others: both match.
  jobs.aliceWelcome = await bull.add({ kind: 'ok', type: 'welcome', userId: Number(alice), teamId: Number(team) });
  jobs.aliceInvite = await bull.add({ kind: 'fail', type: 'send-invitation', to: 'new@acme.test', userId: alice, teamId: team }, { attempts: 1 });
  jobs.bobInvite = await bull.add({ kind: 'fail', type: 'send-invitation', to: 'x@globex.test', userId: bob, teamId: otherTeam }, { attempts: 1 });
  jobs.aliceReport = await bullmq.add({ kind: 'fail', type: 'monthly-report', userId: alice, meta: { team: { id: team } } }, { attempts: 1 });
  for (const fx of [bull, bullmq]) fx.startWorker();
  await bull.waitForCounts((c) => c.completed === 1 && c.failed === 2, 'bull jobs');
  await bullmq.waitForCounts((c) => c.failed === 1, 'bullmq jobs');
  for (const fx of [bull, bullmq]) await fx.stopWorker();
  jobs.aliceLater = await bull.add({ kind: 'ok', type: 'reminder', userId: alice }, { delay: 3_600_000 });

  host = await createTestApp({ db: testDb.db, admin: { queues: [bull.queue, bullmq.queue] } });
}, 60_000);

afterAll(async () => {
  await host?.admin.close();
  await bull?.close();
  await bullmq?.close();
  await testDb?.destroy();
});

describe('a user page lists the user\'s jobs', () => {
  it('across every queue, failed first, with state badges and links to each job', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get(`/admin/users/${ids.alice}`);
    expect(res.status).toBe(200);
    const section = res.text.slice(res.text.indexOf('id="user-jobs"'), res.text.indexOf('id="trail-title"'));
    expect(section).not.toBe('');
    const order = listed(section);
    // Failed ones first (newest first across queues), then delayed, then completed.
    expect(order.slice(0, 2).sort()).toEqual([`${bull.name}#${jobs.aliceInvite}`, `${bullmq.name}#${jobs.aliceReport}`].sort());
    expect(order.slice(2)).toEqual([`${bull.name}#${jobs.aliceLater}`, `${bull.name}#${jobs.aliceWelcome}`]);
    expect(order).not.toContain(`${bull.name}#${jobs.bobInvite}`);
    expect(section).toContain('<span class="badge bad">failed</span>');
    expect(section).toContain('<span class="badge ok">completed</span>');
    expect(decoded(section)).toContain('boom: could not deliver to new@acme.test');
    expect(words(section)).toContain('Jobs whose userId is');
    expect(words(section)).toContain('which is every job in the 2 queues.');
  });

  it('and the failed invitation\'s stack trace is one click away', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get(`/admin/dev/queues/${bull.name}/jobs/${jobs.aliceInvite}`);
    expect(res.status).toBe(200);
    expect(decoded(res.text)).toMatch(/<pre class="job-stack">Error: boom: could not deliver to new@acme.test\n\s+at /);
  });
});

describe('a team page lists the team\'s jobs', () => {
  it('in its Jobs slot, loaded after the page, failed first', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const page = await agent.get(`/admin/teams/${ids.team}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`hx-get="/admin/dev/linked-jobs?team=${ids.team}" hx-trigger="load"`);

    const fragment = await agent.get(`/admin/dev/linked-jobs?team=${ids.team}`).set('HX-Request', 'true');
    expect(fragment.status).toBe(200);
    expect(fragment.text).not.toContain('<html');
    expect(listed(fragment.text)).toEqual([`${bull.name}#${jobs.aliceInvite}`, `${bull.name}#${jobs.aliceWelcome}`]);

    // Without JavaScript, the same URL is a page of its own.
    const full = await agent.get(`/admin/dev/linked-jobs?team=${ids.team}`);
    expect(full.text).toContain('<html');
    expect(words(full.text)).toContain(`Jobs of team ${ids.team}`);
  });

  it.each([
    ['', 'Say whose jobs to list'],
    [`?team=1&user=2`, 'Say whose jobs to list'],
    [`?team=${'9'.repeat(65)}`, 'That id is too long to be real.'],
    [`?team=1&team=2`, '"team" was given more than once'],
  ])('answers /dev/linked-jobs%s with a 400', async (query, message) => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get(`/admin/dev/linked-jobs${query}`);
    expect(res.status).toBe(400);
    expect(decoded(res.text)).toContain(message);
  });
});

describe('jobLinks', () => {
  it('follows nested data paths, and a link set to null hides the section', async () => {
    const nested = await createTestApp({ db: testDb.db, migrate: false, admin: { queues: [bull.queue, bullmq.queue], jobLinks: { team: 'meta.team.id', user: null } } });
    try {
      const { agent } = await nested.agentAs(ids.admin);
      const team = await agent.get(`/admin/dev/linked-jobs?team=${ids.team}`).set('HX-Request', 'true');
      expect(listed(team.text)).toEqual([`${bullmq.name}#${jobs.aliceReport}`]);
      expect(words(team.text)).toContain('Jobs whose meta.team.id is');
      const user = await agent.get(`/admin/users/${ids.alice}`);
      expect(user.status).toBe(200);
      expect(user.text).not.toContain('id="user-jobs"');
      const off = await agent.get(`/admin/dev/linked-jobs?user=${ids.alice}`).set('HX-Request', 'true');
      expect(words(off.text)).toContain('Jobs are not linked to users (options.jobLinks.user is off).');
    } finally {
      await nested.admin.close();
    }
  });

  it('says when the scan stopped before reading every job', async () => {
    const big = await createFixture('bull', PREFIX);
    try {
      await big.addBulk(Array.from({ length: 2100 }, (_, i) => ({ data: { kind: 'ok', userId: i === 0 ? ids.bob : 'someone' } })));
      const app = await createTestApp({ db: testDb.db, migrate: false, admin: { queues: [big.queue] } });
      try {
        const { agent } = await app.agentAs(ids.admin);
        const res = await agent.get(`/admin/users/${ids.bob}`);
        const section = res.text.slice(res.text.indexOf('id="user-jobs"'), res.text.indexOf('id="trail-title"'));
        expect(words(section)).toContain('read the newest 2,000 jobs per queue (failed first), 2,000 in all. Some queues hold more, so older jobs may be missing.');
        // The oldest waiting job (bob's) is beyond the bound.
        expect(words(section)).toContain('No jobs found in the jobs read.');
      } finally {
        await app.admin.close();
      }
    } finally {
      await big.close();
    }
  });

  it.each([
    [{ team: 'a..b' }, 'options.jobLinks.team must be a data path such as'],
    [{ team: 'meta.__proto__.id' }, 'options.jobLinks.team must be a data path such as'],
    [{ user: 'meta.apiToken' }, 'options.jobLinks.user must be a data path that does not go through a secret-looking key ("apiToken"'],
    [{ project: 'projectId' }, 'options.jobLinks must be an object with keys among user, team'],
    [{ user: 42 }, 'options.jobLinks.user must be a data path'],
    ['teamId', 'options.jobLinks must be an object of data paths'],
  ])('refuses jobLinks %p at createAdmin time', (jobLinks, message) => {
    expect(() => createAdmin({ db: testDb.db, getUser: () => null, jobLinks: jobLinks as any })).toThrow(`express-backstage: ${message}`);
  });
});
