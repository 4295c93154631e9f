import fs from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';
import { findDatabase, type DatabaseSource } from '../init/find-database';
import { detectHostProject, type HostProject } from '../init/host-project';
import { proposeMapping, type DataSampler, type MappingProposal, type TableFacts } from '../init/propose-mapping';
import { knexfileDb, linesToPaste, proposedOptions, renderAdminFile } from '../init/render-file';
import { configTarget, dbSetting, renderConfigFile } from '../init/render-config';
import { findPastedLines } from '../init/find-pasted';
import { readJson } from '../init/host-project';
import { planWrite, writeFile, type WritePlan } from '../init/write-generated';
import { compiledPath, findAppModule, missingTestPackages, planHostTests, type HostTests } from '../init/host-tests';
import { renderTestsFile, requiredUserColumns } from '../init/render-tests';
import { migrateToLatest } from '../migrations/migrate';
import { checkTeamsModels } from '../models/check-teams-models';
import { checkUsersModel } from '../models/schema-check';
import { readVisibleTables, toSchemaFacts } from '../doctor/visible-tables';
import { resolveOptions } from '../options';
import { parseCommandArgs, redactUrl, stringValue } from './args';
import { CliError, loadConfig } from './config';
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
  if (source.kind === 'flag') return `${redactUrl(source.url)} (${source.from ?? '--db'})`;
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

/** SQLite files in the folder, for the "no database found" message. */
function sqliteFilesIn(cwd: string): string[] {
  try {
    return fs.readdirSync(cwd).filter((name) => /\.(db|sqlite3?)$/i.test(name) && fs.statSync(path.join(cwd, name)).isFile());
  } catch {
    return [];
  }
}

function noDatabase(cwd: string): CliError {
  const files = sqliteFilesIn(cwd);
  const hint = files.length ? `\n${files.join(', ')} ${files.length === 1 ? 'looks like a SQLite database' : 'look like SQLite databases'}: npx express-backstage init --db sqlite:${files[0]}` : '';
  return new CliError(`express-backstage init: no database found. Pass --db <url>, set DATABASE_URL (or put it in .env), or run init where your knexfile is.${hint}`);
}

async function confirm(io: CliIo, question: string): Promise<boolean | null> {
  if (!io.ask) return null;
  const answer = (await io.ask(`${question} [Y/n] `)).trim().toLowerCase();
  return answer === '' || answer === 'y' || answer === 'yes';
}

export const initCommand: CliCommand = {
  name: 'init',
  summary: 'Add the console to this app: find the database, propose the mapping, write backstage.config.* and backstage.(js|ts).',
  usage: `Usage: express-backstage init [--yes] [--db <url>] [--out <file>] [--mount <path>] [--app <file>] [--no-tests] [--force]

Run it in your app's folder. It finds the database (--db, DATABASE_URL, .env, or
a knexfile), reads its tables and proposes the mapping (users, roles as a string
or a boolean such as is_admin, bans as a date, a flag or an inverted is_active,
teams, memberships, invitations, subscriptions), shows what it matched and what
not, then writes the mapping to backstage.config.(cjs|mjs|json), which grant and
doctor read too, and backstage.(js|ts) with createAdmin(...) loading it, in your
app's language and module system; it creates the console's own tables and prints
the lines to paste into the module that builds your app. It also
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
                        (backstage.config.*, backstage.(js|ts), the test file)
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
    // The paste target: the module that builds the app, the one the tests load (not server.js, which only listens).
    const appModule = findAppModule(io.cwd, readJson(path.join(io.cwd, 'package.json')), appFlag);
    let source = await findDatabase(io.cwd, stringValue(values, 'db'), io.env);
    if (!source) {
      // A re-run: the URL an earlier init was given (--db) is in the config it wrote.
      const config = await loadConfig(io.cwd);
      if (typeof config.options.db === 'string' && config.options.db) source = { kind: 'flag', url: config.options.db, from: `db in ${config.file}` };
    }
    if (!source) throw noDatabase(io.cwd);

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

      const rel = (file: string) => path.relative(io.cwd, file).split(path.sep).join('/');
      const config = configTarget(io.cwd, project);
      const db = dbSetting(source, project, io.cwd, () => knexfileDb(source as Extract<DatabaseSource, { kind: 'knexfile' }>, project));
      const shown = rel(project.out);
      const configShown = rel(config.file);
      const configContent = renderConfigFile({ target: config, proposal, db, adminShown: shown });
      const content = renderAdminFile({ project, source, proposal, cwd: io.cwd, config, db });
      const configPlan = planWrite(config.file, configContent);
      const plan = planWrite(project.out, content);
      const testsFile = tests?.app ? renderTestsFile({ project, tests: { ...tests, app: tests.app }, proposal, mount, cwd: io.cwd, requiredColumns: requiredUserColumns(tables, proposal) }) : null;
      const testsShown = tests ? rel(tests.file) : '';
      const testsPlan: WritePlan | null = tests && testsFile ? planWrite(tests.file, testsFile) : null;
      // An edited test file is the host's (its sign-in filled in): kept, and it does not stop the rest.
      const writeTests = testsPlan !== null && testsPlan.action !== 'unchanged' && ((testsPlan.action !== 'refuse' && testsPlan.action !== 'kept') || values.force === true);

      const files = [
        { file: config.file, shown: configShown, plan: configPlan, content: configContent },
        { file: project.out, shown, plan, content },
      ];
      const refused = files.filter((f) => f.plan.action === 'refuse');
      if (refused.length && !values.force) {
        for (const f of refused) {
          if (f.plan.action !== 'refuse') continue;
          io.out(`\n${f.plan.reason}; init would change it like this:\n`);
          for (const line of f.plan.diff) io.out(`  ${line}`);
        }
        io.out(`\nNot written. Run init again with --force to overwrite ${refused.map((f) => f.shown).join(' and ')}, or apply the changes you want by hand.`);
        return 1;
      }
      for (const f of files) {
        if (f.plan.action === 'unchanged') io.out(`${f.shown} is up to date.`);
        if (f.plan.action === 'kept' && !values.force) io.out(`${f.plan.reason}, so it is kept as it is.`);
      }
      const toWrite = files.filter((f) => f.plan.action === 'create' || f.plan.action === 'update' || ((f.plan.action === 'refuse' || f.plan.action === 'kept') && values.force));
      if ((toWrite.length || writeTests) && !values.yes) {
        const names = [...toWrite.map((f) => f.shown), ...(writeTests ? [testsShown] : [])].join(' and ');
        const verb = (toWrite[0]?.plan.action ?? testsPlan!.action) === 'create' ? 'Write' : 'Update';
        const answer = await confirm(io, `\n${verb} ${names}?`);
        if (answer === null) {
          for (const f of toWrite.length ? toWrite : [{ shown: testsShown, content: testsFile! }]) {
            io.out(`\nThis is the file init would write to ${f.shown}:\n`);
            for (const line of f.content.split('\n')) io.out(`  ${line}`);
          }
          io.out('Nothing written: there is no terminal to ask in. Run init again with --yes to write it.');
          return 1;
        }
        if (!answer) {
          io.out('Nothing written.');
          return 1;
        }
      }
      for (const f of toWrite) {
        writeFile(f.file, f.content);
        io.out(`${f === toWrite[0] ? '\n' : ''}${f.plan.action === 'create' ? 'Wrote' : 'Updated'} ${f.shown}${f.file === config.file ? `: the mapping, read by ${shown} and by grant and doctor` : ''}.`);
      }
      if (config.shadowedBy) io.out(`Note: the commands read ${config.shadowedBy} before ${configShown}: move what it holds into ${configShown} and remove it.`);
      if (tests && !tests.app) {
        io.out(`\nNo tests written: no app module found (app.js, src/app.ts, server.js, package.json "main", …). Run init again with --app <the file that builds your Express app>.`);
      } else if (tests && testsPlan) {
        if (testsPlan.action === 'unchanged') io.out(`${testsShown} is up to date.`);
        else if (writeTests) {
          writeFile(tests.file, testsFile!);
          io.out(`${testsPlan.action === 'create' ? 'Wrote' : 'Updated'} ${testsShown}: it loads ${rel(tests.app!)}, signs in as an admin it creates, and checks the console (${tests.runner === 'jest' ? 'jest' : 'node:test'}).`);
        } else io.out(`${testsShown} was edited since init wrote it, so it is kept as it is (init --force rewrites it).`);
        if (tests.appNote) io.out(`Note: ${tests.appNote}`);
        const missing = missingTestPackages(io.cwd, tests.runner);
        if (missing.length) io.out(`The tests need ${missing.join(' and ')}, which your package.json does not list: npm install --save-dev ${missing.join(' ')}`);
      }

      if (!values['skip-migrate']) {
        const { applied } = await migrateToLatest(database.db, database.dialect);
        io.out(applied.length ? `Created the console's tables (${applied.join(', ')}).` : "The console's tables are up to date.");
      }

      const into = appModule?.file ?? null;
      const intoShown = into ? rel(into) : null;
      const paste = linesToPaste(project, mount, into);
      const pasted = findPastedLines(io.cwd, into, [project.out, config.file, ...(tests ? [tests.file] : [])]);
      if (pasted.inApp) {
        io.out(`\n${intoShown} already has the lines (app.use(admin.guard) and the mount): nothing to paste.`);
      } else if (pasted.elsewhere.length && intoShown) {
        const where = pasted.elsewhere.map(rel).join(', ');
        io.out(`\nThe lines are in ${where}, but ${intoShown} is the module that builds your app (your tests load it too): move them into ${intoShown}, after your session and auth middleware and before your routes.`);
        io.out(`If ${where} is the one that builds it, run init again with --app ${pasted.elsewhere.length === 1 ? where : '<that file>'}.`);
      } else {
        const target = intoShown ? `${intoShown}, the module that builds your app (your tests load it too),` : 'the module that builds your app,';
        io.out(`\nAdd these lines to ${target} after your session and auth middleware and before your routes:\n`);
        io.out(`  ${paste.importLine}`);
        io.out(`  ${paste.guard}`);
        io.out(`  ${paste.mountLine}`);
      }
      const booleanRole = proposal.options.booleanRoleProperty;
      if (booleanRole) {
        io.out(`\n${booleanRole} is a boolean, so every admin is also a superuser (superuserRoles: ['admin'] in ${configShown}): they can change roles and use the dangerous actions.`);
        io.out(`To narrow it, set roles: ['admin', 'superuser'] and superuserRoles: ['superuser'] in ${configShown}, and make roleOf in ${shown} return 'superuser' for the few who need it.`);
      }
      const superuser = booleanRole ? 'admin' : 'superuser';
      io.out(`\nThen make yourself ${superuser === 'admin' ? 'an admin' : 'a superuser'} and open ${mount}:`);
      // grant and doctor read the same config; without a db in it they find DATABASE_URL, .env and the knexfile as init did.
      const needsUrl = db.configSource === null && db.json === undefined && source.kind !== 'knexfile' && !(source.kind === 'env' && source.file);
      const envNote = needsUrl ? ' (with DATABASE_URL set, as your app has it)' : '';
      if (proposal.options.noRoleColumn) io.out('  set BACKSTAGE_ADMINS=you@example.com in the app\'s environment (no role column was found)');
      else io.out(`  npx express-backstage grant you@example.com --role ${superuser}${envNote}`);
      const doctorApp = into ? (project.language === 'ts' ? compiledPath(io.cwd, into) : into) : null;
      io.out(`Check the setup any time: npx express-backstage doctor${doctorApp ? ` --app ${rel(path.resolve(io.cwd, doctorApp))}` : ''}${envNote}`);
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
