import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { encodeParams, encodePixels } from '../encode.js';
import { mapImages } from '../image.js';

export const EncodeImageParams = Type.Object(
  {
    input: Type.String({ default: 'image' }),
    /** Receives the encoded file as a Buffer. */
    output: Type.String({ default: 'encoded' }),
    ...encodeParams,
  },
  { additionalProperties: false },
);
export type EncodeImageParams = Static<typeof EncodeImageParams>;

/** Encodes the image of each record as PNG, JPEG or WebP bytes (the only place pixels are re-encoded). */
@injectable()
export class EncodeImageStage implements Stage {
  readonly kind = 'sharp:encode-image';

  constructor(@inject(STAGE_PARAMS) private readonly params: EncodeImageParams) {}

  transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    const p = this.params;
    return mapImages(batch, ctx, p.input, p.output, (image) => encodePixels(image, p, this.kind));
  }
}

export const encodeImageStage = defineStage({
  kind: 'sharp:encode-image',
  description: 'Encode raw pixels as PNG, JPEG or WebP bytes.',
  params: EncodeImageParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output] }),
  implementation: EncodeImageStage,
});

/** `encodeImage({ format: 'png' })` */
export const encodeImage = stageSpec<Partial<EncodeImageParams>>('sharp:encode-image');
