import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, TributaryError, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { mapImages } from '../image.js';
import { otsuThreshold, thresholdImage } from '../kernels.js';

export const ThresholdParams = Type.Object(
  {
    input: Type.String({ default: 'image' }),
    /** Defaults to the input field. */
    output: Type.Optional(Type.String()),
    /** `binary`: max where pixel > value, else 0 (OpenCV THRESH_BINARY); `binaryInverse`: 0 where pixel > value, else max. */
    type: Type.Union([Type.Literal('binary'), Type.Literal('binaryInverse')], { default: 'binary' }),
    /** The threshold, compared strictly (pixel > value), or `otsu` to pick it per image and channel (8-bit images). */
    value: Type.Union([Type.Number(), Type.Literal('otsu')], { default: 127 }),
    /** The value written for pixels on the max side; the output is 8-bit when it fits (the default 255 does). */
    max: Type.Number({ default: 255 }),
  },
  { additionalProperties: false },
);
export type ThresholdParams = Static<typeof ThresholdParams>;

/**
 * Binarises every channel with OpenCV's rule: output = max where pixel > value, else 0. This is
 * not sharp's `threshold(t)`, which sets 255 where pixel ≥ t (so 128 passes at t = 128 there and
 * not here) and first converts to grey in linear light.
 */
@injectable()
export class ThresholdStage implements Stage {
  readonly kind = 'sharp:threshold';

  constructor(@inject(STAGE_PARAMS) private readonly params: ThresholdParams) {
    if (!Number.isFinite(params.max) || (typeof params.value === 'number' && Number.isNaN(params.value))) {
      throw new TributaryError('INVALID_PARAMS', { stage: this.kind, param: 'max', message: 'threshold value must be a number or "otsu", and max a finite number.' });
    }
  }

  transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    const p = this.params;
    return mapImages(batch, ctx, p.input, p.output ?? p.input, (image) => {
      if (p.value !== 'otsu') return thresholdImage(image, { type: p.type, value: p.value, max: p.max });
      if (image.depth !== 'uchar') {
        throw new TributaryError('INVALID_RECORD', { stage: this.kind, message: `Otsu thresholds need an 8-bit image; this one is ${image.depth}. Use sobel kind 'abs' or decode with depth 'uchar', or give a numeric value.` });
      }
      // Each channel at its own Otsu threshold.
      const values = Array.from({ length: image.channels }, (_, c) => otsuThreshold(image.data as Uint8Array, image.channels, c));
      return thresholdImage(image, { type: p.type, value: values, max: p.max });
    });
  }
}

export const thresholdStage = defineStage({
  kind: 'sharp:threshold',
  description: 'Binary threshold, OpenCV semantics: max where pixel > value, else 0 (or inverse; or Otsu).',
  params: ThresholdParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output ?? p.input] }),
  implementation: ThresholdStage,
});

/** `threshold({ value: 127, max: 255 })` */
export const threshold = stageSpec<Partial<ThresholdParams>>('sharp:threshold');
