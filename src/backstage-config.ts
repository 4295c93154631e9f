import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdminOptions } from './options';

/** The file a TypeScript app's generated `backstage.ts` and the commands (grant, doctor) share. */
export const JSON_CONFIG_FILE = 'backstage.config.json';

/** What `backstage.config.*` holds: the part of the createAdmin options that describes the database. */
export type BackstageConfig = Partial<Pick<AdminOptions, 'db' | 'models' | 'roles' | 'superuserRoles' | 'billing'>>;

/**
 * A relative SQLite path (`sqlite:./notes.db`) read from `folder`, the folder of
 * the file that names it, rather than from wherever the app happens to start: a
 * server started elsewhere would otherwise open (and create) an empty database.
 */
export function sqliteFromFolder(db: unknown, folder: string): unknown {
  if (typeof db !== 'string' || !db.startsWith('sqlite:')) return db;
  const file = db.replace(/^sqlite:(\/\/)?/, '');
  if (file === '' || file === ':memory:' || path.isAbsolute(file)) return db;
  return `sqlite:${path.resolve(folder, file)}`;
}

/** The options a config file exported, without its comment key (`"//"`, JSON's only way to carry one). */
export function withoutCommentKeys(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([key]) => !key.startsWith('//')));
}

function startFolder(from: string | URL): string {
  const value = typeof from === 'string' && from.startsWith('file:') ? new URL(from) : from;
  const file = value instanceof URL ? fileURLToPath(value) : path.resolve(value);
  return fs.existsSync(file) && fs.statSync(file).isDirectory() ? file : path.dirname(file);
}

/**
 * Reads the `backstage.config.json` that `npx express-backstage init` wrote for
 * a TypeScript app, looking in the folder of `from` and the folders above it
 * (so it is found from `src/` and from the compiled `dist/` alike). A relative
 * SQLite path in `db` is resolved from the config file's folder. The commands
 * (`grant`, `doctor`) read the same file, so the mapping lives in one place.
 *
 * @example
 * import { backstageConfig, createAdmin } from 'express-backstage';
 * const config = backstageConfig(import.meta.url); // or __dirname in CommonJS
 * export const admin = createAdmin({ ...config, db: process.env.DATABASE_URL!, getUser: (req) => req.user ?? null });
 */
export function backstageConfig(from: string | URL): BackstageConfig {
  const start = startFolder(from);
  for (let folder = start; ; folder = path.dirname(folder)) {
    const file = path.join(folder, JSON_CONFIG_FILE);
    if (fs.existsSync(file)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`express-backstage: could not read ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`express-backstage: ${file} must hold an object of createAdmin options ({ models, roles, … })`);
      const options = withoutCommentKeys(parsed as Record<string, unknown>);
      if (options.db !== undefined) options.db = sqliteFromFolder(options.db, folder);
      return options as BackstageConfig;
    }
    if (path.dirname(folder) === folder) break;
  }
  throw new Error(`express-backstage: no ${JSON_CONFIG_FILE} in ${start} or any folder above it. Run npx express-backstage init in your app's folder, or pass the options to createAdmin yourself.`);
}
