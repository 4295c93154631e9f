/**
 * The built package, loaded the way hosts load it: `require` from CommonJS and
 * `import` from ESM, through the package's own name and `exports` map. Runs on
 * dist/, which `npm test` builds before jest starts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const built = fs.existsSync(path.join(root, 'dist/index.js'));

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

(built ? describe : describe.skip)('express-backstage as a host loads it', () => {
  it('from CommonJS', () => {
    expect(node(['-e', "const { createAdmin } = require('express-backstage'); console.log(typeof createAdmin)"])).toBe('function');
  });

  it('from ESM', () => {
    expect(node(['--input-type=module', '-e', "import { createAdmin } from 'express-backstage'; console.log(typeof createAdmin)"])).toBe('function');
  });

  it('ships its views, assets and types, and no tests', () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
    const files: string[] = pack.files.map((f: { path: string }) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'views/layout.ejs', 'public/css/backstage.css', 'public/js/backstage.js']));
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('examples/') || f.startsWith('src/'))).toEqual([]);
  });
});

if (!built && process.env.CI) {
  throw new Error('dist/ is missing: npm test builds it before jest runs');
}
