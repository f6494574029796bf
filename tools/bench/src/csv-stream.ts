// Streaming ingestion: a generated CSV (13 columns: integers, decimals, timestamps, booleans, codes with
// leading zeros, quoted text with commas, quotes and line breaks, empty cells) read, through a map stage
// (bench:hot, a derived field), into a JSON Lines file by `model.transformCsvFile`, each run in a fresh
// process so its peak RSS is its own:
// - shards: on a workerPool of 2 threads, the file read, mapped and serialised in shards of whole rows on
//   both cores, at 0.25, 0.5 and 1 GB (MB/s, peak RSS, the time per GB and how far it strays across sizes);
// - one-pass: the same job without an executor, at 1 GB (the ratio to the shards run, and identical bytes);
// - duckdb: the 1 GB file through the DuckDB source (`sql('SELECT * FROM read_csv($file)')`) and the same
//   stage, and, as the ceiling of DuckDB on this machine, `copyQuery` with the map said in SQL.
//   node csv-stream.js                                          the benchmark
//   node csv-stream.js job FILE shards|one-pass|duckdb|duckdb-copy   one run (used by the benchmark)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, writeJsonLines } from '@tributary/core';
import { copyQuery, sql } from '@tributary/plugin-duckdb';
import { workerPool } from '@tributary/plugin-workers';
import { benchPlugin, hot } from './csv-map-plugin.js';
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

type Mode = 'shards' | 'one-pass' | 'duckdb' | 'duckdb-copy';

if (process.argv[2] === 'job') {
  const file = process.argv[3]!;
  const mode = process.argv[4] as Mode;
  const out = `${file}.${mode}.jsonl`;
  // The threads' young generation is kept small: these records die young, and the 96 MB default (sized for
  // the text stages) would put two threads' nurseries over the 300 MB bound.
  const pool = mode === 'shards' ? workerPool({ threads: 2, youngGenerationMb: 32 }) : undefined;
  const runtime = createRuntime({ plugins: [benchPlugin], ...(pool ? { executor: pool } : {}) });
  const model = await runtime.pipeline([hot({ input: 'temp', output: 'hot', above: 30 })]).fit([]);
  const started = performance.now();
  let records: number;
  let used: string = mode;
  if (mode === 'duckdb') records = (await writeJsonLines(model.transform(sql('SELECT * FROM read_csv($file)', { params: { file } })), out)).records;
  else if (mode === 'duckdb-copy') records = (await copyQuery('SELECT *, temp > 30 AS hot FROM read_csv($file)', out, { params: { file } })).records;
  else {
    const result = await model.transformCsvFile(file, out);
    records = result.records;
    used = result.mode;
  }
  const seconds = (performance.now() - started) / 1000;
  await pool?.close();
  // The output's digest, so the parent can tell the shards run wrote exactly what one pass writes.
  let digest: string | undefined;
  if (mode === 'shards' || mode === 'one-pass') {
    const hash = createHash('sha256');
    for await (const chunk of fs.createReadStream(out)) hash.update(chunk as Buffer);
    digest = hash.digest('hex');
  }
  fs.rmSync(out);
  process.stdout.write(`${JSON.stringify({ records, seconds, peakRssMB: Math.round(peakRssMB()), mode: used, digest })}\n`);
} else {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-csv-'));
  const here = fileURLToPath(import.meta.url);
  const sizes = (process.env.CSV_SIZES_MB ?? '256,512,1024').split(',').map(Number);
  type Run = { sizeMB: number; rows: number; records: number; seconds: number; megabytesPerSecond: number; peakRssMB: number };
  const runs: Run[] = [];
  const largest: Partial<Record<Mode, Run>> = {};
  let identical = false;
  try {
    for (const sizeMB of sizes) {
      const file = path.join(tmp, `${sizeMB}.csv`);
      const rows = await generateCsv(file, sizeMB * MB);
      const actualMB = fs.statSync(file).size / MB;
      const job = (mode: Mode) => {
        const child = spawnSync(process.execPath, [here, 'job', file, mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (child.status !== 0) throw new Error(`the ${sizeMB} MB ${mode} run failed: ${child.stderr}`);
        const run = JSON.parse(child.stdout) as { records: number; seconds: number; peakRssMB: number; mode: string; digest?: string };
        if ((mode === 'shards' || mode === 'one-pass') && run.mode !== mode) throw new Error(`the ${mode} run read the file as ${run.mode}`);
        return { run: { sizeMB: Math.round(actualMB), rows, records: run.records, seconds: Math.round(run.seconds * 100) / 100, megabytesPerSecond: Math.round((actualMB / run.seconds) * 10) / 10, peakRssMB: run.peakRssMB }, digest: run.digest };
      };
      if (sizeMB === sizes[sizes.length - 1]) {
        // Interleaved with the shards run at the same size, so both meet the same machine.
        const one = job('one-pass');
        const sharded = job('shards');
        runs.push(sharded.run);
        largest['one-pass'] = one.run;
        largest.shards = sharded.run;
        identical = one.digest !== undefined && one.digest === sharded.digest;
        largest.duckdb = job('duckdb').run;
        largest['duckdb-copy'] = job('duckdb-copy').run;
      } else runs.push(job('shards').run);
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const perGB = runs.map((r) => r.seconds / (r.sizeMB / 1024));
  const mean = perGB.reduce((a, b) => a + b, 0) / perGB.length;
  const spread = Math.max(...perGB.map((s) => Math.abs(s / mean - 1)));
  const top = largest.shards!;
  const allRecords = [...runs, ...Object.values(largest)].every((r) => r.records === r.rows);
  emit({
    bench: 'csv-stream',
    runs,
    secondsPerGB: perGB.map((s) => Math.round(s * 10) / 10),
    linearSpread: Math.round(spread * 1000) / 1000,
    allRecords,
    onePass: largest['one-pass'],
    shardsOverOnePass: Math.round((largest['one-pass']!.seconds / top.seconds) * 100) / 100,
    identical,
    duckdb: largest.duckdb,
    duckdbCopy: largest['duckdb-copy'],
    target: '≥ 50 MB/s and peak RSS ≤ 300 MB at 1 GB; time per GB within ±15% across sizes; DuckDB source ≥ 150 MB/s',
    pass: top.megabytesPerSecond >= 50 && top.peakRssMB <= 300 && spread <= 0.15 && allRecords && identical && (largest.duckdb?.megabytesPerSecond ?? 0) >= 150,
  });
}
