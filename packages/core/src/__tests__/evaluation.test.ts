import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EvaluationReport, checkGate, createRuntime, describeGateMiss, evaluateBinaryClassifier, evaluateClassifier, gate, isTributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { scale, toyPlugin } from './fixtures/toy-plugin.js';

describe('evaluateClassifier: several classes', () => {
  it('gives accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix worked out by hand', async () => {
    // Classes 0, 1, 2; the toy stage copies `guess` into `prediction`.
    const model = await createRuntime({ plugins: [toyPlugin()] }).pipeline([scale({ input: 'guess', output: 'prediction', factor: 1 })]).fit([]);
    const pairs: Array<[number | undefined, number]> = [[0, 0], [0, 0], [0, 1], [1, 1], [1, 2], [2, 2], [undefined, 0]];
    const records = pairs.map(([label, guess], i) => ({ id: i, label, guess }));
    const e = await evaluateClassifier(model, records, { classes: [0, 1, 2, 3], batchSize: 3 });
    // Rows are the true class, columns the predicted one.
    expect(e.confusion).toEqual({ labels: [0, 1, 2, 3], matrix: [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]] });
    expect(e.testRecords).toBe(6);
    expect(e.accuracy).toBeCloseTo(4 / 6, 12);
    // Class 0: precision 2/2, recall 2/3, F1 0.8. Class 1: 1/2, 1/2, 0.5. Class 2: 1/2, 1/1, 2/3.
    expect(e.classes.map((c) => [c.label, c.support, c.precision, c.recall])).toEqual([[0, 3, 1, 2 / 3], [1, 2, 0.5, 0.5], [2, 1, 0.5, 1], [3, 0, null, null]]);
    expect(e.classes[0]!.f1).toBeCloseTo(0.8, 12);
    expect(e.classes[2]!.f1).toBeCloseTo(2 / 3, 12);
    expect(e.classes[3]!.f1).toBeNull();
    // Macro F1 over the classes present (class 3 never occurs).
    expect(e.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    // The unlabelled record is counted as skipped, not scored.
    expect(e.run.skipped).toBe(1);
    expect(e.run.input).toBe(7);
  });
});

describe('checkGate', () => {
  const report = {
    task: 'binary-classification',
    accuracy: 0.9,
    precision: 0.8,
    recall: 0.95,
    f1: 0.85,
    rocAuc: null,
    logLoss: 0.3,
    testRecords: 100,
    efficiency: { batchLatencyMs: { p50: 5, p95: 9, p99: 25 } },
  } as unknown as EvaluationReport;

  it('passes when every bound is met, and says which figures missed and by how much', () => {
    expect(checkGate(report, { minAccuracy: 0.9, maxLogLoss: 0.3 }).passed).toBe(true);
    const result = checkGate(report, { minF1: 0.9, maxP99Ms: 20, minRecall: 0.9, minRocAuc: 0.5 });
    expect(result.passed).toBe(false);
    expect(result.misses.map((m) => [m.figure, m.actual, m.by === null ? null : Number(m.by.toFixed(12))])).toEqual([
      ['f1', 0.85, 0.05],
      ['rocAuc', null, null],
      ['batchLatencyMs.p99', 25, 5],
    ]);
    expect(describeGateMiss(result.misses[0]!)).toBe('f1 0.85 is 0.05 below the minimum 0.9');
    expect(describeGateMiss(result.misses[1]!)).toMatch(/^rocAuc could not be measured \(required ≥ 0\.5/);
    expect(() => checkGate(report, { minF2: 1 } as never)).toThrow(/Unknown gate bound 'minF2'/);
  });

  it('fails every bound when no test record was scored: empty counts are not a measurement', () => {
    // The figures of an empty evaluation (accuracy 0, log loss 0) would pass a maximum; they must not.
    const empty = { ...report, testRecords: 0, accuracy: 0, logLoss: 0 } as unknown as EvaluationReport;
    const result = checkGate(empty, { maxLogLoss: 0.1 });
    expect(result.passed).toBe(false);
    expect(result.misses).toEqual([{ figure: 'logLoss', bound: 'max', required: 0.1, actual: null, by: null, missing: 'no-records' }]);
  });
});

describe('a gate on save', () => {
  // score = x, labels: x ≥ 0.5 ↔ 1 except one mistake: accuracy 5/6, precision 1, recall 2/3, F1 0.8.
  const records = [
    { id: 1, x: 0.9, label: 1 },
    { id: 2, x: 0.7, label: 1 },
    { id: 3, x: 0.2, label: 1 },
    { id: 4, x: 0.3, label: 0 },
    { id: 5, x: 0.1, label: 0 },
    { id: 6, x: 0.4, label: 0 },
  ];
  const setup = async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const model = await runtime.pipeline([scale({ input: 'x', output: 'score', factor: 1 })]).fit([]);
    return { runtime, model, report: await evaluateBinaryClassifier(model, records) };
  };

  it('a model that misses its gate is not saved, and the error says which figure missed', async () => {
    const { model, report } = await setup();
    expect(report.f1).toBeCloseTo(0.8, 12);
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gate-')), 'model');
    const result = gate({ minF1: 0.9, minAccuracy: 0.8 }).check(report);
    expect(result.passed).toBe(false);
    const error = await model.save(dir, { evaluation: report, gate: result }).catch((e: unknown) => e);
    expect(isTributaryError(error, 'GATE_FAILED')).toBe(true);
    expect((error as Error).message).toContain('f1 0.8');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('a model that meets it is saved as approved, with the bounds, and loads as any model', async () => {
    const { runtime, model, report } = await setup();
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gate-')), 'model');
    const manifest = await model.save(dir, { evaluation: report, gate: gate({ minF1: 0.75, maxP99Ms: 10_000 }).check(report) });
    expect(manifest.approval).toMatchObject({ passed: true, bounds: { minF1: 0.75, maxP99Ms: 10_000 } });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'tributary.json'), 'utf8')).approval.passed).toBe(true);
    const loaded = await runtime.load(dir);
    expect((await loaded.predict([{ id: 1, x: 0.25 }]))[0]!.score).toBe(0.25);
    // A model saved without a gate carries no approval.
    const plain = await model.save(path.join(path.dirname(dir), 'plain'), { evaluation: report });
    expect(plain.approval).toBeUndefined();
  });

  it('a misspelt bound fails where the gate is written', () => {
    expect(() => gate({ minF2: 0.9 } as never)).toThrow(/Unknown gate bound 'minF2'/);
  });
});
