/**
 * How jobs read on the queue pages: times to the second with a relative age,
 * JSON pretty-printed under a size cap, short previews. Pure functions; the
 * templates get them as `fmt`.
 */
import { timeAgo } from '../../http/view-helpers';

/** Largest JSON text the job page shows for data, options or a return value. */
export const MAX_SHOWN_JSON_BYTES = 256 * 1024;

/** `2026-11-25 14:03:12 UTC`; jobs move in seconds, so seconds are shown. */
export function jobTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "3 minutes ago" / "in 2 hours" / "—". */
export function jobAge(ms: number | null | undefined, now: Date): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return timeAgo(new Date(ms), now);
}

export interface ShownJson {
  text: string;
  /** Size of the whole JSON text, in bytes. */
  bytes: number;
  truncated: boolean;
}

/** Pretty JSON, cut at `cap` bytes (on a character boundary) with the full size reported. */
export function prettyJson(value: unknown, cap = MAX_SHOWN_JSON_BYTES): ShownJson {
  let text: string;
  try {
    text = JSON.stringify(value ?? null, null, 2) ?? 'null';
  } catch {
    text = '"[unserialisable]"';
  }
  const bytes = Buffer.byteLength(text);
  if (bytes <= cap) return { text, bytes, truncated: false };
  // Slice by bytes, then drop a split multi-byte character at the end.
  const cut = Buffer.from(text).subarray(0, cap).toString('utf8').replace(/\uFFFD$/, '');
  return { text: cut, bytes, truncated: true };
}

/** `12.3 KB`, `1.2 MB`. */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A one-line JSON preview of at most `max` characters, built without
 * serialising the whole value (job data can be megabytes).
 */
export function jsonPreview(value: unknown, max = 120): string {
  const out: string[] = [];
  let length = 0;
  const push = (s: string): boolean => {
    out.push(s);
    length += s.length;
    return length <= max;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || v === undefined) return push('null');
    if (typeof v === 'string') return push(JSON.stringify(v.length > max ? v.slice(0, max) : v));
    if (typeof v === 'number' || typeof v === 'boolean') return push(String(v));
    if (typeof v !== 'object') return push(JSON.stringify(String(v)));
    if (depth > 6) return push(Array.isArray(v) ? '[…]' : '{…}');
    if (Array.isArray(v)) {
      if (!push('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !push(',')) return false;
        if (!walk(v[i], depth + 1)) return false;
      }
      return push(']');
    }
    if (!push('{')) return false;
    let first = true;
    for (const key of Object.keys(v)) {
      if (!first && !push(',')) return false;
      first = false;
      if (!push(`${JSON.stringify(key)}:`)) return false;
      if (!walk((v as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return push('}');
  };
  const complete = walk(value, 0);
  const text = out.join('');
  return complete && text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The first line of a failed reason, shortened for a table cell. */
export function reasonExcerpt(reason: string | null | undefined, max = 140): string {
  if (!reason) return '';
  const line = reason.split('\n', 1)[0];
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Progress as a job reports it: a percentage, or a small object. */
export function progressText(progress: unknown): string {
  if (typeof progress === 'number' && Number.isFinite(progress)) return `${Math.round(progress * 10) / 10}%`;
  if (progress === null || progress === undefined || progress === '') return '—';
  return jsonPreview(progress, 200);
}

export const STATE_BADGE: Record<string, string> = {
  failed: 'bad',
  completed: 'ok',
  active: 'accent',
  delayed: 'warn',
  waiting: '',
  paused: '',
  'waiting-children': '',
  unknown: '',
};
