import { RegressionAccumulator, averagePrecision, createRandom, binaryClassificationMetrics, multiclassMetrics, regressionMetrics, rocAuc, thresholdSweep } from '@tributary/core';
import { describe, expect, it } from 'vitest';

describe('average precision and the threshold sweep (worked by hand)', () => {
  // Sorted by score: .9(1) .8(0) .7(1) .6(0) .5(1) .4(0)
  const labels = [1, 0, 1, 0, 1, 0];
  const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];

  it('average precision is Σ ΔR·P over the thresholds, from the top', () => {
    // Recall steps at .9 (P 1/1), .7 (P 2/3), .5 (P 3/5), each by 1/3.
    expect(averagePrecision(labels, scores)).toBeCloseTo((1 + 2 / 3 + 3 / 5) / 3, 12);
    // A perfect ranking has AP 1; no positives, no AP.
    expect(averagePrecision([1, 1, 0], [0.9, 0.8, 0.1])).toBe(1);
    expect(averagePrecision([0, 0], [0.3, 0.1])).toBeNull();
  });

  it('ties form one threshold: counts jump together, and AP uses the precision after the jump', () => {
    // Scores .8(1) .8(0) .2(1): thresholds ∞, .8 (tp 1, fp 1), .2 (tp 2, fp 1).
    const sweep = thresholdSweep([1, 0, 1], [0.8, 0.8, 0.2]);
    expect(sweep.map((p) => [p.threshold, p.tp, p.fp, p.fn, p.tn])).toEqual([[Infinity, 0, 0, 2, 1], [0.8, 1, 1, 1, 0], [0.2, 2, 1, 0, 0]]);
    expect(averagePrecision([1, 0, 1], [0.8, 0.8, 0.2])).toBeCloseTo(0.5 * 0.5 + 0.5 * (2 / 3), 12);
    // ROC-AUC with the tie counting half: positives .8, .2 against negative .8 → (0.5 + 0) / 2.
    expect(rocAuc([1, 0, 1], [0.8, 0.8, 0.2])).toBe(0.25);
  });

  it('the sweep gives the ROC points and F1 at each threshold, and the report the best F1 threshold', () => {
    const sweep = thresholdSweep(labels, scores);
    expect(sweep.map((p) => [p.recall, p.fpr])).toEqual([[0, 0], [1 / 3, 0], [1 / 3, 1 / 3], [2 / 3, 1 / 3], [2 / 3, 2 / 3], [1, 2 / 3], [1, 1]]);
    // At .5: tp 3, fp 2, fn 0 → F1 = 6 / 8, the highest of the sweep.
    const m = binaryClassificationMetrics(labels, scores);
    expect(m.bestThreshold).toEqual({ threshold: 0.5, f1: 6 / 8 });
    expect(m.prAuc).toBeCloseTo((1 + 2 / 3 + 3 / 5) / 3, 12);
    expect(m.curve).toHaveLength(7);
  });

  it('all one class: ROC-AUC and AP undefined (null), never NaN', () => {
    const m = binaryClassificationMetrics([0, 0, 0], [0.1, 0.5, 0.9]);
    expect([m.rocAuc, m.prAuc, m.bestThreshold]).toEqual([null, null, null]);
    expect(Number.isNaN(m.f1)).toBe(false);
  });

  it('ROC-AUC and AP agree with their definitions computed naively, on 300 random inputs full of ties', () => {
    const random = createRandom(11);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(random.next() * 30);
      const y = Array.from({ length: n }, () => (random.next() < 0.4 ? 1 : 0));
      const s = Array.from({ length: n }, () => Math.floor(random.next() * 5) / 4);
      const pos = s.filter((_, i) => y[i] === 1);
      const neg = s.filter((_, i) => y[i] === 0);
      // Every pair, ties half: O(P·N), straight from the definition.
      let pairs = 0;
      for (const a of pos) for (const b of neg) pairs += a > b ? 1 : a === b ? 0.5 : 0;
      expect(rocAuc(y, s)).toBe(pos.length && neg.length ? pairs / (pos.length * neg.length) : null);
      // AP: at each distinct score, from the top, the recall gained times the precision there.
      let ap = 0;
      let previous = 0;
      for (const t of [...new Set(s)].sort((a, b) => b - a)) {
        const tp = pos.filter((v) => v >= t).length;
        const fp = neg.filter((v) => v >= t).length;
        const recall = tp / pos.length;
        ap += (recall - previous) * (tp / (tp + fp));
        previous = recall;
      }
      const got = averagePrecision(y, s);
      if (pos.length === 0) expect(got).toBeNull();
      else expect(got).toBeCloseTo(ap, 12);
    }
  });

  it('refuses NaN and infinite scores with the position', () => {
    expect(() => rocAuc([1, 0], [Number.NaN, 0.2])).toThrow(/Score #0 is NaN/);
    expect(() => averagePrecision([1, 0], [0.2, Infinity])).toThrow(/Score #1 is Infinity/);
  });
});

describe('multiclassMetrics: macro, micro and weighted averages (worked by hand)', () => {
  // true  a a a b b c      Per class: a P 2/2 R 2/3 F1 0.8; b P 1/2 R 1/2 F1 0.5; c P 1/2 R 1/1 F1 2/3.
  // pred  a a b b c c
  const actual = ['a', 'a', 'a', 'b', 'b', 'c'];
  const predicted = ['a', 'a', 'b', 'b', 'c', 'c'];

  it('per class, then the three means', () => {
    const m = multiclassMetrics(actual, predicted);
    expect(m.confusion).toEqual({ labels: ['a', 'b', 'c'], matrix: [[2, 1, 0], [0, 1, 1], [0, 0, 1]] });
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.macro.precision).toBeCloseTo((1 + 0.5 + 0.5) / 3, 12);
    expect(m.macro.recall).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 12);
    expect(m.macro.f1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    // Weighted by support 3, 2, 1.
    expect(m.weighted.f1).toBeCloseTo((3 * 0.8 + 2 * 0.5 + 1 * (2 / 3)) / 6, 12);
    expect(m.weighted.recall).toBeCloseTo(4 / 6, 12); // support-weighted recall is the accuracy
    // One label per record: micro precision = recall = F1 = accuracy.
    expect(m.micro).toEqual({ precision: m.accuracy, recall: m.accuracy, f1: m.accuracy });
  });

  it('95/5 imbalance: accuracy 0.95 while the minority class has recall 0 — per-class figures show it', () => {
    const truth = [...Array(95).fill('ham'), ...Array(5).fill('spam')];
    const guess = Array(100).fill('ham');
    const m = multiclassMetrics(truth, guess);
    expect(m.accuracy).toBe(0.95);
    const spam = m.classes.find((c) => c.label === 'spam')!;
    expect(spam).toEqual({ label: 'spam', support: 5, precision: null, recall: 0, f1: null });
    // Macro F1 counts the never-predicted class as 0: (F1 of ham + 0) / 2.
    expect(m.macro.f1).toBeCloseTo((2 * 0.95 * 1) / (0.95 + 1) / 2, 12);
  });

  it('a label outside the declared classes is an error, not a dropped record; numbers sort numerically', () => {
    expect(() => multiclassMetrics([1, 2], [1, 7], [1, 2])).toThrow(/The label 7 is not one of the declared classes/);
    expect(multiclassMetrics([10, 9, 2], [10, 9, 2]).confusion.labels).toEqual([2, 9, 10]);
  });
});

describe('regression metrics (worked by hand)', () => {
  it('MSE, RMSE, MAE and R² from their definitions', () => {
    // y = 1 2 3 4, ŷ = 1 2 4 2: errors 0 0 1 −2; SS_res = 5, SS_tot = 5 (mean 2.5).
    const m = regressionMetrics([1, 2, 3, 4], [1, 2, 4, 2]);
    expect(m).toEqual({ count: 4, mse: 5 / 4, rmse: Math.sqrt(5 / 4), mae: 3 / 4, r2: 0 });
    expect(regressionMetrics([1, 2, 3], [1, 2, 3]).r2).toBe(1);
  });

  it('R² is null (undefined) for a constant target; the streaming sums are stable far from zero', () => {
    expect(regressionMetrics([5, 5, 5], [4, 5, 6]).r2).toBeNull();
    // Values near 1e9 with a spread of 1: a naive Σy² − n·ȳ² loses every digit of the variance.
    const acc = new RegressionAccumulator();
    for (const [y, p] of [[1e9 + 1, 1e9 + 1], [1e9 + 2, 1e9 + 2], [1e9 + 3, 1e9 + 2]] as const) acc.add(y, p);
    expect(acc.result().r2).toBeCloseTo(1 - 1 / 2, 9);
    expect(() => acc.add(Number.NaN, 1)).toThrow(/must be finite/);
  });
});
