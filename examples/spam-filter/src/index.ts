export { corpusDirectory, corpusEntries, spamAssassin, withMessages } from './corpus.js';
export type { CorpusEntry, CorpusOptions } from './corpus.js';
export { classify, spamFilterStages, trainSpamFilter } from './spam-filter.js';
export type { SpamFilterOptions, SpamFilterResult } from './spam-filter.js';
