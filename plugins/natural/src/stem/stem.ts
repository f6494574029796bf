import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { mapTokens } from '../record-fields.js';
import { createStemmer } from './stemmer.js';

export const StemParams = Type.Object(
  {
    input: Type.String({ default: 'tokens' }),
    /** Defaults to the input field. */
    output: Type.Optional(Type.String()),
    algorithm: Type.Union([Type.Literal('porter'), Type.Literal('lancaster')], { default: 'porter' }),
    /** Distinct tokens remembered between calls. */
    cacheSize: Type.Integer({ minimum: 0, default: 200_000 }),
  },
  { additionalProperties: false },
);
export type StemParams = Static<typeof StemParams>;

/**
 * Porter or Lancaster (Paice/Husk) stemming through natural, matching the published algorithms word
 * for word on their alphabet; tokens outside a–z (other scripts, digits, placeholders) are kept as they are.
 */
@injectable()
export class StemStage implements Stage {
  readonly kind = 'natural:stem';
  private readonly stem: (token: string) => string;

  constructor(@inject(STAGE_PARAMS) private readonly params: StemParams) {
    this.stem = createStemmer(params.algorithm, params.cacheSize);
  }

  transform(batch: Batch, ctx: StageContext): Batch {
    const { input } = this.params;
    return mapTokens(batch, ctx, input, this.params.output ?? input, (tokens) => tokens.map(this.stem));
  }
}

export const stemStage = defineStage({
  kind: 'natural:stem',
  description: 'Porter or Lancaster stemming (natural), exact to the published algorithms.',
  params: StemParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output ?? p.input] }),
  implementation: StemStage,
  worker: true,
});

/** `stem({ algorithm: 'porter' })` */
export const stem = stageSpec<Partial<StemParams>>('natural:stem');
