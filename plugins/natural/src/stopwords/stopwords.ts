import { createRequire } from 'node:module';
import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { mapTokens } from '../record-fields.js';

/** The stop-word lists natural ships, by language code. */
export const STOPWORD_LANGUAGES = ['en', 'es', 'fa', 'fr', 'id', 'it', 'ja', 'nl', 'no', 'pl', 'pt', 'ru', 'sv', 'uk', 'zh'] as const;

export const StopwordsParams = Type.Object(
  {
    input: Type.String({ default: 'tokens' }),
    /** Defaults to the input field (tokens are filtered in place). */
    output: Type.Optional(Type.String()),
    language: Type.Union(STOPWORD_LANGUAGES.map((l) => Type.Literal(l)), { default: 'en' }),
    /** Words to treat as stop words in addition to the list. */
    add: Type.Array(Type.String(), { default: [] }),
    /** Words of the list to keep. */
    keep: Type.Array(Type.String(), { default: [] }),
  },
  { additionalProperties: false },
);
export type StopwordsParams = Static<typeof StopwordsParams>;

const require = createRequire(import.meta.url);

function listFor(language: string): readonly string[] {
  const file = language === 'en' ? 'stopwords' : `stopwords_${language}`;
  return (require(`natural/lib/natural/util/${file}.js`) as { words: string[] }).words;
}

/** Removes stop words (natural's lists; compared case-insensitively), adjustable with `add` and `keep`. */
@injectable()
export class StopwordsStage implements Stage {
  readonly kind = 'natural:stopwords';
  private readonly words: ReadonlySet<string>;

  constructor(@inject(STAGE_PARAMS) private readonly params: StopwordsParams) {
    const keep = new Set(params.keep.map((w) => w.toLowerCase()));
    this.words = new Set([...listFor(params.language), ...params.add].map((w) => w.toLowerCase()).filter((w) => !keep.has(w)));
  }

  transform(batch: Batch, ctx: StageContext): Batch {
    const { input } = this.params;
    return mapTokens(batch, ctx, input, this.params.output ?? input, (tokens) => tokens.filter((t) => !this.words.has(t.toLowerCase())));
  }
}

export const stopwordsStage = defineStage({
  kind: 'natural:stopwords',
  description: "Removes stop words using natural's lists.",
  params: StopwordsParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output ?? p.input] }),
  implementation: StopwordsStage,
  worker: true,
});

/** `stopwords({ language: 'en' })` */
export const stopwords = stageSpec<Partial<StopwordsParams>>('natural:stopwords');
