import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';
import { backstageMigrations } from '../migrations/migrations';
import { MIGRATION_TABLE } from '../migrations/migrate';
import { checkTeamsModels, type TeamsModels } from '../models/check-teams-models';
import { checkUsersModel, type SchemaFacts } from '../models/schema-check';
import type { ResolvedUsersModel } from '../models/users-model-config';
import { resolveOptions, type ResolvedOptions } from '../options';
import { createIndexDdl, hasOrderingIndex, hasUniqueIndex, readIndexes } from './indexes';
import { pingRedis } from './redis-ping';
import { consoleSearchTargets } from '../search/console-targets';
import { searchIndexFindings } from '../search/search-doctor';
import { readVisibleTables, toSchemaFacts } from './visible-tables';

export type FindingLevel = 'ok' | 'info' | 'warn' | 'error';

/** One thing doctor checked: what it found and, when something is off, what to do. */
export interface Finding {
  level: FindingLevel;
  /** What was checked: `database`, `users`, `index`, `migrations`, `redis`, … */
  topic: string;
  message: string;
  /** Steps or statements to run, one per line. */
  fix?: string[];
}

export interface DoctorInput {
  /** The options from backstage.config.* and flags (db excluded). */
  options: Record<string, unknown>;
  configFile: string | null;
  database: { db: Kysely<any>; dialect: DialectName; label: string };
  /** Redis to check, with where its URL came from; null when none is configured. */
  redis: { url: string; source: string } | null;
  /** How a migration command should name the database in a fix (`--db …`, or nothing when it comes from the config). */
  migrateHint: string;
}

const DIALECT_NAMES: Record<DialectName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB' };

const OPTIONAL_USER_FEATURES: Array<[keyof ResolvedUsersModel['columns'], string, string]> = [
  ['name', 'name', 'names in lists and search by name'],
  ['role', 'role', 'roles and the role filter'],
  ['createdAt', 'created_at', 'sign-up dates and the default newest-first order'],
  ['bannedAt', 'banned_at', 'ban / unban'],
  ['confirmedAt', 'confirmed_at', 'the "unconfirmed" filter'],
  ['lastSignInAt', 'last_sign_in_at', 'last sign-in dates'],
];

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function where(configFile: string | null): string {
  return configFile ? `in ${configFile}` : 'in backstage.config.js (or with --users-table and the other mapping flags)';
}

async function checkUsers(options: ResolvedOptions, facts: SchemaFacts, input: DoctorInput, findings: Finding[]): Promise<ResolvedUsersModel | null> {
  if (!options.usersModel) {
    findings.push({ level: 'info', topic: 'users', message: 'models.users is an adapter object of your own: its mapping is yours to test, doctor skips it.' });
    return null;
  }
  let model: ResolvedUsersModel;
  try {
    model = checkUsersModel(options.usersModel, facts);
  } catch (err) {
    findings.push({ level: 'error', topic: 'users', message: errorMessage(err), fix: [`Correct models.users ${where(input.configFile)}; the console refuses to start with this mapping.`] });
    return null;
  }
  const mapped = Object.entries(model.columns).filter(([, column]) => column !== null).map(([, column]) => column);
  findings.push({ level: 'ok', topic: 'users', message: `Users are read from "${model.table}" (${mapped.join(', ')}).` });
  const off = OPTIONAL_USER_FEATURES.filter(([key]) => model.columns[key] === null && options.usersModel!.columns[key] !== null);
  if (off.length > 0) {
    findings.push({
      level: 'info',
      topic: 'users',
      message: `Not found in "${model.table}", so these features are off: ${off.map(([, column, feature]) => `${feature} (${column})`).join('; ')}.`,
      fix: [`If you keep them under other names, map models.users.columns.{${off.map(([key]) => key).join(', ')}} ${where(input.configFile)}.`],
    });
  }
  return model;
}

interface IndexNeed {
  columns: string[];
  why: string;
  unique?: boolean;
  note?: string;
}

/** One warning per index `table` lacks (with its CREATE INDEX), or one ok naming them all. */
async function checkIndexes(table: string, needs: IndexNeed[], what: string, input: DoctorInput, findings: Finding[]): Promise<void> {
  if (needs.length === 0) return;
  const { db, dialect } = input.database;
  const facts = await readIndexes(db, dialect, table);
  const missing = needs.filter((need) => (need.unique ? !hasUniqueIndex(facts, need.columns[0]) : !hasOrderingIndex(facts, need.columns)));
  for (const need of missing) {
    findings.push({
      level: 'warn',
      topic: 'index',
      message: `${table} (${need.columns.join(', ')}) has no ${need.unique ? 'unique ' : ''}index: ${need.why}.`,
      fix: [...(need.note ? [need.note] : []), createIndexDdl(dialect, table, need.columns, { unique: need.unique })],
    });
  }
  if (missing.length === 0) {
    findings.push({ level: 'ok', topic: 'index', message: `The indexes ${what} needs are in place: ${needs.map((n) => `${n.unique ? 'unique ' : ''}(${n.columns.join(', ')})`).join(', ')}.` });
  }
}

async function checkUserIndexes(model: ResolvedUsersModel, input: DoctorInput, findings: Finding[]): Promise<void> {
  const { id, email, role, createdAt } = model.columns;
  const needs: IndexNeed[] = [];
  if (createdAt) needs.push({ columns: [createdAt, id], why: 'the users list (newest first, its default order) sorts the whole table on every page' });
  if (role) needs.push({ columns: createdAt ? [role, createdAt, id] : [role, id], why: 'filtering the users list by role reads every user' });
  needs.push({
    columns: [email],
    unique: true,
    why: 'finding a user by exact email (search, grant) scans the table, and two accounts can share an address',
    note: `Look for duplicates first: SELECT ${email}, count(*) FROM ${model.table} GROUP BY ${email} HAVING count(*) > 1;`,
  });
  await checkIndexes(model.table, needs, 'the users list', input, findings);
}

/**
 * The indexes the team pages and the billing page read through, for the tables
 * mapped with the Kysely models (an adapter of the host's own is the host's to index).
 */
async function checkTeamIndexes(options: ResolvedOptions, facts: SchemaFacts, teams: TeamsModels, input: DoctorInput, findings: Finding[]): Promise<void> {
  const present = (table: string, column: string | null): column is string => column !== null && Boolean(facts.tables.get(table.toLowerCase())?.has(column.toLowerCase()));
  if (teams.teams && teams.memberships && teams.teamsAdapter) {
    const t = teams.teams;
    const id = t.columns.id!;
    const needs: IndexNeed[] = [];
    if (t.columns.created_at) needs.push({ columns: [t.columns.created_at, id], why: 'the teams list (newest first, its default order) sorts the whole table on every page' });
    if (t.columns.name) needs.push({ columns: [t.columns.name, id], why: 'sorting the teams list by name sorts the whole table' });
    await checkIndexes(t.table, needs, 'the teams list', input, findings);
    const m = teams.memberships;
    await checkIndexes(
      m.table,
      [
        { columns: [m.columns.team_id!], why: "a team's page (its members, and member counts in the teams list) reads every membership" },
        { columns: [m.columns.user_id!], why: "a user's page (the teams they belong to) reads every membership" },
      ],
      'the team and user pages',
      input,
      findings,
    );
  }
  const inv = options.invitations;
  if (teams.invitations && !options.invitationsAdapter && present(inv.table, inv.columns.team_id)) {
    const created = present(inv.table, inv.columns.created_at) ? [inv.columns.created_at] : [];
    const needs: IndexNeed[] = [{ columns: [inv.columns.team_id, ...created, inv.columns.id!], why: "a team's invitations (newest first) read every invitation" }];
    if (present(inv.table, inv.columns.email)) needs.push({ columns: [inv.columns.email], why: "a user's invitations (found by email) read every invitation" });
    await checkIndexes(inv.table, needs, 'the invitations on team and user pages', input, findings);
  }
  const sub = options.subscriptions;
  if (teams.subscriptions && !options.subscriptionsAdapter && present(sub.table, sub.columns.team_id) && present(sub.table, sub.columns.status)) {
    const periodEnd = present(sub.table, sub.columns.current_period_end) ? [sub.columns.current_period_end] : [];
    await checkIndexes(
      sub.table,
      [
        { columns: [sub.columns.team_id], why: "a team's subscription (its page, and the plan filter of the teams list) reads every subscription" },
        { columns: [sub.columns.status, ...periodEnd, sub.columns.id!], why: 'the billing page (past due first, revenue by status) reads every subscription' },
      ],
      'the billing page',
      input,
      findings,
    );
  }
}

async function appliedMigrations(db: Kysely<any>): Promise<Set<string> | null> {
  try {
    const rows = await db.selectFrom(MIGRATION_TABLE).select('name').execute();
    return new Set(rows.map((row) => String(row.name)));
  } catch {
    return null; // no such table (in this schema): nothing applied yet
  }
}

async function checkMigrations(input: DoctorInput, findings: Finding[]): Promise<void> {
  const wanted = Object.keys(backstageMigrations(input.database.dialect));
  const applied = await appliedMigrations(input.database.db);
  const pending = wanted.filter((name) => !applied?.has(name));
  if (pending.length === 0) {
    findings.push({ level: 'ok', topic: 'migrations', message: `The console's own tables are up to date (${wanted.length} migration${wanted.length === 1 ? '' : 's'}).` });
    return;
  }
  findings.push({
    level: 'error',
    topic: 'migrations',
    message: applied
      ? `${pending.length} console migration(s) not applied yet: ${pending.join(', ')}.`
      : `The console's own tables do not exist yet (${pending.join(', ')}): the audit log has nowhere to go.`,
    fix: [`npx express-backstage migrate${input.migrateHint}`, 'or call await admin.migrate() when your app starts (it is safe on every start).'],
  });
}

async function checkRedis(input: DoctorInput, findings: Finding[]): Promise<void> {
  if (!input.redis) {
    findings.push({ level: 'info', topic: 'redis', message: 'No Redis configured (REDIS_URL, redis in the config, or --redis): live updates stay within one process.' });
    return;
  }
  const shown = input.redis.url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  const ping = await pingRedis(input.redis.url);
  if (ping.ok) findings.push({ level: 'ok', topic: 'redis', message: `Redis at ${shown} (${input.redis.source}) answers: ${ping.detail}.` });
  else {
    findings.push({
      level: 'error',
      topic: 'redis',
      message: `Redis at ${shown} (${input.redis.source}) is not reachable: ${ping.detail}.`,
      fix: ['Start Redis, or correct the URL. Queue pages and live updates across instances need it.'],
    });
  }
}

/**
 * Checks a configuration against the live database and services, read-only:
 * options, the mapping against the schema, the indexes the lists need, the
 * console's migrations, Redis. Never creates, alters or drops anything.
 */
export async function runDoctor(input: DoctorInput): Promise<Finding[]> {
  const findings: Finding[] = [];
  findings.push(
    input.configFile
      ? { level: 'ok', topic: 'config', message: `Read ${input.configFile}.` }
      : { level: 'info', topic: 'config', message: 'No backstage.config.(js|cjs|mjs|json) here: checking the default mapping (users.id, email, name, role, created_at, …).' },
  );

  const { db, dialect, label } = input.database;
  try {
    await sql`select 1`.execute(db);
    findings.push({ level: 'ok', topic: 'database', message: `Connected to ${label}, ${DIALECT_NAMES[dialect]}.` });
  } catch (err) {
    findings.push({ level: 'error', topic: 'database', message: `Could not connect to ${label}: ${errorMessage(err)}`, fix: ['Check the URL, and that the database is running and reachable from here.'] });
    await checkRedis(input, findings);
    return findings;
  }

  let options: ResolvedOptions | null = null;
  try {
    options = resolveOptions({ ...input.options, db, getUser: input.options.getUser ?? (() => null) });
    findings.push({ level: 'ok', topic: 'options', message: `Options are valid (roles ${options.roles.join(', ')}; superusers ${options.superuserRoles.join(', ')}).` });
  } catch (err) {
    findings.push({ level: 'error', topic: 'options', message: errorMessage(err), fix: [`Correct it ${where(input.configFile)}: createAdmin throws the same error.`] });
  }

  if (options) {
    const facts = toSchemaFacts(await readVisibleTables(db, dialect));
    const users = await checkUsers(options, facts, input, findings);
    let teamsTable = null;
    let teamsModels: TeamsModels | null = null;
    try {
      const teams = checkTeamsModels(options, facts, dialect);
      teamsModels = teams;
      teamsTable = teams.teams && teams.memberships ? teams.teams : null;
      const found = [teams.teamsAdapter && 'teams', teams.memberships && 'memberships', teams.invitations && 'invitations', teams.subscriptions && 'subscriptions'].filter(Boolean);
      findings.push(
        found.length
          ? { level: 'ok', topic: 'teams', message: `Mapped: ${found.join(', ')}.` }
          : { level: 'info', topic: 'teams', message: 'No teams and memberships tables found: the team pages are off. Map models.teams and models.memberships if you have them under other names.' },
      );
    } catch (err) {
      findings.push({ level: 'error', topic: 'teams', message: errorMessage(err), fix: [`Correct the mapping ${where(input.configFile)}; the console refuses to start with it.`] });
    }
    if (users) await checkUserIndexes(users, input, findings);
    if (teamsModels) await checkTeamIndexes(options, facts, teamsModels, input, findings);
    findings.push(...(await searchIndexFindings(db, dialect, consoleSearchTargets({ usersModel: users, teams: teamsTable }))));
  }

  await checkMigrations(input, findings);
  await checkRedis(input, findings);
  return findings;
}

/** 1 when something must be fixed (and, with `strict`, when something should be). */
export function doctorExitCode(findings: Finding[], strict = false): 0 | 1 {
  return findings.some((f) => f.level === 'error' || (strict && f.level === 'warn')) ? 1 : 0;
}
