// The train-and-evaluate job (collect → fit → evaluate → save → reload → classify; no cross-validation,
// --folds 0: cli-run times the job with it) in a fresh process,
// timed from outside, with the job's own per-stage timings and quality figures.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { emit } from './emit.js';

const require = createRequire(import.meta.url);
const main = path.join(path.dirname(require.resolve('@tributary/example-spam-filter/package.json')), 'dist', 'main.js');
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-spam-')), 'artifact');
const started = performance.now();
const child = spawnSync(process.execPath, [main, '--out', out, '--folds', '0'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const seconds = (performance.now() - started) / 1000;
if (child.status !== 0) {
  process.stderr.write(child.stderr);
  throw new Error(`the spam-filter job exited with ${child.status}`);
}
const summary = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
emit({
  bench: 'spam-job',
  seconds: Math.round(seconds * 10) / 10,
  peakRssMB: Math.round(summary.peakRssMB),
  targets: { seconds: 45, peakRssMB: 1536, accuracy: 0.985, f1: 0.975 },
  pass: seconds <= 45 && summary.peakRssMB <= 1536 && summary.accuracy >= 0.985 && summary.f1 >= 0.975,
  messages: summary.messages,
  testRecords: summary.testRecords,
  accuracy: summary.accuracy,
  precision: summary.precision,
  recall: summary.recall,
  f1: summary.f1,
  rocAuc: summary.rocAuc,
  stagesMs: Object.fromEntries(summary.stages.map((s: { kind: string; phase: string; ms: number }) => [`${s.kind}:${s.phase}`, Math.round(s.ms)])),
});
