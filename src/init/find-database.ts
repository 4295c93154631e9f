import fs from 'node:fs';
import path from 'node:path';
import type { KnexConfigLike } from '../db/wrap-connection';
import { CliError, loadModuleFile } from '../cli/config';

export type DatabaseSource =
  | { kind: 'flag'; url: string; /** Where the URL came from when not --db: the config an earlier init wrote. */ from?: string }
  | { kind: 'env'; url: string; file: string | null }
  | { kind: 'knexfile'; file: string; environment: string | null; config: KnexConfigLike };

export const KNEXFILES = ['knexfile.js', 'knexfile.cjs', 'knexfile.mjs'];

/** DATABASE_URL from a .env file, if the project keeps one (not loaded into the environment). */
function fromDotenv(cwd: string): { url: string; file: string } | null {
  for (const name of ['.env', '.env.local', '.env.development']) {
    const file = path.join(cwd, name);
    if (!fs.existsSync(file)) continue;
    const match = /^\s*(?:export\s+)?DATABASE_URL\s*=\s*(.*)$/m.exec(fs.readFileSync(file, 'utf8'));
    if (match) {
      const url = match[1].trim().replace(/^(['"])(.*)\1$/, '$2');
      if (url) return { url, file: name };
    }
  }
  return null;
}

/**
 * Where the host's database is, in the usual places: `--db`, then
 * `DATABASE_URL` (the environment, then a .env file), then a knexfile.
 */
export async function findDatabase(cwd: string, flag: string | undefined, env: Record<string, string | undefined>): Promise<DatabaseSource | null> {
  if (flag) return { kind: 'flag', url: flag };
  if (env.DATABASE_URL) return { kind: 'env', url: env.DATABASE_URL, file: null };
  const dotenv = fromDotenv(cwd);
  if (dotenv) return { kind: 'env', url: dotenv.url, file: dotenv.file };
  const knexfile = KNEXFILES.map((name) => path.join(cwd, name)).find((file) => fs.existsSync(file));
  if (!knexfile) return null;
  let loaded: any;
  try {
    loaded = await loadModuleFile(knexfile);
  } catch (err) {
    throw new CliError(`express-backstage init: could not load ${path.basename(knexfile)}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const exported = loaded && typeof loaded === 'object' && 'default' in loaded ? loaded.default : loaded;
  if (exported && typeof exported.client === 'string') return { kind: 'knexfile', file: knexfile, environment: null, config: exported };
  const environment = env.NODE_ENV && exported?.[env.NODE_ENV] ? env.NODE_ENV : exported?.development ? 'development' : Object.keys(exported ?? {})[0];
  const config = environment ? exported[environment] : undefined;
  if (!config || typeof config.client !== 'string') {
    throw new CliError(`express-backstage init: ${path.basename(knexfile)} has no configuration with a client I can read; pass --db <url> instead.`);
  }
  return { kind: 'knexfile', file: knexfile, environment, config };
}
