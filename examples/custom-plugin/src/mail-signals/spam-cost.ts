import { type BinaryConfusion, TributaryError } from '@tributary/core';

/**
 * The cost-sensitive figures of spam filtering (Androutsopoulos et al., "An evaluation of naive Bayesian
 * anti-spam filtering", 2000): a legitimate mail lost in the spam folder costs `lambda` times as much as
 * a spam let through. Spam is the positive class: fp are legitimate mails blocked, fn spams let through.
 */
export interface SpamCost {
  /** How many times worse a blocked legitimate mail is than a spam let through (9 and 999 are the usual settings). */
  readonly lambda: number;
  /**
   * (λ·tn + tp) / (λ·(tn + fp) + (tp + fn)): accuracy with each legitimate mail counted λ times.
   * null when there are no records.
   */
  readonly weightedAccuracy: number | null;
  /**
   * (tp + fn) / (λ·fp + fn): the cost of having no filter (every spam let through) over the cost of this one.
   * Above 1 the filter is worth using; below 1 it does more harm than none. null when the filter made no
   * mistake at all, where the ratio is unbounded.
   */
  readonly totalCostRatio: number | null;
}

function checkLambda(lambda: number): void {
  if (!(typeof lambda === 'number' && Number.isFinite(lambda) && lambda > 0)) {
    throw new TributaryError('INVALID_PARAMS', {
      param: 'lambda',
      message: `lambda is how many times worse a blocked legitimate mail is than a spam let through: a finite number above 0 (9 or 999 are usual), got ${String(lambda)}.`,
    });
  }
}

function checkConfusion(confusion: BinaryConfusion): void {
  const counts = [confusion?.tp, confusion?.fp, confusion?.tn, confusion?.fn];
  if (!counts.every((c) => Number.isInteger(c) && (c as number) >= 0)) {
    throw new TributaryError('INVALID_PARAMS', {
      param: 'confusion',
      message: 'spamCost takes a confusion of whole counts { tp, fp, tn, fn } with spam as the positive class, such as the confusion of evaluateBinaryClassifier.',
    });
  }
}

/** Weighted accuracy and total cost ratio of a spam filter from its confusion counts (spam = positive class). */
export function spamCost(confusion: BinaryConfusion, lambda = 9): SpamCost {
  checkLambda(lambda);
  checkConfusion(confusion);
  const { tp, fp, tn, fn } = confusion;
  const weightedTotal = lambda * (tn + fp) + (tp + fn);
  const cost = lambda * fp + fn;
  return {
    lambda,
    weightedAccuracy: weightedTotal === 0 ? null : (lambda * tn + tp) / weightedTotal,
    totalCostRatio: cost === 0 ? null : (tp + fn) / cost,
  };
}
