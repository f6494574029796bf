// Runs every benchmark, each in its own process, and passes their JSON lines through.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = ['cli-startup', 'metrics', 'spam-job', 'cli-run', 'serve', 'tokenize-stem', 'train', 'edges', 'edges-memory', 'csv-stream', 'workers', 'distributed'].filter((b) => only.length === 0 || only.includes(b));
let failed = false;
for (const bench of benches) {
  const child = spawnSync(process.execPath, [path.join(here, `${bench}.js`)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (child.status !== 0) {
    failed = true;
    process.stderr.write(`benchmark ${bench} exited with ${child.status}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
