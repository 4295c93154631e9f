import fs from 'node:fs';
import path from 'node:path';
import { readJson, type HostProject } from './host-project';

export type TestRunner = 'jest' | 'node';

/** Where and how init writes the console's tests into the host. */
export interface HostTests {
  runner: TestRunner;
  /** The test file to write (absolute). */
  file: string;
  /** The module that builds the host's Express app (absolute); null when none was found. */
  app: string | null;
  /** Something the host should know about the app module (it listens, it exports nothing). */
  appNote: string | null;
  /** How to run the file, as a command line. */
  run: string;
}

const APP_CANDIDATES = [
  'app.js', 'app.cjs', 'app.mjs', 'src/app.ts', 'src/app.js', 'src/app.mts', 'src/app.mjs', 'app.ts', 'lib/app.js',
  'server.js', 'src/server.ts', 'src/server.js', 'server.ts', 'index.js', 'src/index.ts', 'src/index.js', 'index.ts',
];

const EXPORTS_SOMETHING = /module\.exports\s*=|exports\.\w+\s*=|export\s+(default|const|let|var|function|\{)/;
const LISTENS = /\.listen\s*\(/;

function dependsOn(pkg: Record<string, any> | null, name: string): boolean {
  return Boolean(pkg?.dependencies?.[name] ?? pkg?.devDependencies?.[name]);
}

/** jest when the host's package.json uses it (a dependency, or the test script), node:test otherwise. */
export function detectTestRunner(pkg: Record<string, any> | null): TestRunner {
  return dependsOn(pkg, 'jest') || /\bjest\b/.test(String(pkg?.scripts?.test ?? '')) ? 'jest' : 'node';
}

/**
 * The packages the generated tests need that the host's package.json does not
 * list: supertest always, jest when the file is written for jest.
 */
export function missingTestPackages(cwd: string, runner: TestRunner): string[] {
  const pkg = readJson(path.join(cwd, 'package.json'));
  return ['supertest', ...(runner === 'jest' ? ['jest'] : [])].filter((name) => !dependsOn(pkg, name));
}

/**
 * The module that builds the app, without starting it: `--app`, else the usual
 * names (app.js, src/app.ts, … before server.js and index.js, and package.json
 * "main"), preferring a module that does not call `listen()`.
 */
export function findAppModule(cwd: string, pkg: Record<string, any> | null, flag?: string): { file: string; note: string | null } | null {
  const candidates = flag ? [flag] : [...APP_CANDIDATES.slice(0, 9), ...(typeof pkg?.main === 'string' ? [pkg.main] : []), ...APP_CANDIDATES.slice(9)];
  const existing = [...new Set(candidates)].map((name) => path.resolve(cwd, name)).filter((file) => fs.existsSync(file) && fs.statSync(file).isFile());
  if (existing.length === 0) return null;
  const quiet = flag ? existing[0] : (existing.find((file) => !LISTENS.test(fs.readFileSync(file, 'utf8'))) ?? existing[0]);
  const source = fs.readFileSync(quiet, 'utf8');
  const shown = path.relative(cwd, quiet);
  if (!EXPORTS_SOMETHING.test(source)) return { file: quiet, note: `${shown} does not seem to export the app: export it (module.exports = app, or export const app) so the tests can load it.` };
  if (LISTENS.test(source)) return { file: quiet, note: `${shown} calls listen(): the test process may not end. Export the app from a module that does not listen, and point --app at it.` };
  return { file: quiet, note: null };
}

function firstFolder(cwd: string, names: string[]): string | null {
  for (const name of names) {
    const folder = path.join(cwd, name);
    if (fs.existsSync(folder) && fs.statSync(folder).isDirectory()) return folder;
  }
  return null;
}

/** The compiled path of a TypeScript file, from tsconfig's rootDir and outDir. */
export function compiledPath(cwd: string, file: string): string | null {
  const tsconfig = readJson(path.join(cwd, 'tsconfig.json'));
  const outDir = tsconfig?.compilerOptions?.outDir;
  if (typeof outDir !== 'string') return null;
  const rootDir = typeof tsconfig?.compilerOptions?.rootDir === 'string' ? tsconfig.compilerOptions.rootDir : '.';
  const relative = path.relative(path.resolve(cwd, rootDir), file);
  if (relative.startsWith('..')) return null;
  return path.join(outDir, relative).replace(/\.([cm]?)ts$/, '.$1js');
}

/**
 * Where the console's tests go and how they run: beside the generated file for
 * TypeScript (so the host's build compiles them), in test/ (or tests/,
 * __tests__/) for JavaScript when there is one.
 */
export function planHostTests(cwd: string, project: HostProject, appFlag?: string): HostTests {
  const pkg = readJson(path.join(cwd, 'package.json'));
  const runner = detectTestRunner(pkg);
  const ext = path.extname(project.out);
  const folder = project.language === 'ts' ? path.dirname(project.out) : (firstFolder(cwd, ['test', 'tests', '__tests__']) ?? path.dirname(project.out));
  const file = path.join(folder, `backstage.test${ext}`);
  const app = findAppModule(cwd, pkg, appFlag);
  const shown = path.relative(cwd, file).split(path.sep).join('/');
  let run: string;
  if (runner === 'jest') run = `npx jest ${shown}`;
  else if (project.language === 'js') run = `node --test ${shown}`;
  else if (dependsOn(pkg, 'tsx')) run = `node --import tsx --test ${shown}`;
  else {
    const compiled = compiledPath(cwd, file);
    run = compiled ? `npx tsc && node --test ${compiled.split(path.sep).join('/')}` : `compile ${shown} with your build, then node --test <the compiled file>`;
  }
  return { runner, file, app: app?.file ?? null, appNote: app?.note ?? null, run };
}
