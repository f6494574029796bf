import type { DatasetSource } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import { type BinaryClassificationMetrics, binaryClassificationMetrics } from '../metrics/classification.js';
import type { PipelineModel } from '../pipeline/pipeline-model.js';
import type { RunReport } from '../pipeline/run-report.js';
import { type Efficiency, type ScoreOptions, scoreBatches } from './score.js';

export type { Efficiency, HistogramBin, Percentiles } from './score.js';

export interface EvaluateOptions extends ScoreOptions {
  /** The field holding the true label (0/1). Default `label`. */
  readonly label?: string;
  /** The field the model writes its probability of class 1 to. Default `score`. */
  readonly score?: string;
  readonly threshold?: number;
}

export interface EvaluationReport extends BinaryClassificationMetrics {
  readonly task: 'binary-classification';
  /** Records that were scored. */
  readonly testRecords: number;
  /** Model outputs that could not be scored and were left out of every figure (also counted in `run`). */
  readonly defects: { readonly nonFiniteScores: number };
  readonly efficiency: Efficiency;
  readonly run: ReturnType<RunReport['toJSON']>;
}

/** Scores a binary classifier on a dataset: accuracy metrics plus what it cost to run. */
export async function evaluateBinaryClassifier(
  model: PipelineModel,
  data: DatasetSource<object>,
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const labelField = options.label ?? 'label';
  const scoreField = options.score ?? 'score';
  const labels: number[] = [];
  const scores: number[] = [];
  let nonFinite = 0;
  const { efficiency, run } = await scoreBatches(model, data, options, (record) => {
    const raw = record[labelField];
    const label = raw === true ? 1 : raw === false ? 0 : raw;
    if (label !== 0 && label !== 1) {
      return {
        code: 'INVALID_RECORD',
        message: `Field '${labelField}' holds ${JSON.stringify(raw) ?? 'nothing'}; binary evaluation needs labels 0 or 1 (or false/true). Map the classes to 0/1, or evaluate as a classification of named classes (task 'classification').`,
      };
    }
    const score = record[scoreField];
    if (typeof score !== 'number') {
      throw new TributaryError('INVALID_DATA', {
        message: `The model wrote no number to '${scoreField}' (got ${score === undefined ? 'nothing' : typeof score}), so it is not a binary classifier that writes '${scoreField}'. A model of more than two classes is evaluated as a classification (task 'classification'); a binary one that writes its probability elsewhere needs that field named (the score option).`,
      });
    }
    if (!Number.isFinite(score)) {
      // A defect of the model, counted and reported: scoring it as 0 or 1 would bend every figure.
      nonFinite++;
      return { code: 'INVALID_SCORE', message: `The model scored this record ${String(score)}; only finite scores can be evaluated. Look for extreme or missing feature values in it.` };
    }
    labels.push(label);
    scores.push(score);
    return undefined;
  });
  return {
    task: 'binary-classification',
    ...binaryClassificationMetrics(labels, scores, options.threshold ?? 0.5),
    testRecords: labels.length,
    defects: { nonFiniteScores: nonFinite },
    efficiency,
    run,
  };
}
