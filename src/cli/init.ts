import fs from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';
import { findDatabase, type DatabaseSource } from '../init/find-database';
import { detectHostProject, type HostProject } from '../init/host-project';
import { proposeMapping, type DataSampler, type MappingProposal, type TableFacts } from '../init/propose-mapping';
import { linesToPaste, proposedOptions, renderAdminFile } from '../init/render-file';
import { planWrite, writeFile, type WritePlan } from '../init/write-generated';
import { planHostTests, type HostTests } from '../init/host-tests';
import { renderTestsFile } from '../init/render-tests';
import { migrateToLatest } from '../migrations/migrate';
import { checkTeamsModels } from '../models/check-teams-models';
import { checkUsersModel } from '../models/schema-check';
import { readVisibleTables, toSchemaFacts } from '../doctor/visible-tables';
import { resolveOptions } from '../options';
import { parseCommandArgs, redactUrl, stringValue } from './args';
import { CliError } from './config';
import { openDatabaseValue } from './database';
import { UsageError, type CliCommand, type CliIo } from './io';

const DIALECT_NAMES: Record<DialectName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB' };

function sampler(db: Kysely<any>): DataSampler {
  return {
    async max(table, column) {
      const row = await db.selectFrom(table).select(sql`max(${sql.ref(column)})`.as('v')).executeTakeFirst();
      return row?.v ?? null;
    },
    async distinct(table, column) {
      const rows = await db.selectFrom(table).select(sql.ref(column).as('v')).distinct().limit(20).execute();
      return rows.map((row) => row.v);
    },
  };
}

function describeSource(source: DatabaseSource, cwd: string): string {
  if (source.kind === 'flag') return `${redactUrl(source.url)} (--db)`;
  if (source.kind === 'env') return `${redactUrl(source.url)} (DATABASE_URL${source.file ? ` in ${source.file}` : ''})`;
  const connection = source.config.connection;
  const where = typeof connection === 'string' ? redactUrl(connection) : typeof connection?.filename === 'string' ? connection.filename : String(connection?.database ?? connection?.host ?? '');
  return `${where} (${path.relative(cwd, source.file)}${source.environment ? `, ${source.environment}` : ''})`;
}

function describeProject(project: HostProject, cwd: string): string {
  const language = project.language === 'ts' ? 'TypeScript' : 'JavaScript';
  const modules = project.moduleSystem === 'esm' ? 'ES modules' : 'CommonJS';
  return `${language}, ${modules} → ${path.relative(cwd, project.out)}`;
}

function printProposal(proposal: MappingProposal, out: (line: string) => void): void {
  for (const model of proposal.models) {
    if (!model.table || model.reason) {
      out(`${model.model} → ${model.table ? `"${model.table}" not used` : 'not found'}: ${model.reason}`);
      if (!model.table) continue;
    } else out(`${model.model} → table "${model.table}"`);
    for (const field of model.fields) {
      out(`  ${field.column ? '✓' : '·'} ${field.field.padEnd(18)} ${field.column ?? 'not found'}${field.note ? ` (${field.note})` : ''}`);
    }
  }
  if (proposal.roleValues) out(`Role values in use: ${proposal.roleValues.length ? proposal.roleValues.join(', ') : '(no users yet)'}; the console lets in admin and superuser.`);
}

/** The flags grant and doctor need to find the users the same way (they read backstage.config.*, not the generated file). */
function usersFlags(proposal: MappingProposal): string {
  const users = proposal.options.models.users as { table?: string; columns?: Record<string, string | null>; role?: { kind: string } } | undefined;
  if (!users) return '';
  const flags: string[] = [];
  if (users.table) flags.push(`--users-table ${users.table}`);
  for (const [field, flag] of [['id', '--id-column'], ['email', '--email-column'], ['role', '--role-column']] as const) {
    const column = users.columns?.[field];
    if (column) flags.push(`${flag} ${column}`);
  }
  if (users.role?.kind === 'boolean') flags.push('--role-kind boolean');
  return flags.length ? ` ${flags.join(' ')}` : '';
}

async function confirm(io: CliIo, question: string): Promise<boolean | null> {
  if (!io.ask) return null;
  const answer = (await io.ask(`${question} [Y/n] `)).trim().toLowerCase();
  return answer === '' || answer === 'y' || answer === 'yes';
}

export const initCommand: CliCommand = {
  name: 'init',
  summary: 'Add the console to this app: find the database, propose the mapping, write backstage.(js|ts).',
  usage: `Usage: express-backstage init [--yes] [--db <url>] [--out <file>] [--mount <path>] [--app <file>] [--no-tests] [--force]

Run it in your app's folder. It finds the database (--db, DATABASE_URL, .env, or
a knexfile), reads its tables and proposes the mapping (users, roles as a string
or a boolean such as is_admin, bans as a date, a flag or an inverted is_active,
teams, memberships, invitations, subscriptions), shows what it matched and what
not, then writes one file with createAdmin(...) in your app's language and module
system, creates the console's own tables, and prints the lines to paste. It also
writes backstage.test.(js|ts) (jest if your app uses it, node:test otherwise):
tests that load your app, sign in as an admin and check the console keeps working.

  --yes                 write without asking (needed when there is no terminal to ask in)
  --db <url>            postgres://…, mysql://… or sqlite:<file>
  --out <file>          where to write (default: backstage.js or .ts, in src/ if you have one;
                        .mjs/.cjs/.mts/.cts choose the module system)
  --mount <path>        where the console will live (default /admin)
  --app <file>          the module that builds your Express app, for the tests to load
                        (default: app.js, src/app.ts, … then package.json "main", server.js, index.js)
  --no-tests            do not write the test file
  --force               overwrite the files even if you edited them since init wrote them
  --skip-migrate        do not create the console's tables now`,

  async run(args, io) {
    const { values } = parseCommandArgs(
      'init',
      args,
      {
        yes: { type: 'boolean', short: 'y' },
        db: { type: 'string' },
        out: { type: 'string' },
        mount: { type: 'string' },
        app: { type: 'string' },
        'no-tests': { type: 'boolean' },
        force: { type: 'boolean' },
        'skip-migrate': { type: 'boolean' },
      },
      0,
    );
    const mount = stringValue(values, 'mount') ?? '/admin';
    if (!/^\/[\w\-/.~]*$/.test(mount) || mount.length < 2) throw new UsageError(`init: --mount must be a path such as /admin, got "${mount}"`);
    const project = detectHostProject(io.cwd, stringValue(values, 'out'));
    const appFlag = stringValue(values, 'app');
    if (appFlag && !fs.existsSync(path.resolve(io.cwd, appFlag))) throw new UsageError(`init: --app ${appFlag}: no such file in ${io.cwd}`);
    const tests: HostTests | null = values['no-tests'] ? null : planHostTests(io.cwd, project, appFlag);
    const source = await findDatabase(io.cwd, stringValue(values, 'db'), io.env);
    if (!source) throw new UsageError('init: no database found. Pass --db <url>, set DATABASE_URL (or put it in .env), or run init where your knexfile is.');

    const value = source.kind === 'knexfile' ? source.config : source.url;
    const database = openDatabaseValue(value, source.kind === 'knexfile' ? path.basename(source.file) : source.kind === 'flag' ? '--db' : 'DATABASE_URL', io.cwd, false);
    try {
      io.out(`Database: ${describeSource(source, io.cwd)}, ${DIALECT_NAMES[database.dialect]}`);
      io.out(`Project:  ${describeProject(project, io.cwd)}\n`);

      const tables: TableFacts[] = await readVisibleTables(database.db, database.dialect);
      const proposal = await proposeMapping(tables, database.dialect, sampler(database.db));
      printProposal(proposal, io.out);
      if (!proposal.models.find((m) => m.model === 'users')?.table) {
        throw new CliError('\nexpress-backstage init: no users table found, so there is nothing to map. Write the file by hand (README, "Add it to your app"); models.users.table names your table.');
      }

      // The same checks createAdmin runs at start-up: never write a file the console would refuse.
      try {
        const resolved = resolveOptions({ ...proposedOptions(proposal), db: database.db, getUser: () => null });
        const facts = toSchemaFacts(tables);
        checkUsersModel(resolved.usersModel!, facts);
        checkTeamsModels(resolved, facts, database.dialect);
      } catch (err) {
        throw new CliError(`\nThe console would not start with this mapping: ${err instanceof Error ? err.message : String(err)}\nNothing written. Pass the mapping by hand, or fix the schema, then run init again.`);
      }
      io.out('\nChecked against the live schema: the console starts with this mapping.');

      const content = renderAdminFile({ project, source, proposal, cwd: io.cwd });
      const shown = path.relative(io.cwd, project.out);
      const plan = planWrite(project.out, content);
      const testsFile = tests?.app ? renderTestsFile({ project, tests: { ...tests, app: tests.app }, proposal, mount, cwd: io.cwd }) : null;
      const testsShown = tests ? path.relative(io.cwd, tests.file) : '';
      const testsPlan: WritePlan | null = tests && testsFile ? planWrite(tests.file, testsFile) : null;
      // An edited test file is the host's (its sign-in filled in): kept, and it does not stop the rest.
      const writeTests = testsPlan !== null && testsPlan.action !== 'unchanged' && (testsPlan.action !== 'refuse' || values.force === true);
      if (plan.action === 'refuse' && !values.force) {
        io.out(`\n${plan.reason}; init would change it like this:\n`);
        for (const line of plan.diff) io.out(`  ${line}`);
        io.out(`\nNot written. Run init again with --force to overwrite ${shown}, or apply the changes you want by hand.`);
        return 1;
      }
      const writeAdmin = plan.action !== 'unchanged';
      if (plan.action === 'unchanged') io.out(`${shown} is up to date.`);
      if ((writeAdmin || writeTests) && !values.yes) {
        const names = [writeAdmin && shown, writeTests && testsShown].filter(Boolean).join(' and ');
        const verb = (writeAdmin ? plan.action : testsPlan!.action) === 'create' ? 'Write' : 'Update';
        const answer = await confirm(io, `\n${verb} ${names}?`);
        if (answer === null) {
          io.out(`\nThis is the file init would write to ${writeAdmin ? shown : testsShown}:\n`);
          for (const line of (writeAdmin ? content : testsFile!).split('\n')) io.out(`  ${line}`);
          io.out('Nothing written: there is no terminal to ask in. Run init again with --yes to write it.');
          return 1;
        }
        if (!answer) {
          io.out('Nothing written.');
          return 1;
        }
      }
      if (writeAdmin) {
        writeFile(project.out, content);
        io.out(`\n${plan.action === 'create' ? 'Wrote' : 'Updated'} ${shown}.`);
      }
      if (tests && !tests.app) {
        io.out(`\nNo tests written: no app module found (app.js, src/app.ts, server.js, package.json "main", …). Run init again with --app <the file that builds your Express app>.`);
      } else if (tests && testsPlan) {
        if (testsPlan.action === 'unchanged') io.out(`${testsShown} is up to date.`);
        else if (writeTests) {
          writeFile(tests.file, testsFile!);
          io.out(`${testsPlan.action === 'create' ? 'Wrote' : 'Updated'} ${testsShown}: it loads ${path.relative(io.cwd, tests.app!)}, signs in as an admin it creates, and checks the console (${tests.runner === 'jest' ? 'jest' : 'node:test'}).`);
        } else io.out(`${testsShown} was edited since init wrote it, so it is kept as it is (init --force rewrites it).`);
        if (tests.appNote) io.out(`Note: ${tests.appNote}`);
      }

      if (!values['skip-migrate']) {
        const { applied } = await migrateToLatest(database.db, database.dialect);
        io.out(applied.length ? `Created the console's tables (${applied.join(', ')}).` : "The console's tables are up to date.");
      }

      const paste = linesToPaste(project, mount);
      const superuser = proposal.options.booleanRoleProperty ? 'admin' : 'superuser';
      io.out(`\nAdd these lines to ${paste.into}, after your session and auth middleware and before your routes:\n`);
      io.out(`  ${paste.importLine}`);
      io.out(`  ${paste.guard}`);
      io.out(`  ${paste.mountLine}`);
      io.out(`\nThen make yourself ${superuser === 'admin' ? 'an admin' : 'a superuser'} and open ${mount}:`);
      // grant and doctor find DATABASE_URL, .env and the knexfile the same way; only a --db must be repeated.
      const dbFlag = source.kind === 'flag' ? ` --db ${redactUrl(source.url)}` : '';
      if (proposal.options.noRoleColumn) io.out('  set BACKSTAGE_ADMINS=you@example.com in the app\'s environment (no role column was found)');
      else io.out(`  npx express-backstage grant you@example.com --role ${superuser}${dbFlag}${usersFlags(proposal)}`);
      io.out(`Check the setup any time: npx express-backstage doctor${dbFlag}${usersFlags(proposal)}`);
      if (tests?.app) {
        io.out(`\nThen run your tests (npm test). The console's own: ${tests.run}`);
        io.out(`If they cannot sign in, correct signIn() at the top of ${testsShown}: init guessed POST /login.`);
      }
      return 0;
    } finally {
      await database.close();
    }
  },
};
