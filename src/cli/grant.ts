import os from 'node:os';
import { sql, type Kysely } from 'kysely';
import { AuditLog, type AuditActor } from '../audit/audit-log';
import { migrateToLatest } from '../migrations/migrate';
import { kyselyUsersAdapter } from '../models/kysely-users-adapter';
import { checkUsersModel } from '../models/schema-check';
import { readVisibleTables, toSchemaFacts } from '../doctor/visible-tables';
import type { ResolvedUsersModel } from '../models/users-model-config';
import { resolveOptions } from '../options';
import { BackstageConfigError } from '../options-errors';
import { parseCommandArgs, stringValue } from './args';
import { CliError, loadConfig, USERS_MAPPING_FLAGS, USERS_MAPPING_USAGE, withUsersFlags } from './config';
import { openCliDatabase } from './database';
import { UsageError, type CliCommand } from './io';

/** Who did it, in the audit log: the command line, not an operator account. */
export const CLI_ACTOR: AuditActor = { id: null, email: null, role: 'cli' };

function osUserName(env: Record<string, string | undefined>): string | null {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the shell says.
    return env.USER ?? env.USERNAME ?? null;
  }
}

/** The user's id by email: the exact address through the unique index, else one case-insensitive match. */
async function findUserId(db: Kysely<any>, model: ResolvedUsersModel, email: string): Promise<string | null> {
  const { table, columns } = model;
  const select = () => db.selectFrom(table).select(sql.ref(`${table}.${columns.id}`).as('id'));
  const exact = await select().where(sql.ref(`${table}.${columns.email}`), '=', email).limit(2).execute();
  if (exact.length === 1) return String(exact[0].id);
  const folded = await select()
    .where(sql<boolean>`lower(${sql.ref(`${table}.${columns.email}`)}) = ${email.toLowerCase()}`)
    .limit(2)
    .execute();
  if (folded.length > 1) throw new CliError(`express-backstage grant: several users in "${table}" have the email ${email} in different letter cases; give the exact one.`);
  return folded.length === 1 ? String(folded[0].id) : null;
}

export const grantCommand: CliCommand = {
  name: 'grant',
  summary: 'Give a user a console role, e.g. the first superuser of a fresh install.',
  usage: `Usage: express-backstage grant <email> --role <role> [--db <url>] [options]

Sets the role of an existing user through the mapped role column, and records
it in the audit log with the command line as the actor (and your OS user name).
Creates the console's own tables first if they do not exist yet.

  --role <role>             one of the console's roles (default: admin, superuser)
  --reason <text>           why, for the audit log (default: "granted from the command line")
  --db <url>                postgres://…, mysql://… or sqlite:<file>
                            (default: db of backstage.config.*, else DATABASE_URL, .env, knexfile)
  --config <file>           the config file (default: backstage.config.(js|cjs|mjs|json) here),
                            read for db, models.users, roles and superuserRoles
${USERS_MAPPING_USAGE}

Example: npx express-backstage grant you@example.com --role superuser`,

  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'grant',
      args,
      { role: { type: 'string' }, reason: { type: 'string' }, db: { type: 'string' }, config: { type: 'string' }, ...USERS_MAPPING_FLAGS },
      1,
    );
    const email = positionals[0]?.trim();
    if (!email) throw new UsageError('grant: which user? Give their email: express-backstage grant you@example.com --role superuser');
    const role = stringValue(values, 'role');
    if (!role) throw new UsageError('grant: --role is required (e.g. --role superuser)');

    const config = await loadConfig(io.cwd, stringValue(values, 'config'));
    const options = withUsersFlags(config.options, values);
    const database = await openCliDatabase('grant', stringValue(values, 'db'), config, io);
    try {
      const resolved = resolveOptions({ ...options, db: database.db, getUser: () => null });
      const where = config.file ? ` in ${config.file}` : '';
      if (!resolved.usersModel) {
        throw new CliError('express-backstage grant: models.users is an adapter object; grant works through a table mapping. Give the role with your own tooling.');
      }
      const model = checkUsersModel(resolved.usersModel, toSchemaFacts(await readVisibleTables(database.db, database.dialect)));
      if (!model.columns.role) {
        throw new CliError(`express-backstage grant: table "${model.table}" has no role column. Map it with --role-column <name> or models.users.columns.role${where}.`);
      }
      if (model.role.kind === 'boolean' && role !== model.role.trueValue) {
        throw new CliError(
          `express-backstage grant: the role column "${model.columns.role}" is a boolean, so it holds "${model.role.trueValue}" (true) or "${model.role.falseValue}" (false); "${role}" cannot be stored. Use --role ${model.role.trueValue}.`,
        );
      }
      // After the boolean check: asked for superuser on an is_admin column, the useful answer is which value it holds.
      if (!resolved.roles.includes(role)) {
        throw new CliError(`express-backstage grant: unknown role "${role}". The console's roles are ${resolved.roles.join(', ')}${config.file ? ` (roles${where})` : ''}.`);
      }

      const { applied } = await migrateToLatest(database.db, database.dialect);
      if (applied.length) io.out(`Created the console's tables first (${applied.join(', ')}).`);

      const users = kyselyUsersAdapter(database.db, model, database.dialect, null);
      const id = await findUserId(database.db, model, email);
      if (id === null) {
        throw new CliError(`express-backstage grant: no user with the email ${email} in "${model.table}" (column ${model.columns.email}). Sign up with it in your app first, then run grant again.`);
      }
      const user = (await users.get(id))!;
      if (user.role === role) {
        io.out(`${user.email} is already ${role}; nothing changed.`);
        return 0;
      }
      const osUser = osUserName(io.env);
      const audit = new AuditLog(database.db, database.dialect, () => new Date());
      await audit.withEvent(
        {
          action: 'user.role_changed',
          actor: CLI_ACTOR,
          subject: { type: 'user', id: user.id, label: user.email },
          reason: stringValue(values, 'reason') ?? 'granted from the command line',
          data: { from: user.role, to: role, via: 'express-backstage grant', osUser, host: os.hostname() },
          userAgent: 'express-backstage grant',
        },
        (trx) => users.setRole!(user.id, role, { trx }),
      );
      io.out(`${user.email} is now ${role} (was ${user.role ?? 'no role'}).`);
      io.out(`Recorded in the audit log as user.role_changed by the command line${osUser ? ` (OS user ${osUser})` : ''}.`);
      return 0;
    } catch (err) {
      if (err instanceof BackstageConfigError) throw new CliError(err.message);
      throw err;
    } finally {
      await database.close();
    }
  },
};
