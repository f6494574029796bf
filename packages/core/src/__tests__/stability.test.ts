import { type DataRecord, createEvents, createRuntime, crossValidate, recordHistory, repeat, spreadOf, tune } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { center, scale, toyPlugin } from './fixtures/toy-plugin.js';

describe('spreadOf', () => {
  it('mean, sample std, min and max of each numeric figure, leaving out the runs where it is null', () => {
    const s = spreadOf([{ a: 1, b: null }, { a: 2, b: 0.5 }, { a: 3, b: 0.7, name: 'x' }]);
    expect(s.a).toEqual({ mean: 2, std: 1, min: 1, max: 3, n: 3 });
    expect(s.b!.mean).toBeCloseTo(0.6, 12);
    expect(s.b!.std).toBeCloseTo(Math.sqrt(0.02), 12); // ((−0.1)² + 0.1²) / (2 − 1)
    expect(s.b!.n).toBe(2);
    expect(s.name).toBeUndefined();
  });
});

describe('crossValidate', () => {
  // 10 records: 7 of class A, 3 of class B.
  const data = Array.from({ length: 10 }, (_, i) => ({ id: i, x: i, cls: i < 7 ? 'A' : 'B' }));
  const pipeline = () => createRuntime({ plugins: [toyPlugin()] }).pipeline([center({ input: 'x', output: 'centred' })]);

  it('tests every record exactly once, in folds of exact per-class sizes, fitting only on the other folds', async () => {
    const seen: Array<{ test: DataRecord[]; trainMean: number }> = [];
    const cv = await crossValidate(pipeline(), data, {
      folds: 5,
      seed: 3,
      stratifyBy: 'cls',
      evaluate: async (model, test) => {
        const records = await test.collect();
        const out = await model.predict(records);
        // centred = x − (mean of the training folds' x), so the fitted mean is x − centred.
        const trainMean = (records[0]!.x as number) - (out[0]!.centred as number);
        seen.push({ test: records, trainMean });
        return { testRecords: records.length, trainMean };
      },
    });
    const ids = seen.flatMap((f) => f.test.map((r) => r.id)).sort((a, b) => (a as number) - (b as number));
    expect(ids).toEqual(data.map((r) => r.id));
    // Largest remainder per class: A (7 over 5) → 2 2 1 1 1, B (3 over 5) → 1 1 1 0 0.
    expect(seen.map((f) => f.test.filter((r) => r.cls === 'A').length)).toEqual([2, 2, 1, 1, 1]);
    expect(seen.map((f) => f.test.filter((r) => r.cls === 'B').length)).toEqual([1, 1, 1, 0, 0]);
    expect(cv.runs.map((r) => [r.trainRecords, r.testRecords])).toEqual([[7, 3], [7, 3], [8, 2], [9, 1], [9, 1]]);
    // Each fold's model was fitted on exactly the other folds: the mean of their x.
    for (const fold of seen) {
      const testIds = new Set(fold.test.map((r) => r.id));
      const train = data.filter((r) => !testIds.has(r.id));
      expect(fold.trainMean).toBeCloseTo(train.reduce((a, r) => a + r.x, 0) / train.length, 12);
    }
    expect(cv.spread.testRecords).toMatchObject({ mean: 2, min: 1, max: 3, n: 5 });
  });

  it('reproduces exactly under the same seed, and assigns differently under another', async () => {
    const folds = async (seed: number) =>
      (await crossValidate(pipeline(), data, { folds: 3, seed, evaluate: async (_m, test) => ({ ids: (await test.collect()).map((r) => r.id).join(',') }) })).runs.map((r) => (r.report as { ids: string }).ids);
    expect(await folds(1)).toEqual(await folds(1));
    expect(await folds(1)).not.toEqual(await folds(2));
  });

  it('refuses fewer than two folds, or more folds than records', async () => {
    await expect(crossValidate(pipeline(), data, { folds: 1, seed: 1 })).rejects.toThrow(/folds ≥ 2/);
    await expect(crossValidate(pipeline(), data.slice(0, 2), { folds: 3, seed: 1 })).rejects.toThrow(/3 folds need at least 3 records/);
  });
});

describe('repeat', () => {
  it('runs the job once per seed and reports each run and the spread', async () => {
    const r = await repeat(async (seed) => ({ score: seed / 10 }), { seeds: [1, 2, 3, 6] });
    expect(r.runs.map((x) => x.seed)).toEqual([1, 2, 3, 6]);
    expect(r.spread.score!.mean).toBeCloseTo(0.3, 12);
    expect(r.spread.score!.std).toBeCloseTo(Math.sqrt((0.04 + 0.01 + 0 + 0.09) / 3), 12);
    expect([r.spread.score!.min, r.spread.score!.max]).toEqual([0.1, 0.6]);
    await expect(repeat(async () => ({}), { seeds: [] })).rejects.toThrow(/list of seeds/);
  });
});

describe('recordHistory', () => {
  it('keeps each epoch:end event by stage, in order, until stopped', () => {
    const events = createEvents();
    const recording = recordHistory(events);
    events.emit({ type: 'epoch:end', stage: 'a:net', epoch: 1, epochs: 2, logs: { loss: 0.5, acc: 0.7 } });
    events.emit({ type: 'epoch:end', stage: 'a:net', epoch: 2, epochs: 2, logs: { loss: 0.3, acc: 0.8, val_loss: 0.4 } });
    const history = recording.stop();
    events.emit({ type: 'epoch:end', stage: 'a:net', epoch: 3, epochs: 3, logs: { loss: 0.1 } });
    expect(history).toEqual({ 'a:net': [{ epoch: 1, loss: 0.5, acc: 0.7 }, { epoch: 2, loss: 0.3, acc: 0.8, val_loss: 0.4 }] });
  });
});

describe('tune', () => {
  // The toy stage multiplies x by `factor`; the evaluation rewards a factor close to 3 (its score is −|mean(y/x) − 3|).
  const data = Array.from({ length: 12 }, (_, i) => ({ id: i, x: i + 1 }));
  const pipeline = () => createRuntime({ plugins: [toyPlugin()] }).pipeline([scale({ input: 'x', output: 'y', factor: 1 })]);
  const evaluate = async (model: { predict(r: object[]): Promise<DataRecord[]> }, test: { collect(): Promise<DataRecord[]> }) => {
    const out = await model.predict(await test.collect());
    const ratio = out.reduce((a, r) => a + (r.y as number) / (r.x as number), 0) / out.length;
    return { closeness: -Math.abs(ratio - 3) };
  };

  it('grid search tries every value by cross-validation and fits the best on all the data', async () => {
    const result = await tune(pipeline(), { 'toy:scale.factor': [1, 2, 3, 4] }, { data, folds: 3, seed: 5, metric: 'closeness', evaluate });
    expect(result.trials.map((t) => [t.params['toy:scale.factor'], t.score])).toEqual([[1, -2], [2, -1], [3, 0], [4, -1]]);
    expect(result.best.params).toEqual({ 'toy:scale.factor': 3 });
    expect((await result.model.predict([{ id: 'a', x: 5 }]))[0]!.y).toBe(15);
  });

  it('random search draws the given number of distinct combinations, the same for the same seed', async () => {
    const space = { '0.factor': [1, 2, 3, 4, 5], 'toy:scale.input': ['x'] };
    const a = await tune(pipeline(), space, { data, folds: 2, seed: 9, metric: 'closeness', evaluate, strategy: 'random', trials: 3 });
    const b = await tune(pipeline(), space, { data, folds: 2, seed: 9, metric: 'closeness', evaluate, strategy: 'random', trials: 3 });
    const tried = a.trials.map((t) => t.params['0.factor']);
    expect(new Set(tried).size).toBe(3);
    expect(b.trials.map((t) => t.params['0.factor'])).toEqual(tried);
    // The best of those tried: the one closest to 3.
    expect(a.best.params['0.factor']).toBe([...tried].sort((p, q) => Math.abs((p as number) - 3) - Math.abs((q as number) - 3))[0]);
  });

  it('names what is wrong with a search space before any trial runs', async () => {
    await expect(tune(pipeline(), { 'toy:nope.factor': [1] }, { data, folds: 2, seed: 1, metric: 'closeness', evaluate })).rejects.toThrow(/No stage of the pipeline is 'toy:nope'/);
    await expect(tune(pipeline(), { factor: [1] }, { data, folds: 2, seed: 1, metric: 'closeness', evaluate })).rejects.toThrow(/'<stage index or kind>.<param>'/);
    await expect(tune(pipeline(), { '0.factor': [1] }, { data, folds: 2, seed: 1, metric: 'nosuch', evaluate })).rejects.toThrow(/No trial measured 'nosuch'/);
  });
});
