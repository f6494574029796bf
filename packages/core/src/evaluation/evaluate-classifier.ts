import type { DatasetSource } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import { confusionMatrix } from '../metrics/classification.js';
import type { PipelineModel } from '../pipeline/pipeline-model.js';
import type { RunReport } from '../pipeline/run-report.js';
import { type Efficiency, type ScoreOptions, scoreBatches } from './score.js';

export interface EvaluateClassifierOptions extends ScoreOptions {
  /** The field holding the true class. Default `label`. */
  readonly label?: string;
  /** The field the model writes its predicted class to. Default `prediction`. */
  readonly prediction?: string;
  /** The classes, in the order of the confusion matrix; by default those seen, sorted. */
  readonly classes?: readonly (string | number)[];
}

/** Precision, recall and F1 of one class against the rest; `null` where the class was never predicted or never present. */
export interface ClassFigures {
  readonly label: string | number;
  readonly support: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
}

export interface ClassifierEvaluationReport {
  readonly task: 'classification';
  readonly accuracy: number;
  /** The unweighted mean F1 over the classes present in the test data. */
  readonly macroF1: number;
  readonly testRecords: number;
  readonly confusion: { readonly labels: ReadonlyArray<string | number>; readonly matrix: number[][] };
  readonly classes: readonly ClassFigures[];
  readonly efficiency: Efficiency;
  readonly run: ReturnType<RunReport['toJSON']>;
}

const isClass = (v: unknown): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** Scores a classifier of any number of classes: accuracy, per-class precision/recall/F1, macro F1, confusion matrix, cost. */
export async function evaluateClassifier(model: PipelineModel, data: DatasetSource<object>, options: EvaluateClassifierOptions = {}): Promise<ClassifierEvaluationReport> {
  const labelField = options.label ?? 'label';
  const predictionField = options.prediction ?? 'prediction';
  const actual: Array<string | number> = [];
  const predicted: Array<string | number> = [];
  const { efficiency, run } = await scoreBatches(model, data, options, (record) => {
    const label = record[labelField];
    if (!isClass(label)) return `Field '${labelField}' holds ${JSON.stringify(label) ?? 'nothing'}; a class must be a string or a number. Label every test record, or name the label field.`;
    const guess = record[predictionField];
    if (!isClass(guess)) {
      throw new TributaryError('INVALID_DATA', {
        message: `The model wrote no class to '${predictionField}' (got ${guess === undefined ? 'nothing' : typeof guess}). Name the field the classifier writes its class to (the prediction option).`,
      });
    }
    actual.push(label);
    predicted.push(guess);
    return undefined;
  });
  const labels = options.classes ? [...options.classes] : [...new Set([...actual, ...predicted])].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1));
  const confusion = confusionMatrix(actual, predicted, labels);
  const classes = labels.map((label, i): ClassFigures => {
    const tp = confusion.matrix[i]![i]!;
    const support = confusion.matrix[i]!.reduce((a, b) => a + b, 0);
    const predictedAs = confusion.matrix.reduce((a, row) => a + row[i]!, 0);
    const precision = predictedAs === 0 ? null : tp / predictedAs;
    const recall = support === 0 ? null : tp / support;
    const f1 = precision === null || recall === null ? null : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, support, precision, recall, f1 };
  });
  // Classes present in the data count in the macro mean; a present class never predicted has F1 0.
  const present = classes.filter((c) => c.support > 0);
  const macroF1 = present.length === 0 ? 0 : present.reduce((a, c) => a + (c.f1 ?? 0), 0) / present.length;
  const correct = actual.filter((a, i) => a === predicted[i]).length;
  return { task: 'classification', accuracy: actual.length === 0 ? 0 : correct / actual.length, macroF1, testRecords: actual.length, confusion, classes, efficiency, run };
}
