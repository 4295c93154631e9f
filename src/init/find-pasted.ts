import fs from 'node:fs';
import path from 'node:path';

const SOURCE = /\.(c|m)?(j|t)s$/;
const SKIPPED = new Set(['node_modules', 'dist', 'build', 'out', 'coverage', '.git', '.next']);
const GUARD = /\.use\(\s*admin\.guard\s*\)/;

/** The app's own source files, a few folders deep, without dependencies and build output. */
function sourceFiles(folder: string, depth: number, into: string[]): void {
  if (depth < 0 || into.length >= 500) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folder, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const file = path.join(folder, entry.name);
    if (entry.isDirectory()) sourceFiles(file, depth - 1, into);
    else if (entry.isFile() && SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) into.push(file);
  }
}

/**
 * Where the lines init prints were pasted already: `app.use(admin.guard)` in
 * the app module itself, or in another file of the app (server.js, most often,
 * where the guard would come after every route and the tests never see it).
 */
export function findPastedLines(cwd: string, appModule: string | null, skip: string[]): { inApp: boolean; elsewhere: string[] } {
  const has = (file: string) => {
    try {
      return GUARD.test(fs.readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
  };
  const inApp = appModule !== null && has(appModule);
  const files: string[] = [];
  sourceFiles(cwd, 3, files);
  const ignored = new Set([appModule, ...skip].filter(Boolean).map((file) => path.resolve(file as string)));
  const elsewhere = files.filter((file) => !ignored.has(file) && has(file));
  return { inApp, elsewhere };
}
