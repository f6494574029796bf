import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, TributaryError, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';

/** The signals, in the order the stage writes them. */
export const SIGNAL_NAMES = ['links', 'moneyAmounts', 'shouting', 'exclamations'] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];
export type MailSignals = Record<SignalName, number>;

export const SignalsParams = Type.Object(
  {
    /** The field holding the message's plain text (what `emailText` writes). */
    input: Type.String({ default: 'text' }),
    /** The field that receives the signals: an array of numbers in the order of SIGNAL_NAMES. */
    output: Type.String({ default: 'signals' }),
    /** Words shorter than this many letters do not count towards shouting ("I", "OK", "TV" are not shouting). */
    minWordLength: Type.Integer({ minimum: 2, default: 3 }),
  },
  { additionalProperties: false },
);
export type SignalsParams = Static<typeof SignalsParams>;

// A scheme or a leading www. starts a link; the first alternative swallows the www. of https://www.… so it
// counts once. A link does not end on punctuation: in "see www.example.com!" the "!" belongs to the sentence.
const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"'()[\]]*[^\s<>"'()[\].,;:!?]/giu;
// A currency sign before a number ($300, € 20, $1,000.00), or a currency after one (100 dollars, 50 USD).
const MONEY = /[$£€¥]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:dollars?|usd|euros?|eur|pounds?|gbp)\b/giu;
const WORD = /\p{L}+/gu;

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

/**
 * What a reader of a message notices before reading it: links, sums of money, words in capitals and
 * exclamation marks. `shouting` is the share of words of at least `minWordLength` letters written in
 * capitals only (0 for a text without such words); the others are counts. Money, words and exclamation
 * marks are read outside the links: the capitals of `HTTP://SHOP.EXAMPLE/WIN` are not shouting.
 */
export function measureSignals(text: string, minWordLength = 3): MailSignals {
  const prose = text.replace(LINK, ' ');
  let words = 0;
  let capitals = 0;
  for (const word of prose.match(WORD) ?? []) {
    // Code points, not UTF-16 units: a letter outside the BMP is one letter.
    if (Array.from(word).length < minWordLength) continue;
    words++;
    // A word of a script without case (Chinese, Arabic) equals both its forms and is never shouting.
    if (word === word.toUpperCase() && word !== word.toLowerCase()) capitals++;
  }
  return {
    links: count(text, LINK),
    moneyAmounts: count(prose, MONEY),
    shouting: words === 0 ? 0 : capitals / words,
    exclamations: count(prose, /!/g),
  };
}

/**
 * `mail:signals`: writes the signals of a message's text as an array of numbers (SIGNAL_NAMES order).
 * Stateless: the same text always gives the same signals, so nothing is saved for it but its params.
 */
@injectable()
export class SignalsStage implements Stage {
  readonly kind = 'mail:signals';

  constructor(@inject(STAGE_PARAMS) private readonly params: SignalsParams) {}

  transform(batch: Batch, ctx: StageContext): Batch {
    const { input, output, minWordLength } = this.params;
    const out: Batch = [];
    for (const record of batch) {
      const text = record[input];
      if (typeof text !== 'string') {
        const found = text === undefined ? 'nothing' : text === null ? 'null' : typeof text;
        ctx.reject(
          record,
          new TributaryError('INVALID_RECORD', {
            stage: this.kind,
            message: `Field '${input}' should hold the message's text but holds ${found}. Put emailText before this stage, or set its input param to the field that holds the text.`,
          }),
        );
        continue;
      }
      const signals = measureSignals(text, minWordLength);
      out.push({ ...record, [output]: SIGNAL_NAMES.map((name) => signals[name]) });
    }
    return out;
  }
}

export const signalsStage = defineStage({
  kind: 'mail:signals',
  description: 'Links, sums of money, shouting and exclamation marks of a message text, as an array of numbers.',
  params: SignalsParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output] }),
  implementation: SignalsStage,
});

/** `signals({ input: 'text', output: 'signals' })` */
export const signals = stageSpec<Partial<SignalsParams>>('mail:signals');
