import { doctorExitCode, runDoctor, type Finding } from '../doctor/run-doctor';
import { parseCommandArgs, redactUrl, stringValue } from './args';
import { loadConfig, USERS_MAPPING_FLAGS, USERS_MAPPING_USAGE, withUsersFlags } from './config';
import { openCliDatabase } from './database';
import type { CliCommand } from './io';
import { appFindings } from '../doctor/app-doctor';

const LABELS: Record<Finding['level'], string> = { ok: 'ok   ', info: 'info ', warn: 'warn ', error: 'FIX  ' };

/** Findings as a terminal shows them: one line each, the fix indented under it. */
export function formatFindings(findings: Finding[]): string[] {
  const lines: string[] = [];
  for (const finding of findings) {
    lines.push(`${LABELS[finding.level]} ${finding.topic.padEnd(10)} ${finding.message}`);
    for (const step of finding.fix ?? []) lines.push(`${' '.repeat(17)}→ ${step}`);
  }
  const errors = findings.filter((f) => f.level === 'error').length;
  const warnings = findings.filter((f) => f.level === 'warn').length;
  lines.push('');
  if (errors === 0 && warnings === 0) lines.push('All good: nothing to fix.');
  else lines.push(`${errors} to fix, ${warnings} warning${warnings === 1 ? '' : 's'}.`);
  return lines;
}

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'Check a configuration against the live database: mapping, indexes, migrations, Redis.',
  usage: `Usage: express-backstage doctor [--db <url>] [options]

Checks, without changing anything: the options of backstage.config.*, the
models mapping against the live schema, the indexes the users, teams and billing pages need (and
prints the CREATE INDEX for your database when one is missing), the console's
migrations, and Redis when one is configured. Exit code 0 when nothing must be
fixed, 1 otherwise.

  --db <url>                postgres://…, mysql://… or sqlite:<file>
                            (default: db of backstage.config.*, else DATABASE_URL, .env, knexfile)
  --config <file>           the config file (default: backstage.config.(js|cjs|mjs|json) here)
  --redis <url>             the Redis to check (default: redis of the config, else REDIS_URL)
  --app <file>              also load the module that builds your app and check what only the
                            running app shows: the console starts, the session store (the
                            MemoryStore in production is a warning; run with NODE_ENV=production
                            to see what production gets), admin.guard before your routes
  --mount <path>            where the console is mounted in it (default /admin)
  --strict                  exit 1 on warnings too (missing indexes), e.g. in CI
  --json                    print the findings as JSON
${USERS_MAPPING_USAGE}`,

  async run(args, io) {
    const { values } = parseCommandArgs(
      'doctor',
      args,
      { db: { type: 'string' }, config: { type: 'string' }, redis: { type: 'string' }, strict: { type: 'boolean' }, json: { type: 'boolean' }, app: { type: 'string' }, mount: { type: 'string' }, ...USERS_MAPPING_FLAGS },
      0,
    );
    const config = await loadConfig(io.cwd, stringValue(values, 'config'));
    const options = withUsersFlags(config.options, values);
    const dbFlag = stringValue(values, 'db');
    const database = await openCliDatabase('doctor', dbFlag, config, io);
    const redisFlag = stringValue(values, 'redis');
    const redis = redisFlag
      ? { url: redisFlag, source: '--redis' }
      : typeof config.options.redis === 'string' && config.options.redis
        ? { url: config.options.redis, source: `redis in ${config.file}` }
        : io.env.REDIS_URL
          ? { url: io.env.REDIS_URL, source: 'REDIS_URL' }
          : null;
    try {
      const { db: _db, ...rest } = options;
      const findings = await runDoctor({
        options: rest,
        configFile: config.file,
        database,
        redis,
        migrateHint: dbFlag ? ` --db ${redactUrl(dbFlag)}` : '',
      });
      const appFile = stringValue(values, 'app');
      if (appFile) findings.push(...(await appFindings(io.cwd, appFile, stringValue(values, 'mount') ?? '/admin', io.env.NODE_ENV === 'production')));
      if (values.json) io.out(JSON.stringify({ findings, exitCode: doctorExitCode(findings, values.strict === true) }, null, 2));
      else {
        io.out(`express-backstage doctor: ${database.label}\n`);
        for (const line of formatFindings(findings)) io.out(line);
      }
      return doctorExitCode(findings, values.strict === true);
    } finally {
      await database.close();
    }
  },
};
