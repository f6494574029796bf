import {
  type ClassifierEvaluationReport,
  type DataRecord,
  type Dataset,
  type EvaluationReport,
  type ExecutionOptions,
  type PipelineModel,
  type RunReport,
  evaluateBinaryClassifier,
  evaluateClassifier,
  isTributaryError,
} from '@tributary/core';
import { RunFailed } from './errors.js';
import type { EvaluationSpecValue } from './spec/schema.js';

type RunCounts = ReturnType<RunReport['toJSON']>;

export type Report = EvaluationReport | ClassifierEvaluationReport;

/** Evaluates a model as a spec's `evaluation` says (binary or multi-class), with the run's error policy. */
export function evaluate(model: PipelineModel, data: Dataset<DataRecord>, spec: EvaluationSpecValue, execution: ExecutionOptions): Promise<Report> {
  const common = {
    ...(spec.label ? { label: spec.label } : {}),
    ...(spec.batchSize ? { batchSize: spec.batchSize } : {}),
    ...(spec.latencySample !== undefined ? { latencySample: spec.latencySample } : {}),
    ...(execution.errorPolicy ? { errorPolicy: execution.errorPolicy } : {}),
    ...(execution.deadLetterPath ? { deadLetterPath: execution.deadLetterPath } : {}),
  };
  if (spec.task === 'classification') {
    return evaluateClassifier(model, data, { ...common, ...(spec.prediction ? { prediction: spec.prediction } : {}), ...(spec.classes ? { classes: spec.classes } : {}) });
  }
  return evaluateBinaryClassifier(model, data, { ...common, ...(spec.score ? { score: spec.score } : {}), ...(spec.threshold !== undefined ? { threshold: spec.threshold } : {}) });
}

/** The fields an evaluation compares, stored with it so a later `tributary eval` of the model uses the same ones. */
export function fieldsOf(spec: EvaluationSpecValue): Record<string, string> {
  return spec.task === 'classification' ? { label: spec.label ?? 'label', prediction: spec.prediction ?? 'prediction' } : { label: spec.label ?? 'label', score: spec.score ?? 'score' };
}

/** The headline figures of a report (what `run --json` prints under `metrics`, and `inspect` shows). */
export function metricsOf(e: Report): Record<string, unknown> {
  if (e.task === 'classification') return { accuracy: e.accuracy, macroF1: e.macroF1, macro: e.macro, weighted: e.weighted, testRecords: e.testRecords, confusion: e.confusion, classes: e.classes };
  return { accuracy: e.accuracy, balancedAccuracy: e.balancedAccuracy, precision: e.precision, recall: e.recall, f1: e.f1, rocAuc: e.rocAuc, prAuc: e.prAuc, logLoss: e.logLoss, bestThreshold: e.bestThreshold, testRecords: e.testRecords, confusion: e.confusion };
}

/**
 * The failure of an evaluation that scored nothing (core's EMPTY_DATASET from the evaluator): the
 * counts, and why — `hints.empty` when nothing was read, `hints.other` when something else explains
 * it, else why the first record was rejected. Any other error passes through.
 */
export function nothingScored(error: unknown, what: string, consequence: string, hints: { readonly empty?: string; readonly other?: string } = {}): unknown {
  if (!isTributaryError(error, 'EMPTY_DATASET') || error.stage !== 'evaluate') return error;
  const t = error.details.run as RunCounts;
  const reasons = Object.keys(t.rejections).length ? `: ${JSON.stringify(t.rejections)}` : '';
  const why = t.input === 0 && hints.empty ? hints.empty : (hints.other ?? (t.samples[0] ? `The first was rejected by ${t.samples[0].stage}: ${t.samples[0].message}` : ''));
  return new RunFailed(`no ${what} could be scored (${t.input} read, ${t.skipped + t.deadLettered} rejected${reasons}), so ${consequence}. ${why}`);
}
