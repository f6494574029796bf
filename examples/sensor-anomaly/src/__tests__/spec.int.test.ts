import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { trainSensorAnomaly } from '@tributary/example-sensor-anomaly';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const bin = path.join(path.dirname(require.resolve('@tributary/cli/package.json')), 'bin', 'tributary.js');
const spec = fileURLToPath(new URL('../../pipeline.yaml', import.meta.url));

describe('the sensor-anomaly job as a spec (a sql source) and as a program', () => {
  it('`tributary run pipeline.yaml` gives the same metrics as trainSensorAnomaly with the same seed', { timeout: 600_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensor-spec-'));
    try {
      const program = await trainSensorAnomaly({ out: path.join(dir, 'program'), epochs: 5 });
      await program.model.dispose();
      const { stdout } = await promisify(execFile)(process.execPath, [bin, 'run', spec, '--set', 'stages.1.params.epochs=5', '--out', path.join(dir, 'spec'), '--json', '-q'], { maxBuffer: 1 << 24 });
      const cli = JSON.parse(stdout) as { metrics: Record<string, unknown>; records: { train: { input: number; output: number } } };
      const e = program.evaluation;
      expect(cli.records.train).toMatchObject({ input: program.model.fitReport!.input, output: program.model.fitReport!.output });
      expect(cli.metrics).toMatchObject({ accuracy: e.accuracy, precision: e.precision, recall: e.recall, f1: e.f1, rocAuc: e.rocAuc, testRecords: e.testRecords, confusion: e.confusion });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
