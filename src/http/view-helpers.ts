/** Small formatting helpers every template gets as `h`. Pure functions: no request, no I/O. */

const NUMBER = new Intl.NumberFormat('en-US');

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : NUMBER.format(value);
}

/** `2026-11-25 14:03 UTC`: unambiguous for operators in different time zones. */
export function formatDateTime(date: Date | null | undefined): string {
  if (!date) return '—';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatDate(date: Date | null | undefined): string {
  return date ? date.toISOString().slice(0, 10) : '—';
}

const UNITS: Array<[number, string]> = [
  [60, 'second'],
  [60, 'minute'],
  [24, 'hour'],
  [30, 'day'],
  [12, 'month'],
  [Number.POSITIVE_INFINITY, 'year'],
];

/** "3 days ago" / "in 5 minutes". */
export function timeAgo(date: Date | null | undefined, now: Date): string {
  if (!date) return '—';
  let delta = Math.round((now.getTime() - date.getTime()) / 1000);
  const future = delta < 0;
  delta = Math.abs(delta);
  if (delta < 5) return 'just now';
  for (const [size, unit] of UNITS) {
    if (delta < size) {
      const label = `${delta} ${unit}${delta === 1 ? '' : 's'}`;
      return future ? `in ${label}` : `${label} ago`;
    }
    delta = Math.floor(delta / size);
  }
  return formatDateTime(date);
}

export type QueryValues = Record<string, string | number | null | undefined>;

/** A query string from values, leaving out empty ones so URLs stay short and readable. */
export function queryString(values: QueryValues): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function initials(name: string | null | undefined, email: string | null | undefined): string {
  const source = (name && name.trim()) || (email ?? '?');
  const parts = source.split(/[\s@._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase();
}

export function truncate(value: string | null | undefined, max: number): string {
  if (!value) return '';
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
