/** Formatting of runtime figures, done on the server so the page and the live events say the same thing. */

const NUMBER = new Intl.NumberFormat('en-US');

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (Math.abs(n) >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit === 0 ? n : n.toFixed(n >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function percent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}

export function count(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : NUMBER.format(value);
}

/** `3d 4h`, `5h 12m`, `42s`. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/**
 * A query's text with its literals taken out: quoted strings, dollar-quoted
 * bodies and numbers become `?`, so a value written into the SQL (an email,
 * a token) is not shown to whoever opens the runtime page.
 */
export function redactSql(text: string, options: { doubleQuotedStrings?: boolean; max?: number } = {}): string {
  const max = options.max ?? 200;
  let redacted = text.replace(/\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$/g, '?').replace(/'(?:[^'\\]|''|\\.)*'/g, '?');
  // MySQL reads "…" as a string; PostgreSQL as an identifier, which is kept.
  if (options.doubleQuotedStrings) redacted = redacted.replace(/"(?:[^"\\]|""|\\.)*"/g, '?');
  // The text may have been cut inside a literal: drop an unterminated one to the end.
  redacted = redacted.replace(/'[\s\S]*$/, '?…').replace(/\$([A-Za-z_]\w*)?\$[\s\S]*$/, '?…');
  if (options.doubleQuotedStrings) redacted = redacted.replace(/"[\s\S]*$/, '?…');
  redacted = redacted
    .replace(/(?<![\w$.])-?\d+(?:\.\d+)?(?![\w])/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return redacted.length > max ? `${redacted.slice(0, max - 1)}…` : redacted;
}
