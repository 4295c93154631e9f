import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sqliteFromFolder, withoutCommentKeys } from '../backstage-config';
import { describeValue } from '../options-errors';
import type { ParsedArgs } from './args';
import { stringValue } from './args';

/** Looked for in this order in the folder a command runs in. */
export const CONFIG_FILES = ['backstage.config.js', 'backstage.config.cjs', 'backstage.config.mjs', 'backstage.config.json'] as const;

export interface LoadedConfig {
  /** The file read, relative to the working folder, or null when there is none. */
  file: string | null;
  /** What the file exports: the createAdmin options (db, models, roles, …) plus `redis` for doctor. */
  options: Record<string, unknown>;
}

/** A problem the host must fix (a broken config, an unknown email): printed as is, exit code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

// TypeScript compiles import() to require() for CommonJS output; this keeps a real dynamic import
// for ESM configs that require(esm) cannot load (older Node, top-level await).
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

/** Loads a JS or JSON file of the host's: require first (CommonJS, and ESM on Node 20.19+), import() otherwise. */
export async function loadModuleFile(file: string): Promise<unknown> {
  if (file.endsWith('.json')) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const requireFromHost = createRequire(file);
  try {
    delete requireFromHost.cache[file];
    return requireFromHost(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    return importModule(pathToFileURL(file).href);
  }
}

/**
 * Reads `backstage.config.(js|cjs|mjs|json)` from `cwd` (or the file given with
 * `--config`). The file exports the options `createAdmin` takes, or the subset
 * the commands need: `db`, `models`, `roles`, `superuserRoles`, `redis`.
 *
 * @example
 * // backstage.config.js
 * module.exports = { db: process.env.DATABASE_URL, models: { users: { table: 'accounts' } } };
 */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig> {
  let file: string | undefined;
  if (explicit) {
    file = path.resolve(cwd, explicit);
    if (!fs.existsSync(file)) throw new CliError(`express-backstage: --config ${explicit}: no such file in ${cwd}`);
  } else {
    file = CONFIG_FILES.map((name) => path.join(cwd, name)).find((candidate) => fs.existsSync(candidate));
  }
  if (!file) return { file: null, options: {} };
  const shown = path.relative(cwd, file) || file;
  let loaded: unknown;
  try {
    loaded = await loadModuleFile(file);
  } catch (err) {
    throw new CliError(`express-backstage: could not load ${shown}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const exported = loaded && typeof loaded === 'object' && 'default' in loaded ? (loaded as { default: unknown }).default : loaded;
  if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
    throw new CliError(`express-backstage: ${shown} must export an object of createAdmin options ({ db, models, roles, … }), got ${describeValue(exported)}`);
  }
  const options = withoutCommentKeys(exported as Record<string, unknown>);
  // A relative SQLite path is the config file's, as in the app (backstageConfig), not the shell's folder.
  if (options.db !== undefined) options.db = sqliteFromFolder(options.db, path.dirname(file));
  return { file: shown, options };
}

/** Flags that map the users table without a config file. */
export const USERS_MAPPING_FLAGS = {
  'users-table': { type: 'string' },
  'id-column': { type: 'string' },
  'email-column': { type: 'string' },
  'role-column': { type: 'string' },
  'role-kind': { type: 'string' },
} as const;

export const USERS_MAPPING_USAGE = `  --users-table <name>      the users table (default users, or models.users.table of the config)
  --id-column <name>        its id column (default id)
  --email-column <name>     its email column (default email)
  --role-column <name>      its role column (default role)
  --role-kind string|boolean  how roles are stored: a string, or a boolean such as is_admin`;

/** The config's options with the users-mapping flags laid over `models.users`. */
export function withUsersFlags(options: Record<string, unknown>, values: ParsedArgs['values']): Record<string, unknown> {
  const models = (options.models && typeof options.models === 'object' ? options.models : {}) as Record<string, unknown>;
  const users = (models.users && typeof models.users === 'object' ? models.users : {}) as Record<string, any>;
  const table = stringValue(values, 'users-table');
  const columns: Record<string, string> = {};
  for (const [flag, key] of [['id-column', 'id'], ['email-column', 'email'], ['role-column', 'role']] as const) {
    const value = stringValue(values, flag);
    if (value) columns[key] = value;
  }
  const roleKind = stringValue(values, 'role-kind');
  if (roleKind !== undefined && roleKind !== 'string' && roleKind !== 'boolean') {
    throw new CliError(`express-backstage: --role-kind must be "string" or "boolean", got "${roleKind}"`);
  }
  if (!table && Object.keys(columns).length === 0 && !roleKind) return options;
  return {
    ...options,
    models: {
      ...models,
      users: {
        ...users,
        ...(table ? { table } : {}),
        columns: { ...(users.columns ?? {}), ...columns },
        ...(roleKind ? { role: { ...(users.role ?? {}), kind: roleKind } } : {}),
      },
    },
  };
}
