import {
  type ClassifierEvaluationReport,
  type DataRecord,
  type Dataset,
  type EvaluationReport,
  type ExecutionOptions,
  type PipelineModel,
  evaluateBinaryClassifier,
  evaluateClassifier,
} from '@tributary/core';
import { RunFailed } from './errors.js';
import type { EvaluationSpecValue } from './spec/schema.js';

export type Report = EvaluationReport | ClassifierEvaluationReport;

/** Evaluates a model as a spec's `evaluation` says (binary or multi-class), with the run's error policy. */
export function evaluate(model: PipelineModel, data: Dataset<DataRecord>, spec: EvaluationSpecValue, execution: ExecutionOptions): Promise<Report> {
  const common = {
    ...(spec.label ? { label: spec.label } : {}),
    ...(spec.batchSize ? { batchSize: spec.batchSize } : {}),
    ...(execution.errorPolicy ? { errorPolicy: execution.errorPolicy } : {}),
    ...(execution.deadLetterPath ? { deadLetterPath: execution.deadLetterPath } : {}),
  };
  if (spec.task === 'classification') {
    return evaluateClassifier(model, data, { ...common, ...(spec.prediction ? { prediction: spec.prediction } : {}), ...(spec.classes ? { classes: spec.classes } : {}) });
  }
  return evaluateBinaryClassifier(model, data, { ...common, ...(spec.score ? { score: spec.score } : {}), ...(spec.threshold !== undefined ? { threshold: spec.threshold } : {}) });
}

/** The headline figures of a report (what `run --json` prints under `metrics`, and `inspect` shows). */
export function metricsOf(e: Report): Record<string, unknown> {
  if (e.task === 'classification') return { accuracy: e.accuracy, macroF1: e.macroF1, macro: e.macro, weighted: e.weighted, testRecords: e.testRecords, confusion: e.confusion, classes: e.classes };
  return { accuracy: e.accuracy, precision: e.precision, recall: e.recall, f1: e.f1, rocAuc: e.rocAuc, prAuc: e.prAuc, logLoss: e.logLoss, bestThreshold: e.bestThreshold, testRecords: e.testRecords, confusion: e.confusion };
}

const fixed = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(4));

/** The report as lines for a person. */
export function describeReport(e: Report): string[] {
  const t = e.run;
  const reasons = Object.keys(t.rejections).length ? ` ${JSON.stringify(t.rejections)}` : '';
  const lines = [`test records: ${t.input} read, ${e.testRecords} scored, ${t.skipped + t.deadLettered} rejected${reasons}`];
  const first = t.samples[0];
  if (first) lines.push(`  first rejected: ${String(first.recordId)} (${first.stage}): ${first.message}`);
  if (e.task === 'classification') {
    lines.push(`accuracy ${fixed(e.accuracy)}  macro F1 ${fixed(e.macroF1)}  weighted F1 ${fixed(e.weighted.f1)}  (${e.classes.length} classes)`);
    lines.push(`per class: ${e.classes.map((c) => `${c.label}: P ${fixed(c.precision)} R ${fixed(c.recall)}`).join(', ')}`);
    const present = e.classes.filter((c) => c.support > 0).map((c) => c.label);
    const predicted = e.classes.filter((c, i) => e.confusion.matrix.some((row) => row[i]! > 0)).map((c) => c.label);
    if (e.testRecords > 0 && !present.some((c) => predicted.includes(c))) {
      lines.push(`warning: the data's classes (${present.join(', ')}) and the model's predictions (${predicted.join(', ')}) have none in common: are the labels of another kind (0/1 against names)?`);
    }
  } else {
    lines.push(`accuracy ${fixed(e.accuracy)}  precision ${fixed(e.precision)}  recall ${fixed(e.recall)}  F1 ${fixed(e.f1)}  ROC-AUC ${fixed(e.rocAuc)}  PR-AUC ${fixed(e.prAuc)}  log loss ${fixed(e.logLoss)}`);
    if (e.bestThreshold && e.bestThreshold.f1 > e.f1 + 1e-9) lines.push(`  the highest F1 over thresholds: ${fixed(e.bestThreshold.f1)} at ${e.bestThreshold.threshold}`);
    lines.push(`confusion ${JSON.stringify(e.confusion)}`);
  }
  lines.push(`latency per batch of up to ${e.efficiency.batchSize}: p50 ${e.efficiency.batchLatencyMs.p50.toFixed(1)} ms, p99 ${e.efficiency.batchLatencyMs.p99.toFixed(1)} ms; ${Math.round(e.efficiency.recordsPerSecond)} records/s`);
  return lines;
}

/**
 * The failure of an evaluation that scored nothing: the counts, and why — `hints.empty` when nothing was
 * read, `hints.other` when something else explains it, else why the first record was rejected.
 */
export function nothingScored(e: Report, what: string, consequence: string, hints: { readonly empty?: string; readonly other?: string } = {}): RunFailed {
  const t = e.run;
  const reasons = Object.keys(t.rejections).length ? `: ${JSON.stringify(t.rejections)}` : '';
  const why = t.input === 0 && hints.empty ? hints.empty : (hints.other ?? (t.samples[0] ? `The first was rejected by ${t.samples[0].stage}: ${t.samples[0].message}` : ''));
  return new RunFailed(`no ${what} could be scored (${t.input} read, ${t.skipped + t.deadLettered} rejected${reasons}), so ${consequence}. ${why}`);
}
