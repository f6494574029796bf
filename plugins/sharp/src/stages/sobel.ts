import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { mapImages } from '../image.js';
import { sobelImage, sobelOptionsProblem } from '../kernels.js';

export const SobelParams = Type.Object(
  {
    input: Type.String({ default: 'image' }),
    /** Defaults to the input field. */
    output: Type.Optional(Type.String()),
    /** `x`: horizontal gradient (finds vertical edges), `y`: vertical gradient, `magnitude`: √(Gx² + Gy²). */
    direction: Type.Union([Type.Literal('x'), Type.Literal('y'), Type.Literal('magnitude')], { default: 'magnitude' }),
    /** `abs`: |G| rounded and clamped to 8 bits; `signed`: G as float (x or y only); `magnitude`: |G| as float, unclamped. */
    kind: Type.Union([Type.Literal('abs'), Type.Literal('signed'), Type.Literal('magnitude')], { default: 'abs' }),
    /** What lies beyond the edge: `reflect101` (OpenCV's default: gfedcb|abcdefgh|gfedcba), `reflect`, `replicate` (sharp's), `constant`. */
    border: Type.Union([Type.Literal('reflect101'), Type.Literal('reflect'), Type.Literal('replicate'), Type.Literal('constant')], { default: 'reflect101' }),
    /** The value outside the image for `border: 'constant'`. */
    borderValue: Type.Number({ default: 0 }),
    /** Multiplies G before the conversion (OpenCV's scale); 0.25 brings the 8-bit range of Gx or Gy (±1020) to ±255. */
    scale: Type.Number({ default: 1 }),
  },
  { additionalProperties: false },
);
export type SobelParams = Static<typeof SobelParams>;

/**
 * The 3×3 Sobel operator per channel, computed exactly (no clamping before abs or magnitude, so
 * both sides of an edge show), as a correlation: Gx = right − left, Gy = bottom − top.
 */
@injectable()
export class SobelStage implements Stage {
  readonly kind = 'sharp:sobel';

  constructor(@inject(STAGE_PARAMS) private readonly params: SobelParams) {
    const problem = sobelOptionsProblem(params, this.kind);
    if (problem) throw problem;
  }

  transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    const p = this.params;
    const { direction, kind, border, borderValue, scale } = p;
    return mapImages(batch, ctx, p.input, p.output ?? p.input, (image) => sobelImage(image, { direction, kind, border, borderValue, scale }));
  }
}

export const sobelStage = defineStage({
  kind: 'sharp:sobel',
  description: 'Sobel 3×3 gradient (x, y or magnitude) with an explicit border mode (default reflect-101).',
  params: SobelParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output ?? p.input] }),
  implementation: SobelStage,
});

/** `sobel({ direction: 'magnitude', kind: 'abs' })` */
export const sobel = stageSpec<Partial<SobelParams>>('sharp:sobel');
