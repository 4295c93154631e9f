/** Search that scales: words sent to the indexes the database has, bounded where there are none (DESIGN §8). */
export { classifyWord, classifyWords, type SearchWord } from './search-words';
export { ftsTableName, type SearchTarget } from './search-target';
export { searchCapabilities, forgetSearchCapabilities, type SearchCapabilities, type FieldCapabilities } from './search-capabilities';
export { newestRows, forgetNewestRows } from './newest-rows';
export { createSearchIndexes, dropSearchIndexes, searchIndexStatements, dropSearchIndexStatements, noSubstringIndexNote, type SearchIndexResult } from './search-index-ddl';
export { tableSearch, DEFAULT_SEARCH_BOUND, type TableSearch, type SearchInfo, type SearchAdvice, type SearchOptions } from './table-search';
