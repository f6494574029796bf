// How fast the `tributary` command answers: --help, plugins (imports every installed plugin's entry and the
// core), plugins --no-load, each in a fresh process, against a bare `node -e 0` measured in the same run.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { emit, median } from './emit.js';

const require = createRequire(import.meta.url);
const bin = path.join(path.dirname(require.resolve('@tributary/cli/package.json')), 'bin', 'tributary.js');
const runs = Number(process.env.BENCH_RUNS ?? 15);
const TARGET_MS = 500;

const cases: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'tributary --help': [bin, '--help'],
  'tributary plugins': [bin, 'plugins'],
  'tributary plugins --no-load': [bin, 'plugins', '--no-load'],
};

const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
// Interleaved, so a slow spell of this shared machine hits every case alike.
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(cases)) {
    const started = performance.now();
    const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const ms = performance.now() - started;
    if (child.status !== 0) throw new Error(`${name} exited with ${child.status}: ${child.stderr}`);
    if (name === 'tributary plugins' && i === 0 && !/plugin-natural/.test(child.stdout)) throw new Error('tributary plugins listed no plugins');
    times[name]!.push(ms);
  }
}

const baseline = median(times['node -e 0']!);
for (const [name, values] of Object.entries(times)) {
  const sorted = [...values].sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)]!;
  const isTarget = name === 'tributary --help' || name === 'tributary plugins';
  emit({
    bench: 'cli-startup',
    command: name,
    runs,
    medianMs: Math.round(median(values)),
    p90Ms: Math.round(p90),
    maxMs: Math.round(sorted.at(-1)!),
    overNodeMs: Math.round(median(values) - baseline),
    ...(isTarget ? { targetMs: TARGET_MS, pass: p90 < TARGET_MS } : {}),
  });
}
