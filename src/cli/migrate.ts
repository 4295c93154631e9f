import { migrateToLatest } from '../migrations/migrate';
import { parseCommandArgs, stringValue } from './args';
import { loadConfig } from './config';
import { openCliDatabase } from './database';
import type { CliCommand } from './io';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: "Create or update the console's own tables (audit log, errors, …).",
  usage: `Usage: express-backstage migrate [--db <url>] [--config <file>]

Creates or updates the console's own tables (backstage_*), recorded in
backstage_migrations. Safe to run on every deploy; your tables are not touched.

  --db <url>          postgres://…, mysql://… or sqlite:<file>
                      (default: db of backstage.config.*, else DATABASE_URL, .env, knexfile)
  --config <file>     the config file (default: backstage.config.(js|cjs|mjs|json) here)`,

  async run(args, io) {
    const { values } = parseCommandArgs('migrate', args, { db: { type: 'string' }, config: { type: 'string' } }, 0);
    const config = await loadConfig(io.cwd, stringValue(values, 'config'));
    const database = await openCliDatabase('migrate', stringValue(values, 'db'), config, io, { create: true });
    try {
      const { applied } = await migrateToLatest(database.db, database.dialect);
      io.out(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'The console tables are up to date.');
      return 0;
    } finally {
      await database.close();
    }
  },
};
