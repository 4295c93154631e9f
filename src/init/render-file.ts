import { createHash } from 'node:crypto';
import path from 'node:path';
import type { HostProject } from './host-project';
import type { DatabaseSource } from './find-database';
import type { MappingProposal } from './propose-mapping';
import { mappingOptions, type ConfigTarget, type DbSetting } from './render-config';

const MARK = 'backstage-init:';

/** The checksum written in the header: a later run can tell an untouched file from one the host edited. */
export function checksum(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 12);
}

/** The file's body and recorded checksum, or null when it has no init header (written by hand). */
export function readGenerated(text: string): { body: string; recorded: string } | null {
  const lines = text.split('\n');
  const header = lines.slice(0, 3).find((line) => line.includes(MARK));
  if (!header) return null;
  // A JS comment ends the line; a JSON config carries the mark inside its "//" string.
  const recorded = new RegExp(`${MARK}([0-9a-f]+)`).exec(header)?.[1] ?? '';
  const at = lines.indexOf(header);
  return { body: lines.slice(at + 1).join('\n'), recorded };
}

/** A value as JavaScript source: identifiers unquoted, strings single-quoted, nested objects indented. */
export function toSource(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => toSource(v, indent)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const inner = `${indent}  `;
  const oneLine = `{ ${entries.map(([k, v]) => `${key(k)}: ${toSource(v, inner)}`).join(', ')} }`;
  if (oneLine.length + indent.length <= 100 && !oneLine.includes('\n')) return oneLine;
  return `{\n${entries.map(([k, v]) => `${inner}${key(k)}: ${toSource(v, inner)},`).join('\n')}\n${indent}}`;
}

function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : toSource(name);
}

/** A relative import specifier from `fromFile` to `toFile`, spelled the way the host's module system wants it. */
export function importPath(fromFile: string, toFile: string, project: Pick<HostProject, 'language' | 'moduleSystem' | 'tsImportsNeedJs'>): string {
  let relative = path.relative(path.dirname(fromFile), toFile).split(path.sep).join('/');
  if (!relative.startsWith('.')) relative = `./${relative}`;
  const ext = path.extname(relative);
  if (project.language === 'ts') {
    const base = relative.slice(0, -ext.length);
    if (['.ts', '.mts', '.cts'].includes(ext)) return project.tsImportsNeedJs ? `${base}${ext.replace('t', 'j')}` : base;
    return relative;
  }
  if (project.moduleSystem === 'cjs' && ext === '.js') return relative.slice(0, -3);
  return relative;
}

export interface RenderInput {
  project: HostProject;
  source: DatabaseSource;
  proposal: MappingProposal;
  cwd: string;
  /** The backstage.config.* the file loads its mapping from. */
  config: ConfigTarget;
  db: DbSetting;
}

/** The `createAdmin` options the proposal stands for, as data (the functions are added in the file). */
export function proposedOptions(proposal: MappingProposal): Record<string, unknown> {
  return mappingOptions(proposal);
}

/** The `db` of a knexfile host: the knexfile's own entry, chosen by NODE_ENV as Knex does. */
export function knexfileDb(source: Extract<DatabaseSource, { kind: 'knexfile' }>, project: HostProject): { imports: string[]; expression: string; comment: string } {
  const ts = project.language === 'ts';
  const specifier = importPath(project.out, source.file, { ...project, language: 'js' });
  const comment = `the connection of ${path.basename(source.file)}; the console opens its own small pool (2 connections)`;
  const cjs = project.moduleSystem === 'cjs' && project.language === 'js';
  const imports = [cjs ? `const knexfile = require(${toSource(specifier)});` : `import knexfile from ${toSource(specifier)};`];
  const config = ts ? '(knexfile as any)' : 'knexfile';
  // Like Knex: the NODE_ENV entry, and the one init read when there is none (NODE_ENV=test without a test entry).
  const expression = source.environment ? `${config}[process.env.NODE_ENV ?? ${toSource(source.environment)}] ?? ${config}${key(source.environment) === source.environment ? `.${source.environment}` : `[${toSource(source.environment)}]`}` : config;
  return { imports, expression, comment };
}

/** How the generated file loads the config: require/import for JS, backstageConfig() for TypeScript. */
function configLoading(input: RenderInput): { imports: string[]; statement: string | null } {
  const { project, config } = input;
  const shown = path.basename(config.file);
  if (config.format === 'json') {
    const from = project.moduleSystem === 'esm' ? 'import.meta.url' : '__dirname';
    return { imports: [], statement: `const config = backstageConfig(${from}); // ${shown}, found from this file's folder upwards (src/ or dist/)` };
  }
  const specifier = importPath(project.out, config.file, { ...project, language: 'js' });
  return config.format === 'mjs' ? { imports: [`import config from ${toSource(specifier)};`], statement: null } : { imports: [`const config = require(${toSource(specifier)});`], statement: null };
}

function roleOfSource(input: RenderInput): string[] {
  const { options } = input.proposal;
  const param = input.project.language === 'ts' ? '(user: any)' : '(user)';
  if (options.booleanRoleProperty) return [`  // ${options.booleanRoleProperty} is a boolean: true lets the user in as admin.`, `  roleOf: ${param} => (user.${options.booleanRoleProperty} ? 'admin' : 'user'),`];
  if (options.roleProperty) return [`  roleOf: ${param} => user.${options.roleProperty},`];
  if (options.noRoleColumn) {
    return [
      '  // No role column was found: the emails listed in BACKSTAGE_ADMINS (comma-separated) are superusers.',
      `  roleOf: ${param} => ((process.env.BACKSTAGE_ADMINS ?? '').split(',').map((email) => email.trim()).includes(user.email) ? 'superuser' : null),`,
    ];
  }
  return [];
}

/** The whole generated file, header included. */
export function renderAdminFile(input: RenderInput): string {
  const { project, config, db } = input;
  const esmSyntax = project.language === 'ts' || project.moduleSystem === 'esm';
  const json = config.format === 'json';
  const req = project.language === 'ts' ? '(req: any)' : '(req)';
  const loading = configLoading(input);
  const configShown = path.relative(input.cwd, config.file).split(path.sep).join('/');
  const dbLines = db.admin
    ? [`  // The database: ${db.admin.comment}.`, `  db: ${db.admin.expression},`]
    : json && db.json !== undefined
      ? [`  // The database: db of ${path.basename(config.file)} (a relative SQLite path is read from that file's folder).`, '  db: config.db!,']
      : [];

  const lines = [
    esmSyntax ? `import { ${json ? 'backstageConfig, ' : ''}createAdmin } from 'express-backstage';` : "const { createAdmin } = require('express-backstage');",
    `// The mapping init found (${db.admin ? '' : 'database, '}tables, columns, roles) lives in ${configShown}: the commands read it too.`,
    ...loading.imports,
    ...(db.admin?.imports ?? []),
    '',
    ...(loading.statement ? [loading.statement, ''] : []),
    `${esmSyntax ? 'export ' : ''}const admin = createAdmin({`,
    '  ...config,',
    ...dbLines,
    '  // Your signed-in user, or null. Change this if your auth keeps it elsewhere (e.g. res.locals.user).',
    `  getUser: ${req} => req.user ?? null,`,
    ...roleOfSource(input),
    "  // Where anonymous visitors are sent to sign in.",
    "  loginPath: '/login',",
    '});',
    '',
    "// Creates or updates the console's own tables (audit log, …); safe on every start.",
    "admin.migrate().catch((err) => console.error('express-backstage: migration failed', err));",
    ...(esmSyntax ? [] : ['', 'module.exports = { admin };']),
    '',
  ];
  const body = lines.join('\n');
  const header = [
    '// The operator console of this app, written by `npx express-backstage init` (see its README, "Add it to your app").',
    `// Edit it freely: init will not overwrite it once edited, unless --force. ${MARK}${checksum(body)}`,
  ];
  return `${header.join('\n')}\n${body}`;
}

/**
 * The lines the host pastes into the module that builds its app (the one the
 * generated tests load): the import, then the two `app.use` lines.
 */
export function linesToPaste(project: HostProject, mount: string, into: string | null): { importLine: string; guard: string; mountLine: string } {
  const from = into ?? project.entry ?? path.join(path.dirname(project.out), project.language === 'ts' ? 'app.ts' : 'app.js');
  const specifier = importPath(from, project.out, project);
  const esmSyntax = project.language === 'ts' || project.moduleSystem === 'esm';
  return {
    importLine: esmSyntax ? `import { admin } from '${specifier}';` : `const { admin } = require('${specifier}');`,
    guard: 'app.use(admin.guard);',
    mountLine: `app.use('${mount}', admin);`,
  };
}
