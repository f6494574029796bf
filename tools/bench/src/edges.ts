// The edge-detection job end to end: JPEG photographs in → greyscale → Sobel magnitude → threshold →
// PNG files out, through the Pipeline and the file sink. Reports megapixels per second (decode and
// encode included), what each step costs alone over the same images (our decode stage, the JS
// kernels, PNG encode), and, when Python with OpenCV is installed, the same job in OpenCV run in
// interleaved rounds of the same benchmark run, with the ratio and the pixel agreement of the outputs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunReport, createRuntime } from '@tributary/core';
import { EDGE_PNG_LEVEL, edgeStages, stdlibPhotos } from '@tributary/example-edge-detection';
import { GREY_WEIGHTS, type RawImage, decodeImage, encodePixels, greyscaleImage, imageFiles, sharp, sobelImage, thresholdImage } from '@tributary/plugin-sharp';
import sharpLib from 'sharp';
import { fileURLToPath } from 'node:url';
import { emit, median } from './emit.js';

const copies = Number(process.env.BENCH_COPIES ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const batchSize = Number(process.env.BENCH_BATCH ?? 4);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 3);
const compressionLevel = EDGE_PNG_LEVEL;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-edges-'));
const input = path.join(work, 'in');
fs.mkdirSync(input);
let pixels = 0;
for (const photo of stdlibPhotos()) {
  const meta = await sharpLib(photo.path).metadata();
  for (let c = 0; c < copies; c++) {
    fs.copyFileSync(photo.path, path.join(input, `${photo.id}-${c}.jpg`));
    pixels += meta.width! * meta.height!;
  }
}
const files = fs.readdirSync(input).map((f) => path.join(input, f));
const megapixels = pixels / 1e6;

const runtime = createRuntime({ plugins: [sharp] });

async function pipelineRun(round: number, keep: boolean): Promise<{ ms: number; stagesMs: Record<string, number> }> {
  const out = path.join(work, `out-${round}`);
  const model = await runtime.pipeline(edgeStages({ output: out })).fit([]);
  const report = new RunReport();
  const t0 = performance.now();
  await model.transform(imageFiles(input), { batchSize, concurrency, report, errorPolicy: 'fail' }).count();
  const ms = performance.now() - t0;
  if (report.output !== files.length) throw new Error(`only ${report.output} of ${files.length} images came out`);
  const stagesMs = Object.fromEntries([...report.timings.values()].map((t) => [t.kind, Math.round(t.ms)]));
  if (!keep) fs.rmSync(out, { recursive: true });
  return { ms, stagesMs };
}

async function inBatches<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += batchSize) await Promise.all(items.slice(i, i + batchSize).map(fn));
}

async function steps(): Promise<Record<string, number>> {
  const decoder = await runtime.pipeline([decodeImage()]).fit([]);
  let t0 = performance.now();
  const decoded = (await decoder.transform(files.map((path) => ({ path })), { batchSize, concurrency }).collect()).map((r) => r.image as RawImage);
  const decodeMs = performance.now() - t0;
  t0 = performance.now();
  const greys = decoded.map((image) => greyscaleImage(image, GREY_WEIGHTS.bt601));
  const greyMs = performance.now() - t0;
  t0 = performance.now();
  const edges = greys.map((image) => sobelImage(image, { direction: 'magnitude', kind: 'abs', border: 'reflect101', borderValue: 0, scale: 1 }));
  const sobelMs = performance.now() - t0;
  t0 = performance.now();
  const binary = edges.map((image) => thresholdImage(image, { type: 'binary', value: 127, max: 255 }));
  const thresholdMs = performance.now() - t0;
  t0 = performance.now();
  await inBatches(binary, (image) => encodePixels(image, { format: 'png', quality: 90, compressionLevel, lossless: false, background: '#ffffff' }, 'bench'));
  const encodeMs = performance.now() - t0;
  return { decodeMs, greyMs, sobelMs, thresholdMs, encodeMs };
}

const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const script = fileURLToPath(new URL('../opencv/edges.py', import.meta.url));
const hasOpenCv = spawnSync(python, ['-c', 'import cv2'], { stdio: 'ignore' }).status === 0;

function openCvRun(round: number): { ms: number; version: string; threads: number } {
  const out = path.join(work, `cv-${round}`);
  const child = spawnSync(python, [script, input, out, String(compressionLevel)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`the OpenCV job failed: ${child.stderr}`);
  const result = JSON.parse(child.stdout) as { seconds: number; opencv: string; threads: number; images: number };
  if (result.images !== files.length) throw new Error(`OpenCV processed ${result.images} of ${files.length} images`);
  return { ms: result.seconds * 1000, version: result.opencv, threads: result.threads };
}

/** The share of pixels on which our edge images and OpenCV's are equal, over every image. */
async function agreement(ours: string, theirs: string): Promise<number> {
  let same = 0;
  let total = 0;
  for (const name of fs.readdirSync(theirs)) {
    const a = await sharpLib(path.join(ours, name)).toColourspace('b-w').raw().toBuffer();
    const b = await sharpLib(path.join(theirs, name)).toColourspace('b-w').raw().toBuffer();
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
    total += a.length;
  }
  return same / total;
}

const runs: number[] = [];
const cvRuns: number[] = [];
let cvInfo: { version: string; threads: number } | undefined;
const stageRuns: Array<Record<string, number>> = [];
const stepRuns: Array<Record<string, number>> = [];
for (let r = 0; r < rounds; r++) {
  const last = r === rounds - 1;
  const run = await pipelineRun(r, last);
  runs.push(run.ms);
  stageRuns.push(run.stagesMs);
  if (hasOpenCv) {
    const cv = openCvRun(r);
    cvRuns.push(cv.ms);
    cvInfo = cv;
  }
  stepRuns.push(await steps());
}
const agree = hasOpenCv ? await agreement(path.join(work, `out-${rounds - 1}`), path.join(work, `cv-${rounds - 1}`)) : undefined;
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
  opencv: hasOpenCv
    ? {
        version: cvInfo!.version,
        threads: cvInfo!.threads,
        seconds: Math.round(median(cvRuns)) / 1000,
        megapixelsPerSecond: rate(median(cvRuns)),
        ratio: Math.round((median(cvRuns) / ms) * 1000) / 1000,
        pixelAgreement: Math.round(agree! * 1e6) / 1e6,
      }
    : 'unavailable (install python3-opencv)',
  secondsAllRounds: runs.map((r) => Math.round(r) / 1000),
  threadPool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
  sharpConcurrency: sharpLib.concurrency(),
});
fs.rmSync(work, { recursive: true });
