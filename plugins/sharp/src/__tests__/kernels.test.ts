import sharpLib from 'sharp';
import {
  type BorderMode,
  GREY_WEIGHTS,
  type RawImage,
  type SobelDirection,
  type SobelOutput,
  greyscaleImage,
  normalizeImage,
  otsuThreshold,
  sobelImage,
  tensorData,
  thresholdImage,
} from '@tributary/plugin-sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHOTOS, grey, noise, rowsOf } from './helpers.js';

// ---- Reference code, written straight from the definitions, one pixel at a time. ----

/** Where position p (at most one pixel outside) reads from, for an axis of n pixels. */
function refIndex(p: number, n: number, border: BorderMode): number | undefined {
  if (p >= 0 && p < n) return p;
  if (border === 'constant') return undefined;
  if (n === 1) return 0;
  if (border === 'replicate') return p < 0 ? 0 : n - 1;
  if (border === 'reflect101') return p < 0 ? -p : 2 * (n - 1) - p; // -1 → 1, n → n-2
  return p < 0 ? -p - 1 : 2 * n - 1 - p; // reflect: -1 → 0, n → n-1
}

function refPixel(img: RawImage, y: number, x: number, c: number, border: BorderMode, borderValue: number): number {
  const yy = refIndex(y, img.height, border);
  const xx = refIndex(x, img.width, border);
  if (yy === undefined || xx === undefined) return borderValue;
  return img.data[(yy * img.width + xx) * img.channels + c]!;
}

const KX = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]];
const KY = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]];

function refSobel(img: RawImage, direction: SobelDirection, kind: SobelOutput, border: BorderMode, scale = 1, borderValue = 0): number[] {
  const out: number[] = [];
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      for (let c = 0; c < img.channels; c++) {
        let gx = 0;
        let gy = 0;
        for (let j = 0; j < 3; j++) {
          for (let i = 0; i < 3; i++) {
            const v = refPixel(img, y + j - 1, x + i - 1, c, border, borderValue);
            gx += KX[j]![i]! * v;
            gy += KY[j]![i]! * v;
          }
        }
        const g = (direction === 'x' ? gx : direction === 'y' ? gy : Math.sqrt(gx * gx + gy * gy)) * scale;
        if (kind === 'abs') out.push(Math.min(255, Math.round(Math.abs(g))));
        else if (kind === 'magnitude') out.push(Math.fround(Math.abs(g)));
        else out.push(Math.fround(g));
      }
    }
  }
  return out;
}

function refThreshold(values: ArrayLike<number>, value: number, max: number, inverse: boolean): number[] {
  return Array.from(values, (v) => ((v > value) !== inverse ? max : 0));
}

// ---- Hand-worked cases. ----

describe('sobel on hand-worked images', () => {
  // C14: 8×8, columns 0–3 black, 4–7 white.
  const step = grey(Array.from({ length: 8 }, () => [0, 0, 0, 0, 255, 255, 255, 255]));
  const mirrored = grey(Array.from({ length: 8 }, () => [255, 255, 255, 255, 0, 0, 0, 0]));

  it('finds a dark-to-light step with Gx = +1020 in the two columns beside it, 0 elsewhere (C14)', () => {
    for (const border of ['reflect101', 'replicate', 'reflect'] as const) {
      const gx = sobelImage(step, { direction: 'x', kind: 'signed', border, borderValue: 0, scale: 1 });
      expect(gx.depth).toBe('float');
      for (const row of rowsOf(gx)) expect(row).toEqual([0, 0, 0, 1020, 1020, 0, 0, 0]);
    }
  });

  it('keeps the sign: the light-to-dark step gives −1020, and abs shows both orientations (C14)', () => {
    const opts = { direction: 'x', border: 'reflect101', borderValue: 0, scale: 1 } as const;
    for (const row of rowsOf(sobelImage(mirrored, { ...opts, kind: 'signed' }))) expect(row).toEqual([0, 0, 0, -1020, -1020, 0, 0, 0]);
    for (const image of [step, mirrored]) {
      const abs = sobelImage(image, { ...opts, kind: 'abs' });
      expect(abs.depth).toBe('uchar');
      for (const row of rowsOf(abs)) expect(row).toEqual([0, 0, 0, 255, 255, 0, 0, 0]);
    }
  });

  it('gives Gy = 0 everywhere on a vertical step, top and bottom rows included: no fake border edges (C14)', () => {
    const gy = sobelImage(step, { direction: 'y', kind: 'signed', border: 'reflect101', borderValue: 0, scale: 1 });
    expect(Array.from(gy.data).every((v) => v === 0)).toBe(true);
    // With a constant 0 border the top and bottom rows do see an edge: what zero padding would do.
    const padded = sobelImage(step, { direction: 'y', kind: 'signed', border: 'constant', borderValue: 0, scale: 1 });
    expect(rowsOf(padded)[0]).toEqual([0, 0, 0, 255, 765, 1020, 1020, 765].map((v, i) => (i < 3 ? 0 : v)));
  });

  it('maps the magnitude 1020 to 255 with scale 0.25, in both edge columns (C14)', () => {
    const mag = sobelImage(step, { direction: 'magnitude', kind: 'magnitude', border: 'reflect101', borderValue: 0, scale: 1 });
    for (const row of rowsOf(mag)) expect(row).toEqual([0, 0, 0, 1020, 1020, 0, 0, 0]);
    const scaled = sobelImage(step, { direction: 'magnitude', kind: 'abs', border: 'reflect101', borderValue: 0, scale: 0.25 });
    for (const row of rowsOf(scaled)) expect(row).toEqual([0, 0, 0, 255, 255, 0, 0, 0]);
  });

  it('gives the flipped kernel around a single bright pixel (5×5 impulse)', () => {
    const impulse = grey([
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 10, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    const gx = sobelImage(impulse, { direction: 'x', kind: 'signed', border: 'reflect101', borderValue: 0, scale: 1 });
    expect(rowsOf(gx)).toEqual([
      [0, 0, 0, 0, 0],
      [0, 10, 0, -10, 0],
      [0, 20, 0, -20, 0],
      [0, 10, 0, -10, 0],
      [0, 0, 0, 0, 0],
    ]);
    const gy = sobelImage(impulse, { direction: 'y', kind: 'signed', border: 'reflect101', borderValue: 0, scale: 1 });
    expect(rowsOf(gy)).toEqual([
      [0, 0, 0, 0, 0],
      [0, 10, 20, 10, 0],
      [0, 0, 0, 0, 0],
      [0, -10, -20, -10, 0],
      [0, 0, 0, 0, 0],
    ]);
  });

  it('reads beyond the corner as each border mode says (5×5 with a bright corner)', () => {
    const corner = grey([
      [10, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    const opts = { direction: 'x', kind: 'signed', borderValue: 0, scale: 1 } as const;
    // reflect-101 mirrors about the corner pixel: left and right of (0,0) are both (0,1), so Gx(0,0) = 0;
    // at (0,1): left column x=0 holds 10 in row 0 (weight −2) and, mirrored, row −1 → row 1 (0): −20.
    expect(rowsOf(sobelImage(corner, { ...opts, border: 'reflect101' })).slice(0, 2)).toEqual([
      [0, -20, 0, 0, 0],
      [0, -10, 0, 0, 0],
    ]);
    // replicate repeats the corner: left of (0,0) is 10 itself (rows −1 and 0 both), so Gx(0,0) = −10 − 20 = −30.
    expect(rowsOf(sobelImage(corner, { ...opts, border: 'replicate' })).slice(0, 2)).toEqual([
      [-30, -30, 0, 0, 0],
      [-10, -10, 0, 0, 0],
    ]);
    // constant 0: nothing beyond the edge, so Gx(0,0) = 0 − 0 + 2·(0 − 0)... the corner only weighs on its right neighbour.
    expect(rowsOf(sobelImage(corner, { ...opts, border: 'constant' })).slice(0, 2)).toEqual([
      [0, -20, 0, 0, 0],
      [0, -10, 0, 0, 0],
    ]);
  });

  it('as plain functions, take defaults (magnitude, abs, reflect-101) and refuse misspelt options', () => {
    expect(Array.from(sobelImage(step).data)).toEqual(Array.from(sobelImage(step, { direction: 'magnitude', kind: 'abs', border: 'reflect101', borderValue: 0, scale: 1 }).data));
    expect(() => sobelImage(step, { output: 'abs' } as never)).toThrow(/Unknown sobelImage option 'output'/);
    expect(() => sobelImage(step, { kind: 'signed' })).toThrow(/no sign/);
    expect(Array.from(thresholdImage(grey([[127, 128]])).data)).toEqual([0, 255]);
    expect(() => thresholdImage(grey([[1]]), { thresh: 3 } as never)).toThrow(/Unknown thresholdImage option/);
  });

  it('returns 0 gradients for a 1×1 image and for lines one pixel thick', () => {
    for (const [w, h] of [[1, 1], [1, 5], [5, 1]] as const) {
      const image: RawImage = { data: noise(w * h, 3), width: w, height: h, channels: 1, depth: 'uchar' };
      const out = sobelImage(image, { direction: w === 1 ? 'x' : 'y', kind: 'signed', border: 'reflect101', borderValue: 0, scale: 1 });
      expect(out.width * out.height).toBe(w * h);
      expect(Array.from(out.data).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('threshold on hand-worked values', () => {
  const row = grey([[0, 127, 128, 129, 255]]);

  it('sets max where pixel > value (strictly), else 0: OpenCV THRESH_BINARY', () => {
    const at = (value: number) => Array.from(thresholdImage(row, { type: 'binary', value, max: 255 }).data);
    expect(at(128)).toEqual([0, 0, 0, 255, 255]);
    expect(at(127)).toEqual([0, 0, 255, 255, 255]);
    expect(at(0)).toEqual([0, 255, 255, 255, 255]);
    expect(at(255)).toEqual([0, 0, 0, 0, 0]);
    expect(at(-1)).toEqual([255, 255, 255, 255, 255]);
    expect(Array.from(thresholdImage(row, { type: 'binaryInverse', value: 128, max: 255 }).data)).toEqual([255, 255, 255, 0, 0]);
  });

  it('writes max in the smallest depth that holds it', () => {
    expect(thresholdImage(row, { type: 'binary', value: 128, max: 1 })).toMatchObject({ depth: 'uchar', data: Uint8Array.from([0, 0, 0, 1, 1]) });
    expect(thresholdImage(row, { type: 'binary', value: 128, max: 1000 })).toMatchObject({ depth: 'ushort', data: Uint16Array.from([0, 0, 0, 1000, 1000]) });
    expect(thresholdImage(row, { type: 'binary', value: 128, max: 0.5 })).toMatchObject({ depth: 'float', data: Float32Array.from([0, 0, 0, 0.5, 0.5]) });
  });

  it('thresholds signed float gradients as they are: negative edges fall below (the reference example)', () => {
    const step = grey(Array.from({ length: 3 }, () => [0, 0, 255, 255, 0, 0]));
    const gx = sobelImage(step, { direction: 'x', kind: 'signed', border: 'reflect101', borderValue: 0, scale: 1 });
    expect(rowsOf(thresholdImage(gx, { type: 'binary', value: 127, max: 255 }))[1]).toEqual([0, 255, 255, 0, 0, 0]);
  });

  it('takes one threshold per channel', () => {
    const two: RawImage = { data: Uint8Array.from([10, 200, 100, 50]), width: 2, height: 1, channels: 2, depth: 'uchar' };
    // Channel 0 at 50: 10 → 0, 100 → 255; channel 1 at 100: 200 → 255, 50 → 0.
    expect(Array.from(thresholdImage(two, { value: [50, 100] }).data)).toEqual([0, 255, 255, 0]);
    expect(Array.from(thresholdImage({ ...two, data: Uint16Array.from(two.data), depth: 'ushort' }, { value: [50, 100] }).data)).toEqual([0, 255, 255, 0]);
    expect(() => thresholdImage(two, { value: [1, 2, 3] })).toThrow(/3 values for an image of 2 channels/);
  });

  it("picks Otsu's threshold between two clusters", () => {
    const bimodal = grey([[10, 10, 12, 12, 200, 200, 202, 202]]);
    // Every t in 12…199 splits the clusters the same way; Otsu takes the first (12).
    expect(otsuThreshold(bimodal.data as Uint8Array, 1, 0)).toBe(12);
    expect(otsuThreshold(grey([[7, 7, 7]]).data as Uint8Array, 1, 0)).toBe(0);
  });
});

describe('greyscale, normalize and tensors by hand', () => {
  it('uses BT.601 on the stored values: red 76, green 150, blue 29, grey 128', () => {
    const primaries: RawImage = { data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]), width: 4, height: 1, channels: 3, depth: 'uchar' };
    expect(Array.from(greyscaleImage(primaries, [0.299, 0.587, 0.114]).data)).toEqual([76, 150, 29, 128]);
    expect(Array.from(greyscaleImage(primaries, GREY_WEIGHTS.bt601).data)).toEqual([76, 150, 29, 128]);
    // Exactly halfway: (587·36 + 114·12) / 1000 = 22.5 → 23, whether or not there is alpha; at 16 bits,
    // (587·40990 + 114·205) / 1000 = 24084.5 → 24085.
    const half3: RawImage = { data: Uint8Array.from([0, 36, 12]), width: 1, height: 1, channels: 3, depth: 'uchar' };
    const half4: RawImage = { data: Uint8Array.from([0, 36, 12, 255]), width: 1, height: 1, channels: 4, depth: 'uchar' };
    const half16: RawImage = { data: Uint16Array.from([0, 40990, 205]), width: 1, height: 1, channels: 3, depth: 'ushort' };
    expect(Array.from(greyscaleImage(half3, GREY_WEIGHTS.bt601).data)).toEqual([23]);
    expect(Array.from(greyscaleImage(half4, GREY_WEIGHTS.bt601).data)).toEqual([23, 255]);
    expect(Array.from(greyscaleImage(half16, GREY_WEIGHTS.bt601).data)).toEqual([24085]);
    const rgba: RawImage = { data: Uint8Array.from([255, 0, 0, 7]), width: 1, height: 1, channels: 4, depth: 'uchar' };
    expect(greyscaleImage(rgba, [0.299, 0.587, 0.114])).toMatchObject({ channels: 2, data: Uint8Array.from([76, 7]) });
  });

  it('computes the presets exactly on every one of the 2²⁴ RGB colours: (299 R + 587 G + 114 B) / 1000, halves up', () => {
    const all: RawImage = { data: new Uint8Array(4096 * 4096 * 3), width: 4096, height: 4096, channels: 3, depth: 'uchar' };
    for (let v = 0, s = 0; v < 1 << 24; v++, s += 3) {
      all.data[s] = v >> 16;
      all.data[s + 1] = (v >> 8) & 255;
      all.data[s + 2] = v & 255;
    }
    const cases = [
      [GREY_WEIGHTS.bt601, [299, 587, 114], 1000],
      [GREY_WEIGHTS.bt709, [2126, 7152, 722], 10000],
    ] as const;
    for (const [weights, [a, b, c], d] of cases) {
      const out = greyscaleImage(all, weights).data;
      let mismatches = 0;
      for (let v = 0; v < 1 << 24; v++) {
        // Exact rational arithmetic: the integer sum over d, plus one half, floored.
        if (out[v] !== Math.floor((a * (v >> 16) + b * ((v >> 8) & 255) + c * (v & 255) + d / 2) / d)) mismatches++;
      }
      expect(mismatches).toBe(0);
    }
  });

  it('normalizes by scale, min-max and mean/std', () => {
    const img: RawImage = { data: Uint8Array.from([0, 51, 255, 102]), width: 2, height: 1, channels: 2, depth: 'uchar' };
    expect(Array.from(normalizeImage(img, { mode: 'scale' }).data)).toEqual([0, 0.2, 1, 0.4].map(Math.fround));
    expect(Array.from(normalizeImage(img, { mode: 'minmax' }).data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(normalizeImage(img, { mode: 'standard', mean: [0.5, 0.2], std: [0.5, 0.1] }).data)).toEqual([-1, 0, 1, 2].map(Math.fround));
  });

  it('lays tensors out HWC or CHW', () => {
    const img: RawImage = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1, channels: 3, depth: 'uchar' };
    expect(Array.from(tensorData(img, 'hwc', false))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(tensorData(img, 'chw', false))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(tensorData(img, 'hwc', true))).toEqual([1, 2, 3, 4, 5, 6].map((v) => Math.fround(v / 255)));
  });
});

// ---- Every photograph, every pixel, against the reference. ----

describe('the kernels against the reference on real photographs', () => {
  const photos: Array<{ name: string; rgb: RawImage }> = [];

  beforeAll(async () => {
    for (const photo of PHOTOS) {
      const { data, info } = await sharpLib(photo.path).raw().toBuffer({ resolveWithObject: true });
      photos.push({ name: photo.name, rgb: { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels, depth: 'uchar' } });
    }
  });

  it('computes BT.601 grey equal to (299 R + 587 G + 114 B) / 1000 rounded half up on every pixel', () => {
    for (const { name, rgb } of photos) {
      const grey = greyscaleImage(rgb, GREY_WEIGHTS.bt601);
      const expected = new Uint8Array(rgb.width * rgb.height);
      for (let p = 0; p < expected.length; p++) {
        const [r, g, b] = [rgb.data[3 * p]!, rgb.data[3 * p + 1]!, rgb.data[3 * p + 2]!];
        expected[p] = Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
      }
      expect(Buffer.from(grey.data.buffer).equals(Buffer.from(expected.buffer)), name).toBe(true);
    }
  });

  it('computes Sobel (every direction and output, reflect-101 and replicate) and the threshold pixel for pixel as the reference', () => {
    const cases: Array<[SobelDirection, SobelOutput, BorderMode, number]> = [
      ['magnitude', 'abs', 'reflect101', 1],
      ['x', 'signed', 'reflect101', 1],
      ['y', 'magnitude', 'replicate', 1],
      ['magnitude', 'magnitude', 'reflect', 0.25],
      ['x', 'abs', 'constant', 1],
    ];
    for (const [index, { name, rgb }] of photos.entries()) {
      const image = greyscaleImage(rgb, GREY_WEIGHTS.bt601);
      const [direction, output, border, scale] = cases[index % cases.length]!;
      const ours = sobelImage(image, { direction, kind: output, border, borderValue: 0, scale });
      const reference = refSobel(image, direction, output, border, scale);
      const label = `${name} ${direction}/${output}/${border}`;
      expect(ours.data.length, label).toBe(reference.length);
      let mismatches = 0;
      for (let i = 0; i < reference.length; i++) if (ours.data[i] !== reference[i]) mismatches++;
      expect(mismatches, label).toBe(0);
      const binary = thresholdImage(ours, { type: 'binary', value: 127, max: 255 });
      const expected = refThreshold(reference, 127, 255, false);
      expect(Array.from(binary.data).every((v, i) => v === expected[i]), label).toBe(true);
    }
  });

  it('matches the reference on random images of odd sizes, several channels and 16 bits', () => {
    const sizes = [[1, 1], [2, 2], [3, 7], [7, 3], [2, 9], [13, 1]] as const;
    for (const [i, [w, h]] of sizes.entries()) {
      for (const channels of [1, 3]) {
        const bytes = noise(w * h * channels, 100 + i * 7 + channels);
        const u8: RawImage = { data: bytes, width: w, height: h, channels, depth: 'uchar' };
        const u16: RawImage = { data: Uint16Array.from(bytes, (v, j) => v * 257 + (j % 7)), width: w, height: h, channels, depth: 'ushort' };
        for (const image of [u8, u16]) {
          for (const border of ['reflect101', 'reflect', 'replicate', 'constant'] as const) {
            for (const direction of ['x', 'y', 'magnitude'] as const) {
              const output = direction === 'magnitude' ? 'magnitude' : 'signed';
              const ours = Array.from(sobelImage(image, { direction, kind: output, border, borderValue: 9, scale: 1 }).data);
              expect(ours, `${w}×${h}×${channels} ${image.depth} ${border} ${direction}`).toEqual(refSobel(image, direction, output, border, 1, 9));
            }
          }
        }
      }
    }
  });
});
