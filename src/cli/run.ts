import { CliError } from './config';
import { doctorCommand } from './doctor';
import { initCommand } from './init';
import { grantCommand } from './grant';
import { indexJobsCommand } from './index-jobs';
import { UsageError, type CliCommand, type CliIo, type ExitCode } from './io';
import { migrateCommand } from './migrate';
import { searchIndexCommand } from './search-index';

const COMMANDS: CliCommand[] = [initCommand, migrateCommand, grantCommand, doctorCommand, searchIndexCommand, indexJobsCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: express-backstage <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'help'.padEnd(width)}  Show this text, or a command's options: express-backstage help <command>.

The database comes from --db, the db of backstage.config.(js|cjs|mjs|json), DATABASE_URL
(the environment, then .env), or the knexfile: postgres://…, mysql://…, or sqlite:<file>.
`;
}

/**
 * Runs one command of the `express-backstage` CLI and resolves with its exit code:
 * 0 done, 1 something must be fixed, 2 the command line was wrong.
 */
export async function runCli(args: string[], out: (line: string) => void = console.log, io: Partial<Omit<CliIo, 'out'>> = {}): Promise<ExitCode> {
  const context: CliIo = { out, cwd: io.cwd ?? process.cwd(), env: io.env ?? process.env, ask: io.ask };
  const [name, ...rest] = args;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = name ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    out(topic ? topic.usage : usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    out(`express-backstage: unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, context);
  } catch (err) {
    if (err instanceof UsageError) {
      out(`express-backstage ${err.message}`);
      out(`\n${command.usage}`);
      return 2;
    }
    if (err instanceof CliError) {
      out(err.message);
      return 1;
    }
    throw err;
  }
}
