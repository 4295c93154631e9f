import { readVisibleTables, toSchemaFacts } from '../doctor/visible-tables';
import { checkTeamsModels } from '../models/check-teams-models';
import { checkUsersModel } from '../models/schema-check';
import { resolveOptions } from '../options';
import { consoleSearchTargets } from '../search/console-targets';
import { createSearchIndexes, dropSearchIndexes, dropSearchIndexStatements, noSubstringIndexNote, searchIndexStatements } from '../search/search-index-ddl';
import type { SearchTarget } from '../search/search-target';
import { parseCommandArgs, stringValue } from './args';
import { CliError, loadConfig, USERS_MAPPING_FLAGS, USERS_MAPPING_USAGE, withUsersFlags } from './config';
import { openCliDatabase } from './database';
import type { CliCommand } from './io';

function describe(target: SearchTarget): string {
  return `${target.name} (${target.table}: ${target.fields.map((f) => f.column).join(', ')})`;
}

export const searchIndexCommand: CliCommand = {
  name: 'search-index',
  summary: 'Create the trigram indexes that let users and teams searches find any part of a word, fast.',
  usage: `Usage: express-backstage search-index [--db <url>] [--print] [--drop] [options]

Without an index for substrings, the console's users and teams searches read
only the newest 50,000 rows for a word like "acme" (a whole email, an address
being typed and "acme*" always use the ordinary indexes). This creates, on the
mapped users and teams tables:

  SQLite        an FTS5 table with the trigram tokenizer (backstage_users_fts,
                backstage_teams_fts) reading the host table's text, three
                triggers that keep it in step with every insert, update and
                delete, and fills it from the rows already there
  PostgreSQL    the pg_trgm extension (needs the right to create it) and GIN
                indexes on lower(column), built CONCURRENTLY (writes go on)
  MySQL/MariaDB nothing: they have no index for substrings (FULLTEXT finds
                whole words only); the searches stay bounded

The console never does this by itself. Safe to run again.

  --print                   print the statements, run nothing
  --drop                    remove what this command created
  --db <url>                postgres://…, mysql://… or sqlite:<file>
                            (default: db of backstage.config.*, else DATABASE_URL, .env, knexfile)
  --config <file>           the config file (default: backstage.config.(js|cjs|mjs|json) here)
${USERS_MAPPING_USAGE}`,

  async run(args, io) {
    const { values } = parseCommandArgs('search-index', args, { db: { type: 'string' }, config: { type: 'string' }, print: { type: 'boolean' }, drop: { type: 'boolean' }, ...USERS_MAPPING_FLAGS }, 0);
    const config = await loadConfig(io.cwd, stringValue(values, 'config'));
    const options = withUsersFlags(config.options, values);
    const database = await openCliDatabase('search-index', stringValue(values, 'db'), config, io);
    const { db, dialect } = database;
    try {
      let targets: SearchTarget[];
      try {
        const { db: _db, ...rest } = options;
        const resolved = resolveOptions({ ...rest, db, getUser: () => null });
        const facts = toSchemaFacts(await readVisibleTables(db, dialect));
        const usersModel = resolved.usersModel ? checkUsersModel(resolved.usersModel, facts) : null;
        const teams = checkTeamsModels(resolved, facts, dialect);
        targets = consoleSearchTargets({ usersModel, teams: teams.teams && teams.memberships ? teams.teams : null });
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err));
      }
      if (targets.length === 0) {
        io.out('express-backstage search-index: users and teams are adapters of your own here: there is no mapped table to index.');
        return 0;
      }
      if (values.print) {
        for (const target of targets) {
          const statements = values.drop ? dropSearchIndexStatements(dialect, target) : searchIndexStatements(dialect, target);
          io.out(`-- ${describe(target)}`);
          if (statements.length === 0) io.out(`-- ${noSubstringIndexNote(target)}`);
          for (const statement of statements) io.out(statement);
        }
        return 0;
      }
      io.out(`express-backstage search-index: ${database.label}\n`);
      let results;
      try {
        results = values.drop ? await dropSearchIndexes(db, dialect, targets) : await createSearchIndexes(db, dialect, targets);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const hint = /permission denied|must be owner|superuser/i.test(message) && dialect === 'postgres' ? '\nCreating the pg_trgm extension needs a role allowed to: ask for CREATE EXTENSION pg_trgm; once, then run this again.' : '';
        throw new CliError(`express-backstage search-index: ${message}${hint}`);
      }
      for (const [i, result] of results.entries()) {
        if (result.note) {
          io.out(`skip   ${describe(targets[i])}: ${result.note}`);
          continue;
        }
        io.out(`${values.drop ? 'removed' : 'ready  '} ${describe(targets[i])}`);
        for (const statement of result.statements) io.out(`         ${statement}`);
      }
      if (!values.drop && dialect !== 'mysql') io.out('\nRunning consoles notice within a minute; searches for any part of a word then read the index.');
      return 0;
    } finally {
      await database.close();
    }
  },
};
