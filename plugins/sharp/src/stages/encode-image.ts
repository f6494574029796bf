import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, TributaryError, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { encodeParams, encodePixels } from '../encode.js';
import { type RawImage, describeField, imageProblem } from '../image.js';

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

  async transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    const p = this.params;
    const results = await Promise.all(
      batch.map(async (record) => {
        const problem = imageProblem(record[p.input]);
        if (problem) return new TributaryError('INVALID_RECORD', { stage: this.kind, message: `${describeField(record, p.input)} ${problem}. Put a decodeImage stage before this one.` });
        try {
          return await encodePixels(record[p.input] as RawImage, p, this.kind);
        } catch (error) {
          if (error instanceof TributaryError) return error;
          throw error;
        }
      }),
    );
    const out: Batch = [];
    results.forEach((result, i) => {
      if (result instanceof TributaryError) ctx.reject(batch[i]!, result);
      else out.push({ ...batch[i]!, [p.output]: result });
    });
    return out;
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
