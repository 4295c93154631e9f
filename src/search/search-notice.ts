import type { SearchInfo } from './table-search';

/** What a list page says about a search that did not go through indexes only. */
export interface SearchNotice {
  /** "Searched the newest 50,000 users only." */
  summary: string;
  /** What would make it search everything. */
  note: string;
  /** The DDL to run: superusers only (null for the others, and where the database has no such index). */
  ddl: string[] | null;
  /** The console command that runs it, for superusers. */
  command: string | null;
  /** The advice exists but this operator may not see it. */
  askSuperuser: boolean;
}

const NUMBER = new Intl.NumberFormat('en-US');

/**
 * The notice for a bounded search, or null when every row was searched. The
 * DDL is decided here, in the route's loader, not in the template: only
 * superusers see statements for the host's schema.
 */
export function searchNotice(info: SearchInfo | null | undefined, isSuperuser: boolean): SearchNotice | null {
  if (!info || info.mode !== 'bounded') return null;
  const advice = info.advice;
  const ddl = advice && advice.ddl.length > 0 ? advice.ddl : null;
  return {
    summary: `Searched the newest ${NUMBER.format(info.searched ?? 0)} ${info.noun} only: this search cannot use an index, so it does not read them all.`,
    note: advice?.note ?? '',
    ddl: isSuperuser ? ddl : null,
    command: isSuperuser && ddl ? (advice?.command ?? null) : null,
    askSuperuser: !isSuperuser && ddl !== null,
  };
}
