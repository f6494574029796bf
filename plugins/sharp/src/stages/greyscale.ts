import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, TributaryError, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { mapImages } from '../image.js';
import { GREY_WEIGHTS, greyscaleImage } from '../kernels.js';

export const GreyscaleParams = Type.Object(
  {
    input: Type.String({ default: 'image' }),
    /** Defaults to the input field. */
    output: Type.Optional(Type.String()),
    /** `bt601` (0.299, 0.587, 0.114; OpenCV's and PIL's), `bt709`, or your own [r, g, b] weights. */
    weights: Type.Union([Type.Literal('bt601'), Type.Literal('bt709'), Type.Tuple([Type.Number(), Type.Number(), Type.Number()])], { default: 'bt601' }),
  },
  { additionalProperties: false },
);
export type GreyscaleParams = Static<typeof GreyscaleParams>;

/**
 * Luma from the stored RGB values: Y = 0.299 R + 0.587 G + 0.114 B by default, rounded half up.
 * (sharp's own `greyscale()` computes luminance in linear light, which gives 127 rather than 76 for
 * pure red.) Alpha is kept; grey images pass through unchanged.
 */
@injectable()
export class GreyscaleStage implements Stage {
  readonly kind = 'sharp:greyscale';
  private readonly weights: readonly [number, number, number];

  constructor(@inject(STAGE_PARAMS) private readonly params: GreyscaleParams) {
    const w = params.weights;
    this.weights = typeof w === 'string' ? GREY_WEIGHTS[w] : w;
    if (!this.weights.every(Number.isFinite)) {
      throw new TributaryError('INVALID_PARAMS', { stage: this.kind, param: 'weights', message: 'greyscale weights must be three finite numbers [r, g, b].' });
    }
  }

  transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    const { input } = this.params;
    return mapImages(batch, ctx, input, this.params.output ?? input, (image) => {
      if (image.channels > 4) {
        throw new TributaryError('UNSUPPORTED_IMAGE', { stage: this.kind, message: `greyscale takes 1 to 4 channels (grey, grey + alpha, RGB, RGBA); this image has ${image.channels}.`, details: { reason: 'channels' } });
      }
      return greyscaleImage(image, this.weights);
    });
  }
}

export const greyscaleStage = defineStage({
  kind: 'sharp:greyscale',
  description: 'RGB to grey with BT.601 (or BT.709, or given) weights on the stored values.',
  params: GreyscaleParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output ?? p.input] }),
  implementation: GreyscaleStage,
});

/** `greyscale()` */
export const greyscale = stageSpec<Partial<GreyscaleParams>>('sharp:greyscale');
