/**
 * Every list pages by keyset: an operator walking a list forward with "Next"
 * or backward with "Previous" sees every row exactly once, in exactly the
 * order a plain ORDER BY gives, whatever the duplicates and NULLs in the
 * sort columns, on SQLite, PostgreSQL and MariaDB, with the host's Kysely
 * 0.28 or 0.27.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { Kysely, SqliteDialect, sql } from 'kysely';
import {
  Kysely as Kysely027,
  MysqlDialect as MysqlDialect027,
  PostgresDialect as PostgresDialect027,
  SqliteDialect as SqliteDialect027,
  type MysqlDialectConfig as MysqlDialectConfig027,
} from 'kysely027';
import { createPool } from 'mysql2';
import { Pool } from 'pg';
import {
  InvalidCursorError,
  encodeCursor,
  pageQuery,
  paginate,
  type Page,
  type SortKey,
} from '../../src/pagination/keyset';
import { DIALECTS, openTestDb, type DialectName } from '../helpers/dialects';

interface Person {
  id: number;
  createdAt: Date | string;
  seenAt: Date | string | null;
  score: number | null;
  name: string | null;
  ratio: number;
}

interface Backend {
  /** Runs the setup and the reference queries (Kysely 0.28). */
  db: Kysely<any>;
  /** The host's instance that paginate is given: Kysely 0.28, or 0.27 typed as 0.28 (same API surface used here). */
  hostDb: Kysely<any>;
  dialect: DialectName;
  destroy(): Promise<void>;
}

type BackendCase = { name: string; dialect: DialectName; kysely: '0.28' | '0.27' };

const BACKENDS: BackendCase[] = [
  ...DIALECTS.map((dialect) => ({ name: `${dialect}, Kysely 0.28`, dialect, kysely: '0.28' as const })),
  ...DIALECTS.map((dialect) => ({ name: `${dialect}, Kysely 0.27`, dialect, kysely: '0.27' as const })),
];

async function openBackend({ dialect, kysely }: BackendCase): Promise<Backend> {
  if (kysely === '0.28') {
    const t = await openTestDb(dialect);
    return { db: t.db, hostDb: t.db, dialect, destroy: () => t.destroy() };
  }
  if (dialect === 'sqlite') {
    // Both versions over one in-memory database: 0.28 for setup, 0.27 as the host.
    const database = new Database(':memory:');
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
    const host = new Kysely027<any>({ dialect: new SqliteDialect027({ database }) });
    return {
      db,
      hostDb: host as unknown as Kysely<any>,
      dialect,
      async destroy() {
        await host.destroy();
        await db.destroy();
      },
    };
  }
  // A 0.27 instance on the namespace openTestDb made for 0.28.
  const t = await openTestDb(dialect);
  let host: Kysely027<any>;
  if (dialect === 'postgres') {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(t.db);
    host = new Kysely027<any>({
      dialect: new PostgresDialect027({
        pool: new Pool({ connectionString: process.env.TEST_POSTGRES_URL, max: 2, options: `-c search_path=${rows[0].schema}` }),
      }),
    });
  } else {
    const { rows } = await sql<{ name: string }>`select database() as name`.execute(t.db);
    const url = new URL(process.env.TEST_MYSQL_URL!);
    url.pathname = `/${rows[0].name}`;
    host = new Kysely027<any>({
      // mysql2's current Pool type has drifted from the structural type 0.27 declares; it works at runtime.
      dialect: new MysqlDialect027({
        pool: createPool({ uri: url.toString(), connectionLimit: 2, dateStrings: false }) as unknown as MysqlDialectConfig027['pool'],
      }),
    });
  }
  return {
    db: t.db,
    hostDb: host as unknown as Kysely<any>,
    dialect,
    async destroy() {
      await host.destroy();
      await t.destroy();
    },
  };
}

async function createPeople(b: Backend): Promise<void> {
  const timestamp = b.dialect === 'sqlite' ? 'text' : b.dialect === 'postgres' ? 'timestamptz' : sql`datetime(3)`;
  const double = b.dialect === 'sqlite' ? 'real' : 'double precision';
  await b.db.schema
    .createTable('people')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('seen_at', timestamp)
    .addColumn('score', 'integer')
    .addColumn('name', 'varchar(20)')
    .addColumn('ratio', double, (c) => c.notNull())
    .execute();
}

// Few distinct values, so that ties on every key are the rule, not the exception.
const INSTANTS = ['2023-12-31T23:59:59.999Z', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.001Z', '2024-06-30T12:00:00.000Z'];
// Case, trailing space and accent variants: MariaDB's default collation calls some of them equal.
const NAMES = ['', 'a', 'A', 'ä', 'b', 'b ', 'Zed'];
const RATIOS = [-2.5, 0, 0.1, 1 / 3, 1e-7];

interface PersonSeed {
  id: number;
  createdAt: string;
  seenAt: string | null;
  score: number | null;
  name: string | null;
  ratio: number;
}

const personSeed: fc.Arbitrary<PersonSeed> = fc.record({
  id: fc.integer({ min: 1, max: 10_000 }),
  createdAt: fc.constantFrom(...INSTANTS),
  seenAt: fc.option(fc.constantFrom(...INSTANTS), { freq: 3 }),
  score: fc.option(fc.integer({ min: -1, max: 2 }), { freq: 3 }),
  name: fc.option(fc.constantFrom(...NAMES), { freq: 3 }),
  ratio: fc.constantFrom(...RATIOS),
});

async function seedPeople(b: Backend, people: PersonSeed[]): Promise<void> {
  await b.db.deleteFrom('people').execute();
  if (people.length === 0) return;
  const toTimestamp = (iso: string | null) => (iso === null || b.dialect === 'sqlite' ? iso : new Date(iso));
  await b.db
    .insertInto('people')
    .values(
      people.map((p) => ({
        id: p.id,
        created_at: toTimestamp(p.createdAt),
        seen_at: toTimestamp(p.seenAt),
        score: p.score,
        name: p.name,
        ratio: p.ratio,
      })),
    )
    .execute();
}

function selectPeople(db: Kysely<any>) {
  return db
    .selectFrom('people')
    .select(['people.id', 'people.created_at as createdAt', 'people.seen_at as seenAt', 'score', 'people.name', 'ratio']);
}

/** The plain ORDER BY an operator expects, NULLs last, written independently of the module. */
async function referenceOrder(b: Backend, sort: readonly SortKey[]): Promise<Person[]> {
  let q = selectPeople(b.db);
  for (const k of sort) {
    if (k.nullable) q = q.orderBy(sql`case when ${sql.ref(k.column)} is null then 1 else 0 end`);
    q = q.orderBy(sql.ref(k.column), k.direction);
  }
  return (await q.execute()) as Person[];
}

const CANDIDATE_KEYS: Omit<SortKey, 'direction'>[] = [
  { key: 'createdAt', column: 'people.created_at' },
  { key: 'seenAt', column: 'people.seen_at', nullable: true },
  { key: 'score', column: 'score', nullable: true },
  { key: 'name', column: 'people.name', nullable: true },
  { key: 'ratio', column: 'ratio' },
];

const direction = fc.constantFrom<'asc' | 'desc'>('asc', 'desc');

const sortDeclaration: fc.Arbitrary<SortKey[]> = fc
  .tuple(
    fc.shuffledSubarray(CANDIDATE_KEYS, { minLength: 1, maxLength: 3 }),
    fc.array(direction, { minLength: 3, maxLength: 3 }),
    direction,
  )
  .map(([keys, directions, idDirection]) => [
    ...keys.map((k, i) => ({ ...k, direction: directions[i] })),
    { key: 'id', column: 'people.id', direction: idDirection },
  ]);

const walkScenario = fc.record({
  people: fc.uniqueArray(personSeed, { selector: (p) => p.id, maxLength: 40 }),
  sort: sortDeclaration,
  limit: fc.integer({ min: 1, max: 6 }),
  backLimit: fc.integer({ min: 1, max: 6 }),
});

const FC_OPTIONS = { seed: 20_240_501, numRuns: 100 };

describe.each(BACKENDS)('keyset pagination on $name', (backendCase) => {
  let b: Backend;

  beforeAll(async () => {
    b = await openBackend(backendCase);
    await createPeople(b);
  });

  afterAll(async () => {
    await b?.destroy();
  });

  const page = (request: { sort: readonly SortKey[]; limit: number; after?: string; before?: string }) =>
    paginate(selectPeople(b.hostDb), request) as Promise<Page<Person>>;

  test('an operator clicking Next sees every row once, in ORDER BY order, and Previous leads back to the start', async () => {
    await fc.assert(
      fc.asyncProperty(walkScenario, async ({ people, sort, limit, backLimit }) => {
        await seedPeople(b, people);
        const expected = await referenceOrder(b, sort);

        // Forward with `after`, from the first page to the last.
        const pages: Page<Person>[] = [];
        let after: string | undefined;
        for (;;) {
          const p = await page({ sort, limit, after });
          pages.push(p);
          expect(p.hasPrevPage).toBe(after !== undefined);
          if (!p.hasNextPage) break;
          expect(p.rows).toHaveLength(limit);
          after = p.endCursor!;
          if (pages.length > expected.length) throw new Error('the forward walk does not end');
        }
        expect(pages.flatMap((p) => p.rows.map((r) => r.id))).toEqual(expected.map((r) => r.id));
        expect(pages.flatMap((p) => p.rows)).toEqual(expected);

        // From any page, `before` its start is exactly the page before it.
        for (let i = 1; i < pages.length; i++) {
          const previous = await page({ sort, limit, before: pages[i].startCursor! });
          expect(previous.rows.map((r) => r.id)).toEqual(pages[i - 1].rows.map((r) => r.id));
          expect(previous.hasPrevPage).toBe(i - 1 > 0);
          expect(previous.hasNextPage).toBe(true);
        }

        // Backward with `before` from the last page, with another page size so pages do not line up.
        const last = pages[pages.length - 1];
        if (last.rows.length === 0) {
          expect(expected).toEqual([]);
          expect(last).toEqual({ rows: [], hasNextPage: false, hasPrevPage: false, startCursor: null, endCursor: null });
          return;
        }
        const backward: Person[][] = [last.rows];
        let before = last.startCursor!;
        let hasPrev = last.hasPrevPage;
        while (hasPrev) {
          const p = await page({ sort, limit: backLimit, before });
          expect(p.hasNextPage).toBe(true);
          expect(p.rows.length).toBeLessThanOrEqual(backLimit);
          if (p.hasPrevPage) expect(p.rows).toHaveLength(backLimit);
          // The page read backward can be read forward again from its own start.
          if (p.rows.length > 0) {
            const again = await page({ sort, limit: backLimit, after: p.startCursor! });
            const at = expected.findIndex((r) => r.id === p.rows[0].id);
            expect(again.rows.map((r) => r.id)).toEqual(expected.slice(at + 1, at + 1 + backLimit).map((r) => r.id));
          }
          backward.unshift(p.rows);
          hasPrev = p.hasPrevPage;
          if (p.rows.length === 0) break;
          before = p.startCursor!;
          if (backward.length > expected.length + 1) throw new Error('the backward walk does not end');
        }
        expect(backward.flat()).toEqual(expected);
      }),
      FC_OPTIONS,
    );
  });

  test('NULLs come after every value, whichever the direction', async () => {
    await seedPeople(b, [
      { id: 1, createdAt: INSTANTS[0], seenAt: null, score: null, name: null, ratio: 0 },
      { id: 2, createdAt: INSTANTS[0], seenAt: null, score: 5, name: null, ratio: 0 },
      { id: 3, createdAt: INSTANTS[0], seenAt: null, score: null, name: null, ratio: 0 },
      { id: 4, createdAt: INSTANTS[0], seenAt: null, score: -3, name: null, ratio: 0 },
    ]);
    for (const dir of ['asc', 'desc'] as const) {
      const sort: SortKey[] = [
        { key: 'score', column: 'score', direction: dir, nullable: true },
        { key: 'id', column: 'people.id', direction: 'asc' },
      ];
      const first = await page({ sort, limit: 3 });
      const second = await page({ sort, limit: 3, after: first.endCursor! });
      const ids = [...first.rows, ...second.rows].map((r) => r.id);
      expect(ids).toEqual(dir === 'asc' ? [4, 2, 1, 3] : [2, 4, 1, 3]);
      // The page before the NULL-valued cursor row ends with the last value.
      const back = await page({ sort, limit: 2, before: second.startCursor! });
      expect(back.rows.map((r) => r.id)).toEqual(dir === 'asc' ? [2, 1] : [4, 1]);
    }
  });

  test("the list's own filters stay, and any order, limit or offset on its query is replaced", async () => {
    await seedPeople(b, [1, 2, 3, 4, 5, 6].map((id) => ({ id, createdAt: INSTANTS[id % 2], seenAt: null, score: id % 3, name: null, ratio: 0 })));
    const sort: SortKey[] = [{ key: 'id', column: 'people.id', direction: 'desc' }];
    const query = selectPeople(b.hostDb).where('score', '>', 0).orderBy('people.id', 'asc').limit(1).offset(1);
    const first = (await paginate(query, { sort, limit: 2 })) as Page<Person>;
    expect(first.rows.map((r) => r.id)).toEqual([5, 4]);
    const second = (await paginate(query, { sort, limit: 2, after: first.endCursor! })) as Page<Person>;
    expect(second.rows.map((r) => r.id)).toEqual([2, 1]);
    expect(second).toMatchObject({ hasNextPage: false, hasPrevPage: true });
  });

  test('a cursor gives back the type the driver returned (Date on PostgreSQL/MariaDB, text on SQLite)', async () => {
    await seedPeople(b, [1, 2, 3].map((id) => ({ id, createdAt: INSTANTS[id], seenAt: null, score: null, name: null, ratio: 0 })));
    const sort: SortKey[] = [
      { key: 'createdAt', column: 'people.created_at', direction: 'desc' },
      { key: 'id', column: 'people.id', direction: 'desc' },
    ];
    const first = await page({ sort, limit: 1 });
    if (b.dialect === 'sqlite') expect(typeof first.rows[0].createdAt).toBe('string');
    else expect(first.rows[0].createdAt).toBeInstanceOf(Date);
    const { parameters } = pageQuery(selectPeople(b.hostDb), { sort, limit: 1, after: first.endCursor! }).compile();
    expect(parameters[0]).toEqual(first.rows[0].createdAt);
    const second = await page({ sort, limit: 1, after: first.endCursor! });
    expect(second.rows.map((r) => r.id)).toEqual([2]);
  });

  if (backendCase.dialect !== 'sqlite') {
    // A Date holds milliseconds; PostgreSQL's default timestamp and MySQL's datetime(6) hold microseconds.
    test('timestamps finer than a millisecond page exactly when the cursor key is their text rendering', async () => {
      const micro = b.dialect === 'postgres' ? 'timestamptz' : sql`datetime(6)`;
      await b.db.schema.dropTable('events').ifExists().execute();
      await b.db.schema.createTable('events').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('at', micro, (c) => c.notNull()).execute();
      const micros = ['000101', '000101', '000302', '000999', '000500', '001000', '000500'];
      await b.db
        .insertInto('events')
        .values(micros.map((us, i) => ({ id: i + 1, at: `2024-01-01 00:00:00.${us}` })))
        .execute();
      const sort: SortKey[] = [
        { key: 'atKey', column: 'events.at', direction: 'desc' },
        { key: 'id', column: 'events.id', direction: 'desc' },
      ];
      const ids: number[] = [];
      let after: string | undefined;
      do {
        const p = await paginate(
          b.hostDb
            .selectFrom('events')
            .select((eb) => ['id', 'at', eb.cast<string>(eb.ref('at'), b.dialect === 'postgres' ? 'text' : 'char').as('atKey')]),
          { sort, limit: 2, after },
        );
        ids.push(...p.rows.map((r) => r.id));
        after = p.hasNextPage ? p.endCursor! : undefined;
      } while (after && ids.length <= micros.length);
      expect(ids).toEqual([6, 4, 7, 5, 3, 2, 1]);
    });
  }

  test('a broken page link is a 400 for the operator, not a server error', async () => {
    const sort: SortKey[] = [{ key: 'id', column: 'people.id', direction: 'desc' }];
    await expect(page({ sort, limit: 10, after: 'not a cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    const cursor = encodeCursor(sort, { id: 1 });
    await expect(page({ sort, limit: 10, after: cursor, before: cursor })).rejects.toMatchObject({ status: 400, reason: 'conflict' });
  });
});

describe('a list declaration mistake is reported to its developer', () => {
  let db: Kysely<any>;
  beforeAll(() => {
    db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  });
  afterAll(() => db.destroy());
  const q = () => db.selectFrom('people').selectAll();
  const byId: SortKey[] = [{ key: 'id', column: 'id', direction: 'asc' }];

  test.each([0, -1, 1.5, Number.NaN, Infinity])('limit %p is refused', async (limit) => {
    await expect(paginate(q(), { sort: byId, limit })).rejects.toThrow(new RangeError(`express-backstage: page limit must be a positive integer, got ${limit}`));
  });

  test('an empty sort, a duplicate key, a bad direction or a nullable last key is refused', async () => {
    await expect(paginate(q(), { sort: [], limit: 1 })).rejects.toThrow(/at least one sort key/);
    await expect(paginate(q(), { sort: [...byId, ...byId], limit: 1 })).rejects.toThrow(/"id" is declared twice/);
    await expect(paginate(q(), { sort: [{ key: 'id', column: 'id', direction: 'up' as 'asc' }], limit: 1 })).rejects.toThrow(/direction 'asc' or 'desc'/);
    await expect(paginate(q(), { sort: [{ key: 'id', column: 'id', direction: 'asc', nullable: true }], limit: 1 })).rejects.toThrow(
      /must be the unique, non-null primary key/,
    );
  });

  test('a row without the sort key, or NULL in a key not declared nullable, names the fix', () => {
    const sort: SortKey[] = [{ key: 'createdAt', column: 'users.created_at', direction: 'desc' }, ...byId];
    expect(() => encodeCursor(sort, { id: 1 })).toThrow('express-backstage: rows have no "createdAt" property to build a page cursor from; select users.created_at as "createdAt"');
    expect(() => encodeCursor(sort, { id: 1, createdAt: null })).toThrow(/not declared nullable; add nullable: true/);
    expect(() => encodeCursor(sort, { id: 1, createdAt: { at: 1 } })).toThrow(/unsupported type/);
  });

  test("rows keep the type of the list's query", async () => {
    interface Schema {
      accounts: { id: number; email: string };
    }
    const typed = db as unknown as Kysely<Schema>;
    await typed.schema.createTable('accounts').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('email', 'text').execute();
    await typed.insertInto('accounts').values([{ id: 1, email: 'a@example.com' }, { id: 2, email: 'b@example.com' }]).execute();
    const first: Page<{ id: number; email: string }> = await paginate(typed.selectFrom('accounts').select(['id', 'email']), { sort: byId, limit: 1 });
    expect(first).toMatchObject({ rows: [{ id: 1, email: 'a@example.com' }], hasNextPage: true, hasPrevPage: false });
  });

  test('the predicate seeks with k <= x AND (k < x OR ...), never OR-first, row values or OFFSET', () => {
    const sort: SortKey[] = [
      { key: 'createdAt', column: 'users.created_at', direction: 'desc' },
      { key: 'score', column: 'users.score', direction: 'asc' },
      { key: 'id', column: 'users.id', direction: 'desc' },
    ];
    const after = encodeCursor(sort, { createdAt: '2024-01-01', score: 3, id: 9 });
    const { sql: text, parameters } = pageQuery(db.selectFrom('users').selectAll(), { sort, limit: 50, after }).compile();
    expect(text).toBe(
      'select * from "users" where ("users"."created_at" <= ? and ("users"."created_at" < ? or ("users"."score" >= ? and ("users"."score" > ? or "users"."id" < ?)))) ' +
        'order by "users"."created_at" desc, "users"."score" asc, "users"."id" desc limit ?',
    );
    expect(parameters).toEqual(['2024-01-01', '2024-01-01', 3, 3, 9, 51]);
    const before = pageQuery(db.selectFrom('users').selectAll(), { sort, limit: 50, before: after }).compile().sql;
    expect(before).toBe(
      'select * from "users" where ("users"."created_at" >= ? and ("users"."created_at" > ? or ("users"."score" <= ? and ("users"."score" < ? or "users"."id" > ?)))) ' +
        'order by "users"."created_at" asc, "users"."score" desc, "users"."id" asc limit ?',
    );
  });
});
