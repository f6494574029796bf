import { binaryClassificationMetrics, confusionMatrix, logLoss, rocAuc } from '@tributary/core';
import { describe, expect, it } from 'vitest';

describe('binary classification metrics (values worked out by hand)', () => {
  // labels  1    1    0    1    0    0    1    0
  // scores .9   .8   .7   .6   .4   .3   .2   .1   → at 0.5: predicted 1 1 1 1 0 0 0 0
  const labels = [1, 1, 0, 1, 0, 0, 1, 0];
  const scores = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1];

  it('computes the confusion matrix, accuracy, precision, recall and F1', () => {
    const m = binaryClassificationMetrics(labels, scores);
    expect(m.confusion).toEqual({ tp: 3, fp: 1, tn: 3, fn: 1 });
    expect(m.accuracy).toBe(6 / 8);
    expect(m.precision).toBe(3 / 4);
    expect(m.recall).toBe(3 / 4);
    expect(m.f1).toBeCloseTo(0.75, 12);
  });

  it('computes ROC-AUC as the share of correctly ordered positive/negative pairs', () => {
    // positives .9 .8 .6 .2 against negatives .7 .4 .3 .1: pairs won = 4 + 4 + 3 + 1 = 12 of 16.
    expect(rocAuc(labels, scores)).toBe(12 / 16);
  });

  it('counts ties as one half in ROC-AUC', () => {
    // one positive and one negative with equal scores: AUC 0.5
    expect(rocAuc([1, 0], [0.5, 0.5])).toBe(0.5);
    // positives {0.8, 0.5}, negatives {0.5, 0.2}: pairs 1 + 1 + 0.5 + 1 = 3.5 of 4
    expect(rocAuc([1, 1, 0, 0], [0.8, 0.5, 0.5, 0.2])).toBe(3.5 / 4);
  });

  it('returns null ROC-AUC when one class is absent (undefined), and zero precision with no positive predictions', () => {
    expect(rocAuc([1, 1], [0.2, 0.9])).toBeNull();
    const m = binaryClassificationMetrics([1, 0], [0.1, 0.2]);
    expect(m.precision).toBe(0);
    expect(m.recall).toBe(0);
    expect(m.f1).toBe(0);
  });

  it('computes log loss from the definition, clipping certain mistakes', () => {
    expect(logLoss([1, 0], [0.8, 0.4])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 6);
    expect(Number.isFinite(logLoss([1], [0]))).toBe(true);
  });

  it('refuses labels other than 0/1', () => {
    expect(() => binaryClassificationMetrics([2, 0], [0.5, 0.5])).toThrow(/labels 0 or 1/);
  });
});

describe('confusionMatrix', () => {
  it('puts true labels in rows and predictions in columns', () => {
    const { labels, matrix } = confusionMatrix(['a', 'b', 'a', 'c'], ['a', 'a', 'c', 'c']);
    expect(labels).toEqual(['a', 'b', 'c']);
    expect(matrix).toEqual([
      [1, 0, 1],
      [1, 0, 0],
      [0, 0, 1],
    ]);
  });
});

describe('evaluateBinaryClassifier', () => {
  it('skips and counts records whose label is not 0/1 instead of coercing them', async () => {
    const { createRuntime } = await import('@tributary/core');
    const { toyPlugin, scale } = await import('./fixtures/toy-plugin.js');
    const { evaluateBinaryClassifier } = await import('@tributary/core');
    const model = await createRuntime({ plugins: [toyPlugin()] }).pipeline([scale({ factor: 0.5, output: 'score' })]).fit([]);
    const report = await evaluateBinaryClassifier(model, [
      { x: 1.6, label: 1 },
      { x: 0.4, label: false },
      { x: 1, label: '1' },
      { x: 1, label: null },
    ]);
    expect(report.testRecords).toBe(2);
    expect(report.accuracy).toBe(1);
    expect(report.run).toMatchObject({ input: 4, output: 2, skipped: 2, unaccounted: 0 });
  });
});
