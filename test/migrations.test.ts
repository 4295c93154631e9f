import { runCli } from '../src/cli';
import { createAdmin } from '../src';
import { DIALECTS, openTestDb, type TestDb } from './helpers/dialects';
import { createHostSchema } from './helpers/host-schema';

describe.each(DIALECTS)('the console\'s own tables on %s', (dialect) => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await openTestDb(dialect);
    await createHostSchema(testDb.db, dialect);
  });
  afterAll(() => testDb?.destroy());

  it('admin.migrate() creates the audit table, records itself in backstage_migrations, and is idempotent', async () => {
    const admin = createAdmin({ db: testDb.db, getUser: () => null });
    const first = await admin.migrate();
    expect(first.applied).toContain('0001_audit_events');
    const second = await admin.migrate();
    expect(second.applied).toEqual([]);
    const tables = (await testDb.db.introspection.getTables()).map((t) => t.name.toLowerCase());
    expect(tables).toEqual(expect.arrayContaining(['backstage_migrations', 'backstage_audit_events']));
    expect(tables).not.toContain('kysely_migration');
    const recorded = await testDb.db.selectFrom('backstage_migrations').select('name').execute();
    expect(recorded.map((r) => r.name)).toContain('0001_audit_events');
    await admin.close();
  });
});

describe('npx express-backstage migrate', () => {
  it('migrates the database given by --db and says what it did', async () => {
    const file = `${require('node:os').tmpdir()}/backstage-cli-${process.pid}.sqlite`;
    const lines: string[] = [];
    expect(await runCli(['migrate', '--db', `sqlite:${file}`], (line) => lines.push(line))).toBe(0);
    expect(lines.join('\n')).toMatch(/Applied \d+ migration\(s\): 0001_audit_events/);
    expect(await runCli(['migrate', '--db', `sqlite:${file}`], (line) => lines.push(line))).toBe(0);
    expect(lines.at(-1)).toBe('The console tables are up to date.');
    require('node:fs').rmSync(file, { force: true });
  });

  it('explains what is missing when no database is given', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    const lines: string[] = [];
    expect(await runCli(['migrate'], (line) => lines.push(line))).toBe(2);
    expect(lines[0]).toContain('Pass --db <url> or set DATABASE_URL');
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  });

  it('rejects a URL it cannot read without echoing its password', async () => {
    await expect(runCli(['migrate', '--db', 'redis://user:hunter2@localhost'], () => {})).rejects.toThrow(/redis:\/\/user:\*\*\*@localhost/);
  });
});
