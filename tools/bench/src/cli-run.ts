// The main job run both ways in the same benchmark run: the program (examples/spam-filter/dist/main.js)
// and `tributary run examples/spam-filter/pipeline.yaml`, each in a fresh process on the whole corpus.
// Both cross-validate (5 folds) before the final fit. Reports both times, their ratio, and whether every
// metric and the F1 spread over the folds are identical.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { emit } from './emit.js';

const require = createRequire(import.meta.url);
const example = path.dirname(require.resolve('@tributary/example-spam-filter/package.json'));
const bin = path.join(path.dirname(require.resolve('@tributary/cli/package.json')), 'bin', 'tributary.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-run-'));

function run(args: string[]): { seconds: number; stdout: string } {
  const started = performance.now();
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`${args.join(' ')} exited with ${child.status}: ${child.stderr.slice(-2000)}`);
  return { seconds: (performance.now() - started) / 1000, stdout: child.stdout };
}

const program = run([path.join(example, 'dist', 'main.js'), '--out', path.join(tmp, 'program')]);
const cli = run([bin, 'run', path.join(example, 'pipeline.yaml'), '--out', path.join(tmp, 'cli'), '--json', '-q']);
const p = JSON.parse(program.stdout.trim().split('\n').at(-1)!) as Record<string, number> & { f1AcrossFolds: unknown };
const c = JSON.parse(cli.stdout) as { metrics: Record<string, number>; stability: { f1: unknown } };
const keys = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'testRecords'];
fs.rmSync(tmp, { recursive: true, force: true });
emit({
  bench: 'cli-run',
  programSeconds: Math.round(program.seconds * 10) / 10,
  cliSeconds: Math.round(cli.seconds * 10) / 10,
  ratio: Math.round((cli.seconds / program.seconds) * 1000) / 1000,
  sameMetrics: keys.every((k) => p[k] === c.metrics[k]),
  sameSpread: JSON.stringify(p.f1AcrossFolds) === JSON.stringify(c.stability.f1),
  f1AcrossFolds: c.stability.f1,
  accuracy: c.metrics.accuracy,
  f1: c.metrics.f1,
  programAccuracy: p.accuracy,
  programF1: p.f1,
});
