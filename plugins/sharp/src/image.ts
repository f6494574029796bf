import { type DataRecord, type StageContext, TributaryError } from '@tributary/core';

/** Sample formats: 8-bit and 16-bit unsigned integers, and 32-bit floating point. */
export type Depth = 'uchar' | 'ushort' | 'float';

export type Pixels = Uint8Array | Uint16Array | Float32Array;

/**
 * Decoded pixels as records carry them between stages, so stages chain without re-encoding:
 * row-major, channels interleaved (`data[(y * width + x) * channels + c]`). Channels are 1 (grey),
 * 2 (grey + alpha), 3 (RGB) or 4 (RGB + alpha), or any count after a stage such as `sobel`
 * that works per channel.
 */
export interface RawImage {
  readonly data: Pixels;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly depth: Depth;
  /** True when a tolerant decode filled in missing data (a truncated file). */
  readonly partial?: boolean;
}

/** The largest value of an integer depth (what "white" is), 1 for float. */
export function maxValue(depth: Depth): number {
  return depth === 'uchar' ? 255 : depth === 'ushort' ? 65535 : 1;
}

export function allocate(depth: Depth, length: number): Pixels {
  return depth === 'uchar' ? new Uint8Array(length) : depth === 'ushort' ? new Uint16Array(length) : new Float32Array(length);
}

function depthOf(data: unknown): Depth | undefined {
  if (data instanceof Uint8Array) return 'uchar';
  if (data instanceof Uint16Array) return 'ushort';
  if (data instanceof Float32Array) return 'float';
  return undefined;
}

/** Why a value is not a usable RawImage, or undefined when it is one. */
export function imageProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return `is ${value === null ? 'null' : typeof value}, not an image ({ data, width, height, channels, depth })`;
  const image = value as Partial<RawImage>;
  const { width, height, channels, data, depth } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width! < 1 || height! < 1) return `has width ${String(width)} and height ${String(height)}; both must be whole numbers ≥ 1`;
  if (!Number.isInteger(channels) || channels! < 1) return `has ${String(channels)} channels; an image has a whole number ≥ 1`;
  const actual = depthOf(data);
  if (!actual) return 'holds no pixel data (data must be a Uint8Array, Uint16Array or Float32Array)';
  if (depth !== actual) return `says its depth is ${String(depth)} but its data is a ${data!.constructor.name} (${actual})`;
  const expected = width! * height! * channels!;
  if (data!.length !== expected) return `holds ${data!.length} samples, but ${width}×${height}×${channels} needs ${expected}`;
  return undefined;
}

/** Says what a record's field holds, for messages about the wrong kind of value. */
export function describeField(record: DataRecord, field: string): string {
  if (!(field in record)) {
    const fields = Object.keys(record);
    return `the record has no field '${field}' (it has ${fields.length ? fields.map((f) => `'${f}'`).join(', ') : 'no fields'})`;
  }
  return `field '${field}'`;
}

/**
 * Runs `fn` on every record of a batch at once (asynchronous work such as sharp's runs on libuv's
 * thread pool) and writes what it returns to `output`, in order. A record `fn` refuses with a
 * TributaryError is rejected under the run's error policy; any other error fails the batch.
 */
export async function mapRecords<T>(
  batch: readonly DataRecord[],
  ctx: StageContext,
  output: string,
  fn: (record: DataRecord) => T | Promise<T>,
): Promise<DataRecord[]> {
  const settled = await Promise.allSettled(batch.map(async (record) => fn(record)));
  const out: DataRecord[] = [];
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') out.push({ ...batch[i]!, [output]: result.value });
    else if (result.reason instanceof TributaryError) ctx.reject(batch[i]!, result.reason);
    else throw result.reason;
  });
  return out;
}

/**
 * `mapRecords` for stages that read an image: a record whose `input` is not one is rejected with
 * INVALID_RECORD (and `hint`), the others go to `fn`.
 */
export function mapImages<T>(
  batch: readonly DataRecord[],
  ctx: StageContext,
  input: string,
  output: string,
  fn: (image: RawImage, record: DataRecord) => T | Promise<T>,
  hint = 'Put a decodeImage stage before this one, or set this stage\'s input param to the field that holds the image.',
): Promise<DataRecord[]> {
  return mapRecords(batch, ctx, output, (record) => {
    const problem = imageProblem(record[input]);
    if (problem) {
      throw new TributaryError('INVALID_RECORD', { stage: ctx.kind, message: `In stage '${ctx.kind}', ${describeField(record, input)} ${problem}. ${hint}` });
    }
    return fn(record[input] as RawImage, record);
  });
}

/** Views a Buffer from sharp as samples of `depth`, copying only when the bytes are not aligned for it. */
export function viewPixels(buffer: Buffer, depth: Depth): Pixels {
  if (depth === 'uchar') return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
  const size = depth === 'ushort' ? 2 : 4;
  const bytes = buffer.byteOffset % size === 0 ? buffer : Buffer.from(buffer);
  return depth === 'ushort'
    ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2)
    : new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

/** 16-bit to 8-bit by one rule everywhere: round(v / 257), so 65535 → 255 and 32896 → 128. */
export function ushortToUchar(data: Uint16Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.round(data[i]! / 257);
  return out;
}

/** 8-bit to 16-bit: v × 257, so 255 → 65535 and the round trip through `ushortToUchar` is exact. */
export function ucharToUshort(data: Uint8Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * 257;
  return out;
}

/** The image at another integer depth, by the rules above (round(v / 257) down, v × 257 up); itself when already there. */
export function withDepth(image: RawImage, depth: 'uchar' | 'ushort'): RawImage {
  if (image.depth === depth) return image;
  if (image.depth === 'float') throw new TypeError('withDepth converts between 8- and 16-bit images only.');
  const data = depth === 'uchar' ? ushortToUchar(image.data as Uint16Array) : ucharToUshort(image.data as Uint8Array);
  return { ...image, data, depth };
}

/** The listed channels of an image, in that order (e.g. [0, 3]: grey and alpha of an RGBA image of a grey source). */
export function pickChannels(image: RawImage, channels: readonly number[]): RawImage {
  const { data, width, height } = image;
  const n = width * height;
  const out = allocate(image.depth, n * channels.length);
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < channels.length; k++) out[p * channels.length + k] = data[p * image.channels + channels[k]!]!;
  }
  return { ...image, data: out, channels: channels.length };
}

/** The 8-bit [r, g, b] of a `#rgb` or `#rrggbb` colour. */
export function parseHex(hex: string): [number, number, number] {
  const h = hex.length === 4 ? [...hex.slice(1)].map((c) => c + c).join('') : hex.slice(1);
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/**
 * An opaque colour as the samples of an image of `channels` at `depth`: grey images (1 or 2
 * channels) get its BT.601 luma, colour images its r, g, b; an alpha channel is fully opaque; white
 * is 255 at 8 bits and 65535 at 16.
 */
export function backgroundSamples(hex: string, channels: number, depth: Depth): number[] {
  const max = maxValue(depth);
  const [r, g, b] = parseHex(hex);
  const colour = channels <= 2 ? [Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000)] : [r, g, b];
  const samples = colour.map((v) => (v * max) / 255);
  return channels === 2 || channels === 4 ? [...samples, max] : samples;
}

/**
 * Composites an image with alpha (grey + alpha or RGBA, 8- or 16-bit) onto an opaque colour:
 * v = (c·a + bg·(max − a)) / max, rounded, with the background at the image's depth (white is
 * 65535 at 16 bits). A grey image's background is the colour's BT.601 luma.
 */
export function flattenAlpha(image: RawImage, background: string): RawImage {
  const { data, width, height, channels } = image;
  if (channels !== 2 && channels !== 4) return image;
  const max = maxValue(image.depth);
  const bg = backgroundSamples(background, channels, image.depth);
  const colours = channels - 1;
  const n = width * height;
  const out = allocate(image.depth, n * colours);
  for (let p = 0; p < n; p++) {
    const a = data[p * channels + colours]!;
    for (let c = 0; c < colours; c++) out[p * colours + c] = Math.round((data[p * channels + c]! * a + bg[c]! * (max - a)) / max);
  }
  return { ...image, data: out, channels: colours };
}
