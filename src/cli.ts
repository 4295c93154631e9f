#!/usr/bin/env node
import { detectDialect } from './db/dialect';
import { kyselyFromUrl } from './db/connect-url';
import { migrateToLatest } from './migrations/migrate';

const USAGE = `Usage: express-backstage <command> [options]

Commands:
  migrate [--db <url>]   Create or update the console's own tables (audit log, …).
                          The database comes from --db or DATABASE_URL:
                          postgres://…, mysql://…, or sqlite:<file>.
  help                   Show this text.
`;

function flag(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index >= 0) return args[index + 1];
  const inline = args.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

export async function runCli(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    out(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'migrate') {
    const url = flag(rest, '--db') ?? process.env.DATABASE_URL;
    if (!url) {
      out('express-backstage migrate: no database given. Pass --db <url> or set DATABASE_URL.');
      return 2;
    }
    const db = kyselyFromUrl(url);
    try {
      const { applied } = await migrateToLatest(db, detectDialect(db));
      out(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'The console tables are up to date.');
      return 0;
    } finally {
      await db.destroy();
    }
  }
  out(`express-backstage: unknown command "${command}".\n\n${USAGE}`);
  return 2;
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
