import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '@tributary/core';
import { classify, corpusEntries, spamAssassin, trainSpamFilter } from '@tributary/example-spam-filter';
import { natural } from '@tributary/plugin-natural';
import { tfjs } from '@tributary/plugin-tfjs';
import { describe, expect, it } from 'vitest';

const out = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spam-filter-')), 'artifact');

describe('the spam filter on a subset of the SpamAssassin corpus (smoke run)', () => {
  it('reads the whole corpus: 6,046 messages, 1,896 of them spam', async () => {
    const entries = await corpusEntries();
    expect(entries).toHaveLength(6046);
    expect(entries.filter((e) => e.label === 1)).toHaveLength(1896);
  });

  it('collects, fits, evaluates, saves, reloads and classifies; the run accounts for every message', async () => {
    const dir = out();
    const { model, evaluation, messages } = await trainSpamFilter({ out: dir, limit: 700 });
    expect(messages).toBe(700);
    const fit = model.fitReport!;
    expect(fit.input).toBe(560); // 80% of 700, stratified
    expect(fit.unaccounted).toBe(0);
    expect(evaluation.testRecords + evaluation.run.skipped + evaluation.run.deadLettered).toBe(140);
    // A small subset already separates spam from ham well; the full-corpus figures are in the benchmark.
    expect(evaluation.accuracy).toBeGreaterThan(0.9);

    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'evaluation.json'), 'utf8'));
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'testRecords']) expect(typeof saved[key]).toBe('number');
    expect(saved.accuracy).toBe(evaluation.accuracy);

    const loaded = await createRuntime({ plugins: [natural, tfjs] }).load(dir);
    const probe = await (await spamAssassin({ limit: 60 })).collect();
    const a = (await model.predict(probe, { errorPolicy: 'skip' })).map((r) => r.score);
    const b = (await loaded.predict(probe, { errorPolicy: 'skip' })).map((r) => r.score);
    expect(b).toEqual(a);
    await model.dispose();
    await loaded.dispose();

    const verdicts = await classify(dir, [{ id: 'garbage', raw: Buffer.from([0, 255, 1, 254, 10, 10]) }, { id: 'empty', raw: '' }]);
    expect(verdicts.map((v) => v.id)).toEqual(['garbage', 'empty']);
  });

  it('gives the same figures from run to run with the same seed', async () => {
    const first = await trainSpamFilter({ out: out(), limit: 300 });
    const second = await trainSpamFilter({ out: out(), limit: 300 });
    expect(second.evaluation.accuracy).toBe(first.evaluation.accuracy);
    expect(second.evaluation.logLoss).toBe(first.evaluation.logLoss);
    await first.model.dispose();
    await second.model.dispose();
  });
});
