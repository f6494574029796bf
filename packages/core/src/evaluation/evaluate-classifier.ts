import type { DatasetSource } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import { type Averages, type ClassFigures, multiclassMetrics } from '../metrics/multiclass.js';
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

export interface ClassifierEvaluationReport {
  readonly task: 'classification';
  readonly accuracy: number;
  /** The unweighted mean F1 over the classes present in the test data. */
  readonly macroF1: number;
  readonly testRecords: number;
  readonly confusion: { readonly labels: ReadonlyArray<string | number>; readonly matrix: number[][] };
  readonly classes: readonly ClassFigures[];
  /** Precision, recall and F1 averaged over the classes present: unweighted, pooled, and by support. */
  readonly macro: Averages;
  readonly micro: Averages;
  readonly weighted: Averages;
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
    if (!isClass(label)) {
      return { code: 'INVALID_RECORD', message: `Field '${labelField}' holds ${JSON.stringify(label) ?? 'nothing'}; a class must be a string or a number. Label every test record, or name the label field.` };
    }
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
  // Declared classes are a contract: a label outside them is an error, not a silently dropped record.
  const m = multiclassMetrics(actual, predicted, options.classes);
  return {
    task: 'classification',
    accuracy: m.accuracy,
    macroF1: m.macro.f1,
    testRecords: m.count,
    confusion: m.confusion,
    classes: m.classes,
    macro: m.macro,
    micro: m.micro,
    weighted: m.weighted,
    efficiency,
    run,
  };
}
