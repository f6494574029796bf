import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, TributaryError, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { type RawImage, allocate, backgroundSamples, mapImages, pickChannels, viewPixels } from '../image.js';
import { colourspaceFor, fromRaw } from '../sharp.js';
import { HEX_COLOUR } from './decode.js';

export const ResizeParams = Type.Object(
  {
    input: Type.String({ default: 'image' }),
    /** Defaults to the input field. */
    output: Type.Optional(Type.String()),
    width: Type.Optional(Type.Integer({ minimum: 1 })),
    height: Type.Optional(Type.Integer({ minimum: 1 })),
    /** As sharp: `cover` crops to fill both, `contain` letterboxes onto `background`, `fill` stretches, `inside`/`outside` keep the aspect ratio. */
    fit: Type.Union([Type.Literal('cover'), Type.Literal('contain'), Type.Literal('fill'), Type.Literal('inside'), Type.Literal('outside')], { default: 'cover' }),
    kernel: Type.Union(
      [Type.Literal('nearest'), Type.Literal('linear'), Type.Literal('cubic'), Type.Literal('mitchell'), Type.Literal('lanczos2'), Type.Literal('lanczos3')],
      { default: 'lanczos3' },
    ),
    /** The letterbox colour for `fit: 'contain'`. */
    background: Type.String({ pattern: HEX_COLOUR, default: '#000000' }),
    /** Leave images smaller than the target as they are. */
    withoutEnlargement: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);
export type ResizeParams = Static<typeof ResizeParams>;

/**
 * Resizes with sharp (libvips), keeping the channel count and bit depth of the input. A side never
 * shrinks below one pixel (a 2000×4 strip resized to width 100 is 100×1).
 */
@injectable()
export class ResizeStage implements Stage {
  readonly kind = 'sharp:resize';

  constructor(@inject(STAGE_PARAMS) private readonly params: ResizeParams) {
    if (params.width === undefined && params.height === undefined) {
      throw new TributaryError('INVALID_PARAMS', { stage: this.kind, param: 'width', message: 'resize needs a width, a height, or both.' });
    }
  }

  transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    const p = this.params;
    return mapImages(batch, ctx, p.input, p.output ?? p.input, (image) => {
      if (image.depth === 'float') {
        throw new TributaryError('UNSUPPORTED_IMAGE', {
          stage: this.kind,
          message: 'resize works on 8- and 16-bit images; this one is float (made by sobel, normalize or toTensor). Resize before those stages.',
          details: { reason: 'depth' },
        });
      }
      return this.resize(image);
    });
  }

  private async resize(image: RawImage): Promise<RawImage> {
    // libvips's grey colourspaces drop alpha: grey + alpha goes through as RGBA, and its grey and alpha come back.
    if (image.channels === 2) return pickChannels(await this.resize(pickChannels(image, [0, 0, 0, 1])), [0, 3]);
    const p = this.params;
    // sharp pads 16-bit images with the background × 256 (white 65280): 16-bit letterboxing is done here, at × 257.
    const letterbox16 = p.fit === 'contain' && image.depth === 'ushort' && p.width !== undefined && p.height !== undefined;
    const scaled = await this.sharpResize(image, letterbox16 ? 'inside' : p.fit);
    return letterbox16 ? letterbox(scaled, p.width!, p.height!, p.background) : scaled;
  }

  private async sharpResize(image: RawImage, fit: ResizeParams['fit']): Promise<RawImage> {
    const p = this.params;
    const { channels, depth } = image;
    const { data, info } = await (await fromRaw(image))
      .resize({
        ...(p.width === undefined ? {} : { width: p.width }),
        ...(p.height === undefined ? {} : { height: p.height }),
        fit,
        kernel: p.kernel,
        background: p.background,
        withoutEnlargement: p.withoutEnlargement,
      })
      .toColourspace(colourspaceFor(channels, depth))
      .raw({ depth })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) {
      throw new TributaryError('STAGE_FAILED', { stage: this.kind, message: `sharp returned ${info.channels} channels for a ${channels}-channel image. Please report this.` });
    }
    return { data: viewPixels(data, depth), width: info.width, height: info.height, channels, depth };
  }
}

/** Centres `image` on a width × height canvas of `background` (as sharp's contain: the extra pixel of an odd margin goes right and below). */
function letterbox(image: RawImage, width: number, height: number, background: string): RawImage {
  if (image.width === width && image.height === height) return image;
  const { channels } = image;
  const fill = backgroundSamples(background, channels, image.depth);
  const out = allocate(image.depth, width * height * channels);
  for (let p = 0; p < width * height; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = fill[c]!;
  const left = Math.floor((width - image.width) / 2);
  const top = Math.floor((height - image.height) / 2);
  for (let y = 0; y < image.height; y++) {
    const row = image.data.subarray(y * image.width * channels, (y + 1) * image.width * channels);
    out.set(row, ((top + y) * width + left) * channels);
  }
  return { data: out, width, height, channels, depth: image.depth };
}

export const resizeStage = defineStage({
  kind: 'sharp:resize',
  description: 'Resize (sharp/libvips), keeping channels and bit depth.',
  params: ResizeParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output ?? p.input] }),
  implementation: ResizeStage,
});

/** `resize({ width: 28, height: 28 })` */
export const resize = stageSpec<Partial<ResizeParams>>('sharp:resize');
