/**
 * List headers count exactly while a table is small, and above the threshold
 * show PostgreSQL's estimate or "10,000+" instead of paying for a full
 * COUNT(*) on every load (DESIGN §8), labelled so nobody takes an estimate
 * for a count.
 */
import { sql } from 'kysely';
import { AuditLog } from '../src/audit/audit-log';
import { countRows, forgetRowCounts, rowCountHint, rowCountText } from '../src/db/counts';
import { migrateToLatest } from '../src/migrations/migrate';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema, insertManyUsers } from './helpers/host-schema';

describe('how a count reads', () => {
  it.each([
    [{ value: 1234, kind: 'exact' }, '1,234'],
    [{ value: 0, kind: 'exact' }, '0'],
    [{ value: 10_000, kind: 'at-least' }, '10,000+'],
    [{ value: 1_000_412, kind: 'estimate' }, '≈ 1.0M'],
    [{ value: 50_010, kind: 'estimate' }, '≈ 50.0K'],
    [{ value: 950, kind: 'estimate' }, '≈ 950'],
  ] as const)('%j → %s', (count, text) => {
    expect(rowCountText(count)).toBe(text);
  });

  it('says what an estimate is', () => {
    expect(rowCountHint({ value: 1, kind: 'estimate' })).toMatch(/^Estimated from the database statistics/);
    expect(rowCountHint({ value: 10_000, kind: 'at-least' })).toMatch(/^More than 10,000/);
  });
});

describe.each(DIALECTS)('counting a list on %s', (dialect) => {
  let t: TestDb;

  beforeAll(async () => {
    t = await openTestDb(dialect);
    await createHostSchema(t.db, dialect);
    await insertManyUsers(t.db, dialect, 25);
  });

  afterAll(async () => {
    await t?.destroy();
  });

  it('counts exactly below the threshold', async () => {
    expect(await countRows(t.db, dialect, 'users', { threshold: 100 })).toEqual({ value: 25, kind: 'exact' });
    expect(await countRows(t.db, dialect, 'users', { threshold: 25 })).toEqual({ value: 25, kind: 'exact' });
  });

  it('above it, estimates on PostgreSQL once the table has statistics, else says "at least"', async () => {
    expect(await countRows(t.db, dialect, 'users', { threshold: 10 })).toEqual({ value: 10, kind: 'at-least' });
    if (dialect === 'postgres') {
      await sql`analyze users`.execute(t.db);
      forgetRowCounts(t.db);
      expect(await countRows(t.db, dialect, 'users', { threshold: 10 })).toEqual({ value: 25, kind: 'estimate' });
    }
  });

  it('a count above the threshold is kept for a while; an exact one never is', async () => {
    forgetRowCounts(t.db);
    const above = await countRows(t.db, dialect, 'users', { threshold: 10 });
    const exact = await countRows(t.db, dialect, 'users', { threshold: 1000 });
    await insertManyUsers(t.db, dialect, 5, 'later.test');
    expect(await countRows(t.db, dialect, 'users', { threshold: 10 })).toEqual(above);
    expect(await countRows(t.db, dialect, 'users', { threshold: 1000 })).toEqual({ value: exact.value + 5, kind: 'exact' });
  });

  it("a host's own adapter gives the bounded count, and there is no estimate without a table", async () => {
    const bounded = jest.fn(async (limit: number) => ({ value: limit, exact: false }));
    expect(await countRows(t.db, dialect, null, { threshold: 10, bounded })).toEqual({ value: 10, kind: 'at-least' });
    expect(bounded).toHaveBeenCalledWith(10);
    expect(await countRows(t.db, dialect, null, { bounded: async () => ({ value: 3, exact: true }) })).toEqual({ value: 3, kind: 'exact' });
  });

  it('the audit log counts itself the same way', async () => {
    await migrateToLatest(t.db, dialect);
    const audit = new AuditLog(t.db, dialect, () => new Date());
    for (let i = 0; i < 3; i++) await audit.record({ action: 'user.banned', actor: { id: '1', email: 'root@ops.test', role: 'superuser' } });
    expect(await audit.count()).toEqual({ value: 3, kind: 'exact' });
    expect(await audit.count(2)).toEqual({ value: 2, kind: 'at-least' });
  });
});
