import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, TributaryError, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { mapText } from '../record-fields.js';
import { tokenizeText } from './tokenize-text.js';

export const TokenizeParams = Type.Object(
  {
    input: Type.String({ default: 'text' }),
    output: Type.String({ default: 'tokens' }),
    lowercase: Type.Boolean({ default: true }),
    /** Emoji sequences as tokens of their own (`keep`) or not at all (`drop`). */
    emoji: Type.Union([Type.Literal('keep'), Type.Literal('drop')], { default: 'keep' }),
    /** Unicode normalisation before tokenizing; NFKC also folds full-width and compatibility forms. */
    normalize: Type.Union([Type.Literal('NFC'), Type.Literal('NFKC'), Type.Literal('none')], { default: 'NFC' }),
    /** Tokens shorter than this many code points are dropped. */
    minLength: Type.Integer({ minimum: 1, default: 1 }),
    /** Tokens longer than this many code points are dropped (0 = no limit); useful against base64 runs. */
    maxLength: Type.Integer({ minimum: 0, default: 0 }),
    /** Locale of the word segmenter used for scripts written without spaces (Chinese, Japanese, Thai). */
    locale: Type.String({ default: 'und' }),
  },
  { additionalProperties: false },
);
export type TokenizeParams = Static<typeof TokenizeParams>;

/**
 * Unicode-aware word tokenizer. Keeps letters, marks and digits of every script, segments CJK and
 * Thai with the ICU word segmenter, keeps emoji sequences whole, and never emits ill-formed UTF-16.
 * Apostrophes inside a word stay in it ("don't"). A non-empty text that yields no token is reported
 * as a warning (EMPTY_TOKENS), since it usually means the text is in a form the tokenizer cannot read.
 */
@injectable()
export class TokenizeStage implements Stage {
  readonly kind = 'natural:tokenize';

  constructor(@inject(STAGE_PARAMS) private readonly params: TokenizeParams) {
    try {
      new Intl.Segmenter(params.locale, { granularity: 'word' });
    } catch {
      throw new TributaryError('INVALID_PARAMS', { stage: this.kind, param: 'locale', message: `Stage '${this.kind}': locale ${JSON.stringify(params.locale)} is not a valid BCP 47 locale (e.g. 'und', 'ja', 'zh-Hans').` });
    }
    // Every token would be too short or too long: the stage would empty every text without a word.
    if (params.maxLength > 0 && params.maxLength < params.minLength) {
      throw new TributaryError('INVALID_PARAMS', {
        stage: this.kind,
        param: 'maxLength',
        message: `Stage '${this.kind}': maxLength ${params.maxLength} is below minLength ${params.minLength}, so no token could be kept. Raise maxLength (0 means no limit) or lower minLength.`,
      });
    }
  }

  transform(batch: Batch, ctx: StageContext): Batch {
    const { input, output } = this.params;
    return mapText(batch, ctx, input, (text, record) => {
      const tokens = tokenizeText(text, this.params);
      if (tokens.length === 0 && text.trim() !== '') ctx.warn('EMPTY_TOKENS', 'A non-empty text produced no tokens.', record);
      return { ...record, [output]: tokens };
    });
  }
}

export const tokenizeStage = defineStage({
  kind: 'natural:tokenize',
  description: 'Unicode-aware word tokens (letters, marks, digits of any script; CJK segmented; emoji whole).',
  params: TokenizeParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output] }),
  implementation: TokenizeStage,
  worker: true,
});

/** `tokenize({ input: 'text', output: 'tokens' })` */
export const tokenize = stageSpec<Partial<TokenizeParams>>('natural:tokenize');
