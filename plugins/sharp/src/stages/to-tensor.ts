import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, Type, defineStage, denseTensor, inject, injectable, stageSpec } from '@tributary/core';
import { mapImages } from '../image.js';
import { tensorData } from '../kernels.js';

export const ToTensorParams = Type.Object(
  {
    input: Type.String({ default: 'image' }),
    output: Type.String({ default: 'tensor' }),
    /** `hwc`: [height, width, channels] (TensorFlow's channels-last); `chw`: [channels, height, width]. */
    layout: Type.Union([Type.Literal('hwc'), Type.Literal('chw')], { default: 'hwc' }),
    /** Divide 8- and 16-bit pixels by 255 / 65535 (float images, e.g. from normalize, are copied as they are). */
    rescale: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);
export type ToTensorParams = Static<typeof ToTensorParams>;

/**
 * The image as a float32 `DenseTensor` per record ({ kind: 'tensor', shape, data }), the form model
 * stages read; a model stacks the records of a batch into one [N, …shape] tensor.
 */
@injectable()
export class ToTensorStage implements Stage {
  readonly kind = 'sharp:to-tensor';

  constructor(@inject(STAGE_PARAMS) private readonly params: ToTensorParams) {}

  transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    const { input, output, layout, rescale } = this.params;
    return mapImages(
      batch,
      ctx,
      input,
      output,
      (image) => {
        const { width: w, height: h, channels: c } = image;
        return denseTensor(tensorData(image, layout, rescale), layout === 'hwc' ? [h, w, c] : [c, h, w]);
      },
      'Put a decodeImage stage before toTensor, or set its input param.',
    );
  }
}

export const toTensorStage = defineStage({
  kind: 'sharp:to-tensor',
  description: 'Image to a float32 tensor per record, HWC or CHW.',
  params: ToTensorParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output] }),
  implementation: ToTensorStage,
});

/** `toTensor({ layout: 'hwc' })` */
export const toTensor = stageSpec<Partial<ToTensorParams>>('sharp:to-tensor');
