import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Estimator, type StageContext, createRuntime, isSparseVector, sparseVector } from '@tributary/core';
import { appendSignals, mailSignals } from '@tributary/example-custom-plugin';
import { afterAll, describe, expect, it } from 'vitest';

// Three training messages. First signal 0, 1, 3: after log(1 + x) that is 0, ln 2, 2 ln 2, so the mean is ln 2
// and the population variance ((ln 2)² + 0 + (ln 2)²) / 3, an sd of ln 2 · √(2/3). The second signal is 5
// each time: mean ln 6, and a constant is divided by 1.
const train = [
  { features: [1, 2], signals: [0, 5] },
  { features: [3, 4], signals: [1, 5] },
  { features: [5, 6], signals: [3, 5] },
];
const LN2 = Math.log(2);
const SD = LN2 * Math.sqrt(2 / 3);

const dirs: string[] = [];
const scratch = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'append-signals-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('mail:append-signals', () => {
  it('learns the mean and spread of log(1 + signal) on the training records and saves them as scaling.json', async () => {
    const runtime = createRuntime({ plugins: [mailSignals] });
    const model = await runtime.pipeline([appendSignals()]).fit(train);
    const dir = path.join(scratch(), 'model');
    const manifest = await model.save(dir);
    const entry = manifest.stages[0]!;
    expect(entry).toMatchObject({ kind: 'mail:append-signals', plugin: '@acme/plugin-mail-signals', pluginVersion: '1.0.0', fitted: true });
    expect(entry.state!.meta).toEqual({ signals: 2, records: 3, log: true });
    const saved = JSON.parse(fs.readFileSync(path.join(dir, entry.state!.files['scaling.json']!), 'utf8'));
    expect(saved.mean[0]).toBeCloseTo(LN2, 14);
    expect(saved.mean[1]).toBeCloseTo(Math.log(6), 14);
    expect(saved.scale[0]).toBeCloseTo(SD, 14);
    expect(saved.scale[1]).toBe(1);
  });

  it('appends the standardised signals to a dense vector, and a loaded model appends the same', async () => {
    const runtime = createRuntime({ plugins: [mailSignals] });
    const model = await runtime.pipeline([appendSignals({ output: 'x' })]).fit(train);
    // Signal 1 → ln 2, the mean: 0. Signal 7 → ln 8 = 3 ln 2: (3 ln 2 − ln 2) / (ln 2 · √(2/3)) = 2 / √(2/3) = √6.
    // Second signal 5 → 0; 0 → (0 − ln 6) / 1.
    const inputs = [
      { features: [9, 8], signals: [1, 5] },
      { features: new Float64Array([7, 6]), signals: [7, 0] },
    ];
    const [mean, high] = await model.predict(inputs);
    expect(Array.from(mean!.x as Float32Array)).toEqual([9, 8, 0, 0]);
    expect(high!.x).toBeInstanceOf(Float32Array);
    const x = Array.from(high!.x as Float32Array);
    expect(x.slice(0, 2)).toEqual([7, 6]);
    expect(x[2]).toBeCloseTo(Math.sqrt(6), 6);
    expect(x[3]).toBeCloseTo(-Math.log(6), 6);

    const dir = path.join(scratch(), 'model');
    await model.save(dir);
    const loaded = await createRuntime({ plugins: [mailSignals] }).load(dir);
    expect(await loaded.predict(inputs)).toEqual([mean, high]);
  });

  it('keeps a sparse vector sparse: the signals take the indices after it, and zeros are left out', async () => {
    const runtime = createRuntime({ plugins: [mailSignals] });
    const model = await runtime.pipeline([appendSignals()]).fit(train);
    const tfidf = sparseVector(5, Int32Array.from([1, 3]), Float32Array.from([0.5, 0.25]));
    const [signalled, plain] = await model.predict([
      { features: tfidf, signals: [7, 0] },
      { features: tfidf, signals: [1, 5] },
    ]);
    const v = signalled!.features;
    expect(isSparseVector(v)).toBe(true);
    if (!isSparseVector(v)) return;
    expect(v.size).toBe(7);
    expect(Array.from(v.indices)).toEqual([1, 3, 5, 6]);
    expect(Array.from(v.values.slice(0, 2))).toEqual([0.5, 0.25]);
    expect(v.values[2]).toBeCloseTo(Math.sqrt(6), 6);
    expect(v.values[3]).toBeCloseTo(-Math.log(6), 6);
    // Both signals at their training mean: both 0, so nothing is added but the length.
    expect(plain!.features).toEqual(sparseVector(7, Int32Array.from([1, 3]), Float32Array.from([0.5, 0.25])));
  });

  it('with log: false standardises the raw signals', async () => {
    const runtime = createRuntime({ plugins: [mailSignals] });
    const model = await runtime.pipeline([appendSignals({ log: false })]).fit(train);
    // 0, 1, 3: mean 4/3, population variance (16/9 + 1/9 + 25/9) / 3 = 14/9, sd √14 / 3. 3 → (3 − 4/3) / (√14 / 3) = 5 / √14.
    const [out] = await model.predict([{ features: [0], signals: [3, 5] }]);
    const x = Array.from(out!.features as Float32Array);
    expect(x[1]).toBeCloseTo(5 / Math.sqrt(14), 6);
    expect(x[2]).toBe(0);
  });

  it('rejects records it cannot use, in fit (left out of what it learns) and after, saying what to do', async () => {
    const runtime = createRuntime({ plugins: [mailSignals] });
    const bad = { id: 'negative', features: [0, 0], signals: [-1, 5] };
    const model = await runtime.pipeline([appendSignals()]).fit([...train, bad], { errorPolicy: 'skip' });
    expect(model.fitReport!.toJSON()).toMatchObject({ input: 4, output: 3, skipped: 1 });
    // Learned from the three good records only: signal 1 is still at the mean.
    const answers = await model.predictEach([
      { features: [0, 0], signals: [1, 5] },
      { features: [0, 0], signals: [1, 5, 2] },
      { features: [0, 0], signals: [-1, 5] },
      { features: 'words', signals: [1, 5] },
      { features: [0, 0] },
    ]);
    expect(Array.from(answers[0]!.record!.features as Float32Array)).toEqual([0, 0, 0, 0]);
    expect(answers.slice(1).map((a) => a.error?.code)).toEqual(['INVALID_RECORD', 'INVALID_RECORD', 'INVALID_RECORD', 'INVALID_RECORD']);
    expect(answers[1]!.error!.message).toContain('holds 3 signals, but this stage learned 2');
    expect(answers[2]!.error!.message).toContain('Set log: false for signals that can be negative');
    expect(answers[3]!.error!.message).toContain('Put tfidf (or another stage that writes a vector) before this stage');
    expect(answers[4]!.error!.message).toContain('Put mail:signals before this stage');
  });

  it('refuses to learn from nothing (EMPTY_DATASET) and to load a malformed state (ARTIFACT_CORRUPT)', async () => {
    const runtime = createRuntime({ plugins: [mailSignals] });
    await expect(runtime.pipeline([appendSignals()]).fit([{ features: [1], signals: 'none' }], { errorPolicy: 'skip' })).rejects.toMatchObject({
      code: 'EMPTY_DATASET',
      stage: 'mail:append-signals',
    });
    const estimator = runtime.resolve(appendSignals()).instance as Estimator;
    const ctx = {} as StageContext;
    const meta = { signals: 2, records: 3, log: true };
    await expect(estimator.load({ meta, files: { 'scaling.json': '{"mean": [0], "scale": [1]}' } }, ctx)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT', stage: 'mail:append-signals' });
    await expect(estimator.load({ meta, files: { 'scaling.json': '{"mean": [0, 0], "scale": [1, 0]}' } }, ctx)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
    await expect(estimator.load({ meta, files: { 'scaling.json': 'not json' } }, ctx)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
    await expect(estimator.load({ meta }, ctx)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
    // The same file as bytes, as an artifact hands it over, loads.
    const bytes = new TextEncoder().encode('{"mean": [0, 0], "scale": [1, 2]}');
    await expect(estimator.load({ meta, files: { 'scaling.json': bytes } }, ctx)).resolves.toBeDefined();
  });
});
