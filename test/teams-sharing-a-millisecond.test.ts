/**
 * Teams created, and members who joined, within the same millisecond are all
 * listed: PostgreSQL and MySQL keep microseconds, a JS Date does not, so the
 * cursors are read from the timestamp's exact text (as the users list does).
 */
import { sql } from 'kysely';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertUsers } from './helpers/host-schema';
import { createTestApp, type TestApp } from './helpers/test-app';

describe.each(DIALECTS.filter((d) => d !== 'sqlite'))('teams and members sharing a millisecond on %s', (dialect) => {
  let t: TestDb;
  let host: TestApp;
  let teamId: string;

  /** `default now()` as PostgreSQL and MySQL write it: the same millisecond, apart only in microseconds. */
  const micro = (i: number) =>
    dialect === 'postgres' ? sql`timestamptz '2026-03-01 10:00:00.123000+00' + ${`${i} microseconds`}::interval` : sql`timestamp('2026-03-01 10:00:00.123000') + interval ${i} microsecond`;

  beforeAll(async () => {
    t = await openTestDb(dialect);
    await createHostSchema(t.db, dialect);
    if (dialect === 'mysql') {
      await sql`alter table teams modify created_at datetime(6) not null`.execute(t.db);
      await sql`alter table memberships modify created_at datetime(6) not null`.execute(t.db);
    }
    const users = await insertUsers(t.db, dialect, [
      { email: 'root@ops.test', role: 'superuser', createdAt: new Date('2025-01-01T00:00:00Z') },
      ...[1, 2, 3, 4, 5].map((i) => ({ email: `member${i}@same.test`, createdAt: new Date('2025-01-02T00:00:00Z') })),
    ]);
    for (let i = 1; i <= 5; i++) {
      await sql`insert into teams (name, slug, owner_id, created_at) values (${`Same ${i}`}, ${`same-${i}`}, ${Number(users[1])}, ${micro(i)})`.execute(t.db);
    }
    const team = await t.db.selectFrom('teams').select('id').where('slug', '=', 'same-1').executeTakeFirstOrThrow();
    teamId = String(team.id);
    for (let i = 1; i <= 5; i++) {
      await sql`insert into memberships (team_id, user_id, role, created_at) values (${team.id}, ${Number(users[i])}, 'member', ${micro(i)})`.execute(t.db);
    }
    host = await createTestApp({ db: t.db });
  });

  afterAll(async () => {
    await host?.admin.close();
    await t?.destroy();
  });

  async function walk(first: string, pattern: RegExp): Promise<string[]> {
    const { agent } = await host.agentAs('1');
    const seen: string[] = [];
    let url: string | null = first;
    while (url) {
      const res = await agent.get(url).expect(200);
      seen.push(...[...res.text.matchAll(pattern)].map((m) => m[1]));
      const next = /rel="next" href="([^"]+)"/.exec(res.text);
      url = next ? next[1].replace(/&amp;/g, '&') : null;
    }
    return seen;
  }

  it('support pages through teams created in the same millisecond without skipping any', async () => {
    expect(await walk('/admin/teams?limit=2', /<strong>(Same \d)<\/strong>/g)).toEqual(['Same 5', 'Same 4', 'Same 3', 'Same 2', 'Same 1']);
  });

  it("and through a team's members who joined in the same millisecond", async () => {
    expect(await walk(`/admin/teams/${teamId}?limit=2`, /<span>(member\d@same\.test)<\/span>/g)).toEqual([1, 2, 3, 4, 5].map((i) => `member${i}@same.test`));
  });
});
