import fs from 'node:fs/promises';
import {
  type Batch,
  type DataRecord,
  STAGE_PARAMS,
  type Stage,
  type StageContext,
  type Static,
  TributaryError,
  Type,
  defineStage,
  inject,
  injectable,
  stageSpec,
} from '@tributary/core';
import { type Depth, type RawImage, describeField, flattenAlpha, mapRecords, pickChannels, viewPixels, withDepth } from '../image.js';
import { isSrgbProfile } from '../icc.js';
import { decodeError, loadSharp } from '../sharp.js';

export const HEX_COLOUR = '^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$';

export const DecodeImageParams = Type.Object(
  {
    /** The field with a file path (string) or the encoded bytes (Buffer / Uint8Array). */
    input: Type.String({ default: 'path' }),
    output: Type.String({ default: 'image' }),
    /** `auto`: grey sources stay 1 channel, everything else (CMYK, Lab, palette, …) becomes 3-channel sRGB. `rgb`: always 3 channels. */
    channels: Type.Union([Type.Literal('auto'), Type.Literal('rgb')], { default: 'auto' }),
    /** `auto`: 16-bit sources stay 16-bit (ushort), others are 8-bit. `uchar` converts 16-bit by round(v / 257); `ushort` widens 8-bit by v × 257. */
    depth: Type.Union([Type.Literal('auto'), Type.Literal('uchar'), Type.Literal('ushort')], { default: 'auto' }),
    /** What to do with an alpha channel: composite onto `background`, drop it (the stored colour stays), or keep it as the last channel. */
    alpha: Type.Union([Type.Literal('flatten'), Type.Literal('drop'), Type.Literal('keep')], { default: 'flatten' }),
    /** The colour `alpha: 'flatten'` composites onto. */
    background: Type.String({ pattern: HEX_COLOUR, default: '#ffffff' }),
    /** Rotate and flip as the EXIF Orientation tag says, so the pixels are the way the photo is shown. */
    autoOrient: Type.Boolean({ default: true }),
    /** Decode truncated or damaged files as far as they go instead of rejecting them; such images carry `partial: true` and a warning. */
    tolerant: Type.Boolean({ default: false }),
    /** Refuse images with more pixels than this (a decompression bomb guard); sharp's default. */
    maxPixels: Type.Integer({ minimum: 1, default: 268_402_689 }),
  },
  { additionalProperties: false },
);
export type DecodeImageParams = Static<typeof DecodeImageParams>;

/**
 * Decodes any format sharp reads into raw pixels (`{ data, width, height, channels, depth }`), with
 * the working colourspace explicit: the channel count comes from what was decoded, never from the
 * header (a CMYK JPEG's header says 4 channels; it decodes to 3-channel sRGB), and 16-bit sources
 * keep their precision. The whole image is decoded, so a truncated file is caught here rather
 * than passing a header check.
 */
@injectable()
export class DecodeImageStage implements Stage {
  readonly kind = 'sharp:decode-image';

  constructor(@inject(STAGE_PARAMS) private readonly params: DecodeImageParams) {}

  transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    return mapRecords(batch, ctx, this.params.output, (record) => this.decodeRecord(record, ctx));
  }

  /** The decoded image of a record; throws a TributaryError (the record is rejected) when there is none. */
  private async decodeRecord(record: DataRecord, ctx: StageContext): Promise<RawImage> {
    const { input } = this.params;
    const value = record[input];
    let source: string | Buffer;
    let what: string;
    if (typeof value === 'string') {
      what = `the file ${value}`;
      let stat;
      try {
        stat = await fs.stat(value);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new TributaryError('INVALID_RECORD', {
          stage: this.kind,
          message: `Cannot read the image file ${value} (${code ?? String(error)}). Check the path in field '${input}'.`,
          details: { reason: code === 'ENOENT' ? 'not-found' : 'unreadable' },
          cause: error,
        });
      }
      if (!stat.isFile()) {
        throw new TributaryError('INVALID_RECORD', { stage: this.kind, message: `${value} (field '${input}') is not a regular file.`, details: { reason: 'not-a-file' } });
      }
      if (stat.size === 0) throw decodeError(new Error('Input file is empty (0 bytes)'), this.kind, what);
      source = value;
    } else if (value instanceof Uint8Array) {
      what = `the bytes in field '${input}'`;
      if (value.length === 0) throw decodeError(new Error('Input Buffer is empty'), this.kind, what);
      source = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    } else {
      throw new TributaryError('INVALID_RECORD', {
        stage: this.kind,
        message: `${describeField(record, input)} should hold a file path or the encoded bytes of an image, but holds ${value === null ? 'null' : typeof value}. Set the stage's input param to the field that holds them.`,
      });
    }
    try {
      return await this.decode(source, false);
    } catch (error) {
      // Refusals of our own (a sample format not read) are final; sharp's failures are classified.
      if (error instanceof TributaryError) throw error;
      const failure = decodeError(error, this.kind, what);
      const reason = failure.details?.reason;
      if (!this.params.tolerant || (reason !== 'truncated' && reason !== 'corrupt')) throw failure;
      try {
        const image = await this.decode(source, true);
        ctx.warn('IMAGE_PARTIAL', `${what} is damaged (${failure.message}); decoded as far as it goes, missing parts filled in.`, record);
        return image;
      } catch (again) {
        throw decodeError(again, this.kind, what);
      }
    }
  }

  private async decode(source: string | Buffer, tolerant: boolean): Promise<RawImage> {
    const sharp = await loadSharp();
    const p = this.params;
    const options = { failOn: tolerant ? 'none' : 'warning', autoOrient: p.autoOrient, limitInputPixels: p.maxPixels } as const;
    const meta = await sharp(source, options).metadata();
    if (meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'ushort') {
      throw new TributaryError('UNSUPPORTED_IMAGE', {
        stage: this.kind,
        message: `${typeof source === 'string' ? source : 'The image'} has ${meta.depth} samples; decodeImage reads 8- and 16-bit unsigned samples (floating-point and 32-bit TIFFs are not converted, as their range is not known). Convert the file to 16-bit first.`,
        details: { reason: 'depth' },
      });
    }
    // A profile that says sRGB needs no conversion to sRGB (see isSrgbProfile); any other is converted.
    const srgb = isSrgbProfile(meta.icc);
    const image = sharp(source, { ...options, ignoreIcc: srgb });
    const grey = p.channels === 'auto' && (meta.space === 'b-w' || meta.space === 'grey16');
    const sixteen = meta.depth === 'ushort' || meta.bitsPerSample === 16 || meta.space === 'grey16' || meta.space === 'rgb16';
    // sharp applies an embedded profile on its own only on the way to 8 bits.
    if (sixteen && !grey && meta.icc && !srgb) image.withIccProfile('srgb');
    const alpha = meta.hasAlpha && p.alpha !== 'drop';
    if (meta.hasAlpha && p.alpha === 'drop') image.removeAlpha();
    // Decode 16-bit sources at 16 bits and narrow here, so one rounding rule applies whatever the format.
    const working: Depth = sixteen ? 'ushort' : 'uchar';
    // libvips's grey colourspaces drop alpha, so grey + alpha is decoded as RGBA and its grey and alpha bands kept.
    const greyAlpha = grey && alpha;
    image.toColourspace(grey && !greyAlpha ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb');
    const { data, info } = await image.raw({ depth: working }).toBuffer({ resolveWithObject: true });
    const expected = (grey && !greyAlpha ? 1 : 3) + (alpha ? 1 : 0);
    if (info.channels !== expected) {
      throw new TributaryError('STAGE_FAILED', {
        stage: this.kind,
        message: `sharp decoded ${info.channels} channels where ${expected} were expected (source ${meta.format}, ${meta.space}, ${meta.channels} channels). Please report this with the file.`,
      });
    }
    let decoded: RawImage = { data: viewPixels(data, working), width: info.width, height: info.height, channels: info.channels, depth: working };
    if (greyAlpha) decoded = pickChannels(decoded, [0, 3]);
    if (alpha && p.alpha === 'flatten') decoded = flattenAlpha(decoded, p.background);
    const converted = withDepth(decoded, p.depth === 'auto' ? working : p.depth);
    return tolerant ? { ...converted, partial: true } : converted;
  }
}

export const decodeImageStage = defineStage({
  kind: 'sharp:decode-image',
  description: 'Decode image files or bytes (any format sharp reads) into raw pixels, EXIF orientation applied.',
  params: DecodeImageParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output] }),
  implementation: DecodeImageStage,
});

/** `decodeImage({ input: 'path', alpha: 'flatten' })` */
export const decodeImage = stageSpec<Partial<DecodeImageParams>>('sharp:decode-image');
