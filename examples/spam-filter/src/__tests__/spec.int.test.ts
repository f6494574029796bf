import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { trainSpamFilter } from '@tributary/example-spam-filter';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const bin = path.join(path.dirname(require.resolve('@tributary/cli/package.json')), 'bin', 'tributary.js');
const spec = fileURLToPath(new URL('../../pipeline.yaml', import.meta.url));

describe('the spam filter as a spec (pipeline.yaml) and as a program (src/spam-filter.ts)', () => {
  it('`tributary run pipeline.yaml` gives the same metrics as trainSpamFilter with the same seed and messages', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spam-filter-spec-'));
    try {
      const program = await trainSpamFilter({ out: path.join(dir, 'program'), limit: 800, folds: 3 });
      await program.model.dispose();
      const { stdout } = await promisify(execFile)(process.execPath, [bin, 'run', spec, '--set', 'source.limit=800', '--set', 'evaluation.crossValidate.folds=3', '--out', path.join(dir, 'spec'), '--json', '-q'], { maxBuffer: 1 << 24 });
      const cli = JSON.parse(stdout) as { metrics: Record<string, unknown>; stability: Record<string, unknown>; records: { train: { input: number; output: number } } };
      const e = program.evaluation;
      expect(cli.records.train).toMatchObject({ input: program.model.fitReport!.input, output: program.model.fitReport!.output });
      expect(cli.metrics).toEqual({ accuracy: e.accuracy, balancedAccuracy: e.balancedAccuracy, precision: e.precision, recall: e.recall, f1: e.f1, rocAuc: e.rocAuc, prAuc: e.prAuc, logLoss: e.logLoss, bestThreshold: e.bestThreshold, testRecords: e.testRecords, confusion: e.confusion });
      // The same folds of the same training part give the same spread, figure for figure.
      expect(cli.stability).toEqual(program.summary.stability!.spread);
      // Both saved the same fitted state: the TF-IDF vocabulary file is byte for byte the same.
      const vocabulary = (root: string) => {
        const stage = fs.readdirSync(path.join(root, 'stages')).find((d) => d.includes('tfidf'))!;
        return fs.readdirSync(path.join(root, 'stages', stage)).map((f) => fs.readFileSync(path.join(root, 'stages', stage, f)));
      };
      expect(vocabulary(path.join(dir, 'spec'))).toEqual(vocabulary(path.join(dir, 'program')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
