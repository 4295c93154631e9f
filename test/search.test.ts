/**
 * Search that scales (DESIGN §8): a whole email and an address being typed go
 * through the email index and find anyone, however old; a substring goes
 * through a trigram index when the host has asked for one, and otherwise reads
 * only the newest 50,000 users and says so, with the index to add for
 * superusers. The console never creates that index by itself.
 */
import { sql, type Kysely } from 'kysely';
import { classifyWord, classifyWords, prefixUpperBound } from '../src/search/search-words';
import { DIALECTS, openTestDb, type DialectName, type TestDb } from './helpers/dialects';
import { createHostSchema, dbDate, insertTeam, insertUsers } from './helpers/host-schema';
import { decoded } from './helpers/html';
import { createTestApp, type TestApp } from './helpers/test-app';

describe('reading a search word', () => {
  it.each([
    ['jane@acme.com', { kind: 'email', text: 'jane@acme.com' }],
    ['Jane.Doe+ops@mail.acme.co.uk', { kind: 'email', text: 'Jane.Doe+ops@mail.acme.co.uk' }],
    ['jane@acme', { kind: 'prefix', text: 'jane@acme' }],
    ['jane@', { kind: 'prefix', text: 'jane@' }],
    ['jane@acme.', { kind: 'prefix', text: 'jane@acme.' }],
    ['acme*', { kind: 'prefix', text: 'acme' }],
    ['acme**', { kind: 'prefix', text: 'acme' }],
    ['acme', { kind: 'contains', text: 'acme' }],
    ['@acme.com', { kind: 'contains', text: '@acme.com' }],
    ['100%', { kind: 'contains', text: '100%' }],
  ])('%s', (word, expected) => {
    expect(classifyWord(word)).toEqual(expected);
  });

  it('drops words that ask for nothing', () => {
    expect(classifyWords(['*', 'acme', '**'])).toEqual([{ kind: 'contains', text: 'acme' }]);
  });

  it('bounds a prefix range after its last letter or digit', () => {
    expect(prefixUpperBound('jane')).toBe('janf');
    expect(prefixUpperBound('jane@')).toBe('janf');
    expect(prefixUpperBound('user9')).toBe('user:');
    expect(prefixUpperBound('zoë')).toBe('zoì');
    expect(prefixUpperBound('@.')).toBeNull();
  });
});

const BULK = 50_010;
const BOUND_TEXT = 'Searched the newest 50,000 users only';

/** Fills users server-side (50,010 rows in one statement), newer than everyone inserted before. */
async function insertBulkUsers(db: Kysely<any>, dialect: DialectName, count: number): Promise<void> {
  const base = Date.UTC(2026, 2, 1);
  if (dialect === 'postgres') {
    await sql`insert into users (email, name, role, created_at)
      select 'user' || i || '@bulk.test', 'Bulk User ' || i, 'user', ${new Date(base)}::timestamptz + i * interval '1 second'
      from generate_series(1, ${count}) as i`.execute(db);
  } else if (dialect === 'mysql') {
    // MariaDB caps recursive CTEs (max_recursive_iterations), so in batches of 2,000 rows.
    for (let start = 1; start <= count; start += 2000) {
      const rows = [];
      for (let i = start; i < Math.min(count + 1, start + 2000); i++) rows.push({ email: `user${i}@bulk.test`, name: `Bulk User ${i}`, role: 'user', created_at: new Date(base + i * 1000) });
      await db.insertInto('users').values(rows).execute();
    }
  } else {
    await sql`with recursive seq (i) as (select 1 union all select i + 1 from seq where i < ${count})
      insert into users (email, name, role, created_at)
      select 'user' || i || '@bulk.test', 'Bulk User ' || i, 'user', strftime('%Y-%m-%dT%H:%M:%fZ', ${new Date(base).toISOString()}, '+' || i || ' seconds') from seq`.execute(db);
  }
}

async function searchIndexObjects(t: TestDb): Promise<string[]> {
  if (t.dialect === 'sqlite') {
    const { rows } = await sql<{ name: string }>`select name from sqlite_master where name like 'backstage_%fts%' order by name`.execute(t.db);
    return rows.map((r) => r.name);
  }
  if (t.dialect === 'postgres') {
    const { rows } = await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema() and indexdef like '%trgm%' order by 1`.execute(t.db);
    return rows.map((r) => r.name);
  }
  return [];
}

describe.each(DIALECTS)('finding users among 50,000 newer ones on %s', (dialect) => {
  let t: TestDb;
  let host: TestApp;
  let ids: Record<'superuser' | 'admin' | 'jane' | 'bob', string>;

  beforeAll(async () => {
    t = await openTestDb(dialect);
    await createHostSchema(t.db, dialect);
    // The people support looks for signed up long ago: 50,010 users are newer than them.
    const old = (day: number) => new Date(Date.UTC(2024, 0, day));
    const [superuser, admin, jane, bob] = await insertUsers(t.db, dialect, [
      { email: 'root@ops.test', name: 'Rita Root', role: 'superuser', createdAt: old(1) },
      { email: 'sam@ops.test', name: 'Sam Support', role: 'admin', createdAt: old(2) },
      { email: 'jane@acme.test', name: 'Jane Doe', createdAt: old(3) },
      { email: 'bob@globex.test', name: 'Bob Stone', createdAt: old(4) },
    ]);
    ids = { superuser, admin, jane, bob };
    await insertTeam(t.db, dialect, 'Acme Rockets', [[jane, 'owner'], [bob, 'member']]);
    await insertBulkUsers(t.db, dialect, BULK);
    if (dialect === 'postgres') await sql`analyze users`.execute(t.db);
    host = await createTestApp({ db: t.db });
  }, 120_000);

  afterAll(async () => {
    await host?.admin.close();
    await t?.destroy();
  });

  it('support pastes a whole email address and finds her, however old, through the email index', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get('/admin/users?q=jane@acme.test').expect(200);
    expect(res.text).toContain('jane@acme.test');
    expect(res.text).not.toContain(BOUND_TEXT);
    // Letter case as typed or lower-cased.
    const shouted = await agent.get('/admin/users?q=Jane@Acme.test').expect(200);
    expect(shouted.text).toContain('jane@acme.test');
  });

  it('an address being typed, or a word ending with *, is a prefix of the email, through the same index', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const typing = await agent.get('/admin/users?q=jane@ac').expect(200);
    expect(typing.text).toContain('jane@acme.test');
    expect(typing.text).not.toContain(BOUND_TEXT);
    const star = await agent.get('/admin/users?q=bob*').expect(200);
    expect(star.text).toContain('bob@globex.test');
    expect(star.text).not.toContain('jane@acme.test');
    expect(star.text).not.toContain(BOUND_TEXT);
    const none = await agent.get('/admin/users?q=jane@globex').expect(200);
    expect(none.text).toContain('No users match');
  });

  it('a substring search without a trigram index reads the newest 50,000 only and says so', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const res = await agent.get('/admin/users?q=acme').expect(200);
    const text = decoded(res.text);
    expect(text).toContain(BOUND_TEXT);
    expect(text).not.toContain('jane@acme.test');
    // An admin is told where the advice is, not shown DDL for the host's schema.
    expect(text).not.toMatch(/CREATE (VIRTUAL TABLE|INDEX)/);
    if (dialect === 'mysql') expect(text).toContain('MySQL/MariaDB have no index for substrings');
    else expect(text).toContain('A superuser sees the index to add here');
    // Newer users are searched as usual.
    const recent = await agent.get('/admin/users?q=user50009@').expect(200);
    expect(recent.text).toContain('user50009@bulk.test');
  });

  it('a superuser sees the exact index to add for this database', async () => {
    const { agent } = await host.agentAs(ids.superuser);
    const text = decoded((await agent.get('/admin/users?q=acme').expect(200)).text);
    expect(text).toContain(BOUND_TEXT);
    if (dialect === 'sqlite') {
      expect(text).toContain(`CREATE VIRTUAL TABLE IF NOT EXISTS "backstage_users_fts" USING fts5("email", "name", content='users', tokenize='trigram');`);
      expect(text).toContain('npx express-backstage search-index');
    } else if (dialect === 'postgres') {
      expect(text).toContain('CREATE EXTENSION IF NOT EXISTS pg_trgm;');
      // Qualified when pg_trgm lives in a schema off the search_path (as in these tests: public).
      expect(text).toMatch(/CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_email_trgm_idx" ON "users" USING gin \(lower\("email"\) ("public"\.)?gin_trgm_ops\);/);
    } else {
      expect(text).toContain('MySQL/MariaDB have no index for substrings');
      expect(text).not.toMatch(/CREATE (VIRTUAL TABLE|INDEX)/);
    }
  });

  it('the list header counts to 10,000 and then estimates (PostgreSQL) or says "10,000+"', async () => {
    const { agent } = await host.agentAs(ids.admin);
    const text = decoded((await agent.get('/admin/users').expect(200)).text);
    if (dialect === 'postgres') expect(text).toMatch(/≈ 50\.0K<\/span> users/);
    else expect(text).toContain('10,000+</span> users');
  });

  it('nothing is added to the host schema until someone asks', async () => {
    expect(await searchIndexObjects(t)).toEqual([]);
  });

  if (dialect === 'mysql') it('MariaDB has nothing to create and says how to search everything instead', async () => {
    const results = await host.admin.createSearchIndexes();
    expect(results.map((r) => [r.target, r.statements])).toEqual([
      ['users', []],
      ['teams', []],
    ]);
    expect(results[0].note).toMatch(/a whole email address, an address being typed \(jane@acme\) or a prefix ending with \* \(jane\*\)/);
  });

  describe('after admin.createSearchIndexes()', () => {
    if (dialect === 'mysql') return;

    beforeAll(async () => {
      const results = await host.admin.createSearchIndexes();
      expect(results.map((r) => r.target)).toEqual(['users', 'teams']);
    }, 60_000);

    it('the same substring search finds her through the trigram index, with no notice', async () => {
      const { agent } = await host.agentAs(ids.superuser);
      const res = await agent.get('/admin/users?q=acme').expect(200);
      expect(res.text).toContain('jane@acme.test');
      expect(res.text).not.toContain(BOUND_TEXT);
      expect(await searchIndexObjects(t)).toEqual(
        dialect === 'sqlite'
          ? ['backstage_teams_fts', 'backstage_teams_fts_config', 'backstage_teams_fts_data', 'backstage_teams_fts_delete', 'backstage_teams_fts_docsize', 'backstage_teams_fts_idx', 'backstage_teams_fts_insert', 'backstage_teams_fts_update', 'backstage_users_fts', 'backstage_users_fts_config', 'backstage_users_fts_data', 'backstage_users_fts_delete', 'backstage_users_fts_docsize', 'backstage_users_fts_idx', 'backstage_users_fts_insert', 'backstage_users_fts_update']
          : ['teams_name_trgm_idx', 'teams_slug_trgm_idx', 'users_email_trgm_idx', 'users_name_trgm_idx'],
      );
    });

    it('every word must match the email or the name, in any case', async () => {
      const { agent } = await host.agentAs(ids.admin);
      expect((await agent.get('/admin/users?q=DOE+acme').expect(200)).text).toContain('jane@acme.test');
      const none = await agent.get('/admin/users?q=jane+globex').expect(200);
      expect(none.text).toContain('No users match');
      expect(none.text).not.toContain(BOUND_TEXT);
    });

    it('LIKE wildcards and quotes are text, not patterns', async () => {
      const { agent } = await host.agentAs(ids.admin);
      for (const q of ['%25%25%25', '___', '"acme"', "o'brien"]) {
        const res = await agent.get(`/admin/users?q=${q}`).expect(200);
        expect(res.text).toContain('No users match');
      }
    });

    it('words of one or two letters cannot use a trigram index: bounded, and the notice says why', async () => {
      const { agent } = await host.agentAs(ids.admin);
      const text = decoded((await agent.get('/admin/users?q=do').expect(200)).text);
      expect(text).toContain(BOUND_TEXT);
      expect(text).toContain('type three or more');
    });

    it('the index follows the host: new, renamed and deleted users', async () => {
      const { agent } = await host.agentAs(ids.admin);
      await t.db.insertInto('users').values({ email: 'zed@zebra-corp.test', name: 'Zed Zebra', role: 'user', created_at: dbDate(dialect, new Date(Date.UTC(2023, 0, 1))) }).execute();
      expect((await agent.get('/admin/users?q=zebra-corp').expect(200)).text).toContain('zed@zebra-corp.test');
      await t.db.updateTable('users').set({ email: 'zed@okapi-corp.test' }).where('email', '=', 'zed@zebra-corp.test').execute();
      expect((await agent.get('/admin/users?q=zebra-corp').expect(200)).text).toContain('No users match');
      expect((await agent.get('/admin/users?q=okapi-corp').expect(200)).text).toContain('zed@okapi-corp.test');
      await t.db.deleteFrom('users').where('email', '=', 'zed@okapi-corp.test').execute();
      expect((await agent.get('/admin/users?q=okapi-corp').expect(200)).text).toContain('No users match');
    });

    it('teams are found by any part of their name or slug', async () => {
      const { agent } = await host.agentAs(ids.admin);
      const res = await agent.get('/admin/teams?q=rocket').expect(200);
      expect(res.text).toContain('Acme Rockets');
      expect(res.text).not.toContain('Searched the newest');
      expect((await agent.get('/admin/teams?q=cme-ro').expect(200)).text).toContain('Acme Rockets');
    });

    it('running it again is harmless', async () => {
      await host.admin.createSearchIndexes();
      const { agent } = await host.agentAs(ids.admin);
      expect((await agent.get('/admin/users?q=acme').expect(200)).text).toContain('jane@acme.test');
    });
  });
});
