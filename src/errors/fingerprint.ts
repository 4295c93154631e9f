/**
 * How an error becomes a group: its class, its message with the parts that
 * change from one occurrence to the next replaced, and the first stack frame
 * in the host's own code. Two requests that fail the same way land in one
 * group even when the failing id, number or quoted value differs; the same
 * message thrown from another line is another group.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

/** Where a stack frame comes from: the host's own code, a dependency, or Node itself. */
export type FrameKind = 'app' | 'library' | 'internal';

export interface StackFrame {
  /** The function name as V8 wrote it (`Object.<anonymous>`, `async exportReport`), or null. */
  fn: string | null;
  /** The file, relative to the working directory when inside it; null when V8 gave no location. */
  file: string | null;
  line: number | null;
  column: number | null;
  kind: FrameKind;
}

/** One line of a stack trace as the detail page shows it. */
export interface StackLine {
  text: string;
  /** `message` for the lines that are not frames (the message, "Caused by: …"). */
  kind: FrameKind | 'message';
}

const FRAME = /^\s*at\s+(.*)$/;
const LOCATION = /^(.*?):(\d+):(\d+)$/;

function relativeFile(file: string, cwd: string): string {
  let f = file.startsWith('file://') ? decodeURIComponent(file.slice('file://'.length)) : file;
  if (cwd && (f.startsWith(cwd + path.sep) || f.startsWith(cwd + '/'))) f = f.slice(cwd.length + 1);
  return f;
}

function kindOf(file: string | null): FrameKind {
  if (file === null) return 'internal';
  if (file.startsWith('node:') || file.startsWith('internal/') || file === '<anonymous>' || file === 'native') return 'internal';
  if (/[\\/]node_modules[\\/]/.test(file) || file.startsWith('node_modules/')) return 'library';
  return 'app';
}

/** Reads one `    at …` line of a V8 stack; null for anything else. */
export function parseFrame(line: string, cwd = process.cwd()): StackFrame | null {
  const match = FRAME.exec(line);
  if (!match) return null;
  let body = match[1].trim();
  let fn: string | null = null;
  const open = body.indexOf(' (');
  if (body.endsWith(')') && open > 0) {
    fn = body.slice(0, open);
    body = body.slice(open + 2, -1);
  }
  // `eval at fn (file:1:2), <anonymous>:1:1`: the eval's origin is the useful location.
  const evalOrigin = /^eval at .*?\((.*?)\)/.exec(body);
  if (evalOrigin) body = evalOrigin[1];
  const location = LOCATION.exec(body);
  if (!location) {
    const file = body === '' ? null : body;
    return { fn, file, line: null, column: null, kind: kindOf(file) };
  }
  const file = relativeFile(location[1], cwd);
  return { fn, file, line: Number(location[2]), column: Number(location[3]), kind: kindOf(location[1]) };
}

export function parseStack(stack: string | null | undefined, cwd = process.cwd()): StackFrame[] {
  if (!stack) return [];
  const frames: StackFrame[] = [];
  for (const line of stack.split('\n')) {
    const frame = parseFrame(line, cwd);
    if (frame) frames.push(frame);
  }
  return frames;
}

/** Every line of a stored stack, tagged so the page can highlight the host's own frames. */
export function stackLines(stack: string | null | undefined, cwd = process.cwd()): StackLine[] {
  if (!stack) return [];
  return stack.split('\n').map((text) => {
    const frame = parseFrame(text, cwd);
    return { text, kind: frame ? frame.kind : 'message' };
  });
}

/** `src/reports.ts:41:13`, the frame part of a fingerprint. */
export function frameLabel(frame: StackFrame | null): string {
  if (!frame || !frame.file) return '';
  return frame.line === null ? frame.file : `${frame.file}:${frame.line}:${frame.column}`;
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
// A quote that opens after a non-word character, so "can't" and "user's" stay words.
const QUOTED = /(?<!\w)(["'`])(?:\\.|(?!\1)[^\\\n])*\1(?!\w)/g;
const HEX = /\b(?:0x[0-9a-f]+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,})\b/gi;
// A number with a short unit: 500ms, 3.5s, 2nd.
const NUMBER_WITH_UNIT = /\b\d+(?:\.\d+)?(?=[a-z]{1,3}\b)/gi;
// Tokens that mix letters and digits: cus_N8fK2, order-12ab, a1b2c3.
const MIXED_ID = /\b(?=[\w-]*[a-z])(?=[\w-]*\d)[a-z0-9][\w-]*\b/gi;
const NUMBER = /\d+(?:\.\d+)?/g;

/**
 * The message with what varies between occurrences replaced: uuids, emails,
 * quoted strings, hex, ids that mix letters and digits, numbers.
 *
 * @example
 * normaliseMessage('Report 41 for "acme" failed'); // 'Report <n> for <str> failed'
 */
export function normaliseMessage(message: string): string {
  return message
    .slice(0, 4000)
    .replace(UUID, '<uuid>')
    .replace(EMAIL, '<email>')
    .replace(QUOTED, '<str>')
    .replace(HEX, '<hex>')
    .replace(NUMBER_WITH_UNIT, '<n>')
    .replace(MIXED_ID, '<id>')
    .replace(NUMBER, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

/**
 * Credentials that error messages and stacks tend to carry: passwords in
 * connection URLs, bearer tokens, `password=…` pairs.
 */
export function scrubSecrets(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:@/\s]+):[^@/\s]*@/gi, '$1:[redacted]@')
    .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
    .replace(/\b(password|passwd|pwd|secret|token|api[_-]?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi, '$1$2[redacted]');
}

/** The class of anything thrown: a subclass's own name, `Error`, or what a non-error was. */
export function errorClassOf(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const ctor = (error as object).constructor?.name;
    const name = (error as { name?: unknown }).name;
    if (ctor && ctor !== 'Error' && ctor !== 'Object') return ctor.slice(0, 200);
    if (typeof name === 'string' && name) return name.slice(0, 200);
    return ctor === 'Object' ? 'Object' : 'Error';
  }
  if (error === null) return 'null';
  return `thrown ${typeof error}`;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return String(error.message ?? '');
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

const MAX_STACK = 16_000;

/** The stack with its causes (`err.cause`, three deep), as one text. */
export function fullStackOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const stack = typeof current === 'object' && typeof (current as { stack?: unknown }).stack === 'string' ? (current as { stack: string }).stack : `${errorClassOf(current)}: ${messageOf(current)}`;
    parts.push(depth === 0 ? stack : `Caused by: ${stack}`);
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  const text = parts.join('\n');
  return text.length > MAX_STACK ? `${text.slice(0, MAX_STACK)}\n… (cut at ${MAX_STACK} characters)` : text;
}

export interface Fingerprint {
  /** sha256 hex of class, normalised message and frame: the group's unique key. */
  hash: string;
  errorClass: string;
  message: string;
  normalisedMessage: string;
  /** The first frame in the host's own code (or the first frame at all), as `file:line:column`. */
  frame: string;
}

// The same code path fails with the same frames many times over: remember the frame of recent stacks.
const frameCache = new Map<string, string>();
const FRAME_CACHE_SIZE = 256;

function groupingFrame(stack: string | null, cwd: string): string {
  if (!stack) return '';
  const at = stack.indexOf('\n    at ');
  const key = at < 0 ? null : `${cwd}\0${stack.slice(at)}`;
  const cached = key === null ? undefined : frameCache.get(key);
  if (cached !== undefined) return cached;
  const frames = parseStack(stack, cwd);
  const frame = frameLabel(frames.find((f) => f.kind === 'app') ?? frames.find((f) => f.file !== null) ?? null);
  if (key !== null) {
    if (frameCache.size >= FRAME_CACHE_SIZE) frameCache.clear();
    frameCache.set(key, frame);
  }
  return frame;
}

/** Everything grouping needs to know about one error. */
export function fingerprintOf(error: unknown, cwd = process.cwd()): Fingerprint {
  const errorClass = errorClassOf(error);
  const message = scrubSecrets(messageOf(error));
  const normalisedMessage = normaliseMessage(message);
  const stack = typeof error === 'object' && error !== null ? (error as { stack?: unknown }).stack : undefined;
  const frame = groupingFrame(typeof stack === 'string' ? stack : null, cwd);
  const hash = createHash('sha256').update(`${errorClass}\n${normalisedMessage}\n${frame}`).digest('hex');
  return { hash, errorClass, message, normalisedMessage, frame };
}
