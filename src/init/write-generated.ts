import fs from 'node:fs';
import path from 'node:path';
import { checksum, readGenerated } from './render-file';

export type WritePlan =
  | { action: 'create' }
  | { action: 'unchanged' }
  /** The file is init's own and untouched: regenerating it loses nothing. */
  | { action: 'update'; diff: string[] }
  /** The host edited the file, and init would write what it wrote last time: the edits are all there is to lose. */
  | { action: 'kept'; reason: string }
  /** The host edited the file (or wrote it by hand): only --force overwrites it. */
  | { action: 'refuse'; diff: string[]; reason: string };

/** A short line diff (`- old`, `+ new`, two lines of context), enough to see what a rerun would change. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: Array<[' ' | '-' | '+', string]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push([' ', a[i++]]);
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push(['-', a[i++]]);
    else ops.push(['+', b[j++]]);
  }
  const shown = new Set<number>();
  ops.forEach(([op], index) => {
    if (op !== ' ') for (let k = index - 2; k <= index + 2; k++) shown.add(k);
  });
  const out: string[] = [];
  let last = -1;
  ops.forEach(([op, text], index) => {
    if (!shown.has(index)) return;
    if (last >= 0 && index > last + 1) out.push('  …');
    out.push(`${op} ${text}`);
    last = index;
  });
  return out;
}

/** What writing `content` to `file` would do, without writing. */
export function planWrite(file: string, content: string): WritePlan {
  if (!fs.existsSync(file)) return { action: 'create' };
  const existing = fs.readFileSync(file, 'utf8');
  if (existing === content) return { action: 'unchanged' };
  const diff = lineDiff(existing, content);
  const generated = readGenerated(existing);
  if (generated && checksum(generated.body) === generated.recorded) return { action: 'update', diff };
  const name = path.basename(file);
  const fresh = readGenerated(content);
  if (generated && fresh && fresh.recorded === generated.recorded) return { action: 'kept', reason: `${name} was edited since init wrote it, and init has nothing new for it` };
  return { action: 'refuse', diff, reason: generated ? `${name} was edited since init wrote it` : `${name} exists and was not written by init` };
}

export function writeFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}
