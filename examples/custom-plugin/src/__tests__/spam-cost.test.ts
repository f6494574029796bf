import { binaryConfusion } from '@tributary/core';
import { spamCost } from '@tributary/example-custom-plugin';
import { describe, expect, it } from 'vitest';

describe('spamCost', () => {
  it('weights each legitimate mail λ times: weighted accuracy and total cost ratio of a small confusion', () => {
    // 10 spams (8 caught, 2 let through), 11 legitimate mails (10 kept, 1 blocked).
    // λ = 9: WAcc = (9·10 + 8) / (9·11 + 10) = 98/109; TCR = 10 / (9·1 + 2) = 10/11: worse than no filter.
    expect(spamCost({ tp: 8, fp: 1, tn: 10, fn: 2 })).toEqual({ lambda: 9, weightedAccuracy: 98 / 109, totalCostRatio: 10 / 11 });
    // λ = 1: WAcc is the plain accuracy 18/21; TCR = 10 / 3.
    expect(spamCost({ tp: 8, fp: 1, tn: 10, fn: 2 }, 1)).toEqual({ lambda: 1, weightedAccuracy: 18 / 21, totalCostRatio: 10 / 3 });
  });

  it('takes the confusion the core counts from labels and scores (spam positive, score ≥ 0.5)', () => {
    // Spams scored 0.9, 0.4, 0.7: two caught, one let through. Legitimate 0.2, 0.6, 0.1, 0.3: one blocked.
    const confusion = binaryConfusion([1, 1, 1, 0, 0, 0, 0], [0.9, 0.4, 0.7, 0.2, 0.6, 0.1, 0.3]);
    // WAcc = (9·3 + 2) / (9·4 + 3) = 29/39; TCR = 3 / (9·1 + 1) = 0.3.
    expect(spamCost(confusion, 9)).toEqual({ lambda: 9, weightedAccuracy: 29 / 39, totalCostRatio: 0.3 });
  });

  it('gives null, never NaN or Infinity, where a figure is undefined', () => {
    // No mistake: the cost ratio has no bound.
    expect(spamCost({ tp: 3, fp: 0, tn: 4, fn: 0 })).toEqual({ lambda: 9, weightedAccuracy: 1, totalCostRatio: null });
    expect(spamCost({ tp: 0, fp: 0, tn: 0, fn: 0 })).toEqual({ lambda: 9, weightedAccuracy: null, totalCostRatio: null });
    // No spam at all, one legitimate mail blocked: having no filter would have cost nothing.
    expect(spamCost({ tp: 0, fp: 1, tn: 4, fn: 0 })).toEqual({ lambda: 9, weightedAccuracy: 36 / 45, totalCostRatio: 0 });
  });

  it('refuses a λ that is not a positive number, and counts that are not whole, with INVALID_PARAMS', () => {
    const confusion = { tp: 1, fp: 1, tn: 1, fn: 1 };
    for (const lambda of [0, -9, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => spamCost(confusion, lambda)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', param: 'lambda' }));
    }
    expect(() => spamCost({ tp: 1.5, fp: 0, tn: 1, fn: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', param: 'confusion' }));
    expect(() => spamCost({ tp: 1, fp: -1, tn: 1, fn: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', param: 'confusion' }));
  });
});
