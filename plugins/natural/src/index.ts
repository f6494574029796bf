import { definePlugin } from '@tributary/core';
import { emailTextStage } from './email/email-text.js';
import { redactStage } from './redact/redact.js';
import { stemStage } from './stem/stem.js';
import { stopwordsStage } from './stopwords/stopwords.js';
import { tfidfStage } from './tfidf/tfidf.js';
import { tokenizeStage } from './tokenize/tokenize.js';

export { EmailTextParams, EmailTextStage, emailText } from './email/email-text.js';
export { htmlToText } from './email/html-to-text.js';
export { TokenizeParams, TokenizeStage, tokenize } from './tokenize/tokenize.js';
export { DEFAULT_TOKENIZE_OPTIONS, tokenizeText } from './tokenize/tokenize-text.js';
export type { TokenizeOptions } from './tokenize/tokenize-text.js';
export { STOPWORD_LANGUAGES, StopwordsParams, StopwordsStage, stopwords } from './stopwords/stopwords.js';
export { RedactParams, RedactStage, redact } from './redact/redact.js';
export { REDACTION_KINDS, redactText } from './redact/redact-text.js';
export type { RedactionKind } from './redact/redact-text.js';
export { StemParams, StemStage, stem } from './stem/stem.js';
export { createStemmer } from './stem/stemmer.js';
export type { StemAlgorithm } from './stem/stemmer.js';
export { TfidfEstimator, TfidfModel, TfidfParams, idfWeight, tfidf } from './tfidf/tfidf.js';

/** The text plugin: `createRuntime({ plugins: [natural] })`. */
export const natural = definePlugin({
  name: '@tributary/plugin-natural',
  version: '0.1.0',
  core: '^0.1.0',
  // An executor's workers import the plugin by its package name (the built entry).
  module: '@tributary/plugin-natural',
  stages: [emailTextStage, tokenizeStage, stopwordsStage, redactStage, stemStage, tfidfStage],
});

export default natural;
