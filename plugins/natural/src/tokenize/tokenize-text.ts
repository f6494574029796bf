/**
 * Word tokens of any script: runs of letters, combining marks and digits (so "São", "naïve",
 * "fußball" and "नमस्ते" stay whole), with inner apostrophes kept ("don't" is one token).
 * Emoji sequences (skin tones, ZWJ families, flags, variation selectors) are one token each.
 * Placeholder tokens written by `redact` (`__url__`) pass through whole.
 */
const TOKEN = new RegExp(
  [
    '__[a-z][a-z0-9]*__',
    "[\\p{L}\\p{M}\\p{N}]+(?:['\\u2019][\\p{L}\\p{M}\\p{N}]+)*",
    '(?<emoji>\\p{Regional_Indicator}{2}|\\p{Extended_Pictographic}(?:\\p{Emoji_Modifier}|\\uFE0F|\\u20E3|\\u200D\\p{Extended_Pictographic}(?:\\p{Emoji_Modifier}|\\uFE0F)?)*)',
  ].join('|'),
  'gu',
);

/** Scripts written without spaces between words: a token in them is split by the ICU word segmenter. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/** Code units handed to the word segmenter at once. */
const SEGMENT_PIECE = 512;

const segmenters = new Map<string, Intl.Segmenter>();
function segmenter(locale: string): Intl.Segmenter {
  let s = segmenters.get(locale);
  if (!s) segmenters.set(locale, (s = new Intl.Segmenter(locale, { granularity: 'word' })));
  return s;
}

export interface TokenizeOptions {
  readonly lowercase: boolean;
  readonly emoji: 'keep' | 'drop';
  readonly normalize: 'NFC' | 'NFKC' | 'none';
  readonly minLength: number;
  /** 0 means no limit. */
  readonly maxLength: number;
  /** Locale for the word segmenter of unspaced scripts (CJK, Thai). */
  readonly locale: string;
}

export const DEFAULT_TOKENIZE_OPTIONS: TokenizeOptions = {
  lowercase: true,
  emoji: 'keep',
  normalize: 'NFC',
  minLength: 1,
  maxLength: 0,
  locale: 'und',
};

/** Length in code points, so an emoji or an astral letter counts once. */
function codePoints(token: string): number {
  let n = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/** Splits text into tokens; never yields an ill-formed string, whatever the input. */
export function tokenizeText(text: string, options: TokenizeOptions = DEFAULT_TOKENIZE_OPTIONS): string[] {
  let source = text.isWellFormed() ? text : text.toWellFormed();
  if (options.normalize !== 'none') source = source.normalize(options.normalize);
  if (options.lowercase) source = source.toLowerCase();
  const tokens: string[] = [];
  const bounded = options.minLength > 1 || options.maxLength > 0;
  const push = (token: string) => {
    if (bounded) {
      const n = codePoints(token);
      if (n < options.minLength || (options.maxLength > 0 && n > options.maxLength)) return;
    }
    tokens.push(token);
  };
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(source); match !== null; match = TOKEN.exec(source)) {
    const token = match[0];
    if (match.groups?.emoji !== undefined) {
      if (options.emoji === 'keep') tokens.push(token);
      continue;
    }
    if (token.charCodeAt(0) > 0x2e7f && UNSPACED.test(token)) {
      // The ICU segmenter slows down sharply on long unbroken runs, so they are segmented in pieces
      // (a word that straddles a piece boundary is split there: rare, and bounded).
      for (let start = 0; start < token.length; start += SEGMENT_PIECE) {
        let end = Math.min(token.length, start + SEGMENT_PIECE);
        if (end < token.length && token.charCodeAt(end - 1) >= 0xd800 && token.charCodeAt(end - 1) <= 0xdbff) end++;
        for (const part of segmenter(options.locale).segment(token.slice(start, end))) if (part.isWordLike) push(part.segment);
        start = end - SEGMENT_PIECE;
      }
      continue;
    }
    push(token);
  }
  return tokens;
}
