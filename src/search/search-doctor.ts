import type { Kysely } from 'kysely';
import type { DialectName } from '../db/dialect';
import type { Finding } from '../doctor/run-doctor';
import { searchCapabilities } from './search-capabilities';
import { noSubstringIndexNote, searchIndexStatements } from './search-index-ddl';
import type { SearchTarget } from './search-target';
import { DEFAULT_SEARCH_BOUND } from './table-search';

const NUMBER = new Intl.NumberFormat('en-US');

/**
 * What `doctor` says about the users and teams searches: whether a search for
 * part of a word has a trigram index, and if not, the statements that add one
 * (info, not a warning: the index is an opt-in that adds objects to the host's
 * schema, and without it searches stay correct and bounded).
 */
export async function searchIndexFindings(db: Kysely<any>, dialect: DialectName, targets: readonly SearchTarget[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const target of targets) {
    const columns = target.fields.map((f) => f.column);
    const capabilities = await searchCapabilities(db, dialect, target);
    const missing = dialect === 'sqlite' ? (capabilities.fts ? [] : columns) : columns.filter((column) => !capabilities.fields[column]?.trigram);
    const what = `${target.table} (${columns.join(', ')})`;
    if (dialect === 'mysql') {
      findings.push({ level: 'info', topic: 'search', message: `Searching ${what} for part of a word reads the newest ${NUMBER.format(DEFAULT_SEARCH_BOUND)} ${target.name} only. ${noSubstringIndexNote(target)}` });
    } else if (missing.length === 0) {
      const index = capabilities.fts?.table ?? columns.map((column) => capabilities.fields[column]?.trigram?.index).join(', ');
      findings.push({ level: 'ok', topic: 'search', message: `Searching ${what} for part of a word reads the trigram index (${index}).` });
    } else {
      findings.push({
        level: 'info',
        topic: 'search',
        message: `Searching ${what} for part of a word reads the newest ${NUMBER.format(DEFAULT_SEARCH_BOUND)} ${target.name} only: there is no trigram index${dialect === 'postgres' ? ` on ${missing.join(', ')}` : ''}.`,
        fix: ['npx express-backstage search-index   (runs the statements below; --print to see them first)', ...searchIndexStatements(dialect, target, missing, { trigramSchema: capabilities.trigramSchema })],
      });
    }
  }
  return findings;
}
