import fs from 'node:fs';
import path from 'node:path';

export interface HostProject {
  language: 'js' | 'ts';
  moduleSystem: 'cjs' | 'esm';
  /** Where the generated file goes (absolute). */
  out: string;
  /** The app's entry file (absolute), to print the import path from; null when it cannot be told. */
  entry: string | null;
  /** TypeScript on NodeNext/Node16 resolution: relative imports spell the `.js` extension. */
  tsImportsNeedJs: boolean;
}

export function readJson(file: string): Record<string, any> | null {
  try {
    // tsconfig allows comments and trailing commas.
    const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:"'])\/\/.*$/gm, '$1').replace(/,(\s*[}\]])/g, '$1');
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function findEntry(cwd: string, pkg: Record<string, any> | null): string | null {
  const fromStart = /(?:node|tsx|ts-node|nodemon|bun)\s+(?:--?\S+\s+)*([\w./-]+\.[cm]?[jt]s)\b/.exec(String(pkg?.scripts?.start ?? pkg?.scripts?.dev ?? ''));
  const candidates = [fromStart?.[1], typeof pkg?.main === 'string' ? pkg.main : undefined, 'app.js', 'server.js', 'index.js', 'src/app.ts', 'src/server.ts', 'src/index.ts', 'src/app.js', 'src/server.js', 'src/index.js', 'app.ts', 'server.ts', 'index.ts'];
  for (const candidate of candidates) {
    if (candidate && fs.existsSync(path.join(cwd, candidate))) return path.join(cwd, candidate);
  }
  return null;
}

/**
 * The host's language and module system: TypeScript when it has a tsconfig.json,
 * ESM when package.json says `"type": "module"` (or `--out` ends in .mjs/.mts),
 * CommonJS otherwise. The file goes to `src/` when the project has one.
 */
export function detectHostProject(cwd: string, outFlag?: string): HostProject {
  const pkg = readJson(path.join(cwd, 'package.json'));
  const tsconfig = fs.existsSync(path.join(cwd, 'tsconfig.json')) ? (readJson(path.join(cwd, 'tsconfig.json')) ?? {}) : null;
  const packageEsm = pkg?.type === 'module';
  const resolution = String(tsconfig?.compilerOptions?.moduleResolution ?? tsconfig?.compilerOptions?.module ?? '').toLowerCase();
  const tsImportsNeedJs = resolution === 'nodenext' || resolution === 'node16';

  let language: HostProject['language'] = tsconfig ? 'ts' : 'js';
  let moduleSystem: HostProject['moduleSystem'] = packageEsm ? 'esm' : 'cjs';
  let out: string;
  if (outFlag) {
    out = path.resolve(cwd, outFlag);
    const ext = path.extname(out);
    if (['.ts', '.mts', '.cts'].includes(ext)) language = 'ts';
    else if (['.js', '.mjs', '.cjs'].includes(ext)) language = 'js';
    if (ext === '.mjs' || ext === '.mts') moduleSystem = 'esm';
    if (ext === '.cjs' || ext === '.cts') moduleSystem = 'cjs';
  } else {
    const folder = fs.existsSync(path.join(cwd, 'src')) && fs.statSync(path.join(cwd, 'src')).isDirectory() ? path.join(cwd, 'src') : cwd;
    out = path.join(folder, `backstage.${language}`);
  }
  return { language, moduleSystem, out, entry: findEntry(cwd, pkg), tsImportsNeedJs };
}
