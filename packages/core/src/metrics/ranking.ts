/**
 * The scores of the positives and of the negatives, each sorted ascending with the engine's native
 * numeric sort (no comparator: a million scores sort in tens of milliseconds). Every ranking metric —
 * ROC-AUC, average precision, the curves — walks these two arrays once.
 */
export interface RankedScores {
  readonly positives: Float64Array;
  readonly negatives: Float64Array;
}

/** Splits scores by label (1 = positive) and sorts each part. Labels and scores must already be checked. */
export function rankScores(labels: ArrayLike<number>, scores: ArrayLike<number>): RankedScores {
  let p = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) p++;
  const positives = new Float64Array(p);
  const negatives = new Float64Array(labels.length - p);
  let a = 0;
  let b = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) positives[a++] = scores[i]!;
    else negatives[b++] = scores[i]!;
  }
  positives.sort();
  negatives.sort();
  return { positives, negatives };
}

/**
 * ROC-AUC as the Mann–Whitney statistic: the share of (positive, negative) pairs in which the
 * positive scores higher, ties counting one half. Null when either class is absent (undefined).
 */
export function aucFromRanks({ positives, negatives }: RankedScores): number | null {
  const P = positives.length;
  const N = negatives.length;
  if (P === 0 || N === 0) return null;
  let pairs = 0;
  let below = 0; // negatives with a lower score than the current positive group
  for (let i = 0; i < P; ) {
    const v = positives[i]!;
    let j = i;
    while (j < P && positives[j] === v) j++;
    while (below < N && negatives[below]! < v) below++;
    let equal = below;
    while (equal < N && negatives[equal] === v) equal++;
    pairs += (j - i) * (below + 0.5 * (equal - below));
    i = j;
  }
  return pairs / (P * N);
}

/** One threshold of a binary classifier: predicted positive when score ≥ threshold. */
export interface CurvePoint {
  readonly threshold: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  /** tp / (tp + fp); 1 at the first point by convention (nothing predicted positive). */
  readonly precision: number;
  /** True positive rate, tp / P. */
  readonly recall: number;
  /** False positive rate, fp / N. */
  readonly fpr: number;
  readonly f1: number;
}

/**
 * Every distinct threshold, from the highest score down, with its counts: the points of the ROC and
 * precision–recall curves. Starts with the point where nothing is predicted positive (threshold +∞).
 */
export function curveFromRanks({ positives, negatives }: RankedScores): CurvePoint[] {
  const P = positives.length;
  const N = negatives.length;
  const point = (threshold: number, tp: number, fp: number): CurvePoint => {
    const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
    const recall = P === 0 ? 0 : tp / P;
    const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + (P - tp));
    return { threshold, tp, fp, fn: P - tp, tn: N - fp, precision, recall, fpr: N === 0 ? 0 : fp / N, f1 };
  };
  const points = [point(Infinity, 0, 0)];
  let i = P - 1;
  let j = N - 1;
  let tp = 0;
  let fp = 0;
  while (i >= 0 || j >= 0) {
    const v = Math.max(i >= 0 ? positives[i]! : -Infinity, j >= 0 ? negatives[j]! : -Infinity);
    while (i >= 0 && positives[i] === v) (tp++, i--);
    while (j >= 0 && negatives[j] === v) (fp++, j--);
    points.push(point(v, tp, fp));
  }
  return points;
}

/**
 * Average precision (the area under the precision–recall curve as scikit-learn computes it):
 * Σ (Rₖ − Rₖ₋₁) · Pₖ over the thresholds, from the highest score down. Null without positives.
 */
export function averagePrecisionFromCurve(curve: readonly CurvePoint[]): number | null {
  if (curve.length === 0 || curve[0]!.fn === 0) return null;
  let ap = 0;
  for (let k = 1; k < curve.length; k++) ap += (curve[k]!.recall - curve[k - 1]!.recall) * curve[k]!.precision;
  return ap;
}

/** At most `max` points of a curve, evenly spaced along it, the first and last kept (for plots and reports). */
export function thinCurve(curve: readonly CurvePoint[], max = 200): CurvePoint[] {
  if (curve.length <= max) return [...curve];
  const step = (curve.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, k) => curve[Math.round(k * step)]!);
}
