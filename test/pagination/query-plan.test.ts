/**
 * A deep page stays as cheap as the first one: with users indexed on
 * (created_at, id), the page query at 90% depth seeks the index on SQLite,
 * PostgreSQL and MariaDB instead of scanning and sorting the table
 * (DESIGN.md §8: the predicate decides everything).
 */
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { encodeCursor, pageQuery, type SortKey } from '../../src/pagination/keyset';
import { DIALECTS, openTestDb, type DialectName, type TestDb } from '../helpers/dialects';

const ROWS = 20_000;
const BATCH = 1_000;
const INDEX = 'users_created_at_id';
const START = Date.UTC(2024, 0, 1);

function sortBy(direction: 'asc' | 'desc'): SortKey[] {
  return [
    { key: 'createdAt', column: 'users.created_at', direction },
    { key: 'id', column: 'users.id', direction },
  ];
}

async function createUsers(t: TestDb): Promise<void> {
  const timestamp = t.dialect === 'sqlite' ? 'text' : t.dialect === 'postgres' ? 'timestamptz' : sql`datetime(3)`;
  await t.db.schema
    .createTable('users')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('email', 'varchar(100)', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .execute();
  await t.db.schema.createIndex(INDEX).on('users').columns(['created_at', 'id']).execute();
  for (let start = 0; start < ROWS; start += BATCH) {
    const rows = Array.from({ length: BATCH }, (_, j) => {
      const i = start + j;
      // Signups arrive a few per second, some in the same millisecond.
      const at = new Date(START + Math.floor(i / 3) * 1_000);
      return { id: i + 1, email: `user${i}@example.com`, created_at: t.dialect === 'sqlite' ? at.toISOString() : at };
    });
    await t.db.insertInto('users').values(rows).execute();
  }
  if (t.dialect === 'sqlite') await sql`analyze`.execute(t.db);
  else if (t.dialect === 'postgres') await sql`analyze users`.execute(t.db);
  else await sql`analyze table users`.execute(t.db);
}

/** The row at `fraction` depth of the list in `sort` order, as the page before it would have ended. */
async function cursorAt(db: Kysely<any>, sort: SortKey[], fraction: number): Promise<string> {
  let q = db.selectFrom('users').select(['users.id', 'users.created_at as createdAt']);
  for (const k of sort) q = q.orderBy(k.column as 'users.id', k.direction);
  const row = await q.offset(Math.floor(ROWS * fraction)).limit(1).executeTakeFirstOrThrow();
  return encodeCursor(sort, row);
}

async function explain(t: TestDb, query: CompiledQuery): Promise<Record<string, unknown>[]> {
  const prefix = t.dialect === 'sqlite' ? 'explain query plan ' : 'explain ';
  const { rows } = await t.db.executeQuery(CompiledQuery.raw(prefix + query.sql, [...query.parameters]));
  return rows as Record<string, unknown>[];
}

/** What each database's plan must show for an index seek that also yields the order. */
function expectIndexSeek(dialect: DialectName, plan: Record<string, unknown>[], reading: 'lower' | 'higher'): void {
  if (dialect === 'sqlite') {
    const details = plan.map((r) => String(r.detail));
    const bound = reading === 'lower' ? '<' : '>';
    expect(details).toContainEqual(expect.stringMatching(new RegExp(`^SEARCH users USING (COVERING )?INDEX ${INDEX} \\(created_at${bound}\\?\\)$`)));
    expect(details.filter((d) => /^SCAN|TEMP B-TREE/.test(d))).toEqual([]);
  } else if (dialect === 'postgres') {
    const text = plan.map((r) => String(r['QUERY PLAN'])).join('\n');
    expect(text).toMatch(new RegExp(`Index (Only )?Scan( Backward)? using ${INDEX} on users`));
    expect(text).toMatch(new RegExp(`Index Cond: \\(created_at ${reading === 'lower' ? '<=' : '>='} `));
    expect(text).not.toMatch(/Seq Scan|Sort/);
  } else {
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ table: 'users', type: 'range', key: INDEX });
    expect(String(plan[0].Extra ?? '')).not.toMatch(/filesort/);
  }
}

describe.each(DIALECTS)('a deep page on %s seeks the (created_at, id) index', (dialect) => {
  let t: TestDb;

  beforeAll(async () => {
    t = await openTestDb(dialect);
    await createUsers(t);
  }, 60_000);

  afterAll(async () => {
    await t?.destroy();
  });

  test.each([
    { direction: 'desc', travel: 'after', reading: 'lower' },
    { direction: 'desc', travel: 'before', reading: 'higher' },
    { direction: 'asc', travel: 'after', reading: 'higher' },
    { direction: 'asc', travel: 'before', reading: 'lower' },
  ] as const)('$direction order, $travel a cursor at 90%', async ({ direction, travel, reading }) => {
    const sort = sortBy(direction);
    const cursor = await cursorAt(t.db, sort, 0.9);
    const query = pageQuery(t.db.selectFrom('users').selectAll(), { sort, limit: 50, [travel]: cursor }).compile();
    expectIndexSeek(dialect, await explain(t, query), reading);
    // And the page is the right one: 50 rows next to the cursor row.
    const { rows } = await t.db.executeQuery(query);
    expect(rows).toHaveLength(51);
  });

  test('the check tells apart the slow forms DESIGN.md §8 measured', async () => {
    const sort = sortBy('desc');
    const row = await t.db
      .selectFrom('users')
      .select(['id', 'created_at as createdAt'])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .offset(ROWS * 0.9)
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(encodeCursor(sort, row)).toBe(await cursorAt(t.db, sort, 0.9));
    const [x, y] = [row.createdAt, row.id];
    // kysely-paginate's OR-first form (slow on SQLite and PostgreSQL), row values (a full scan on MariaDB).
    const slow =
      dialect === 'mysql'
        ? sql`select * from users where (created_at, id) < (${x}, ${y}) order by created_at desc, id desc limit 51`
        : sql`select * from users where created_at < ${x} or (created_at = ${x} and id < ${y}) order by created_at desc, id desc limit 51`;
    const plan = await explain(t, slow.compile(t.db));
    expect(() => expectIndexSeek(dialect, plan, 'lower')).toThrow();
  });
});
