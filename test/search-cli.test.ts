/**
 * `npx express-backstage search-index` and `doctor`: a host sees which search
 * index it lacks and its exact DDL, can print the statements first, create them
 * (opt-in: nothing else ever changes its schema), and remove them again.
 */
import { sql } from 'kysely';
import { runCli } from '../src/cli';
import { migrateToLatest } from '../src/migrations/migrate';
import { DIALECTS } from './helpers/dialects';
import { createHostSchema, insertTeam, insertUsers } from './helpers/host-schema';
import { openHostDb, tempDir, type HostDb } from './fixtures/hosts/host-db';

async function cli(args: string[], cwd: string) {
  const lines: string[] = [];
  const code = await runCli(args, (line) => lines.push(line), { cwd, env: {} });
  return { code, text: lines.join('\n') };
}

async function searchObjects(host: HostDb): Promise<string[]> {
  if (host.dialect === 'sqlite') {
    const { rows } = await sql<{ name: string }>`select name from sqlite_master where name in ('backstage_users_fts', 'backstage_teams_fts', 'backstage_users_fts_insert', 'backstage_users_fts_update', 'backstage_users_fts_delete') order by name`.execute(host.db);
    return rows.map((r) => r.name);
  }
  if (host.dialect === 'postgres') {
    const { rows } = await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema() and indexdef like '%trgm%' order by 1`.execute(host.db);
    return rows.map((r) => r.name);
  }
  return [];
}

describe.each(DIALECTS)('search indexes from the command line on %s', (dialect) => {
  let host: HostDb;
  let folder: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    host = await openHostDb(dialect);
    folder = tempDir('search-index');
    await createHostSchema(host.db, dialect);
    await migrateToLatest(host.db, dialect);
    const [jane] = await insertUsers(host.db, dialect, [{ email: 'jane@acme.test', name: 'Jane Doe' }]);
    await insertTeam(host.db, dialect, 'Acme Rockets', [[jane, 'owner']]);
  });

  afterAll(async () => {
    folder?.remove();
    await host?.destroy();
  });

  it('doctor tells what a search for part of a word reads, and the statements that index it', async () => {
    const { code, text } = await cli(['doctor', '--db', host.url], folder.dir);
    expect(code).toBe(0);
    if (dialect === 'mysql') {
      expect(text).toContain('info  search     Searching users (email, name) for part of a word reads the newest 50,000 users only. MySQL/MariaDB have no index for substrings');
      return;
    }
    expect(text).toContain('info  search     Searching users (email, name) for part of a word reads the newest 50,000 users only: there is no trigram index');
    expect(text).toContain('→ npx express-backstage search-index');
    if (dialect === 'sqlite') expect(text).toContain(`→ CREATE VIRTUAL TABLE IF NOT EXISTS "backstage_teams_fts" USING fts5("name", "slug", content='teams', tokenize='trigram');`);
    else expect(text).toMatch(/→ CREATE INDEX CONCURRENTLY IF NOT EXISTS "teams_slug_trgm_idx" ON "teams" USING gin \(lower\("slug"\) ("public"\.)?gin_trgm_ops\);/);
    expect(await searchObjects(host)).toEqual([]);
  });

  it('--print shows the statements and runs nothing', async () => {
    const { code, text } = await cli(['search-index', '--db', host.url, '--print'], folder.dir);
    expect(code).toBe(0);
    expect(text).toContain('-- users (users: email, name)');
    if (dialect === 'sqlite') {
      expect(text).toContain(`CREATE TRIGGER IF NOT EXISTS "backstage_users_fts_update" AFTER UPDATE OF "email", "name" ON "users" BEGIN`);
      expect(text).toContain(`INSERT INTO "backstage_users_fts"("backstage_users_fts") VALUES ('rebuild');`);
    }
    if (dialect === 'postgres') expect(text).toContain('CREATE EXTENSION IF NOT EXISTS pg_trgm;');
    if (dialect === 'mysql') expect(text).toContain('-- MySQL/MariaDB have no index for substrings (FULLTEXT finds whole words, not parts of them)');
    expect(await searchObjects(host)).toEqual([]);
  });

  it('creates them on request, doctor then says they are used, and --drop removes them', async () => {
    const created = await cli(['search-index', '--db', host.url], folder.dir);
    expect(created.code).toBe(0);
    if (dialect === 'mysql') {
      expect(created.text).toMatch(/skip {3}users \(users: email, name\): MySQL\/MariaDB have no index for substrings/);
      return;
    }
    expect(created.text).toContain('ready   users (users: email, name)');
    expect(await searchObjects(host)).toEqual(
      dialect === 'sqlite'
        ? ['backstage_teams_fts', 'backstage_users_fts', 'backstage_users_fts_delete', 'backstage_users_fts_insert', 'backstage_users_fts_update']
        : ['teams_name_trgm_idx', 'teams_slug_trgm_idx', 'users_email_trgm_idx', 'users_name_trgm_idx'],
    );
    const doctor = await cli(['doctor', '--db', host.url], folder.dir);
    expect(doctor.text).toMatch(/ok {4}search {5}Searching users \(email, name\) for part of a word reads the trigram index \((backstage_users_fts|users_email_trgm_idx, users_name_trgm_idx)\)\./);
    const dropped = await cli(['search-index', '--db', host.url, '--drop'], folder.dir);
    expect(dropped.code).toBe(0);
    expect(dropped.text).toContain('removed users (users: email, name)');
    expect(await searchObjects(host)).toEqual([]);
  });
});
