import { sql } from 'kysely';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import {
  createHostSchema,
  createInvitationsAndSubscriptions,
  dbDate,
  insertInvitation,
  insertManyTeams,
  insertManyUsers,
  insertSubscription,
  insertTeam,
  insertUsers,
} from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, sessionUserIdSignIn, type TestApp } from './helpers/test-app';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const DAY = 86_400_000;
const HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '{{7*7}}'];

type Person = 'superuser' | 'admin' | 'jane' | 'bob' | 'carol' | 'dave' | 'erin' | 'frank' | 'late' | 'outsider';
type Team = 'acme' | 'globex' | 'initech' | 'hooli' | 'hostile' | 'crowd';

describe.each(DIALECTS)('team oversight on %s', (dialect) => {
  let testDb: TestDb;
  let host: TestApp;
  const ids = {} as Record<Person, string>;
  const teams = {} as Record<Team, string>;
  const invitations = {} as Record<'pending' | 'accepted' | 'expired' | 'hostile' | 'globex', string>;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    const { db } = testDb;
    await createHostSchema(db, dialect);
    await createInvitationsAndSubscriptions(db, dialect);
    const people = await insertUsers(db, dialect, [
      { email: 'root@ops.test', name: 'Rita Root', role: 'superuser' },
      { email: 'sam@ops.test', name: 'Sam Support', role: 'admin' },
      { email: 'jane@acme.test', name: 'Jane Doe' },
      { email: 'bob@acme.test', name: 'Bob Stone' },
      { email: 'carol@acme.test', name: 'Carol Admin' },
      { email: 'dave@globex.test', name: 'Dave Globex' },
      { email: 'erin@hooli.test', name: 'Erin Hooli' },
      { email: 'frank@hooli.test', name: 'Frank Hooli' },
      { email: 'late@acme.test', name: 'Late Comer' },
      { email: 'outsider@nowhere.test', name: 'Outsider' },
    ]);
    (['superuser', 'admin', 'jane', 'bob', 'carol', 'dave', 'erin', 'frank', 'late', 'outsider'] as Person[]).forEach((p, i) => (ids[p] = people[i]));

    teams.acme = await insertTeam(db, dialect, 'Acme Inc', [[ids.jane, 'owner'], [ids.bob, 'member'], [ids.carol, 'admin']]);
    teams.globex = await insertTeam(db, dialect, 'Globex', [[ids.dave, 'owner']]);
    teams.initech = await insertTeam(db, dialect, 'Initech', []);
    teams.hooli = await insertTeam(db, dialect, 'Hooli', [[ids.erin, 'owner'], [ids.frank, 'admin']]);
    teams.hostile = await insertTeam(db, dialect, HOSTILE[0], [[ids.outsider, 'owner']]);
    await db.updateTable('teams').set({ slug: HOSTILE[2] }).where('id', '=', Number(teams.hostile)).execute();

    invitations.pending = await insertInvitation(db, dialect, { teamId: teams.acme, email: 'newbie@acme.test', invitedById: ids.jane, createdAt: new Date(NOW.getTime() - 4 * DAY), expiresAt: new Date(NOW.getTime() + 3 * DAY) });
    invitations.accepted = await insertInvitation(db, dialect, { teamId: teams.acme, email: 'bob@acme.test', invitedById: ids.jane, createdAt: new Date(NOW.getTime() - 30 * DAY), acceptedAt: new Date(NOW.getTime() - 29 * DAY), expiresAt: new Date(NOW.getTime() - 23 * DAY) });
    invitations.expired = await insertInvitation(db, dialect, { teamId: teams.acme, email: 'late@acme.test', invitedById: ids.carol, createdAt: new Date(NOW.getTime() - 10 * DAY), expiresAt: new Date(NOW.getTime() - 3 * DAY) });
    invitations.hostile = await insertInvitation(db, dialect, { teamId: teams.hostile, email: `${HOSTILE[1]}@evil.test`, invitedById: ids.outsider, createdAt: new Date(NOW.getTime() - DAY), expiresAt: new Date(NOW.getTime() + DAY) });
    invitations.globex = await insertInvitation(db, dialect, { teamId: teams.globex, email: 'someone@globex.test', createdAt: new Date(NOW.getTime() - DAY), expiresAt: new Date(NOW.getTime() - 1000) });

    await insertSubscription(db, dialect, { teamId: teams.acme, plan: 'pro', status: 'active', amountCents: 4900, currency: 'usd', interval: 'month', externalId: 'sub_acme' });
    await insertSubscription(db, dialect, { teamId: teams.acme, plan: 'starter', status: 'canceled', amountCents: 900, currency: 'usd', interval: 'month', currentPeriodEnd: new Date('2025-06-01T00:00:00Z'), canceledAt: new Date('2025-05-20T00:00:00Z') });
    await insertSubscription(db, dialect, { teamId: teams.globex, plan: 'business', status: 'active', amountCents: 120000, currency: 'eur', interval: 'year', externalId: 'sub_globex' });
    await insertSubscription(db, dialect, { teamId: teams.hooli, plan: 'pro', status: 'past_due', amountCents: 2900, currency: 'usd', interval: 'month', currentPeriodEnd: new Date(NOW.getTime() - 3 * DAY) });

    // A team of 5,000: its page shows one page of members, never all of them.
    teams.crowd = await insertTeam(db, dialect, 'Crowd Co', [[ids.erin, 'owner']]);
    await insertManyUsers(db, dialect, 5000, 'crowd.test');
    await db
      .insertInto('memberships')
      .columns(['team_id', 'user_id', 'role', 'created_at'])
      .expression(db.selectFrom('users').select([sql.lit(Number(teams.crowd)).as('team_id'), 'id', sql.lit('member').as('role'), 'created_at']).where('email', 'like', '%@crowd.test'))
      .execute();

    host = await createTestApp({
      db,
      admin: {
        now: () => NOW,
        billing: { externalUrl: (s) => `https://dashboard.stripe.test/subscriptions/${s.externalId}` },
        impersonation: { signIn: sessionUserIdSignIn },
      },
    });
  });

  afterAll(async () => {
    await host?.admin.close();
    await testDb?.destroy();
  });

  const teamRows = (html: string) => [...html.matchAll(/<strong>([^<]+)<\/strong>/g)].map((m) => decoded(m[1]));

  it('support searches "acme", opens the team and sees owner, members, invitations and subscription at a glance', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const list = await agent.get('/admin/teams?q=acme').expect(200);
    expect(teamRows(list.text)).toEqual(['Acme Inc']);
    expect(list.text).toContain(`/admin/teams/${teams.acme}`);
    expect(list.text).toContain('jane@acme.test');
    expect(list.text).toContain('>pro<');

    const page = await agent.get(`/admin/teams/${teams.acme}`).expect(200);
    const text = decoded(page.text);
    expect(page.text).toContain(`href="/admin/users/${ids.jane}"`);
    for (const email of ['jane@acme.test', 'bob@acme.test', 'carol@acme.test']) expect(text).toContain(email);
    expect(text).toMatch(/carol@acme\.test[\s\S]*?>admin</);
    expect(text).toMatch(/newbie@acme\.test[\s\S]*?>pending</);
    expect(text).toMatch(/late@acme\.test[\s\S]*?>expired</);
    expect(text).toMatch(/id="invitations"[\s\S]*bob@acme\.test[\s\S]*?>accepted</);
    expect(text).toMatch(/late@acme\.test[\s\S]*?carol@acme\.test/); // sent by
    expect(text).toContain('USD 49.00 / month');
    expect(text).toContain('https://dashboard.stripe.test/subscriptions/sub_acme');
    expect(text).toContain('Earlier subscriptions');
    expect(page.text).toMatch(/id="team-jobs"[\s\S]*Queues are not connected yet/);
    expect(page.text).not.toContain('secret-hash-never-shown');
  });

  it('filters the list by plan and by subscription status (and "no subscription")', async () => {
    const { agent } = await host.agentAs(ids.admin);
    expect(teamRows((await agent.get('/admin/teams?plan=pro&sort=name').expect(200)).text)).toEqual(['Acme Inc', 'Hooli']);
    expect(teamRows((await agent.get('/admin/teams?status=past_due').expect(200)).text)).toEqual(['Hooli']);
    expect(teamRows((await agent.get('/admin/teams?status=none&sort=name').expect(200)).text)).toEqual([HOSTILE[0], 'Crowd Co', 'Initech']);
    expect(teamRows((await agent.get('/admin/teams?plan=enterprise').expect(200)).text)).toEqual([]);
    // Plan and status describe the same subscription: Acme's starter plan is the canceled one, its pro plan the active one.
    expect(teamRows((await agent.get('/admin/teams?plan=pro&status=past_due').expect(200)).text)).toEqual(['Hooli']);
    expect(teamRows((await agent.get('/admin/teams?plan=starter&status=active').expect(200)).text)).toEqual([]);
    expect(teamRows((await agent.get('/admin/teams?plan=starter&status=canceled').expect(200)).text)).toEqual(['Acme Inc']);
    expect(teamRows((await agent.get('/admin/teams?plan=pro&status=none').expect(200)).text)).toEqual([]);
    const withSlug = await agent.get('/admin/teams?q=hool').expect(200);
    expect(teamRows(withSlug.text)).toEqual(['Hooli']);
  });

  it('shows member counts and the team\'s current subscription, not its history', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get('/admin/teams?q=acme').expect(200);
    const results = res.text.slice(res.text.indexOf('id="results"'));
    expect(results).toMatch(/class="num">3</);
    expect(results).toContain('>active<');
    expect(results).not.toContain('>canceled<');
    const crowd = await agent.get('/admin/teams?q=crowd').expect(200);
    expect(crowd.text).toContain('5,001');
  });

  it('pages through every team exactly once with cursors, in either sort', async () => {
    await insertManyTeams(testDb.db, dialect, 130, ids.dave, 'Paged Team');
    const { agent } = await host.agentAs(ids.admin);
    for (const sort of ['-created_at', 'name', '-name', 'created_at']) {
      const seen: string[] = [];
      let url: string | null = `/admin/teams?q=paged&limit=40&sort=${sort}`;
      while (url) {
        const res = await agent.get(url).expect(200);
        seen.push(...teamRows(res.text));
        const next = /rel="next" href="([^"]+)"/.exec(res.text);
        url = next ? next[1].replace(/&amp;/g, '&') : null;
      }
      expect(seen).toHaveLength(130);
      expect(new Set(seen).size).toBe(130);
    }
    // And backwards from the last page.
    const first = await agent.get('/admin/teams?q=paged&limit=100&sort=name').expect(200);
    const next = /rel="next" href="([^"]+)"/.exec(first.text)![1].replace(/&amp;/g, '&');
    const second = await agent.get(next).expect(200);
    expect(teamRows(second.text)).toHaveLength(30);
    const prev = /rel="prev" href="([^"]+)"/.exec(second.text)![1].replace(/&amp;/g, '&');
    expect(teamRows((await agent.get(prev).expect(200)).text)).toEqual(teamRows(first.text));
  });

  it('answers htmx list requests with the results fragment', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get('/admin/teams?q=globex').set('HX-Request', 'true').set('HX-Request-Type', 'partial').expect(200);
    expect(res.text).not.toContain('<html');
    expect(teamRows(res.text)).toEqual(['Globex']);
    expect(res.headers.vary).toMatch(/HX-Request/i);
  });

  it('a team of 5,000 members shows one page of members and pages the rest', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const page = await agent.get(`/admin/teams/${teams.crowd}`).expect(200);
    const members = page.text.slice(page.text.indexOf('id="members"'), page.text.indexOf('id="team-jobs"'));
    expect([...members.matchAll(/class="person"/g)]).toHaveLength(50);
    expect(page.text).toContain('50 shown of 5,001');
    const next = /id="members"[\s\S]*?rel="next" href="([^"]+)"/.exec(page.text)![1].replace(/&amp;/g, '&');
    const fragment = await agent.get(next).set('HX-Request', 'true').set('HX-Request-Type', 'partial').expect(200);
    expect(fragment.text).not.toContain('<html');
    expect([...fragment.text.matchAll(/class="person"/g)]).toHaveLength(50);
    expect(fragment.text).toContain('rel="prev"');
  });

  it('support can impersonate the owner straight from the team page', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const page = await agent.get(`/admin/teams/${teams.acme}`).expect(200);
    expect(page.text).toContain(`href="/admin/users/${ids.jane}/impersonate">Impersonate owner</a>`);
    const start = await agent.get(`/admin/users/${ids.jane}/impersonate`).expect(200);
    expect(decoded(start.text)).toContain('jane@acme.test');
  });

  it('a team with no owner and no subscription renders without error', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const page = await agent.get(`/admin/teams/${teams.initech}`).expect(200);
    expect(page.text).toContain('no owner');
    expect(page.text).toContain('No subscription on record for this team.');
    expect(page.text).toContain('No members');
    expect(page.text).toContain('No invitations sent from this team.');
  });

  it.each([
    ['/admin/teams?sort=members', 400, 'Cannot sort by "members"'],
    ['/admin/teams?status=bogus', 400, '"status" must be one of'],
    ['/admin/teams?limit=0', 400, '"limit" must be a whole number from 1 to 200'],
    ['/admin/teams?after=not-a-cursor', 400, 'cursor'],
    ['/admin/teams?q=a&q=b', 400, 'given more than once'],
    ['/admin/teams/999999', 404, 'No team with id 999999'],
    ['/admin/teams/not-a-number', 404, 'No team with id not-a-number'],
    [`/admin/teams/${'9'.repeat(80)}`, 400, 'too long to be real'],
    ['/admin/teams/1?after=garbage', 400, 'cursor'],
    ['/admin/teams/1?limit=5000', 400, '"limit" must be a whole number'],
  ])('%s gets a clear %i', async (url, status, message) => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get(url).expect(status);
    expect(decoded(res.text)).toContain(message);
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('support resends an expired invitation: it is pending again, and the audit log says who and why', async () => {
    const { agent, csrf } = await host.agentAs(ids.admin);
    await agent
      .post(`/admin/teams/${teams.acme}/invitations/${invitations.expired}/resend`)
      .type('form')
      .send({ _csrf: await csrf(), reason: 'Customer says the email never arrived' })
      .expect(303)
      .expect('location', `/admin/teams/${teams.acme}#invitations`);
    const row = await testDb.db.selectFrom('invitations').selectAll().where('id', '=', Number(invitations.expired)).executeTakeFirstOrThrow();
    const expires = new Date(row.expires_at);
    // The original lasted 7 days (created 10 days ago, expired 3 days ago): the renewal lasts 7 days from now.
    expect(expires.toISOString()).toBe(new Date(NOW.getTime() + 7 * DAY).toISOString());
    expect(new Date(row.created_at).toISOString()).toBe(NOW.toISOString());
    const page = await agent.get(`/admin/teams/${teams.acme}`).expect(200);
    expect(decoded(page.text)).toMatch(/late@acme\.test[\s\S]*?>pending</);
    expect(page.text).toContain('invitation.resent');
    expect(page.text).toContain('Customer says the email never arrived');
    const event = await testDb.db.selectFrom('backstage_audit_events').selectAll().where('action', '=', 'invitation.resent').executeTakeFirstOrThrow();
    expect(event).toMatchObject({ actor_email: 'sam@ops.test', subject_type: 'invitation', subject_id: invitations.expired, team_id: teams.acme });
  });

  it('refuses to resend an accepted invitation, or one of another team', async () => {
    const { agent, csrf } = await host.agentAs(ids.admin);
    const accepted = await agent.post(`/admin/teams/${teams.acme}/invitations/${invitations.accepted}/resend`).type('form').send({ _csrf: await csrf() }).expect(409);
    expect(accepted.text).toContain('already accepted');
    const other = await agent.post(`/admin/teams/${teams.acme}/invitations/${invitations.globex}/resend`).type('form').send({ _csrf: await csrf() }).expect(404);
    expect(other.text).toContain(`No invitation with id ${invitations.globex} in Acme Inc`);
    await agent.post(`/admin/teams/${teams.acme}/invitations/nope/resend`).type('form').send({ _csrf: await csrf() }).expect(404);
    const page = await agent.get(`/admin/teams/${teams.acme}`).expect(200);
    // No resend button on the accepted row.
    expect(page.text).not.toContain(`/invitations/${invitations.accepted}/resend`);
    expect(page.text).toContain(`/invitations/${invitations.pending}/resend`);
  });

  it('a resend without a CSRF token is refused and changes nothing', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const before = await testDb.db.selectFrom('invitations').select('expires_at').where('id', '=', Number(invitations.pending)).executeTakeFirstOrThrow();
    await agent.post(`/admin/teams/${teams.acme}/invitations/${invitations.pending}/resend`).type('form').send({}).expect(403);
    const after = await testDb.db.selectFrom('invitations').select('expires_at').where('id', '=', Number(invitations.pending)).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
  });

  it('a superuser transfers ownership: owner and roles swap in one audited change', async () => {
    const { agent, csrf } = await host.agentAs(ids.superuser);
    const page = await agent.get(`/admin/teams/${teams.hooli}`).expect(200);
    expect(page.text).toContain('Transfer ownership');
    await agent.post(`/admin/teams/${teams.hooli}/transfer`).type('form').send({ _csrf: await csrf(), user_id: ids.frank, reason: 'Erin left the company' }).expect(303);
    const team = await testDb.db.selectFrom('teams').select('owner_id').where('id', '=', Number(teams.hooli)).executeTakeFirstOrThrow();
    expect(String(team.owner_id)).toBe(ids.frank);
    const roles = await testDb.db.selectFrom('memberships').select(['user_id', 'role']).where('team_id', '=', Number(teams.hooli)).orderBy('user_id').execute();
    expect(Object.fromEntries(roles.map((r) => [String(r.user_id), r.role]))).toEqual({ [ids.erin]: 'admin', [ids.frank]: 'owner' });
    const event = await testDb.db.selectFrom('backstage_audit_events').selectAll().where('action', '=', 'team.ownership_transferred').executeTakeFirstOrThrow();
    expect(event).toMatchObject({ actor_email: 'root@ops.test', subject_type: 'team', subject_id: teams.hooli, team_id: teams.hooli, reason: 'Erin left the company' });
    expect(JSON.parse(event.data)).toMatchObject({ from: ids.erin, to: ids.frank, roles: { [ids.frank]: { from: 'admin', to: 'owner' }, [ids.erin]: { from: 'owner', to: 'admin' } } });
  });

  it('transfer refuses a non-member, an empty choice, and an admin (on the server, not only hidden)', async () => {
    const su = await host.agentAs(ids.superuser);
    const outsider = await su.agent.post(`/admin/teams/${teams.acme}/transfer`).type('form').send({ _csrf: await su.csrf(), user_id: ids.dave }).expect(400);
    expect(outsider.text).toContain(`User ${ids.dave} is not a member of Acme Inc`);
    const empty = await su.agent.post(`/admin/teams/${teams.acme}/transfer`).type('form').send({ _csrf: await su.csrf() }).expect(400);
    expect(empty.text).toContain('Choose the member who becomes the owner');
    const admin = await host.agentAs(ids.admin);
    const page = await admin.agent.get(`/admin/teams/${teams.acme}`).expect(200);
    expect(page.text).not.toContain('/transfer"');
    expect(page.text).toContain('Only a superuser can transfer ownership');
    await admin.agent.post(`/admin/teams/${teams.acme}/transfer`).type('form').send({ _csrf: await admin.csrf(), user_id: ids.bob }).expect(403);
    const team = await testDb.db.selectFrom('teams').select('owner_id').where('id', '=', Number(teams.acme)).executeTakeFirstOrThrow();
    expect(String(team.owner_id)).toBe(ids.jane);
  });

  it('support mode for Acme: the users list and the audit log narrow to the team, with a visible exit', async () => {
    const { agent, csrf } = await host.agentAs(ids.admin);
    // Something unrelated to Acme in the audit log first.
    await agent.post(`/admin/users/${ids.outsider}/ban`).type('form').send({ _csrf: await csrf(), reason: 'spam' }).expect(303);
    const enter = await agent.post(`/admin/teams/${teams.acme}/scope`).type('form').send({ _csrf: await csrf() }).expect(303);
    expect(enter.headers.location).toBe('/admin/users');

    const users = await agent.get('/admin/users').expect(200);
    expect(users.text).toMatch(/id="team-scope"[\s\S]*Acme Inc[\s\S]*\/admin\/scope\/exit/);
    for (const email of ['jane@acme.test', 'bob@acme.test', 'carol@acme.test']) expect(users.text).toContain(email);
    for (const email of ['dave@globex.test', 'outsider@nowhere.test', 'root@ops.test']) expect(users.text).not.toContain(email);

    const audit = await agent.get('/admin/audit').expect(200);
    expect(audit.text).toContain('team.scope_entered');
    expect(audit.text).toContain('invitation.resent');
    expect(audit.text).not.toContain('user.banned');

    const exit = await agent.post('/admin/scope/exit').type('form').send({ _csrf: await csrf() }).expect(303);
    expect(exit.headers.location).toBe(`/admin/teams/${teams.acme}`);
    const all = await agent.get('/admin/users?q=outsider').expect(200);
    expect(all.text).toContain('outsider@nowhere.test');
    expect(all.text).not.toContain('id="team-scope"');
    expect((await agent.get('/admin/audit').expect(200)).text).toContain('user.banned');

    const events = await testDb.db.selectFrom('backstage_audit_events').select(['action', 'team_id', 'actor_email']).where('action', 'like', 'team.scope%').orderBy('id').execute();
    expect(events).toEqual([
      { action: 'team.scope_entered', team_id: teams.acme, actor_email: 'sam@ops.test' },
      { action: 'team.scope_exited', team_id: teams.acme, actor_email: 'sam@ops.test' },
    ]);
    await agent.post(`/admin/users/${ids.outsider}/unban`).type('form').send({ _csrf: await csrf() }).expect(303);
  });

  it('switching scope from one team to another records leaving the first; exit without a scope is harmless', async () => {
    const { agent, csrf } = await host.agentAs(ids.superuser);
    await agent.post(`/admin/teams/${teams.globex}/scope`).type('form').send({ _csrf: await csrf() }).expect(303);
    await agent.post(`/admin/teams/${teams.hooli}/scope`).type('form').send({ _csrf: await csrf() }).expect(303);
    const page = await agent.get(`/admin/teams/${teams.hooli}`).expect(200);
    expect(page.text).toContain('support mode on');
    const events = await testDb.db.selectFrom('backstage_audit_events').select(['action', 'team_id']).where('actor_email', '=', 'root@ops.test').where('action', 'like', 'team.scope%').orderBy('id').execute();
    expect(events).toEqual([
      { action: 'team.scope_entered', team_id: teams.globex },
      { action: 'team.scope_exited', team_id: teams.globex },
      { action: 'team.scope_entered', team_id: teams.hooli },
    ]);
    await agent.post('/admin/scope/exit').type('form').send({ _csrf: await csrf() }).expect(303);
    const again = await agent.post('/admin/scope/exit').type('form').send({ _csrf: await csrf() }).expect(303);
    expect(again.headers.location).toBe('/admin/teams');
  });

  it('the user page lists invitations sent to the user\'s email and links each team', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const late = await agent.get(`/admin/users/${ids.late}`).expect(200);
    expect(late.text).toContain('Invitations sent to late@acme.test');
    expect(late.text).toContain(`/admin/teams/${teams.acme}#invitations`);
    const jane = await agent.get(`/admin/users/${ids.jane}`).expect(200);
    expect(jane.text).toContain(`<a href="/admin/teams/${teams.acme}">Acme Inc</a>`);
    expect(jane.text).toContain('No invitations were sent to this address.');
  });

  it('hostile team names, slugs and invitation emails are shown as text, never as markup', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const pages = [
      await agent.get('/admin/teams?sort=name').expect(200),
      await agent.get(`/admin/teams/${teams.hostile}`).expect(200),
      await agent.get(`/admin/users/${ids.outsider}`).expect(200),
    ];
    for (const page of pages) {
      expect(page.text).not.toContain('<script>alert(1)</script>');
      expect(page.text).not.toContain('<img src=x');
      expect(page.text).not.toContain('>49<');
    }
    expect(pages[0].text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(pages[1].text).toContain('&#34;&gt;&lt;img src=x onerror=alert(1)&gt;@evil.test');
    expect(pages[1].text).toContain('{{7*7}}');
    expect(pages[2].text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');

    // The scope indicator in the header escapes the team name too.
    const { agent: scoped, csrf } = await host.agentAs(ids.admin);
    await scoped.post(`/admin/teams/${teams.hostile}/scope`).type('form').send({ _csrf: await csrf() }).expect(303);
    const users = await scoped.get('/admin/users').expect(200);
    expect(users.text).not.toContain('<script>alert(1)</script>');
    expect(users.text).toMatch(/id="team-scope"[\s\S]*&lt;script&gt;/);
    await scoped.post('/admin/scope/exit').type('form').send({ _csrf: await csrf() }).expect(303);
  });
});

describe.each(DIALECTS)('team pages with an unusual team and billing schema on %s', (dialect) => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    const { db } = testDb;
    const ts = (dialect === 'postgres' ? 'timestamptz' : dialect === 'mysql' ? sql`datetime(3)` : 'text') as any;
    await createHostSchema(db, dialect); // users (and conventional teams, which the mapping below ignores)
    await db.schema.createTable('orgs').addColumn('org_id', 'integer', (c) => c.primaryKey()).addColumn('title', 'varchar(200)', (c) => c.notNull()).addColumn('founded_at', ts, (c) => c.notNull()).execute();
    await db.schema
      .createTable('org_members')
      .addColumn('org', 'integer', (c) => c.notNull())
      .addColumn('member', 'integer', (c) => c.notNull())
      .addColumn('since', ts)
      .execute();
    await db.schema
      .createTable('org_invites')
      .addColumn('invite_id', 'integer', (c) => c.primaryKey())
      .addColumn('org', 'integer', (c) => c.notNull())
      .addColumn('address', 'varchar(320)', (c) => c.notNull())
      .addColumn('sent_at', ts, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('billing_plans')
      .addColumn('sub_id', 'integer', (c) => c.primaryKey())
      .addColumn('org', 'integer', (c) => c.notNull())
      .addColumn('tier', 'varchar(50)', (c) => c.notNull())
      .addColumn('state', 'varchar(30)', (c) => c.notNull())
      .addColumn('price', 'integer', (c) => c.notNull())
      .addColumn('ccy', 'varchar(3)', (c) => c.notNull())
      .addColumn('every', 'varchar(10)', (c) => c.notNull())
      .addColumn('renews_at', ts, (c) => c.notNull())
      .execute();
    const [admin, member] = await insertUsers(db, dialect, [{ email: 'sam@ops.test', role: 'admin' }, { email: 'member@org.test' }]);
    await db.insertInto('orgs').values({ org_id: 7, title: 'Renamed Org', founded_at: dbDate(dialect, new Date('2026-01-02T00:00:00Z')) }).execute();
    await db.insertInto('org_members').values({ org: 7, member: Number(member), since: dbDate(dialect, new Date('2026-01-03T00:00:00Z')) }).execute();
    await db.insertInto('org_invites').values({ invite_id: 1, org: 7, address: 'new@org.test', sent_at: dbDate(dialect, new Date('2026-01-04T00:00:00Z')) }).execute();
    await db.insertInto('billing_plans').values({ sub_id: 1, org: 7, tier: 'gold', state: 'active', price: 24000, ccy: 'gbp', every: 'year', renews_at: dbDate(dialect, new Date('2026-12-01T00:00:00Z')) }).execute();
    ids.admin = admin;
    ids.member = member;
  });

  const ids: Record<string, string> = {};
  const mapping = {
    teams: { table: 'orgs', columns: { id: 'org_id', name: 'title', created_at: 'founded_at', slug: null, owner_id: null } },
    memberships: { table: 'org_members', columns: { team_id: 'org', user_id: 'member', role: null, created_at: 'since' } },
    invitations: { table: 'org_invites', columns: { id: 'invite_id', team_id: 'org', email: 'address', created_at: 'sent_at' } },
    subscriptions: {
      table: 'billing_plans',
      columns: { id: 'sub_id', team_id: 'org', plan: 'tier', status: 'state', amount_cents: 'price', currency: 'ccy', interval: 'every', current_period_end: 'renews_at' },
    },
  };

  afterAll(async () => {
    await testDb?.destroy();
  });

  it('renamed tables and columns work; features whose optional columns are missing are hidden', async () => {
    const host = await createTestApp({ db: testDb.db, admin: { models: mapping as any } });
    const { agent } = await host.agentAs(ids.admin);
    const list = await agent.get('/admin/teams?q=renamed&plan=gold&status=active').expect(200);
    expect(list.text).toContain('Renamed Org');
    expect(list.text).not.toContain('<th scope="col">Owner</th>');
    await agent.get('/admin/teams?sort=name').expect(200);
    const page = await agent.get('/admin/teams/7').expect(200);
    expect(page.text).toContain('member@org.test');
    expect(page.text).toContain('new@org.test');
    expect(page.text).toContain('GBP 240.00 / year');
    expect(page.text).not.toContain('Transfer ownership'); // no owner column
    expect(page.text).not.toContain('Trial ends'); // no trial column
    expect(page.text).not.toContain('<th scope="col">Expires</th>'); // no expiry column
    expect(page.text).toContain('/invitations/1/resend'); // created_at is there: renewing works
    const billing = await agent.get('/admin/billing').expect(200);
    expect(billing.text).toContain('data-mrr-cents="2000"');
    expect(billing.text).not.toContain('Trials ending'); // no trial_ends_at
    expect(billing.text).not.toContain('Cancellations in the last'); // no canceled_at
    await host.admin.close();
  });

  it('a wrongly mapped column stops start-up with a message that names it and lists what exists', async () => {
    const errorLog = jest.spyOn(console, 'error').mockImplementation(() => {});
    const { createAdmin } = await import('../src');
    const wrong = { ...mapping, subscriptions: { ...mapping.subscriptions, columns: { ...mapping.subscriptions.columns, amount_cents: 'amount' } } };
    const admin = createAdmin({ db: testDb.db, getUser: () => null, models: wrong as any });
    await expect(admin.ready()).rejects.toThrow(
      /express-backstage: options\.models\.subscriptions\.columns\.amount_cents is "amount", but table "billing_plans" has no such column \(columns: .*price.*\)/,
    );
    const noTable = createAdmin({ db: testDb.db, getUser: () => null, models: { ...mapping, invitations: { table: 'invites' } } as any });
    await expect(noTable.ready()).rejects.toThrow('options.models.invitations.table is "invites", but no such table exists');
    errorLog.mockRestore();
  });

  it('without invitations and subscriptions tables the team page hides those sections and billing says why', async () => {
    const host = await createTestApp({ db: testDb.db, migrate: false, admin: { models: { teams: mapping.teams, memberships: mapping.memberships } as any } });
    const { agent } = await host.agentAs(ids.admin);
    const page = await agent.get('/admin/teams/7').expect(200);
    expect(page.text).not.toContain('id="invitations"');
    expect(page.text).not.toContain('Subscription</h2>');
    const billing = await agent.get('/admin/billing').expect(200);
    expect(decoded(billing.text)).toContain('No "subscriptions" table was found');
    await host.admin.close();
  });

  it('billing: false turns the billing page and the subscription section off', async () => {
    const host = await createTestApp({ db: testDb.db, migrate: false, admin: { models: mapping as any, billing: false } });
    const { agent } = await host.agentAs(ids.admin);
    expect((await agent.get('/admin/billing').expect(200)).text).toContain('Billing is turned off in this console (options.billing is false).');
    expect((await agent.get('/admin/teams/7').expect(200)).text).not.toContain('Subscription</h2>');
    await host.admin.close();
  });
});
