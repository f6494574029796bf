import { describeConformance } from '@tributary/core/testing';
import { emailText, natural, redact, stem, stopwords, tfidf, tokenize } from '@tributary/plugin-natural';

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

const mails = [
  { id: 'ham', label: 0, raw: crlf('Subject: Lunch on Friday\nContent-Type: text/plain; charset=utf-8\n\nShall we meet at the café at noon?\n') },
  { id: 'spam', label: 1, raw: Buffer.from(crlf('Subject: =?ISO-8859-1?Q?Gro=DFer_Gewinn?=\nContent-Type: text/html; charset=iso-8859-1\n\n<p>Claim your <b>prize</b> now &amp; win!</p>\n'), 'latin1') },
  { id: 'plain', label: 0, raw: crlf('Subject: Minutes\n\nThe minutes of the meeting are attached.\n') },
];

const texts = [
  { id: 'a', label: 0, text: 'Write to jane.doe@example.com or call +1 (555) 010-9999 before Friday.' },
  { id: 'b', label: 1, text: 'Visit https://prizes.example.net/claim from 192.168.10.4 — the running runners ran!' },
  { id: 'c', label: 0, text: 'The connections were connected by the connectors.' },
];

const tokenLists = [
  { id: 'a', label: 0, tokens: ['the', 'runners', 'were', 'running', 'and', 'jumping'] },
  { id: 'b', label: 1, tokens: ['cheap', 'prizes', 'for', 'the', 'winners', '__url__'] },
  { id: 'c', label: 0, tokens: ['meeting', 'notes', 'for', 'friday', 'meeting'] },
];

const notText = [
  { id: 'number', text: 42 },
  { id: 'tokens-for-text', text: ['already', 'split'] },
  { id: 'null', text: null },
];
const notTokens = [
  { id: 'text-for-tokens', tokens: 'not split yet' },
  { id: 'numbers', tokens: [1, 2, 3] },
  { id: 'mixed', tokens: ['word', null] },
];

describeConformance({
  plugin: natural,
  cases: [
    {
      spec: emailText({ input: 'raw', output: 'text', subjectField: 'subject' }),
      records: mails,
      bad: [{ id: 'number', raw: 42 }, { id: 'object', raw: { subject: 'hi' } }],
      // The subject written over the text it belongs to.
      badParams: [{ maxBytes: 0 }, { maxBytes: 1.5 }, { subject: 'yes' }, { input: 7 }, { subjectField: 'text' }],
    },
    {
      spec: tokenize({ input: 'text', output: 'tokens' }),
      records: texts,
      bad: notText,
      // minLength above maxLength would drop every token.
      badParams: [{ minLength: 0 }, { emoji: 'strip' }, { normalize: 'NFD' }, { lowercase: 'true' }, { locale: 'not a locale!' }, { minLength: 3, maxLength: 2 }],
    },
    {
      spec: stopwords({ input: 'tokens', output: 'content', language: 'en', add: ['cheap'], keep: ['for'] }),
      records: tokenLists,
      bad: notTokens,
      badParams: [{ language: 'xx' }, { add: 'cheap' }, { keep: [1] }],
    },
    {
      spec: redact({ input: 'text', output: 'redacted', countsField: 'counts' }),
      records: texts,
      bad: notText,
      // A redaction of nothing, and counts written over the redacted text (the output defaults to the input).
      badParams: [{ kinds: ['ssn'] }, { kinds: ['email', 'email'] }, { countsField: true }, { kinds: [] }, { countsField: 'text' }],
    },
    {
      spec: stem({ input: 'tokens', output: 'stems', algorithm: 'lancaster' }),
      records: tokenLists,
      bad: notTokens,
      badParams: [{ algorithm: 'snowball' }, { cacheSize: -1 }, { cacheSize: 2.5 }],
    },
    {
      spec: tfidf({ input: 'tokens', output: 'features', sublinearTf: true }),
      records: tokenLists,
      bad: notTokens,
      // minDf above maxDf (both fractions, or both counts) leaves no term whatever the corpus.
      badParams: [{ minDf: 0 }, { maxDf: -1 }, { maxFeatures: 0 }, { idf: 'bm25' }, { norm: 'l3' }, { binary: 1 }, { minDf: 0.8, maxDf: 0.2 }, { minDf: 5, maxDf: 3 }],
    },
  ],
});
