// Streams a folder of 1,000 photographs through the edge-detection example and samples the RSS as
// the images go by: the peak after the first 100 images against the peak over all 1,000 shows
// whether memory grows with the number of images (it must not).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectEdges, stdlibPhotos } from '@tributary/example-edge-detection';
import { emit } from './emit.js';

const count = Number(process.env.BENCH_IMAGES ?? 1000);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-memory-'));
const input = path.join(work, 'in');
fs.mkdirSync(input);
const photos = stdlibPhotos();
for (let i = 0; i < count; i++) {
  const photo = photos[i % photos.length]!;
  // Hard links: a thousand distinct files without a thousand copies on disk.
  fs.linkSync(photo.path, path.join(input, `${String(i).padStart(4, '0')}-${photo.id}.jpg`));
}
const samples: Array<[number, number]> = [];
const started = performance.now();
const summary = await detectEdges({
  input,
  output: path.join(work, 'out'),
  progress: (done) => samples.push([done, process.memoryUsage.rss()]),
});
const seconds = (performance.now() - started) / 1000;
const peak = (from: number, to: number) => Math.max(...samples.filter(([n]) => n > from && n <= to).map(([, rss]) => rss)) / 2 ** 20;
const first = peak(0, 100);
const last = peak(count - 100, count);
const all = peak(0, count);
emit({
  bench: 'edges-memory',
  images: summary.images,
  written: summary.written,
  megapixels: summary.megapixels,
  seconds: Math.round(seconds * 10) / 10,
  peakRssFirst100MB: Math.round(first),
  peakRssLast100MB: Math.round(last),
  peakRssAllMB: Math.round(all),
  growth: Math.round((all / first) * 1000) / 1000,
  // Bounded: the peak over 1,000 images stays within 25% of the peak over the first 100.
  pass: summary.written === count && all <= first * 1.25,
});
fs.rmSync(work, { recursive: true });
