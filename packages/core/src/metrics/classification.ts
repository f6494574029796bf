import { TributaryError } from '../errors/tributary-error.js';
import type { ClassFigures } from './multiclass.js';
import { type CurvePoint, averagePrecisionFromCurve, aucFromRanks, curveFromRanks, rankScores, thinCurve } from './ranking.js';

/** Counts of a binary confusion matrix (positive class = 1). */
export interface BinaryConfusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export interface BinaryClassificationMetrics {
  readonly accuracy: number;
  /** tp / (tp + fp); 0 when nothing was predicted positive (scikit-learn's zero_division=0). */
  readonly precision: number;
  /** tp / (tp + fn); 0 when there are no positives. */
  readonly recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  readonly f1: number;
  /** Area under the ROC curve (ties count half); null when only one class is present, where it is undefined. */
  readonly rocAuc: number | null;
  /** Average precision, the area under the precision–recall curve; null without positives. */
  readonly prAuc: number | null;
  /** The threshold with the highest F1, and that F1: what moving the threshold could gain. */
  readonly bestThreshold: { readonly threshold: number; readonly f1: number } | null;
  /** Up to 200 points of the threshold sweep (ROC and PR curves), from the highest threshold down. */
  readonly curve: readonly CurvePoint[];
  /**
   * Mean binary cross-entropy, probabilities clipped to [1e-15, 1 − 1e-15]; null when a score lies
   * outside [0, 1] (logits or margins are not probabilities, and clipping them would give a made-up figure).
   */
  readonly logLoss: number | null;
  /** The lowest and highest score: a range outside [0, 1] means the scores are not probabilities. */
  readonly scoreRange: { readonly min: number; readonly max: number } | null;
  readonly threshold: number;
  readonly confusion: BinaryConfusion;
  readonly support: { readonly positive: number; readonly negative: number };
  /**
   * Precision, recall and F1 of each class (0, then 1) as a one-against-the-other problem: the figures
   * that show a minority class the model never finds, which accuracy alone hides.
   */
  readonly classes: readonly [ClassFigures, ClassFigures];
  /** The mean recall of the classes present: 0.5 for a model that always answers the majority class. */
  readonly balancedAccuracy: number;
  /** The accuracy of always answering the more frequent class: what accuracy must beat to mean anything. */
  readonly baselineAccuracy: number;
}

function checkBinary(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length) {
    throw new TributaryError('INVALID_DATA', { message: `Got ${labels.length} labels but ${scores.length} scores; they must pair up one to one.` });
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new TributaryError('INVALID_DATA', { message: `Binary metrics need labels 0 or 1; label #${i} is ${String(labels[i])}. Map the classes to 0/1 first.` });
    }
    if (!Number.isFinite(scores[i])) {
      throw new TributaryError('INVALID_DATA', { message: `Score #${i} is ${String(scores[i])}; scores must be finite numbers.` });
    }
  }
}

/** The binary confusion matrix at a threshold: predicted positive when score ≥ threshold. */
export function binaryConfusion(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold = 0.5): BinaryConfusion {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const positive = scores[i]! >= threshold;
    if (labels[i] === 1) positive ? tp++ : fn++;
    else positive ? fp++ : tn++;
  }
  return { tp, fp, tn, fn };
}

/**
 * ROC-AUC as the Mann–Whitney statistic: the probability that a random positive scores above a
 * random negative, ties counting one half. O(n log n). Null when either class is absent.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  checkBinary(labels, scores);
  return aucFromRanks(rankScores(labels, scores));
}

/** Average precision (area under the precision–recall curve, scikit-learn's definition); null without positives. */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  checkBinary(labels, scores);
  return averagePrecisionFromCurve(curveFromRanks(rankScores(labels, scores)));
}

/** Every distinct threshold with its confusion counts, precision, recall, false positive rate and F1 (the ROC and PR curves). */
export function thresholdSweep(labels: ArrayLike<number>, scores: ArrayLike<number>): CurvePoint[] {
  checkBinary(labels, scores);
  return curveFromRanks(rankScores(labels, scores));
}

/** Mean binary cross-entropy of probabilities `scores` for labels 0/1. */
export function logLoss(labels: ArrayLike<number>, scores: ArrayLike<number>, epsilon = 1e-15): number {
  checkBinary(labels, scores);
  if (labels.length === 0) return 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - epsilon, Math.max(epsilon, scores[i]!));
    total -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / labels.length;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** One class's figures from its true positives, false positives and false negatives (null where undefined, as in multiclassMetrics). */
function classFigures(label: 0 | 1, tp: number, fp: number, fn: number): ClassFigures {
  const precision = tp + fp === 0 ? null : tp / (tp + fp);
  const recall = tp + fn === 0 ? null : tp / (tp + fn);
  const f1 = precision === null || recall === null ? null : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { label, support: tp + fn, precision, recall, f1 };
}

/** Accuracy, precision, recall, F1, ROC-AUC, log loss and the confusion matrix of a binary classifier. */
export function binaryClassificationMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold = 0.5): BinaryClassificationMetrics {
  checkBinary(labels, scores);
  const confusion = binaryConfusion(labels, scores, threshold);
  const { tp, fp, tn, fn } = confusion;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const ranked = rankScores(labels, scores);
  const curve = curveFromRanks(ranked);
  // The point at +∞ predicts nothing; the best threshold is among the scores themselves.
  let best: CurvePoint | undefined;
  for (let k = 1; k < curve.length; k++) if (!best || curve[k]!.f1 > best.f1) best = curve[k];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]! < min) min = scores[i]!;
    if (scores[i]! > max) max = scores[i]!;
  }
  const probabilities = labels.length === 0 || (min >= 0 && max <= 1);
  const negative = classFigures(0, tn, fn, fp);
  const positive = classFigures(1, tp, fp, fn);
  const present = [negative, positive].filter((c) => c.support > 0);
  return {
    accuracy: ratio(tp + tn, labels.length),
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
    rocAuc: aucFromRanks(ranked),
    prAuc: averagePrecisionFromCurve(curve),
    bestThreshold: best && tp + fn > 0 ? { threshold: best.threshold, f1: best.f1 } : null,
    curve: thinCurve(curve),
    logLoss: probabilities ? logLoss(labels, scores) : null,
    scoreRange: labels.length === 0 ? null : { min, max },
    threshold,
    confusion,
    support: { positive: tp + fn, negative: tn + fp },
    classes: [negative, positive],
    balancedAccuracy: present.length === 0 ? 0 : present.reduce((a, c) => a + c.recall!, 0) / present.length,
    baselineAccuracy: ratio(Math.max(tp + fn, tn + fp), labels.length),
  };
}

/** A confusion matrix over any labels: rows are true labels, columns predicted, in `labels` order. */
export function confusionMatrix<L>(actual: readonly L[], predicted: readonly L[], labels?: readonly L[]): { labels: L[]; matrix: number[][] } {
  if (actual.length !== predicted.length) {
    throw new TributaryError('INVALID_DATA', { message: `Got ${actual.length} true labels but ${predicted.length} predictions.` });
  }
  const order = labels ? [...labels] : [...new Set([...actual, ...predicted])].sort();
  const index = new Map(order.map((l, i) => [l, i]));
  const matrix = order.map(() => order.map(() => 0));
  for (let i = 0; i < actual.length; i++) {
    const row = index.get(actual[i]!);
    const col = index.get(predicted[i]!);
    if (row === undefined || col === undefined) continue;
    matrix[row]![col]! += 1;
  }
  return { labels: order, matrix };
}
