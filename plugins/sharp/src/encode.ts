import { TributaryError, Type } from '@tributary/core';
import { type RawImage, withDepth } from './image.js';
import { colourspaceFor, fromRaw } from './sharp.js';
import { HEX_COLOUR } from './stages/decode.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export const EXTENSIONS: Record<ImageFormat, string> = { png: '.png', jpeg: '.jpg', webp: '.webp' };

/** The encoder params `encodeImage` and `writeImage` share. */
export const encodeParams = {
  format: Type.Union([Type.Literal('png'), Type.Literal('jpeg'), Type.Literal('webp')], { default: 'png' }),
  /** JPEG and lossy WebP quality, 1–100. */
  quality: Type.Integer({ minimum: 1, maximum: 100, default: 90 }),
  /** PNG zlib level, 0 (fastest) – 9 (smallest). */
  compressionLevel: Type.Integer({ minimum: 0, maximum: 9, default: 6 }),
  /** WebP only: lossless. */
  lossless: Type.Boolean({ default: false }),
  /** JPEG has no alpha: an image with alpha is composited onto this colour. */
  background: Type.String({ pattern: HEX_COLOUR, default: '#ffffff' }),
};

export interface EncodeOptions {
  readonly format: ImageFormat;
  readonly quality: number;
  readonly compressionLevel: number;
  readonly lossless: boolean;
  readonly background: string;
}

/**
 * Encodes raw pixels. PNG keeps 16-bit images 16-bit; JPEG and WebP are 8-bit, so 16-bit images
 * are narrowed by round(v / 257) first. Float images (signed Sobel, normalized pixels) have no
 * file form: bring them to 8 bits first.
 */
/** Why an image cannot be encoded at all (before trying), or undefined. */
export function encodeProblem(image: RawImage, kind: string): TributaryError | undefined {
  if (image.depth === 'float') {
    return new TributaryError('INVALID_RECORD', {
      stage: kind,
      message: "A float image cannot be written as a file as it is. Use sobel kind 'abs' or a threshold to get 8-bit pixels before encoding.",
    });
  }
  if (image.channels > 4) {
    return new TributaryError('UNSUPPORTED_IMAGE', { stage: kind, message: `Image files hold 1 to 4 channels; this image has ${image.channels}.`, details: { reason: 'channels' } });
  }
  return undefined;
}

export async function encodePixels(image: RawImage, options: EncodeOptions, kind: string): Promise<Buffer> {
  const problem = encodeProblem(image, kind);
  if (problem) throw problem;
  // PNG keeps 16 bits; JPEG and WebP are 8-bit formats.
  const source = options.format === 'png' ? image : withDepth(image, 'uchar');
  try {
    let pipeline = (await fromRaw(source)).toColourspace(colourspaceFor(source.channels, source.depth));
    const alpha = source.channels === 2 || source.channels === 4;
    if (options.format === 'png') return await pipeline.png({ compressionLevel: options.compressionLevel }).toBuffer();
    if (alpha && options.format === 'jpeg') pipeline = pipeline.flatten({ background: options.background });
    if (options.format === 'jpeg') return await pipeline.jpeg({ quality: options.quality }).toBuffer();
    return await pipeline.webp({ quality: options.quality, lossless: options.lossless }).toBuffer();
  } catch (error) {
    if (error instanceof TributaryError) throw error;
    throw new TributaryError('UNSUPPORTED_IMAGE', {
      stage: kind,
      message: `Cannot encode the image as ${options.format}: ${error instanceof Error ? error.message : String(error)}. Choose another format (PNG takes the largest sizes) or resize the image first.`,
      details: { reason: 'encode' },
      cause: error,
    });
  }
}
