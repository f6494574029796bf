import { createHash } from 'node:crypto';
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

describe('evaluateBinaryClassifier: what accuracy hides, bad scores, and cost', () => {
  const copy = () => createRuntime({ plugins: [toyPlugin()] }).pipeline([scale({ input: 'x', output: 'score', factor: 1 })]).fit([]);

  it('on a 95/5 test set, a model that never finds the minority class has accuracy 0.95 but recall 0, and the figures say so', async () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ id: i, label: i < 95 ? 0 : 1, x: 0.1 }));
    const e = await evaluateBinaryClassifier(await copy(), records);
    expect(e.accuracy).toBe(0.95);
    expect(e.baselineAccuracy).toBe(0.95);
    expect(e.recall).toBe(0);
    // Class 0: 95 of 95 found, precision 95/100. Class 1: never predicted (precision undefined), never found.
    expect(e.classes).toEqual([
      { label: 0, support: 95, precision: 0.95, recall: 1, f1: (2 * 0.95) / 1.95 },
      { label: 1, support: 5, precision: null, recall: 0, f1: null },
    ]);
    expect(e.balancedAccuracy).toBe(0.5);
  });

  it('counts NaN and infinite scores as defects of the model, left out of every figure', async () => {
    const records = [
      { id: 'a', label: 1, x: 0.9 },
      { id: 'b', label: 0, x: Number.NaN },
      { id: 'c', label: 0, x: 0.2 },
      { id: 'd', label: 1, x: Number.POSITIVE_INFINITY },
      { id: 'e', label: 0, x: 0.7 },
    ];
    const e = await evaluateBinaryClassifier(await copy(), records);
    expect(e.defects).toEqual({ nonFiniteScores: 2 });
    expect(e.testRecords).toBe(3);
    expect(e.run.rejections).toEqual({ evaluate: { INVALID_SCORE: 2 } });
    expect(e.run.samples.map((r) => r.recordId)).toEqual(['b', 'd']);
    // a (1, 0.9) right, c (0, 0.2) right, e (0, 0.7) wrong: accuracy 2/3; AUC: the positive beats both negatives.
    expect(e.accuracy).toBeCloseTo(2 / 3, 12);
    expect(e.rocAuc).toBe(1);
    // Under `fail`, the first one stops the evaluation.
    await expect(evaluateBinaryClassifier(await copy(), records, { errorPolicy: 'fail' })).rejects.toMatchObject({ code: 'INVALID_SCORE', recordId: 'b' });
  });

  it('an empty test set, or one with nothing scorable, is an error rather than figures of nothing', async () => {
    await expect(evaluateBinaryClassifier(await copy(), [])).rejects.toMatchObject({ code: 'EMPTY_DATASET', message: expect.stringMatching(/^The test set is empty/) });
    const unlabelled = [{ id: 1, x: 0.5 }, { id: 2, label: 'yes', x: 0.5 }];
    const error = await evaluateBinaryClassifier(await copy(), unlabelled).catch((e: unknown) => e);
    expect(isTributaryError(error) && error.code).toBe('EMPTY_DATASET');
    expect((error as Error).message).toMatch(/^None of the 2 test records could be scored \(2 rejected/);
    expect((error as { details: { run: { skipped: number } } }).details.run.skipped).toBe(2);
  });

  it('a class outside the declared ones is an error, not a dropped record', async () => {
    const model = await createRuntime({ plugins: [toyPlugin()] }).pipeline([scale({ input: 'guess', output: 'prediction', factor: 1 })]).fit([]);
    await expect(evaluateClassifier(model, [{ id: 1, label: 0, guess: 0 }, { id: 2, label: 7, guess: 0 }], { classes: [0, 1] })).rejects.toThrow(/The label 7 is not one of the declared classes \(0, 1\)/);
  });

  it('times batches and single records, and keeps the largest memory each stage reported', async () => {
    const records = Array.from({ length: 12 }, (_, i) => ({ id: i, label: i % 2, x: i / 12 }));
    const e = await evaluateBinaryClassifier(await copy(), records, { batchSize: 3, latencySample: 5 });
    const { efficiency: f } = e;
    expect(f.recordLatencyMs?.samples).toBe(5);
    expect(f.recordLatencyMs!.p50).toBeLessThanOrEqual(f.recordLatencyMs!.p99);
    expect(f.recordLatencyMs!.p99).toBeLessThanOrEqual(f.recordLatencyMs!.max);
    // Every timing falls in exactly one bar: 5 single records, 4 batches of 3.
    expect(f.latencyHistogram.record.reduce((a, b) => a + b.count, 0)).toBe(5);
    expect(f.latencyHistogram.batch.reduce((a, b) => a + b.count, 0)).toBe(4);
    // The toy stage reports 8 bytes per record of its largest batch (3), not of the single-record pass.
    expect(f.stageMemoryBytes).toEqual({ 'toy:scale': { scratchBytes: 24 } });
    // The single-record pass is not counted as test records.
    expect(e.run.input).toBe(12);
    expect(e.testRecords).toBe(12);
    const untimed = await evaluateBinaryClassifier(await copy(), records, { latencySample: 0 });
    expect(untimed.efficiency.recordLatencyMs).toBeNull();
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
    balancedAccuracy: 0.875,
    efficiency: { batchLatencyMs: { p50: 5, p95: 9, p99: 25 }, recordLatencyMs: { p50: 1, p95: 2, p99: 3, max: 4, samples: 100 } },
  } as unknown as EvaluationReport;

  it('passes when every bound is met, and says which figures missed and by how much', () => {
    expect(checkGate(report, { minAccuracy: 0.9, maxLogLoss: 0.3 }).passed).toBe(true);
    const result = checkGate(report, { minF1: 0.9, maxP99Ms: 2.5, maxBatchP99Ms: 20, minRecall: 0.9, minRocAuc: 0.5, minBalancedAccuracy: 0.9 });
    expect(result.passed).toBe(false);
    expect(result.misses.map((m) => [m.figure, m.actual, m.by === null ? null : Number(m.by.toFixed(12))])).toEqual([
      ['f1', 0.85, 0.05],
      ['rocAuc', null, null],
      ['balancedAccuracy', 0.875, 0.025],
      ['recordLatencyMs.p99', 3, 0.5],
      ['batchLatencyMs.p99', 25, 5],
    ]);
    // With no per-record timing (latencySample 0), a per-record bound is unmeasured, not passed.
    const untimed = { ...report, efficiency: { ...report.efficiency, recordLatencyMs: null } } as unknown as EvaluationReport;
    expect(checkGate(untimed, { maxP99Ms: 100 }).misses).toEqual([{ figure: 'recordLatencyMs.p99', bound: 'max', required: 100, actual: null, by: null, missing: 'not-measured' }]);
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

  it('keeps extra files (the rendered report) hashed with the model, and only the headline figures in the manifest', async () => {
    const { runtime, model, report } = await setup();
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'files-')), 'model');
    const manifest = await model.save(dir, { evaluation: report, files: { 'report.html': '<!doctype html><p>report</p>' } });
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe('<!doctype html><p>report</p>');
    expect(manifest.files['report.html']).toBe(createHash('sha256').update('<!doctype html><p>report</p>').digest('hex'));
    // evaluation.json has everything; the manifest the figures, without the curve, counts and histograms.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'evaluation.json'), 'utf8')).curve).toHaveLength(report.curve.length);
    expect(manifest.evaluation).toMatchObject({ f1: report.f1, accuracy: report.accuracy });
    expect(Object.keys(manifest.evaluation!)).not.toContain('curve');
    expect(Object.keys(manifest.evaluation!.efficiency as object)).not.toContain('latencyHistogram');
    // An edited report is caught like any edited file.
    fs.appendFileSync(path.join(dir, 'report.html'), '<script>');
    await expect(runtime.load(dir)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
    for (const name of ['../x.html', 'tributary.json', '.hidden', 'a/b']) {
      await expect(model.save(path.join(path.dirname(dir), 'bad'), { files: { [name]: 'x' } })).rejects.toMatchObject({ code: 'INVALID_PARAMS', param: 'files' });
    }
  });

  it('a misspelt bound fails where the gate is written', () => {
    expect(() => gate({ minF2: 0.9 } as never)).toThrow(/Unknown gate bound 'minF2'/);
  });
});
