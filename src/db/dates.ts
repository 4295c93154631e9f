import type { DialectName } from './dialect';

/**
 * How a table stores its timestamps. Hosts differ: native timestamp columns,
 * ISO-8601 text (common on SQLite), or epoch numbers.
 */
export type DateStorage = 'native' | 'iso-text' | 'epoch-ms' | 'epoch-s';

export const DATE_STORAGES: readonly DateStorage[] = ['native', 'iso-text', 'epoch-ms', 'epoch-s'];

/** SQLite has no timestamp type, so "native" there means ISO text. */
export function defaultDateStorage(dialect: DialectName): DateStorage {
  return dialect === 'sqlite' ? 'iso-text' : 'native';
}

/** A JS Date as the column stores it, for writes and for comparisons in WHERE. */
export function toDbDate(date: Date, storage: DateStorage, dialect: DialectName): unknown {
  switch (storage) {
    case 'epoch-ms':
      return date.getTime();
    case 'epoch-s':
      return Math.floor(date.getTime() / 1000);
    case 'iso-text':
      return date.toISOString();
    case 'native':
      return dialect === 'sqlite' ? date.toISOString() : date;
  }
}

/** Whatever the driver returned, as a Date (or null when absent or unreadable). */
export function fromDbDate(value: unknown, storage: DateStorage): Date | null {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  // PostgreSQL and MySQL return BIGINT as a string.
  if (typeof value === 'string' && (storage === 'epoch-ms' || storage === 'epoch-s') && /^-?\d+$/.test(value)) {
    return fromDbDate(Number(value), storage);
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value);
    return new Date(storage === 'epoch-s' ? n * 1000 : n);
  }
  if (typeof value === 'string') {
    // SQLite's CURRENT_TIMESTAMP writes 'YYYY-MM-DD HH:MM:SS' in UTC without a zone.
    const normalised = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
    const date = new Date(normalised);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return null;
}
