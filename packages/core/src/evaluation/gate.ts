import { TributaryError } from '../errors/tributary-error.js';
import type { ClassifierEvaluationReport } from './evaluate-classifier.js';
import type { EvaluationReport } from './evaluate.js';

/** Figures a model must reach. Each bound is optional; an empty gate passes everything. */
export interface GateOptions {
  readonly minAccuracy?: number;
  readonly minPrecision?: number;
  readonly minRecall?: number;
  readonly minF1?: number;
  readonly minRocAuc?: number;
  /** Smallest average precision (area under the precision–recall curve). */
  readonly minPrAuc?: number;
  readonly maxLogLoss?: number;
  /** Smallest mean recall over the classes (binary): what an imbalanced test set cannot flatter. */
  readonly minBalancedAccuracy?: number;
  /** Largest allowed 99th-percentile latency of one record predicted alone (a request of one), in milliseconds. */
  readonly maxP99Ms?: number;
  /** Largest allowed 99th-percentile latency of a whole evaluation batch, in milliseconds. */
  readonly maxBatchP99Ms?: number;
}

/** One figure that missed its bound, and by how much. */
export interface GateMiss {
  readonly figure: string;
  readonly bound: 'min' | 'max';
  readonly required: number;
  /** The measured value; null when the report could not compute it (ROC-AUC with one class). */
  readonly actual: number | null;
  /** How far it is on the wrong side of the bound (positive), null when the figure is missing. */
  readonly by: number | null;
  /** Why a figure is missing: no test record was scored, or this kind of evaluation does not measure it. */
  readonly missing?: 'no-records' | 'not-measured';
}

export interface GateResult {
  readonly passed: boolean;
  readonly misses: readonly GateMiss[];
  readonly gate: GateOptions;
}

type Report = EvaluationReport | ClassifierEvaluationReport;
const binary = (r: Report) => (r.task === 'binary-classification' ? r : undefined);

/** Each bound, the figure it reads (F1 of a multi-class report is its macro F1; figures it lacks are unmeasured). */
const BOUNDS: ReadonlyArray<readonly [keyof GateOptions, 'min' | 'max', string, (r: Report) => number | null | undefined]> = [
  ['minAccuracy', 'min', 'accuracy', (r) => r.accuracy],
  ['minPrecision', 'min', 'precision', (r) => binary(r)?.precision],
  ['minRecall', 'min', 'recall', (r) => binary(r)?.recall],
  ['minF1', 'min', 'f1', (r) => (r.task === 'classification' ? r.macroF1 : r.f1)],
  ['minRocAuc', 'min', 'rocAuc', (r) => binary(r)?.rocAuc],
  ['minPrAuc', 'min', 'prAuc', (r) => binary(r)?.prAuc],
  ['maxLogLoss', 'max', 'logLoss', (r) => binary(r)?.logLoss],
  ['minBalancedAccuracy', 'min', 'balancedAccuracy', (r) => binary(r)?.balancedAccuracy],
  ['maxP99Ms', 'max', 'recordLatencyMs.p99', (r) => r.efficiency.recordLatencyMs?.p99],
  ['maxBatchP99Ms', 'max', 'batchLatencyMs.p99', (r) => r.efficiency.batchLatencyMs.p99],
];

/** Refuses a bound the gate does not know (a misspelt one would otherwise never be checked). */
function checkBounds(gate: GateOptions): void {
  const known = BOUNDS.map(([key]) => key as string);
  for (const key of Object.keys(gate)) {
    if (!known.includes(key)) throw new TributaryError('INVALID_PARAMS', { param: key, message: `Unknown gate bound '${key}'; the bounds are ${known.join(', ')}.` });
  }
}

/** Checks an evaluation against a gate: which figures missed their bound, and by how much. */
export function checkGate(report: Report, gate: GateOptions): GateResult {
  checkBounds(gate);
  const misses: GateMiss[] = [];
  // With no record scored, every figure is an artefact of empty counts, not a measurement.
  const measured = report.testRecords > 0;
  for (const [key, bound, figure, read] of BOUNDS) {
    const required = gate[key];
    if (required === undefined) continue;
    const actual = measured ? read(report) : null;
    if (actual === null || actual === undefined || Number.isNaN(actual)) {
      misses.push({ figure, bound, required, actual: null, by: null, missing: measured ? 'not-measured' : 'no-records' });
      continue;
    }
    const by = bound === 'min' ? required - actual : actual - required;
    if (by > 0) misses.push({ figure, bound, required, actual, by });
  }
  return { passed: misses.length === 0, misses, gate };
}

/** "f1 0.9512 is 0.0188 below the minimum 0.97": one phrase per miss. */
export function describeGateMiss(miss: GateMiss): string {
  if (miss.actual === null) {
    const why = miss.missing === 'no-records' ? 'with no test record scored, nothing can be' : 'this evaluation does not measure it (ROC-AUC needs both classes; precision, recall, balanced accuracy, ROC-AUC and log loss are figures of binary evaluation; the per-record latency needs latencySample above 0)';
    return `${miss.figure} could not be measured (required ${miss.bound === 'min' ? '≥' : '≤'} ${miss.required}; ${why})`;
  }
  return `${miss.figure} ${round(miss.actual)} is ${round(miss.by!)} ${miss.bound === 'min' ? 'below the minimum' : 'above the maximum'} ${miss.required}`;
}

const round = (x: number) => Number(x.toPrecision(4));

/** A gate to hold models to: `gate({ minF1: 0.97, maxP99Ms: 20 }).check(report)`, then `model.save(dir, { gate: result })`. */
export function gate(bounds: GateOptions): { readonly bounds: GateOptions; check(report: Report): GateResult } {
  // Checked now, so a misspelt bound fails where the gate is written rather than at the first check.
  checkBounds(bounds);
  return { bounds, check: (report) => checkGate(report, bounds) };
}
