// Streaming ingestion: a generated CSV (13 columns: integers, decimals, timestamps, booleans, codes with
// leading zeros, quoted text with commas, quotes and line breaks, empty cells) read by csvRows, through
// a map step, into a JSON Lines file, at 0.25, 0.5 and 1 GB, each in a fresh process so its peak RSS is
// its own. Prints MB/s and peak RSS per size, and how far the time per GB strays across sizes. Then the
// largest file the same way through the DuckDB source (`sql('SELECT * FROM read_csv($file)')`).
//   node csv-stream.js                    the benchmark
//   node csv-stream.js job FILE [duckdb]  one run (used by the benchmark)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DataRecord, type Dataset, csvRows, writeJsonLines } from '@tributary/core';
import { sql } from '@tributary/plugin-duckdb';
import { emit } from './emit.js';

const MB = 1024 * 1024;

/** Peak resident memory of this process so far, from /proc (Linux), in MB. */
function peakRssMB(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Writes a CSV of about `bytes` bytes, deterministic (a fixed linear congruential sequence). */
export async function generateCsv(file: string, bytes: number): Promise<number> {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const cities = ['Berlin', 'São Paulo', 'Zürich', 'New York, NY', 'Tokyo', '"Quoted" Town', 'Kraków'];
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const out = fs.createWriteStream(file);
  out.write('id,ts,name,city,lat,lon,temp,count,flag,category,note,amount,code\r\n');
  let written = 0;
  let id = 0;
  while (written < bytes) {
    let chunk = '';
    for (let k = 0; k < 2000; k++) {
      id++;
      const note = id % 97 === 0 ? 'line one\nline two, with a comma' : id % 13 === 0 ? '' : `note ${Math.floor(rnd() * 1e6)}`;
      chunk += `${[id, new Date(1.7e12 + id * 1000).toISOString(), `user_${Math.floor(rnd() * 1e5)}`, quote(cities[id % cities.length]!), (rnd() * 180 - 90).toFixed(5), (rnd() * 360 - 180).toFixed(5), (rnd() * 40 - 5).toFixed(2), Math.floor(rnd() * 1000), rnd() < 0.5 ? 'true' : 'false', ['a', 'b', 'c', 'd'][id % 4], quote(note), (rnd() * 1e4).toFixed(2), String(id % 1000).padStart(3, '0')].join(',')}\r\n`;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return id;
}

if (process.argv[2] === 'job') {
  const file = process.argv[3]!;
  const started = performance.now();
  // The map step: a derived field, as a cleaning step would add.
  const source: Dataset<DataRecord> = process.argv[4] === 'duckdb' ? sql('SELECT * FROM read_csv($file)', { params: { file } }) : csvRows(file);
  const mapped = source.map((record) => {
    record.hot = typeof record.temp === 'number' && record.temp > 30;
    return record;
  });
  const result = await writeJsonLines(mapped, `${file}.jsonl`);
  const seconds = (performance.now() - started) / 1000;
  fs.rmSync(result.path);
  process.stdout.write(`${JSON.stringify({ records: result.records, seconds, peakRssMB: Math.round(peakRssMB()) })}\n`);
} else {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-csv-'));
  const here = fileURLToPath(import.meta.url);
  const sizes = (process.env.CSV_SIZES_MB ?? '256,512,1024').split(',').map(Number);
  type Run = { sizeMB: number; rows: number; records: number; seconds: number; megabytesPerSecond: number; peakRssMB: number };
  const runs: Run[] = [];
  let duck: Run | undefined;
  try {
    for (const sizeMB of sizes) {
      const file = path.join(tmp, `${sizeMB}.csv`);
      const rows = await generateCsv(file, sizeMB * MB);
      const actualMB = fs.statSync(file).size / MB;
      const job = (...args: string[]) => {
        const child = spawnSync(process.execPath, [here, 'job', file, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (child.status !== 0) throw new Error(`the ${sizeMB} MB run failed: ${child.stderr}`);
        const run = JSON.parse(child.stdout) as { records: number; seconds: number; peakRssMB: number };
        return { sizeMB: Math.round(actualMB), rows, records: run.records, seconds: Math.round(run.seconds * 100) / 100, megabytesPerSecond: Math.round((actualMB / run.seconds) * 10) / 10, peakRssMB: run.peakRssMB };
      };
      runs.push(job());
      if (sizeMB === sizes[sizes.length - 1]) duck = job('duckdb');
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const perGB = runs.map((r) => r.seconds / (r.sizeMB / 1024));
  const mean = perGB.reduce((a, b) => a + b, 0) / perGB.length;
  const spread = Math.max(...perGB.map((s) => Math.abs(s / mean - 1)));
  const largest = runs[runs.length - 1]!;
  emit({
    bench: 'csv-stream',
    runs,
    secondsPerGB: perGB.map((s) => Math.round(s * 10) / 10),
    linearSpread: Math.round(spread * 1000) / 1000,
    allRecords: runs.every((r) => r.records === r.rows) && duck?.records === duck?.rows,
    duckdb: duck,
    target: '≥ 50 MB/s and peak RSS ≤ 300 MB at 1 GB; time per GB within ±15% across sizes; DuckDB source ≥ 150 MB/s',
    pass: largest.megabytesPerSecond >= 50 && largest.peakRssMB <= 300 && spread <= 0.15 && runs.every((r) => r.records === r.rows) && (duck?.megabytesPerSecond ?? 0) >= 150,
  });
}
