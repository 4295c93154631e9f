import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_FILES } from '../cli/config';
import type { DatabaseSource } from './find-database';
import type { HostProject } from './host-project';
import type { MappingProposal } from './propose-mapping';
import { checksum, toSource } from './render-file';

const MARK = 'backstage-init:';

/**
 * The config's format: one each module system loads without a compiler flag,
 * and the commands (which cannot import TypeScript) read too. TypeScript apps
 * get JSON, read by `backstageConfig(import.meta.url)` from src/ and dist/ alike.
 */
export type ConfigFormat = 'cjs' | 'mjs' | 'json';

export interface ConfigTarget {
  file: string;
  format: ConfigFormat;
  /** A config the commands would read before this one (written by hand under another name). */
  shadowedBy: string | null;
}

/** Where init writes `backstage.config.*`: the app's folder, where the commands look for it. */
export function configTarget(cwd: string, project: HostProject): ConfigTarget {
  const format: ConfigFormat = project.language === 'ts' ? 'json' : project.moduleSystem === 'esm' ? 'mjs' : 'cjs';
  const file = path.join(cwd, `backstage.config.${format}`);
  const first = CONFIG_FILES.map((name) => path.join(cwd, name)).find((candidate) => fs.existsSync(candidate));
  return { file, format, shadowedBy: first && first !== file ? path.basename(first) : null };
}

/** How the database is named: in the config (a URL init found or was given), in the generated file (a knexfile), or both. */
export interface DbSetting {
  /** The config's `db`, as JavaScript source (cjs/mjs), with what it needs imported; null: not in the config. */
  configSource: { expression: string; imports: { cjs: string[]; mjs: string[] }; comment: string } | null;
  /** The config's `db` for JSON; undefined: not in the JSON config. */
  json: string | undefined;
  /** What the generated file passes as `db`, when the config cannot hold it; null: the config's own. */
  admin: { expression: string; imports: string[]; comment: string } | null;
}

/** A path inside the app's folder, written relative (`./notes.db`); one outside it stays absolute. */
function sqliteInProject(url: string, cwd: string): string | null {
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file === ':memory:') return null;
  const relative = path.relative(cwd, path.resolve(cwd, file));
  return relative.startsWith('..') || path.isAbsolute(relative) ? null : relative.split(path.sep).join('/');
}

export function dbSetting(source: DatabaseSource, project: HostProject, cwd: string, knexfileAdmin: () => { expression: string; imports: string[]; comment: string }): DbSetting {
  const ts = project.language === 'ts';
  const env = 'process.env.DATABASE_URL';
  const noImports = { cjs: [], mjs: [] };
  if (source.kind === 'knexfile') return { configSource: null, json: undefined, admin: knexfileAdmin() };
  if (source.kind === 'env') {
    const comment = source.file ? `DATABASE_URL, as in ${source.file} (load it before this file, e.g. with dotenv)` : 'DATABASE_URL from the environment';
    // JSON cannot read the environment: the generated file does (and the commands fall back to DATABASE_URL).
    return ts ? { configSource: null, json: undefined, admin: { expression: `${env}!`, imports: [], comment } } : { configSource: { expression: env, imports: noImports, comment }, json: undefined, admin: null };
  }
  const url = source.url;
  if (url.startsWith('sqlite:')) {
    const relative = sqliteInProject(url, cwd);
    if (relative === null) {
      const absolute = url.replace(/^sqlite:(\/\/)?/, '');
      const value = absolute === ':memory:' ? url : `sqlite:${path.resolve(cwd, absolute)}`;
      return { configSource: { expression: toSource(value), imports: noImports, comment: 'the SQLite file init was pointed at' }, json: value, admin: null };
    }
    return {
      configSource: {
        expression: project.moduleSystem === 'esm' ? `\`sqlite:\${fileURLToPath(new URL(${toSource(`./${relative}`)}, import.meta.url))}\`` : `\`sqlite:\${path.join(__dirname, ${toSource(relative)})}\``,
        imports: { cjs: ["const path = require('node:path');"], mjs: ["import { fileURLToPath } from 'node:url';"] },
        comment: `the SQLite file ${relative}, found from this file's folder (not from the folder the app is started in)`,
      },
      json: `sqlite:./${relative}`,
      admin: null,
    };
  }
  if (/\/\/[^:@/]+:[^@/]+@/.test(url)) {
    const comment = 'set DATABASE_URL (the URL given to init has a password, so it is not written here)';
    return ts ? { configSource: null, json: undefined, admin: { expression: `${env}!`, imports: [], comment } } : { configSource: { expression: env, imports: noImports, comment }, json: undefined, admin: null };
  }
  return { configSource: { expression: `${env} ?? ${toSource(url)}`, imports: noImports, comment: 'DATABASE_URL, or the database init was pointed at' }, json: url, admin: null };
}

/** The options the config holds besides db: the mapping init proposed (only what differs from the defaults). */
export function mappingOptions(proposal: MappingProposal): Record<string, unknown> {
  const { options } = proposal;
  return {
    ...(options.roles ? { roles: options.roles } : {}),
    ...(options.superuserRoles ? { superuserRoles: options.superuserRoles } : {}),
    ...(Object.keys(options.models).length ? { models: options.models } : {}),
    ...(options.billingOff ? { billing: false } : {}),
  };
}

export interface RenderConfigInput {
  target: ConfigTarget;
  proposal: MappingProposal;
  db: DbSetting;
  /** The generated file that loads the config, relative to the app's folder. */
  adminShown: string;
}

const ABOUT = (adminShown: string) =>
  `The operator console's mapping of this app's database, written by \`npx express-backstage init\`: ${adminShown} loads it, and so do the commands (npx express-backstage grant, doctor).`;

/** The whole `backstage.config.*`, header included. */
export function renderConfigFile({ target, proposal, db, adminShown }: RenderConfigInput): string {
  const mapping = mappingOptions(proposal);
  if (target.format === 'json') {
    const body: Record<string, unknown> = { ...(db.json !== undefined ? { db: db.json } : {}), ...mapping };
    const entries = JSON.stringify(body, null, 2).split('\n').slice(1, -1);
    const bodyText = `${entries.join('\n')}${entries.length ? '\n' : ''}}\n`;
    const header = `  "//": ${JSON.stringify(`${ABOUT(adminShown)} A relative SQLite path is read from this file's folder. Edit it freely: init will not overwrite it once edited, unless --force. ${MARK}${checksum(bodyText)}`)}${entries.length ? ',' : ''}`;
    return `{\n${header}\n${bodyText}`;
  }
  const esm = target.format === 'mjs';
  const imports = db.configSource ? (esm ? db.configSource.imports.mjs : db.configSource.imports.cjs) : [];
  const optionLines = Object.entries(mapping).map(([name, value]) => `  ${name}: ${toSource(value, '  ')},`);
  const lines = [
    ...imports,
    ...(imports.length ? [''] : []),
    `${esm ? 'export default' : 'module.exports ='} {`,
    ...(db.configSource ? [`  // The database: ${db.configSource.comment}.`, `  db: ${db.configSource.expression},`] : []),
    ...(optionLines.length ? optionLines : ['  // Your schema matches the console\'s defaults (users with email, name, role, …): nothing to map.']),
    '};',
    '',
  ];
  const body = lines.join('\n');
  const header = [`// ${ABOUT(adminShown)}`, `// Edit it freely: init will not overwrite it once edited, unless --force. ${MARK}${checksum(body)}`];
  return `${header.join('\n')}\n${body}`;
}
