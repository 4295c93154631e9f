import { createHash } from 'node:crypto';
import path from 'node:path';
import type { HostProject } from './host-project';
import type { DatabaseSource } from './find-database';
import type { MappingProposal } from './propose-mapping';

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
  const recorded = header.slice(header.indexOf(MARK) + MARK.length).trim().split(/\s/)[0];
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
}

/** The `createAdmin` options the proposal stands for, as data (the functions are added in the file). */
export function proposedOptions(proposal: MappingProposal): Record<string, unknown> {
  const { options } = proposal;
  return {
    ...(options.roles ? { roles: options.roles } : {}),
    ...(options.superuserRoles ? { superuserRoles: options.superuserRoles } : {}),
    ...(Object.keys(options.models).length ? { models: options.models } : {}),
    ...(options.billingOff ? { billing: false } : {}),
  };
}

function dbExpression(input: RenderInput): { imports: string[]; expression: string; comment: string } {
  const { source, project, cwd } = input;
  const ts = project.language === 'ts';
  const envUrl = ts ? 'process.env.DATABASE_URL!' : 'process.env.DATABASE_URL';
  if (source.kind === 'env') {
    return {
      imports: [],
      expression: envUrl,
      comment: source.file ? `DATABASE_URL, as in ${source.file} (load it before this file, e.g. with dotenv)` : 'DATABASE_URL from the environment',
    };
  }
  if (source.kind === 'flag') {
    if (source.url.startsWith('sqlite:')) {
      const file = source.url.replace(/^sqlite:(\/\/)?/, '');
      const relative = path.isAbsolute(file) ? path.relative(cwd, file) : file;
      const shown = relative.startsWith('..') ? file : `./${relative.replace(/^\.\//, '')}`;
      return { imports: [], expression: toSource(`sqlite:${shown}`), comment: 'the SQLite file, relative to where the app runs' };
    }
    const hasPassword = /\/\/[^:@/]+:[^@/]+@/.test(source.url);
    return hasPassword
      ? { imports: [], expression: envUrl, comment: 'set DATABASE_URL (the URL given to init has a password, so it is not written here)' }
      : { imports: [], expression: `process.env.DATABASE_URL ?? ${toSource(source.url)}`, comment: 'DATABASE_URL, or the database init was pointed at' };
  }
  const specifier = importPath(project.out, source.file, { ...project, language: 'js' });
  const comment = `the connection of ${path.basename(source.file)}; the console opens its own small pool (2 connections)`;
  const cjs = project.moduleSystem === 'cjs' && project.language === 'js';
  const imports = [cjs ? `const knexfile = require(${toSource(specifier)});` : `import knexfile from ${toSource(specifier)};`];
  const config = ts ? '(knexfile as any)' : 'knexfile';
  // Like Knex: the NODE_ENV entry, and the one init read when there is none (NODE_ENV=test without a test entry).
  const expression = source.environment ? `${config}[process.env.NODE_ENV ?? ${toSource(source.environment)}] ?? ${config}${key(source.environment) === source.environment ? `.${source.environment}` : `[${toSource(source.environment)}]`}` : config;
  return { imports, expression, comment };
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
  const { project } = input;
  const esmSyntax = project.language === 'ts' || project.moduleSystem === 'esm';
  const db = dbExpression(input);
  const req = project.language === 'ts' ? '(req: any)' : '(req)';
  const options = proposedOptions(input.proposal);
  const optionLines = Object.entries(options).map(([name, value]) => `  ${name}: ${toSource(value, '  ')},`);

  const lines = [
    esmSyntax ? "import { createAdmin } from 'express-backstage';" : "const { createAdmin } = require('express-backstage');",
    ...db.imports,
    '',
    `${esmSyntax ? 'export ' : ''}const admin = createAdmin({`,
    `  // The database: ${db.comment}.`,
    `  db: ${db.expression},`,
    '  // Your signed-in user, or null. Change this if your auth keeps it elsewhere (e.g. res.locals.user).',
    `  getUser: ${req} => req.user ?? null,`,
    ...roleOfSource(input),
    "  // Where anonymous visitors are sent to sign in.",
    "  loginPath: '/login',",
    ...optionLines,
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

/** The lines the host pastes into its app: the import, then the two `app.use` lines. */
export function linesToPaste(project: HostProject, mount: string): { importLine: string; guard: string; mountLine: string; into: string } {
  const from = project.entry ?? path.join(path.dirname(project.out), project.language === 'ts' ? 'app.ts' : 'app.js');
  const specifier = importPath(from, project.out, project);
  const esmSyntax = project.language === 'ts' || project.moduleSystem === 'esm';
  return {
    importLine: esmSyntax ? `import { admin } from '${specifier}';` : `const { admin } = require('${specifier}');`,
    guard: 'app.use(admin.guard);',
    mountLine: `app.use('${mount}', admin);`,
    into: project.entry ? path.basename(project.entry) : 'your app file',
  };
}
