import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { DialectName } from '../db/dialect';
import { createIndexDdl } from '../doctor/indexes';
import { newestRows } from './newest-rows';
import { searchCapabilities, type SearchCapabilities } from './search-capabilities';
import { noSubstringIndexNote, searchIndexStatements } from './search-index-ddl';
import { ftsTableName, type SearchTarget } from './search-target';
import { capitalised, classifyWords, prefixUpperBound, type SearchWord } from './search-words';

/** How many of the newest rows a search without an index reads (DESIGN §8: never a million rows per keystroke). */
export const DEFAULT_SEARCH_BOUND = 50_000;

/** The shortest word a trigram index can answer. */
const TRIGRAM = 3;

/** What would let every word of a search use an index. */
export interface SearchAdvice {
  /** Statements to run, in order (shown to superusers only); empty when the database has no such index. */
  ddl: string[];
  /** One or two sentences for the operator. */
  note: string;
  /** The console's command that runs `ddl` for you, when there is one. */
  command: string | null;
}

/**
 * How a list's search was answered, for the page to say so:
 * - `index`: every word went through an index (all rows searched, fast);
 * - `bounded`: some word could not, so only the newest `searched` rows were read;
 * - `all`: some word could not, but the table (or the team in scope) is small
 *   enough that every row was read.
 */
export interface SearchInfo {
  mode: 'index' | 'bounded' | 'all';
  /** The rows searched, for messages ("users", "teams"). */
  noun: string;
  /** The indexes that answered words. */
  indexes: string[];
  /** For `bounded`: how many of the newest rows were searched. */
  searched: number | null;
  /** Words that are too short for a trigram index (fewer than 3 characters). */
  shortWords: string[];
  /** Set when some word did not use an index. */
  advice: SearchAdvice | null;
}

export interface SearchOptions {
  /** Newest rows a search without an index reads (default 50,000). */
  bound?: number;
}

export interface NarrowOptions {
  /** The query is already limited to a small set (one team's members): never bound it. */
  small?: boolean;
}

/** One list's search: the words of a query turned into predicates that use the indexes the database has. */
export interface TableSearch {
  readonly target: SearchTarget;
  /** Reads the catalogue now (the adapters call it at start-up); later searches use the cached answer. */
  prepare(): Promise<SearchCapabilities>;
  /**
   * `query` (a select from the target's table) narrowed to the rows every word
   * matches in some searchable field, and how it was done; `info` is null when
   * there are no words.
   */
  narrow<O>(query: SelectQueryBuilder<any, any, O>, words: readonly string[], options?: NarrowOptions): Promise<{ query: SelectQueryBuilder<any, any, O>; info: SearchInfo | null }>;
}

interface WordPlan {
  predicate: RawBuilder<boolean>;
  /** Indexes that answer it, or null when it is a scan. */
  indexes: string[] | null;
  short: boolean;
}

function escapeLike(text: string): string {
  return text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`);
}

function anyOf(parts: RawBuilder<boolean>[]): RawBuilder<boolean> {
  return parts.length === 1 ? parts[0] : sql<boolean>`(${sql.join(parts, sql` or `)})`;
}

export function tableSearch(db: Kysely<any>, dialect: DialectName, target: SearchTarget, options: SearchOptions = {}): TableSearch {
  const bound = options.bound ?? DEFAULT_SEARCH_BOUND;
  const ref = (column: string) => sql.ref(`${target.table}.${column}`);
  const lowerRef = (column: string) => sql`lower(${ref(column)})`;
  const likeLower = (column: string, pattern: string) => sql<boolean>`lower(${ref(column)}) like ${pattern} escape '!'`;
  const rowid = sql`${sql.table(target.table)}.rowid`;
  const emailFields = target.fields.filter((f) => f.kind === 'email').map((f) => f.column);
  const allFields = target.fields.map((f) => f.column);

  /** Rows of the FTS5 table whose text holds `text` (3 characters or more): the trigram index. */
  function ftsMatch(text: string): RawBuilder<boolean> {
    const fts = ftsTableName(target);
    const phrase = `"${text.replace(/"/g, '""')}"`;
    return sql<boolean>`${rowid} in (select rowid from ${sql.table(fts)} where ${sql.table(fts)} match ${phrase})`;
  }

  /** `column` starts with `prefix`, as a range the ordered index answers, re-checked case-insensitively. */
  function prefixRange(column: string, prefix: string, form: 'plain' | 'lower', email: boolean): RawBuilder<boolean> {
    const recheck = likeLower(column, `${escapeLike(prefix)}%`);
    // MySQL turns LIKE 'prefix%' into an index range itself, in the column's (usually case-insensitive) collation.
    if (dialect === 'mysql' && form === 'plain') return sql<boolean>`${ref(column)} like ${`${escapeLike(prefix)}%`} escape '!'`;
    const lowered = prefix.toLowerCase();
    // Binary order is case-sensitive: try the word as typed, lower-cased and (names) capitalised.
    const variants = form === 'lower' ? [lowered] : [...new Set([prefix, lowered, ...(email ? [] : [capitalised(lowered)])])];
    const expression = form === 'lower' ? lowerRef(column) : ref(column);
    const ranges = variants.map((variant) => {
      const upper = prefixUpperBound(variant);
      return upper === null ? sql<boolean>`${expression} >= ${variant}` : sql<boolean>`(${expression} >= ${variant} and ${expression} < ${upper})`;
    });
    return sql<boolean>`(${anyOf(ranges)} and ${recheck})`;
  }

  function containsPlan(text: string, fields: readonly string[], capabilities: SearchCapabilities, anchored: boolean): WordPlan {
    const pattern = `${anchored ? '' : '%'}${escapeLike(text)}%`;
    const like = anyOf(fields.map((column) => likeLower(column, pattern)));
    const short = [...text].length < TRIGRAM;
    if (!short && capabilities.fts) {
      // The trigram table finds the substring; a prefix is re-checked on the row.
      return { predicate: anchored ? sql<boolean>`(${ftsMatch(text)} and ${like})` : ftsMatch(text), indexes: [capabilities.fts.table], short };
    }
    const trigrams = fields.map((column) => capabilities.fields[column]?.trigram?.index ?? null);
    const indexed = !short && trigrams.every((index) => index !== null);
    return { predicate: like, indexes: indexed ? (trigrams as string[]) : null, short: short && (capabilities.fts !== null || trigrams.some((index) => index !== null)) };
  }

  function wordPlan(word: SearchWord, capabilities: SearchCapabilities): WordPlan {
    const ordered = (column: string) => capabilities.fields[column]?.ordered ?? null;
    if (word.kind === 'email' && emailFields.length > 0) {
      const parts = emailFields.map((column) => {
        const index = ordered(column);
        if (index?.form === 'lower') return sql<boolean>`${lowerRef(column)} = ${word.text.toLowerCase()}`;
        const forms = [...new Set([word.text, word.text.toLowerCase()])];
        return sql<boolean>`${ref(column)} in (${sql.join(forms)})`;
      });
      const indexes = emailFields.map((column) => ordered(column)?.index ?? null);
      return { predicate: anyOf(parts), indexes: indexes.every((i) => i !== null) ? (indexes as string[]) : null, short: false };
    }
    if (word.kind === 'prefix') {
      // An address being typed is looked for in the email fields; `acme*` in the fields an ordered index can range over.
      const addressing = word.text.includes('@') && emailFields.length > 0;
      const candidates = addressing ? emailFields : allFields.filter((column) => ordered(column) !== null);
      if (candidates.length > 0 && candidates.every((column) => ordered(column) !== null)) {
        const email = (column: string) => emailFields.includes(column);
        return {
          predicate: anyOf(candidates.map((column) => prefixRange(column, word.text, ordered(column)!.form, email(column)))),
          indexes: candidates.map((column) => ordered(column)!.index),
          short: false,
        };
      }
      return containsPlan(word.text, candidates.length > 0 ? candidates : allFields, capabilities, true);
    }
    return containsPlan(word.text, allFields, capabilities, false);
  }

  function advice(capabilities: SearchCapabilities, plans: readonly WordPlan[], words: readonly SearchWord[]): SearchAdvice {
    const ddl: string[] = [];
    // A whole address or an address being typed needs the ordered index on the email column.
    const addressWords = words.some((w) => w.kind === 'email' || (w.kind === 'prefix' && w.text.includes('@')));
    for (const column of emailFields) {
      if (addressWords && !capabilities.fields[column]?.ordered) ddl.push(createIndexDdl(dialect, target.table, [column], { unique: true }));
    }
    const substring = plans.some((p, i) => p.indexes === null && !(words[i].kind === 'email' && emailFields.length > 0));
    if (substring) {
      if (dialect === 'sqlite' && !capabilities.fts) ddl.push(...searchIndexStatements(dialect, target));
      if (dialect === 'postgres') {
        const missing = allFields.filter((column) => !capabilities.fields[column]?.trigram);
        ddl.push(...searchIndexStatements(dialect, target, missing, { trigramSchema: capabilities.trigramSchema }));
      }
    }
    const shortNote = plans.some((p) => p.short) ? ` Words of one or two characters cannot use a trigram index; type three or more.` : '';
    if (dialect === 'mysql' && substring) {
      return { ddl, note: noSubstringIndexNote(target) + shortNote, command: null };
    }
    const note = ddl.length
      ? `Add ${ddl.length === 1 ? 'this index' : 'these indexes'} to search all ${target.name}.${shortNote}`
      : shortNote.trim() || `Add an index on the searched columns to search all ${target.name}.`;
    return { ddl, note, command: ddl.length && dialect !== 'mysql' ? 'npx express-backstage search-index' : null };
  }

  return {
    target,

    prepare() {
      return searchCapabilities(db, dialect, target);
    },

    async narrow(query, rawWords, narrowOptions = {}) {
      const words = classifyWords(rawWords);
      if (words.length === 0) return { query, info: null };
      const capabilities = await searchCapabilities(db, dialect, target);
      const plans = words.map((word) => wordPlan(word, capabilities));
      let narrowed = query;
      for (const plan of plans) narrowed = narrowed.where(plan.predicate);
      const indexes = [...new Set(plans.flatMap((plan) => plan.indexes ?? []))];
      const shortWords = words.filter((_, i) => plans[i].short).map((word) => word.text);
      if (plans.every((plan) => plan.indexes !== null)) {
        return { query: narrowed, info: { mode: 'index', noun: target.name, indexes, searched: null, shortWords, advice: null } };
      }
      const help = advice(capabilities, plans, words);
      if (narrowOptions.small) return { query: narrowed, info: { mode: 'all', noun: target.name, indexes, searched: null, shortWords, advice: help } };
      const newest = await newestRows(db, target.table, target.recency, bound);
      if (!newest.bounded || newest.from === null) {
        return { query: narrowed, info: { mode: 'all', noun: target.name, indexes, searched: null, shortWords, advice: help } };
      }
      narrowed = narrowed.where(ref(target.recency), '>=', newest.from);
      return { query: narrowed, info: { mode: 'bounded', noun: target.name, indexes, searched: bound, shortWords, advice: help } };
    },
  };
}
