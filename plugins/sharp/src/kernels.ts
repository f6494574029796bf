import { TributaryError, assertKnownKeys } from '@tributary/core';
import { type Depth, type Pixels, type RawImage, allocate, maxValue } from './image.js';

/*
 * The pixel operations, written out in plain loops over typed arrays. They are exact to their
 * definitions (the tests compare them pixel for pixel with scalar reference code), work on every
 * channel count and depth, and need nothing but the image.
 */

/**
 * What lies beyond the edge of the image, as in OpenCV:
 * - `reflect101` (OpenCV's default, BORDER_REFLECT_101): `gfedcb|abcdefgh|gfedcba`, the edge pixel is not repeated;
 * - `reflect`: `fedcba|abcdefgh|hgfedcb`;
 * - `replicate`: `aaaaaa|abcdefgh|hhhhhhh` (what sharp's `convolve` does);
 * - `constant`: `iiiiii|abcdefgh|iiiiiii` with i the `borderValue`.
 */
export type BorderMode = 'reflect101' | 'reflect' | 'replicate' | 'constant';

/** The index that position `p` (possibly outside 0…n−1) reads under `mode`; −1 means the constant border value. */
export function borderIndex(p: number, n: number, mode: BorderMode): number {
  if (p >= 0 && p < n) return p;
  if (mode === 'constant') return -1;
  if (n === 1) return 0;
  if (mode === 'replicate') return p < 0 ? 0 : n - 1;
  const delta = mode === 'reflect101' ? 1 : 0;
  let q = p;
  do {
    q = q < 0 ? -q - 1 + delta : 2 * n - q - 1 - delta;
  } while (q < 0 || q >= n);
  return q;
}

/** One channel of `image` with a one-pixel border on every side filled by `mode`: (width + 2) × (height + 2), row-major. */
function paddedPlane(image: RawImage, channel: number, mode: BorderMode, borderValue: number, plane: Float32Array): void {
  const { data, width: w, height: h, channels: ch } = image;
  const pw = w + 2;
  for (let y = 0; y < h; y++) {
    const row = (y + 1) * pw + 1;
    let s = y * w * ch + channel;
    for (let x = 0; x < w; x++, s += ch) plane[row + x] = data[s]!;
    const left = borderIndex(-1, w, mode);
    const right = borderIndex(w, w, mode);
    plane[row - 1] = left < 0 ? borderValue : plane[row + left]!;
    plane[row + w] = right < 0 ? borderValue : plane[row + right]!;
  }
  const top = borderIndex(-1, h, mode);
  const bottom = borderIndex(h, h, mode);
  if (top < 0) plane.fill(borderValue, 0, pw);
  else plane.copyWithin(0, (top + 1) * pw, (top + 2) * pw);
  if (bottom < 0) plane.fill(borderValue, (h + 1) * pw, (h + 2) * pw);
  else plane.copyWithin((h + 1) * pw, (bottom + 1) * pw, (bottom + 2) * pw);
}

export type SobelDirection = 'x' | 'y' | 'magnitude';
/** `abs`: |G| rounded and clamped to 0…255 (8-bit); `signed`: G as float; `magnitude`: |G| as float, not clamped. */
export type SobelOutput = 'abs' | 'signed' | 'magnitude';

export interface SobelOptions {
  readonly direction: SobelDirection;
  readonly kind: SobelOutput;
  readonly border: BorderMode;
  readonly borderValue: number;
  /** Multiplies G before the output conversion (OpenCV's `scale`); 0.25 maps the 8-bit range ±1020 of x or y onto ±255. */
  readonly scale: number;
}

/**
 * The 3×3 Sobel operator, applied as a correlation (the kernel is not flipped), per channel:
 *
 *   Gx = [-1 0 +1]      Gy = [-1 -2 -1]
 *        [-2 0 +2]           [ 0  0  0]
 *        [-1 0 +1]           [+1 +2 +1]
 *
 * so Gx is positive where the image gets brighter to the right and Gy where it gets brighter
 * downwards (OpenCV's `Sobel(src, CV_64F, 1, 0)` and `(0, 1)`). `magnitude` is √(Gx² + Gy²).
 */
const SOBEL_DEFAULTS: SobelOptions = { direction: 'magnitude', kind: 'abs', border: 'reflect101', borderValue: 0, scale: 1 };

/** Why these Sobel options contradict each other, or undefined (the stage checks them when built, the function when called). */
export function sobelOptionsProblem(options: SobelOptions, stage?: string): TributaryError | undefined {
  const where = stage === undefined ? {} : { stage };
  if (options.direction === 'magnitude' && options.kind === 'signed') {
    return new TributaryError('INVALID_PARAMS', { ...where, param: 'kind', message: "A gradient magnitude has no sign: use kind 'abs' or 'magnitude' with direction 'magnitude', or direction 'x' or 'y' for a signed gradient." });
  }
  if (!Number.isFinite(options.scale) || !Number.isFinite(options.borderValue)) {
    return new TributaryError('INVALID_PARAMS', { ...where, param: 'scale', message: 'sobel scale and borderValue must be finite numbers.' });
  }
  return undefined;
}

export function sobelImage(image: RawImage, given: Partial<SobelOptions> = {}): RawImage {
  assertKnownKeys(given, Object.keys(SOBEL_DEFAULTS), 'sobelImage option');
  const options = { ...SOBEL_DEFAULTS, ...given };
  const problem = sobelOptionsProblem(options);
  if (problem) throw problem;
  if (image.depth === 'uchar' && options.scale === 1 && Number.isInteger(options.borderValue)) return sobelUchar(image, options);
  const { width: w, height: h, channels: ch } = image;
  const { direction, kind: output, border, borderValue, scale } = options;
  const outDepth: Depth = output === 'abs' ? 'uchar' : 'float';
  const out = allocate(outDepth, w * h * ch);
  const pw = w + 2;
  const plane = new Float32Array(pw * (h + 2));
  for (let c = 0; c < ch; c++) {
    paddedPlane(image, c, border, borderValue, plane);
    for (let y = 0; y < h; y++) {
      const r0 = y * pw;
      const r1 = r0 + pw;
      const r2 = r1 + pw;
      let o = y * w * ch + c;
      for (let x = 0; x < w; x++, o += ch) {
        const a = plane[r0 + x]!;
        const b = plane[r0 + x + 1]!;
        const cc = plane[r0 + x + 2]!;
        const g = plane[r2 + x]!;
        const hh = plane[r2 + x + 1]!;
        const i = plane[r2 + x + 2]!;
        let v: number;
        if (direction === 'magnitude') {
          const gx = cc - a + 2 * (plane[r1 + x + 2]! - plane[r1 + x]!) + (i - g);
          const gy = g - a + 2 * (hh - b) + (i - cc);
          v = Math.sqrt(gx * gx + gy * gy) * scale;
        } else if (direction === 'x') {
          v = (cc - a + 2 * (plane[r1 + x + 2]! - plane[r1 + x]!) + (i - g)) * scale;
        } else {
          v = (g - a + 2 * (hh - b) + (i - cc)) * scale;
        }
        if (output === 'abs') {
          const m = Math.round(v < 0 ? -v : v);
          out[o] = m > 255 ? 255 : m;
        } else if (output === 'magnitude') {
          out[o] = v < 0 ? -v : v;
        } else {
          out[o] = v;
        }
      }
    }
  }
  return { data: out, width: w, height: h, channels: ch, depth: outDepth };
}

/** round(√s) for every s whose root rounds below 256; larger sums clamp to 255. */
let rootTable: Uint8Array | undefined;
function roots(): Uint8Array {
  if (!rootTable) {
    rootTable = new Uint8Array(65281);
    for (let s = 0; s < rootTable.length; s++) rootTable[s] = Math.min(255, Math.round(Math.sqrt(s)));
  }
  return rootTable;
}

/**
 * The same operator for 8-bit input at scale 1, in integer arithmetic (exact): per row, the
 * vertical smoothing [1 2 1] and difference [−1 0 1] of each column are computed once, then
 * Gx = smooth(x+1) − smooth(x−1) and Gy = diff(x−1) + 2·diff(x) + diff(x+1).
 */
function sobelUchar(image: RawImage, options: SobelOptions): RawImage {
  const { width: w, height: h, channels: ch } = image;
  const data = image.data as Uint8Array;
  const { direction, kind: output, border, borderValue } = options;
  const n = w * h * ch;
  const abs = output === 'abs';
  const outU8 = new Uint8Array(abs ? n : 0);
  const outF32 = new Float32Array(abs ? 0 : n);
  const signed = output === 'signed';
  // smooth[i] and diff[i] describe padded column i, i.e. image column i − 1.
  const smooth = new Int32Array(w + 2);
  const diff = new Int32Array(w + 2);
  const table = roots();
  const left = borderIndex(-1, w, border);
  const right = borderIndex(w, w, border);
  const stride = w * ch;
  for (let c = 0; c < ch; c++) {
    for (let y = 0; y < h; y++) {
      const up = borderIndex(y - 1, h, border);
      const down = borderIndex(y + 1, h, border);
      const t0 = up * stride + c;
      const m0 = y * stride + c;
      const b0 = down * stride + c;
      if (direction === 'magnitude' && abs && up >= 0 && down >= 0) {
        magnitudeRow(data, outU8, table, t0, m0, b0, m0, w, ch, left, right, borderValue);
        continue;
      }
      if (up >= 0 && down >= 0) {
        for (let x = 1, i = 0; x <= w; x++, i += ch) {
          const t = data[t0 + i]!;
          const b = data[b0 + i]!;
          smooth[x] = t + 2 * data[m0 + i]! + b;
          diff[x] = b - t;
        }
      } else {
        for (let x = 1, i = 0; x <= w; x++, i += ch) {
          const t = up < 0 ? borderValue : data[t0 + i]!;
          const b = down < 0 ? borderValue : data[b0 + i]!;
          smooth[x] = t + 2 * data[m0 + i]! + b;
          diff[x] = b - t;
        }
      }
      if (left < 0) {
        smooth[0] = 4 * borderValue;
        diff[0] = 0;
      } else {
        smooth[0] = smooth[left + 1]!;
        diff[0] = diff[left + 1]!;
      }
      if (right < 0) {
        smooth[w + 1] = 4 * borderValue;
        diff[w + 1] = 0;
      } else {
        smooth[w + 1] = smooth[right + 1]!;
        diff[w + 1] = diff[right + 1]!;
      }
      let o = m0;
      if (direction === 'magnitude' && abs) {
        let d0 = diff[0]!;
        let d1 = diff[1]!;
        let s0 = smooth[0]!;
        let s1 = smooth[1]!;
        for (let x = 0; x < w; x++, o += ch) {
          const d2 = diff[x + 2]!;
          const s2 = smooth[x + 2]!;
          const gx = s2 - s0;
          const gy = d0 + 2 * d1 + d2;
          const sum = gx * gx + gy * gy;
          outU8[o] = sum >= 65281 ? 255 : table[sum]!;
          d0 = d1;
          d1 = d2;
          s0 = s1;
          s1 = s2;
        }
      } else if (direction === 'magnitude') {
        for (let x = 0; x < w; x++, o += ch) {
          const gx = smooth[x + 2]! - smooth[x]!;
          const gy = diff[x]! + 2 * diff[x + 1]! + diff[x + 2]!;
          outF32[o] = Math.sqrt(gx * gx + gy * gy);
        }
      } else {
        const isX = direction === 'x';
        for (let x = 0; x < w; x++, o += ch) {
          const g = isX ? smooth[x + 2]! - smooth[x]! : diff[x]! + 2 * diff[x + 1]! + diff[x + 2]!;
          const a = g < 0 ? -g : g;
          if (abs) outU8[o] = a > 255 ? 255 : a;
          else outF32[o] = signed ? g : a;
        }
      }
    }
  }
  return abs ? { data: outU8, width: w, height: h, channels: ch, depth: 'uchar' } : { data: outF32, width: w, height: h, channels: ch, depth: 'float' };
}

/**
 * One row of 8-bit |∇| in a single pass (the hot path of edge detection): the smoothed sum and the
 * difference of each column are computed once, as the window slides right, and kept in locals.
 * Rows above and below are inside the image (the caller handles a constant border row).
 */
function magnitudeRow(
  data: Uint8Array,
  out: Uint8Array,
  table: Uint8Array,
  t0: number,
  m0: number,
  b0: number,
  o: number,
  w: number,
  ch: number,
  left: number,
  right: number,
  borderValue: number,
): void {
  let s0 = 4 * borderValue;
  let d0 = 0;
  if (left >= 0) {
    const i = left * ch;
    s0 = data[t0 + i]! + 2 * data[m0 + i]! + data[b0 + i]!;
    d0 = data[b0 + i]! - data[t0 + i]!;
  }
  let s1 = data[t0]! + 2 * data[m0]! + data[b0]!;
  let d1 = data[b0]! - data[t0]!;
  for (let x = 1, i = ch; x < w; x++, i += ch, o += ch) {
    const t = data[t0 + i]!;
    const b = data[b0 + i]!;
    const s2 = t + 2 * data[m0 + i]! + b;
    const d2 = b - t;
    const gx = s2 - s0;
    const gy = d0 + 2 * d1 + d2;
    const sum = gx * gx + gy * gy;
    out[o] = sum >= 65281 ? 255 : table[sum]!;
    s0 = s1;
    s1 = s2;
    d0 = d1;
    d1 = d2;
  }
  let s2 = 4 * borderValue;
  let d2 = 0;
  if (right >= 0) {
    const i = right * ch;
    s2 = data[t0 + i]! + 2 * data[m0 + i]! + data[b0 + i]!;
    d2 = data[b0 + i]! - data[t0 + i]!;
  }
  const gx = s2 - s0;
  const gy = d0 + 2 * d1 + d2;
  const sum = gx * gx + gy * gy;
  out[o] = sum >= 65281 ? 255 : table[sum]!;
}

/** The smallest depth that holds 0 and `max` exactly. */
export function depthFor(max: number): Depth {
  if (Number.isInteger(max) && max >= 0 && max <= 255) return 'uchar';
  if (Number.isInteger(max) && max >= 0 && max <= 65535) return 'ushort';
  return 'float';
}

export interface ThresholdOptions {
  /** `binary`: max where pixel > value, else 0 (OpenCV THRESH_BINARY). `binaryInverse`: 0 where pixel > value, else max. */
  readonly type: 'binary' | 'binaryInverse';
  /** One threshold for every channel, or one per channel. */
  readonly value: number | readonly number[];
  readonly max: number;
}

/** Binarises every channel; the output depth is the smallest that holds `max` (8-bit for the usual 255). */
export function thresholdImage(image: RawImage, given: Partial<ThresholdOptions> = {}): RawImage {
  assertKnownKeys(given, ['type', 'value', 'max'], 'thresholdImage option');
  const { data, channels } = image;
  const { value, max, type } = { type: 'binary', value: 127, max: 255, ...given } satisfies ThresholdOptions;
  if (typeof value !== 'number' && value.length !== channels) {
    throw new TributaryError('INVALID_PARAMS', { param: 'value', message: `thresholdImage got ${value.length} values for an image of ${channels} channels; give one, or one per channel.` });
  }
  const depth = depthFor(max);
  const out = allocate(depth, data.length);
  const above = type === 'binary' ? max : 0;
  const below = type === 'binary' ? 0 : max;
  for (let c = 0; c < (typeof value === 'number' ? 1 : channels); c++) {
    const t = typeof value === 'number' ? value : value[c]!;
    const step = typeof value === 'number' ? 1 : channels;
    if (image.depth === 'uchar' && depth === 'uchar') {
      // 256 possible inputs: a table, so the loop has no branch to mispredict on edge images.
      const table = new Uint8Array(256);
      for (let v = 0; v < 256; v++) table[v] = v > t ? above : below;
      lookup(data as Uint8Array, out as Uint8Array, table, c, step);
    } else {
      for (let i = c; i < data.length; i += step) out[i] = data[i]! > t ? above : below;
    }
  }
  return { data: out, width: image.width, height: image.height, channels, depth };
}

function lookup(data: Uint8Array, out: Uint8Array, table: Uint8Array, start: number, step: number): void {
  for (let i = start; i < data.length; i += step) out[i] = table[data[i]!]!;
}

/**
 * Otsu's threshold of one channel of an 8-bit image: the t that maximises the between-class
 * variance of {v ≤ t} and {v > t} (the smallest such t on ties), as OpenCV's THRESH_OTSU.
 */
export function otsuThreshold(data: Uint8Array, channels: number, channel: number): number {
  const hist = new Float64Array(256);
  let n = 0;
  for (let i = channel; i < data.length; i += channels, n++) hist[data[i]!]!++;
  let total = 0;
  for (let v = 0; v < 256; v++) total += v * hist[v]!;
  let best = 0;
  let bestVariance = -1;
  let count0 = 0;
  let sum0 = 0;
  for (let t = 0; t < 256; t++) {
    count0 += hist[t]!;
    sum0 += t * hist[t]!;
    const count1 = n - count0;
    if (count0 === 0 || count1 === 0) continue;
    const mean0 = sum0 / count0;
    const mean1 = (total - sum0) / count1;
    const variance = count0 * count1 * (mean0 - mean1) * (mean0 - mean1);
    if (variance > bestVariance) {
      bestVariance = variance;
      best = t;
    }
  }
  return best;
}

export const GREY_WEIGHTS = {
  /** ITU-R BT.601 luma, as OpenCV's `COLOR_BGR2GRAY` and PIL's `convert('L')`. */
  bt601: [0.299, 0.587, 0.114],
  /** ITU-R BT.709 luma. */
  bt709: [0.2126, 0.7152, 0.0722],
} as const;

/**
 * Y = wr·R + wg·G + wb·B on the stored (gamma-encoded) values, rounded half up and clamped for
 * integer depths. RGBA keeps its alpha (grey + alpha); 1- and 2-channel images are already grey.
 * With the preset weights on 8- and 16-bit images the sum is exact (integer arithmetic: 0.299 is
 * 299/1000), so a value exactly halfway rounds up; your own weights, and float images, compute in
 * floating point.
 */
export function greyscaleImage(image: RawImage, weights: readonly [number, number, number] = GREY_WEIGHTS.bt601): RawImage {
  const { data, width, height, channels, depth } = image;
  if (channels <= 2) return image;
  const [wr, wg, wb] = weights;
  const alpha = channels === 4;
  const outChannels = alpha ? 2 : 1;
  const n = width * height;
  const out = allocate(depth, n * outChannels);
  if (depth === 'uchar' && channels === 3 && weights === GREY_WEIGHTS.bt601) {
    greyBt601(data as Uint8Array, out as Uint8Array, n);
    return { data: out, width, height, channels: outChannels, depth };
  }
  const exact = EXACT.get(weights);
  if (exact && depth !== 'float') {
    greyExact(data, out, n, channels, exact);
    return { data: out, width, height, channels: outChannels, depth };
  }
  const top = maxValue(depth);
  const integer = depth !== 'float';
  for (let p = 0, s = 0, o = 0; p < n; p++, s += channels, o += outChannels) {
    const y = wr * data[s]! + wg * data[s + 1]! + wb * data[s + 2]!;
    out[o] = integer ? clampRound(y, top) : y;
    if (alpha) out[o + 1] = data[s + 3]!;
  }
  return { data: out, width, height, channels: outChannels, depth };
}

/** Round-half-up of n / 1000 for every n the 8-bit BT.601 sum can take (0 … 255,000). */
let bt601Table: Uint8Array | undefined;

/**
 * BT.601 on 8-bit RGB in exact integer arithmetic: Y = (299 R + 587 G + 114 B) / 1000, rounded half
 * up, read from a table indexed by the integer sum.
 */
function greyBt601(data: Uint8Array, out: Uint8Array, n: number): void {
  if (!bt601Table) {
    bt601Table = new Uint8Array(255_001);
    for (let sum = 0; sum < bt601Table.length; sum++) bt601Table[sum] = Math.floor((sum + 500) / 1000);
  }
  const table = bt601Table;
  for (let p = 0, s = 0; p < n; p++, s += 3) out[p] = table[299 * data[s]! + 587 * data[s + 1]! + 114 * data[s + 2]!]!;
}

/** The integer weights and divisor of the presets: 0.299 is 299/1000, 0.2126 is 2126/10000. */
const EXACT = new Map<readonly number[], readonly [number, number, number, number]>([
  [GREY_WEIGHTS.bt601, [299, 587, 114, 1000]],
  [GREY_WEIGHTS.bt709, [2126, 7152, 722, 10000]],
]);

/** Any preset on 8- or 16-bit RGB or RGBA, exactly: the integer sum (below 2⁵³) over the divisor, halves up; alpha copied. */
function greyExact(data: Pixels, out: Pixels, n: number, channels: number, [a, b, c, d]: readonly [number, number, number, number]): void {
  const half = d / 2;
  const alpha = channels === 4;
  const outChannels = alpha ? 2 : 1;
  for (let p = 0, s = 0, o = 0; p < n; p++, s += channels, o += outChannels) {
    out[o] = Math.floor((a * data[s]! + b * data[s + 1]! + c * data[s + 2]! + half) / d);
    if (alpha) out[o + 1] = data[s + 3]!;
  }
}

function clampRound(v: number, top: number): number {
  const r = Math.round(v);
  return r < 0 ? 0 : r > top ? top : r;
}

export type NormalizeMode = 'scale' | 'minmax' | 'standard';

export interface NormalizeOptions {
  readonly mode: NormalizeMode;
  /** Per channel (or one for all), on the 0…1 scale: `standard` computes (v / max − mean) / std. */
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
}

/**
 * To float32: `scale` divides by the depth's maximum (255, 65535; floats unchanged), `minmax` maps
 * each channel's own range onto 0…1 (a constant channel becomes 0), `standard` scales then
 * subtracts `mean` and divides by `std` per channel (torchvision's Normalize).
 */
export function normalizeImage(image: RawImage, options: NormalizeOptions = { mode: 'scale' }): RawImage {
  const { data, channels: ch } = image;
  const out = new Float32Array(data.length);
  const top = maxValue(image.depth);
  if (options.mode === 'minmax') {
    for (let c = 0; c < ch; c++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = c; i < data.length; i += ch) {
        const v = data[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const range = hi - lo;
      for (let i = c; i < data.length; i += ch) out[i] = range > 0 ? (data[i]! - lo) / range : 0;
    }
  } else {
    const mean = options.mode === 'standard' ? (options.mean ?? [0]) : [0];
    const std = options.mode === 'standard' ? (options.std ?? [1]) : [1];
    for (let c = 0; c < ch; c++) {
      const m = mean.length === 1 ? mean[0]! : mean[c]!;
      const s = std.length === 1 ? std[0]! : std[c]!;
      for (let i = c; i < data.length; i += ch) out[i] = (data[i]! / top - m) / s;
    }
  }
  return { data: out, width: image.width, height: image.height, channels: ch, depth: 'float' };
}

/** The pixels as float32 in HWC (as stored) or CHW order; integer depths divided by their maximum when `rescale`. */
export function tensorData(image: RawImage, layout: 'hwc' | 'chw' = 'hwc', rescale = true): Float32Array {
  const { data, width: w, height: h, channels: ch } = image;
  const divisor = rescale && image.depth !== 'float' ? maxValue(image.depth) : 1;
  const out = new Float32Array(data.length);
  if (layout === 'hwc' || ch === 1) {
    for (let i = 0; i < data.length; i++) out[i] = data[i]! / divisor;
    return out;
  }
  const plane = w * h;
  for (let p = 0, s = 0; p < plane; p++, s += ch) {
    for (let c = 0; c < ch; c++) out[c * plane + p] = data[s + c]! / divisor;
  }
  return out;
}

