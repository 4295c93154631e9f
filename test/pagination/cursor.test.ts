/**
 * Page cursors travel through URLs, so operators copy, cut and edit them.
 * Whatever comes back, the console answers with a 400 that says what went
 * wrong, or reads the cursor it made, with every value the type it was.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { Kysely, SqliteDialect } from 'kysely';
import {
  InvalidCursorError,
  MAX_CURSOR_LENGTH,
  decodeCursor,
  encodeCursor,
  pageQuery,
  type CursorValue,
  type SortKey,
} from '../../src/pagination/keyset';

const newestFirst: SortKey[] = [
  { key: 'createdAt', column: 'users.created_at', direction: 'desc' },
  { key: 'id', column: 'users.id', direction: 'desc' },
];
const byTeamThenNewest: SortKey[] = [
  { key: 'teamName', column: 'teams.name', direction: 'asc', nullable: true },
  ...newestFirst,
];

const aCursor = encodeCursor(newestFirst, { createdAt: new Date('2024-05-01T09:30:00.000Z'), id: 42 });

function payloadOf(cursor: string): { f: string; v: unknown[] } {
  return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
}

function forge(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function refusal(run: () => unknown): InvalidCursorError {
  try {
    run();
  } catch (err) {
    if (err instanceof InvalidCursorError) return err;
    throw new Error(`expected an InvalidCursorError, got ${String(err)}`);
  }
  throw new Error('expected the cursor to be refused');
}

describe('a page cursor reads back what it was made from', () => {
  test('dates from PostgreSQL and MySQL come back as Date, text and numbers from SQLite as themselves', () => {
    const at = new Date('2024-05-01T09:30:00.123Z');
    expect(decodeCursor(newestFirst, encodeCursor(newestFirst, { createdAt: at, id: 42 }))).toEqual([at, 42]);
    const [date] = decodeCursor(newestFirst, encodeCursor(newestFirst, { createdAt: at, id: 42 }));
    expect(date).toBeInstanceOf(Date);
    expect(decodeCursor(newestFirst, encodeCursor(newestFirst, { createdAt: '2024-05-01 09:30:00', id: '42' }))).toEqual(['2024-05-01 09:30:00', '42']);
    expect(decodeCursor(newestFirst, encodeCursor(newestFirst, { createdAt: 1714555800, id: 9007199254740993n }))).toEqual([1714555800, 9007199254740993n]);
    expect(decodeCursor(byTeamThenNewest, encodeCursor(byTeamThenNewest, { teamName: null, createdAt: true, id: 1 }))).toEqual([null, true, 1]);
  });

  test('any row of supported values round-trips, type and all', () => {
    const value = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
      fc.bigInt(),
      fc.boolean(),
      fc.date({ noInvalidDate: true }),
    );
    const declaration = fc.array(fc.boolean(), { minLength: 0, maxLength: 4 }).map((nullables): SortKey[] => [
      ...nullables.map((nullable, i) => ({ key: `k${i}`, column: `t.c${i}`, direction: i % 2 ? 'asc' : 'desc', nullable }) as SortKey),
      { key: 'id', column: 't.id', direction: 'asc' },
    ]);
    const scenario = declaration.chain((sort) =>
      fc.tuple(
        fc.constant(sort),
        fc.tuple(...sort.map((k) => (k.nullable ? fc.option(value) : value))),
      ),
    );
    fc.assert(
      fc.property(scenario, ([sort, values]) => {
        const row = Object.fromEntries(sort.map((k, i) => [k.key, values[i]]));
        const cursor = encodeCursor(sort, row);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        fc.pre(cursor.length <= MAX_CURSOR_LENGTH);
        const decoded = decodeCursor(sort, cursor);
        expect(decoded).toEqual(values);
        decoded.forEach((v: CursorValue, i) => expect(typeof v).toBe(typeof values[i]));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('a page link that was damaged, edited or outlived its list is refused with a 400', () => {
  test('garbage', () => {
    const err = refusal(() => decodeCursor(newestFirst, 'not a cursor!', 'after'));
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'InvalidCursorError', status: 400, expose: true, reason: 'malformed' });
    expect(err.message).toBe(
      `The page link's "after" cursor is damaged or incomplete (it may have been cut short when the link was copied). Go back to the first page of the list and page from there.`,
    );
  });

  test('base64 that is not JSON, or JSON that is not a cursor', () => {
    for (const cursor of [
      Buffer.from('hello world').toString('base64url'),
      forge([1, 2]),
      forge({ v: [1, 2] }),
      forge({ f: 'x', v: 'nope' }),
      forge('a string'),
      forge(null),
      aCursor.replace(/=*$/, '') + '=',
      aCursor.replace(/[A-Za-z0-9]/, '+'),
    ]) {
      expect(refusal(() => decodeCursor(newestFirst, cursor)).reason).toBe('malformed');
    }
  });

  test('tampered: every single-character edit is refused or still reads as a cursor, never anything else', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let refused = 0;
    for (let i = 0; i < aCursor.length; i++) {
      for (const c of alphabet) {
        if (c === aCursor[i]) continue;
        const edited = aCursor.slice(0, i) + c + aCursor.slice(i + 1);
        try {
          const values = decodeCursor(newestFirst, edited);
          // An edit that lands on another valid position (id 42 → 43) is a cursor like any other.
          expect(values).toHaveLength(2);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidCursorError);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(aCursor.length * 60);
  });

  test('truncated, at any length', () => {
    for (let n = 0; n < aCursor.length; n++) {
      expect(refusal(() => decodeCursor(newestFirst, aCursor.slice(0, n))).reason).toBe('malformed');
    }
  });

  test('oversize, refused before it is decoded', () => {
    const huge = 'A'.repeat(MAX_CURSOR_LENGTH + 1);
    const err = refusal(() => decodeCursor(newestFirst, huge, 'before'));
    expect(err.reason).toBe('too-long');
    expect(err.message).toBe(
      `The page link's "before" cursor is 1025 characters long, more than the 1024 a page cursor can be. Go back to the first page of the list and page from there.`,
    );
    const longValue = encodeCursor(newestFirst, { createdAt: 'x'.repeat(800), id: 1 });
    expect(refusal(() => decodeCursor(newestFirst, longValue)).reason).toBe('too-long');
  });

  test('stale: made for another sort order, or another declaration of the list', () => {
    const oldestFirst = newestFirst.map((k) => ({ ...k, direction: 'asc' as const }));
    const err = refusal(() => decodeCursor(oldestFirst, aCursor, 'after'));
    expect(err.reason).toBe('stale');
    expect(err.message).toMatch(/made for a different sort order of this list/);
    expect(refusal(() => decodeCursor(byTeamThenNewest, aCursor)).reason).toBe('stale');
    const renamedColumn = [{ ...newestFirst[0], column: 'users.inserted_at' }, newestFirst[1]];
    expect(refusal(() => decodeCursor(renamedColumn, aCursor)).reason).toBe('stale');
  });

  test('wrong number of values, or a value no cursor holds', () => {
    const { f } = payloadOf(aCursor);
    for (const v of [
      [42],
      [{ $d: '2024-05-01T09:30:00.000Z' }, 42, 7],
      [],
      [null, 42], // createdAt is not nullable
      [{ $d: '2024-05-01T09:30:00.000Z' }, null], // nor is the primary key
      [{ $d: '2024-05-01' }, 42], // dates are written in full
      [{ $d: '2024-13-45T09:30:00.000Z' }, 42],
      [{ $d: '2024-05-01T09:30:00.000Z', x: 1 }, 42],
      [{ $n: '1e3' }, 42],
      [{ $n: '-0' }, 42],
      [{ $n: '007' }, 42],
      [[1], 42],
      [{}, 42],
    ]) {
      expect(refusal(() => decodeCursor(newestFirst, forge({ f, v }))).reason).toBe('malformed');
    }
    expect(refusal(() => decodeCursor(newestFirst, forge({ f, v: payloadOf(aCursor).v, extra: 1 }))).reason).toBe('malformed');
    const protoKey = Buffer.from(`{"f":"${f}","v":[{"__proto__":{"$d":"2024-05-01T09:30:00.000Z"}},42]}`).toString('base64url');
    expect(refusal(() => decodeCursor(newestFirst, protoKey)).reason).toBe('malformed');
    expect(refusal(() => decodeCursor(newestFirst, `${forge({ f, v: [1, 2] }).slice(0, -1)}`)).reason).toBe('malformed');
  });

  test('not text at all (?after=a&after=b parses to an array), or empty', () => {
    for (const cursor of [['a', 'b'], 42, {}, '']) {
      expect(refusal(() => decodeCursor(newestFirst, cursor)).reason).toBe('malformed');
    }
  });

  test('both after and before', () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    const err = refusal(() => pageQuery(db.selectFrom('users').selectAll(), { sort: newestFirst, limit: 10, after: aCursor, before: aCursor }));
    expect(err).toMatchObject({ status: 400, reason: 'conflict' });
    expect(err.message).toMatch(/cannot ask for the rows both "after" and "before"/);
    void db.destroy();
  });

  test('any text at all: read as a cursor or refused with InvalidCursorError, never another error', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 120 }),
      fc.json({ maxDepth: 3 }).map((json) => Buffer.from(json).toString('base64url')),
      fc
        .record({ v: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }) })
        .map(({ v }) => forge({ f: payloadOf(aCursor).f, v })),
    );
    fc.assert(
      fc.property(text, (cursor) => {
        try {
          expect(decodeCursor(newestFirst, cursor)).toHaveLength(2);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidCursorError);
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
