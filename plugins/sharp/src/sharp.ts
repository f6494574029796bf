import { TributaryError } from '@tributary/core';
import type { Sharp, SharpOptions } from 'sharp';
import type { Depth, RawImage } from './image.js';

type SharpModule = (typeof import('sharp'))['default'];

let loading: Promise<SharpModule> | undefined;

/**
 * sharp, loaded on first use (nothing native loads at import time). libvips's operation cache is
 * turned off: a pipeline sees each image once, and the cache would only hold memory.
 */
export function loadSharp(): Promise<SharpModule> {
  loading ??= import('sharp').then(
    (module) => {
      const sharp = module.default;
      sharp.cache(false);
      return sharp;
    },
    (error: unknown) => {
      loading = undefined;
      throw new TributaryError('BACKEND_UNAVAILABLE', {
        message: `sharp (libvips) could not be loaded: ${error instanceof Error ? error.message : String(error)}. sharp ships prebuilt binaries for common platforms as optional dependencies; reinstall without --omit=optional (npm install sharp), or see https://sharp.pixelplumbing.com/install.`,
        cause: error,
      });
    },
  );
  return loading;
}

/** Why sharp could not decode an input, for the `reason` detail of UNSUPPORTED_IMAGE. */
export type DecodeFailure = 'empty' | 'unsupported-format' | 'truncated' | 'corrupt' | 'too-large';

export function classifyDecodeError(error: unknown): DecodeFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (/(buffer|file) is empty/i.test(message)) return 'empty';
  if (/unsupported image format/i.test(message)) return 'unsupported-format';
  if (/pixel limit|exceeds.*limit|too large/i.test(message)) return 'too-large';
  if (/premature end|truncat|unexpected end|end of (file|stream|data)|read error|out of order read/i.test(message)) return 'truncated';
  return 'corrupt';
}

const ADVICE: Record<DecodeFailure, string> = {
  empty: 'The input has no bytes: check that the file was written completely.',
  'unsupported-format': 'The bytes are not an image format sharp reads (JPEG, PNG, WebP, AVIF, GIF, TIFF, SVG, HEIF): check the file type.',
  truncated: 'The file ends before its image data does (an interrupted download or upload). Re-fetch it, or set tolerant: true to decode what is there (flagged partial).',
  corrupt: 'The image data is damaged. Re-fetch the file, or set tolerant: true to decode what can be read (flagged partial).',
  'too-large': 'The image has more pixels than the stage allows: raise maxPixels if this is intended.',
};

export function decodeError(error: unknown, kind: string, what: string): TributaryError {
  const reason = classifyDecodeError(error);
  const detail = error instanceof Error ? error.message : String(error);
  return new TributaryError('UNSUPPORTED_IMAGE', {
    stage: kind,
    message: `Cannot decode ${what} (${reason}: ${detail.trim()}). ${ADVICE[reason]}`,
    details: { reason },
    cause: error,
  });
}

/**
 * A sharp instance reading the pixels of `image`, with the colourspace stated so sharp keeps the
 * channel count and bit depth (left alone, it turns 1-channel input into 3-channel sRGB and
 * 16-bit into 8-bit).
 */
export async function fromRaw(image: RawImage, options: SharpOptions = {}): Promise<Sharp> {
  const sharp = await loadSharp();
  const { data, width, height, channels } = image;
  if (channels > 4) {
    throw new TributaryError('UNSUPPORTED_IMAGE', { message: `sharp works on images of 1 to 4 channels; this one has ${channels}.`, details: { reason: 'channels' } });
  }
  return sharp(data, { ...options, raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
}

/** The colourspace that keeps `channels` and `depth` through sharp (grey or sRGB, 8 or 16 bit). */
export function colourspaceFor(channels: number, depth: Depth): 'b-w' | 'grey16' | 'srgb' | 'rgb16' {
  const grey = channels <= 2;
  if (depth === 'ushort') return grey ? 'grey16' : 'rgb16';
  return grey ? 'b-w' : 'srgb';
}
