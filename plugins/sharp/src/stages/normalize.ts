import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, TributaryError, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { mapImages } from '../image.js';
import { normalizeImage } from '../kernels.js';

export const NormalizeParams = Type.Object(
  {
    input: Type.String({ default: 'image' }),
    /** Defaults to the input field. */
    output: Type.Optional(Type.String()),
    /** `scale`: v / 255 (or / 65535); `minmax`: each channel's own range onto 0…1; `standard`: (v / max − mean) / std per channel. */
    mode: Type.Union([Type.Literal('scale'), Type.Literal('minmax'), Type.Literal('standard')], { default: 'scale' }),
    /** For `standard`: one value for all channels or one per channel, on the 0…1 scale (ImageNet: [0.485, 0.456, 0.406]). */
    mean: Type.Optional(Type.Array(Type.Number(), { minItems: 1 })),
    std: Type.Optional(Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1 })),
  },
  { additionalProperties: false },
);
export type NormalizeParams = Static<typeof NormalizeParams>;

/** Pixels to float32 on a known scale, for models. */
@injectable()
export class NormalizeStage implements Stage {
  readonly kind = 'sharp:normalize';

  constructor(@inject(STAGE_PARAMS) private readonly params: NormalizeParams) {
    if (params.mode === 'standard' && (!params.mean || !params.std)) {
      throw new TributaryError('INVALID_PARAMS', { stage: this.kind, param: params.mean ? 'std' : 'mean', message: "normalize mode 'standard' needs both mean and std (per channel, on the 0…1 scale)." });
    }
    if (params.mode !== 'standard' && (params.mean || params.std)) {
      throw new TributaryError('INVALID_PARAMS', { stage: this.kind, param: 'mode', message: `mean and std apply to mode 'standard' only; mode is '${params.mode}'.` });
    }
  }

  transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    const p = this.params;
    return mapImages(batch, ctx, p.input, p.output ?? p.input, (image) => {
      for (const [name, list] of [['mean', p.mean], ['std', p.std]] as const) {
        if (list && list.length !== 1 && list.length !== image.channels) {
          throw new TributaryError('INVALID_RECORD', { stage: this.kind, message: `normalize has ${list.length} ${name} values for an image of ${image.channels} channels; give one value or one per channel.` });
        }
      }
      return normalizeImage(image, { mode: p.mode, ...(p.mean ? { mean: p.mean } : {}), ...(p.std ? { std: p.std } : {}) });
    });
  }
}

export const normalizeStage = defineStage({
  kind: 'sharp:normalize',
  description: 'Pixels to float32: scaled to 0…1, per-channel min-max, or standardised by mean and std.',
  params: NormalizeParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output ?? p.input] }),
  implementation: NormalizeStage,
});

/** `normalize({ mode: 'scale' })` */
export const normalize = stageSpec<Partial<NormalizeParams>>('sharp:normalize');
