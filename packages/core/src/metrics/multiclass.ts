import { TributaryError } from '../errors/tributary-error.js';
import { confusionMatrix } from './classification.js';

export type ClassLabel = string | number;

/** Precision, recall and F1 of one class against the rest; `null` where the class was never predicted or never present. */
export interface ClassFigures {
  readonly label: ClassLabel;
  readonly support: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
}

/** Precision, recall and F1 averaged over classes. */
export interface Averages {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface MulticlassMetrics {
  readonly accuracy: number;
  readonly count: number;
  readonly confusion: { readonly labels: ClassLabel[]; readonly matrix: number[][] };
  /** Per class, in the order of `confusion.labels`. */
  readonly classes: readonly ClassFigures[];
  /** Unweighted mean over the classes present in the data (a present class never predicted counts precision 0). */
  readonly macro: Averages;
  /** From the pooled counts; for one label per record, all three equal the accuracy. */
  readonly micro: Averages;
  /** Mean over the present classes weighted by their support. */
  readonly weighted: Averages;
}

const isClass = (v: unknown): v is ClassLabel => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** Classes in a stable order: numbers ascending, then strings in code-unit order. */
export function sortClasses(values: Iterable<ClassLabel>): ClassLabel[] {
  return [...new Set(values)].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : typeof a === 'number' ? -1 : typeof b === 'number' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
}

/**
 * Accuracy, per-class precision/recall/F1 and their macro, micro and weighted means, and the confusion
 * matrix, for single-label classification with any number of classes. With `classes` given, a true or
 * predicted label outside them is an error rather than a silently dropped record.
 */
export function multiclassMetrics(actual: readonly ClassLabel[], predicted: readonly ClassLabel[], classes?: readonly ClassLabel[]): MulticlassMetrics {
  if (actual.length !== predicted.length) throw new TributaryError('INVALID_DATA', { message: `Got ${actual.length} true labels but ${predicted.length} predictions; they must pair up one to one.` });
  for (let i = 0; i < actual.length; i++) {
    if (!isClass(actual[i]) || !isClass(predicted[i])) throw new TributaryError('INVALID_DATA', { message: `Pair #${i} is (${JSON.stringify(actual[i])}, ${JSON.stringify(predicted[i])}); classes are strings or finite numbers.` });
  }
  const labels = classes ? [...classes] : sortClasses([...actual, ...predicted]);
  if (classes) {
    const known = new Set(labels);
    const stray = [...actual, ...predicted].find((l) => !known.has(l));
    if (stray !== undefined) throw new TributaryError('INVALID_DATA', { message: `The label ${JSON.stringify(stray)} is not one of the declared classes (${labels.map((l) => JSON.stringify(l)).join(', ')}). Declare every class, or clean the labels.` });
  }
  const confusion = confusionMatrix(actual, predicted, labels);
  const n = actual.length;
  let correct = 0;
  const figures = labels.map((label, i): ClassFigures => {
    const tp = confusion.matrix[i]![i]!;
    correct += tp;
    const support = confusion.matrix[i]!.reduce((a, b) => a + b, 0);
    const predictedAs = confusion.matrix.reduce((a, row) => a + row[i]!, 0);
    const precision = predictedAs === 0 ? null : tp / predictedAs;
    const recall = support === 0 ? null : tp / support;
    const f1 = precision === null || recall === null ? null : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, support, precision, recall, f1 };
  });
  const present = figures.filter((c) => c.support > 0);
  const mean = (pick: (c: ClassFigures) => number | null, weight: (c: ClassFigures) => number) => {
    const total = present.reduce((a, c) => a + weight(c), 0);
    return total === 0 ? 0 : present.reduce((a, c) => a + weight(c) * (pick(c) ?? 0), 0) / total;
  };
  const averages = (weight: (c: ClassFigures) => number): Averages => ({ precision: mean((c) => c.precision, weight), recall: mean((c) => c.recall, weight), f1: mean((c) => c.f1, weight) });
  const accuracy = n === 0 ? 0 : correct / n;
  return {
    accuracy,
    count: n,
    confusion,
    classes: figures,
    macro: averages(() => 1),
    micro: { precision: accuracy, recall: accuracy, f1: accuracy },
    weighted: averages((c) => c.support),
  };
}
