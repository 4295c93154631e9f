/**
 * The users list stays as cheap at a million rows as at a hundred: on every
 * database, the query the console really sends for a deep page, the role
 * filter, an exact email, a prefix, a trigram search (where the database has
 * one) and a bounded substring search reads an index range, never the whole
 * table (DESIGN §8). Plans are read with EXPLAIN on 20,000 analysed rows.
 */
import { CompiledQuery, sql, type Kysely, type KyselyPlugin } from 'kysely';
import { kyselyUsersAdapter } from '../src/models/kysely-users-adapter';
import { checkUsersModel, readSchema } from '../src/models/schema-check';
import type { UserListQuery, UsersAdapter } from '../src/models/users-adapter';
import { resolveOptions } from '../src/options';
import { encodeCursor, pageQuery } from '../src/pagination/keyset';
import { createSearchIndexes } from '../src/search/search-index-ddl';
import { usersSearchTarget } from '../src/search/console-targets';
import type { SearchTarget } from '../src/search/search-target';
import { tableSearch } from '../src/search/table-search';
import { DIALECTS, openTestDb, type DialectName, type TestDb } from './helpers/dialects';

const ROWS = 20_000;
const START = Date.UTC(2024, 0, 1);

async function createUsers(t: TestDb): Promise<void> {
  const timestamp = t.dialect === 'sqlite' ? 'text' : t.dialect === 'postgres' ? 'timestamptz' : sql`datetime(3)`;
  await t.db.schema
    .createTable('users')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('email', 'varchar(200)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)')
    .addColumn('role', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .execute();
  // The indexes doctor asks for (README "Lists, cursors…").
  await t.db.schema.createIndex('users_email_key').unique().on('users').column('email').execute();
  await t.db.schema.createIndex('users_created_at_id').on('users').columns(['created_at', 'id']).execute();
  await t.db.schema.createIndex('users_role_created_at_id').on('users').columns(['role', 'created_at', 'id']).execute();
  for (let start = 0; start < ROWS; start += 1000) {
    const rows = Array.from({ length: 1000 }, (_, j) => {
      const i = start + j;
      const at = new Date(START + Math.floor(i / 3) * 1_000);
      return { id: i + 1, email: `user${i}@example${i % 50}.com`, name: `User Number ${i}`, role: i % 100 === 0 ? 'admin' : 'user', created_at: t.dialect === 'sqlite' ? at.toISOString() : at };
    });
    await t.db.insertInto('users').values(rows).execute();
  }
  if (t.dialect === 'sqlite') await sql`analyze`.execute(t.db);
  else if (t.dialect === 'postgres') await sql`analyze users`.execute(t.db);
  else await sql`analyze table users`.execute(t.db);
}

/** A Kysely that keeps every compiled query it sends. */
function recording(db: Kysely<any>, log: CompiledQuery[]): Kysely<any> {
  const executor = db.getExecutor();
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      log.push(executor.compileQuery(args.node, args.queryId));
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
  return db.withPlugin(plugin);
}

async function explain(t: TestDb, query: CompiledQuery): Promise<string[]> {
  const prefix = t.dialect === 'sqlite' ? 'explain query plan ' : 'explain ';
  const { rows } = await t.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(prefix + query.sql, [...query.parameters]));
  if (t.dialect === 'sqlite') return rows.map((r) => String(r.detail));
  if (t.dialect === 'postgres') return rows.map((r) => String(r['QUERY PLAN']));
  return rows.map((r) => `${String(r.table)} type=${String(r.type)} key=${String(r.key)} extra=${String(r.Extra ?? '')}`);
}

/** The plan reads `index` as a range (or lookups), and reads no table in full. */
function expectIndexRead(dialect: DialectName, plan: string[], index: RegExp): void {
  const text = plan.join('\n');
  if (dialect === 'sqlite') {
    expect(plan.some((line) => /^SEARCH users USING /.test(line) && index.test(line))).toBe(true);
    expect(plan.filter((line) => /^SCAN users\b/.test(line))).toEqual([]);
  } else if (dialect === 'postgres') {
    expect(text).toMatch(index);
    expect(text).not.toMatch(/Seq Scan/);
  } else {
    const users = plan.filter((line) => line.startsWith('users '));
    expect(users).toHaveLength(1);
    expect(users[0]).toMatch(index);
    expect(users[0]).not.toMatch(/type=(ALL|index)\b/);
  }
}

describe.each(DIALECTS)('the users list reads indexes on %s', (dialect) => {
  let t: TestDb;
  let users: UsersAdapter;
  let recorded: Kysely<any>;
  let target: SearchTarget;
  const log: CompiledQuery[] = [];

  /** The page query the list sent for `query` (the one with the LIMIT of a page). */
  async function pageQueryOf(query: Partial<UserListQuery>): Promise<CompiledQuery> {
    log.length = 0;
    await users.list({ words: [], sort: users.sortKeys('created_at', 'desc')!, limit: 50, ...query });
    const page = log.filter((q) => /^select "?`?users"?`?\."?`?id/.test(q.sql) && / limit /.test(q.sql));
    expect(page).toHaveLength(1);
    return page[0];
  }

  beforeAll(async () => {
    t = await openTestDb(dialect);
    await createUsers(t);
    recorded = recording(t.db, log);
    const options = resolveOptions({ db: recorded, getUser: () => null });
    const model = checkUsersModel(options.usersModel!, await readSchema(recorded, dialect));
    users = kyselyUsersAdapter(recorded, model, dialect, null);
    target = usersSearchTarget(model);
  }, 120_000);

  afterAll(async () => {
    await t?.destroy();
  });

  it('a page 90% deep seeks the (created_at, id) index', async () => {
    const sort = users.sortKeys('created_at', 'desc')!;
    const exact = dialect === 'sqlite' ? sql`created_at` : sql`cast(created_at as ${sql.raw(dialect === 'mysql' ? 'char' : 'text')})`;
    const row = await sql<Record<string, unknown>>`select id, ${exact} as ${sql.ref(sort[0].key)} from users order by created_at desc, id desc limit 1 offset ${ROWS * 0.9}`.execute(t.db);
    const query = await pageQueryOf({ sort, after: encodeCursor(sort, row.rows[0]) });
    const plan = await explain(t, query);
    expectIndexRead(dialect, plan, /users_created_at_id/);
    if (dialect === 'sqlite') expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
    if (dialect === 'postgres') expect(plan.join('\n')).not.toMatch(/Sort/);
    if (dialect === 'mysql') expect(plan.join('\n')).not.toMatch(/filesort/);
  });

  it('the role filter reads the (role, created_at, id) index in order', async () => {
    const plan = await explain(t, await pageQueryOf({ role: 'admin' }));
    expectIndexRead(dialect, plan, /users_role_created_at_id/);
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE|Sort|filesort/);
  });

  it('an exact email is one lookup in the unique email index', async () => {
    const plan = await explain(t, await pageQueryOf({ words: ['user123@example23.com'] }));
    expectIndexRead(dialect, plan, /users_email_key/);
  });

  it('an address being typed is a range of the email index', async () => {
    const plan = await explain(t, await pageQueryOf({ words: ['user123@'] }));
    expectIndexRead(dialect, plan, /users_email_key/);
  });

  it('a substring without a trigram index reads only the newest rows: a range of the created_at index', async () => {
    // The list's bound is 50,000; these 20,000 rows are searched whole, so the plan is read with a bound of 5,000.
    const bounded = tableSearch(t.db, dialect, target, { bound: 5_000 });
    const { query, info } = await bounded.narrow(t.db.selectFrom('users').select(['users.id', 'users.email', 'users.created_at']), ['number']);
    expect(info).toMatchObject({ mode: 'bounded', searched: 5_000 });
    const sort = users.sortKeys('created_at', 'desc')!.map((key) => ({ ...key, key: key.key === 'id' ? 'id' : 'created_at' }));
    const plan = await explain(t, pageQuery(query, { sort, limit: 50 }).compile());
    expectIndexRead(dialect, plan, /users_created_at_id/);
    if (dialect === 'sqlite') expect(plan).toContainEqual(expect.stringMatching(/^SEARCH users USING INDEX users_created_at_id \(created_at>\?\)/));
    if (dialect === 'postgres') expect(plan.join('\n')).toMatch(/Index Cond: \(created_at >= /);
    if (dialect === 'mysql') expect(plan.join('\n')).toMatch(/type=range key=users_created_at_id/);
  });

  if (dialect !== 'mysql') it('with the trigram index, a substring search reads the index, not the table', async () => {
    await createSearchIndexes(recorded, dialect, [target]);
    if (dialect === 'postgres') await sql`analyze users`.execute(t.db);
    log.length = 0;
    const page = await users.list({ words: ['ser123'], sort: users.sortKeys('created_at', 'desc')!, limit: 50 });
    expect(page.search?.mode).toBe('index');
    expect(page.rows.length).toBeGreaterThan(0);
    const query = log.filter((q) => / limit /.test(q.sql) && /^select "users"\."id"/.test(q.sql)).pop()!;
    const plan = await explain(t, query);
    if (dialect === 'sqlite') {
      expect(plan).toContainEqual(expect.stringMatching(/^SCAN backstage_users_fts VIRTUAL TABLE INDEX/));
      expect(plan).toContainEqual(expect.stringMatching(/^SEARCH users USING INTEGER PRIMARY KEY \(rowid=\?\)/));
      expect(plan.filter((line) => /^SCAN users\b/.test(line))).toEqual([]);
    } else {
      expect(plan.join('\n')).toMatch(/Bitmap Index Scan on users_email_trgm_idx/);
      expect(plan.join('\n')).toMatch(/Bitmap Index Scan on users_name_trgm_idx/);
      expect(plan.join('\n')).not.toMatch(/Seq Scan/);
    }
  });
});
