import type { RunReport } from '../pipeline/run-report.js';
import type { ClassifierEvaluationReport } from './evaluate-classifier.js';
import type { EvaluationReport } from './evaluate.js';
import type { GateResult } from './gate.js';
import type { TrainingHistory } from './history.js';
import type { Spread, StabilityReport } from './stability.js';

type RunCounts = ReturnType<RunReport['toJSON']>;
type Report = EvaluationReport | ClassifierEvaluationReport;

/** Each fold's (or seed's) figures and each figure's spread: the numbers behind "how stable is it". */
export interface StabilitySummary {
  /** `k-fold` from crossValidate, `seeds` from repeat. */
  readonly method: 'k-fold' | 'seeds';
  readonly spread: Readonly<Record<string, Spread>>;
  /** Every run's numeric top-level figures (accuracy, f1, rocAuc, …), in run order. */
  readonly runs: ReadonlyArray<{ readonly fold?: number; readonly seed?: number; readonly trainRecords?: number; readonly testRecords?: number; readonly figures: Readonly<Record<string, number>> }>;
}

/**
 * The one report of a model — what `evaluation.json` in an artifact holds and what the text and HTML
 * renderings show: the evaluation's figures (flat, as `inspect` and serving read them), the test and
 * fit record counts with per-stage fit times, the training history, the cross-validation spread, the
 * gate, and warnings a person should read before any figure.
 */
export type EvaluationSummary = (Omit<EvaluationReport, 'run'> | Omit<ClassifierEvaluationReport, 'run'>) & SummarySections;

/** What the summary adds to an evaluation report. */
export interface SummarySections {
  /** Version of this layout. */
  readonly format: 1;
  readonly createdAt: string;
  readonly pipeline?: string;
  /** The fields the evaluation compared (label, score or prediction), so a later evaluation uses the same. */
  readonly fields?: Readonly<Record<string, string>>;
  /** What happened to the test records: read, scored, rejected and why. */
  readonly test: RunCounts;
  /** The fit's record counts and time per stage; null when unknown (a loaded model). */
  readonly fit: RunCounts | null;
  readonly history: TrainingHistory;
  readonly stability?: StabilitySummary;
  readonly gate?: GateResult;
  readonly seed?: number;
  /** Things to read before trusting a figure: a class never found, accuracy no better than the majority class, defects. */
  readonly warnings: readonly string[];
}

export interface SummaryExtras {
  readonly pipeline?: string;
  readonly fields?: Readonly<Record<string, string>>;
  readonly fit?: RunReport | RunCounts | null;
  readonly history?: TrainingHistory;
  readonly stability?: StabilityReport<object> | StabilitySummary;
  readonly gate?: GateResult;
  readonly seed?: number;
  /** Defaults to now. */
  readonly createdAt?: Date;
}

const numericFigures = (report: object): Record<string, number> =>
  Object.fromEntries(Object.entries(report).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]) && e[0] !== 'threshold'));

/** The runs of crossValidate/repeat reduced to their numeric figures (curves and matrices left out). */
export function summarizeStability(stability: StabilityReport<object> | StabilitySummary): StabilitySummary {
  if ('method' in stability) return stability;
  const runs = stability.runs.map(({ report, ...at }) => ({ ...at, figures: numericFigures(report) }));
  const spread = Object.fromEntries(Object.entries(stability.spread).filter(([key]) => key !== 'threshold'));
  return { method: stability.runs.some((r) => r.fold !== undefined) ? 'k-fold' : 'seeds', spread, runs };
}

const fixed = (x: number) => x.toFixed(4);
const share = (n: number, of: number) => `${n} of ${of} test record${of === 1 ? '' : 's'}`;

/** What a person must know before trusting the headline figures. */
export function reportWarnings(report: Report, stability?: StabilitySummary, history?: TrainingHistory): string[] {
  const warnings: string[] = [];
  const n = report.testRecords;
  for (const c of report.classes) {
    if (c.support > 0 && c.recall === 0) warnings.push(`Class ${JSON.stringify(c.label)} (${share(c.support, n)}) is never found: its recall is 0, whatever the accuracy says.`);
  }
  if (report.task === 'binary-classification') {
    if (report.support.positive > 0 && report.support.negative > 0 && report.accuracy <= report.baselineAccuracy) {
      warnings.push(`Accuracy ${fixed(report.accuracy)} is no better than always answering the more frequent class (${fixed(report.baselineAccuracy)}); read the per-class figures and the balanced accuracy (${fixed(report.balancedAccuracy)}).`);
    }
    if (report.rocAuc === null) warnings.push('The test set holds one class only: ROC-AUC is undefined, and PR-AUC and the best threshold say nothing about the model. Test on data with both classes.');
    if (report.scoreRange && (report.scoreRange.min < 0 || report.scoreRange.max > 1)) {
      warnings.push(`Scores run from ${report.scoreRange.min} to ${report.scoreRange.max}, outside [0, 1]: they are not probabilities (logits?), so log loss is not given and the threshold ${report.threshold} may mean nothing. Name the field holding the probability (the score option), or apply a sigmoid.`);
    }
    if (report.defects.nonFiniteScores > 0) warnings.push(`${report.defects.nonFiniteScores} test record(s) got a NaN or infinite score from the model and are left out of every figure: look for extreme or missing feature values.`);
  } else {
    const predicted = new Set(report.confusion.labels.filter((_, col) => report.confusion.matrix.some((row) => row[col]! > 0)));
    const present = report.classes.filter((c) => c.support > 0).map((c) => c.label);
    if (n > 0 && !present.some((c) => predicted.has(c))) {
      warnings.push(`The test set's classes (${present.join(', ')}) and the model's predictions (${[...predicted].join(', ')}) have none in common: are the labels of another kind (0/1 against names)?`);
    }
    for (const c of report.classes) if (c.support === 0 && predicted.has(c.label)) warnings.push(`Class ${JSON.stringify(c.label)} is predicted but never occurs in the test set: its precision is 0 and no recall can be measured.`);
  }
  // Records rejected for anything but a NaN score (those are warned about above).
  const defects = report.task === 'binary-classification' ? report.defects.nonFiniteScores : 0;
  const rejected = report.run.skipped + report.run.deadLettered - defects;
  if (rejected > 0) warnings.push(`${rejected} of ${report.run.input} test records could not be scored and are left out of every figure: ${JSON.stringify(report.run.rejections)}.`);
  for (const [stage, epochs] of Object.entries(history ?? {})) {
    const diverged = epochs.find((e) => Object.entries(e).some(([k, v]) => /loss/.test(k) && (v === null || (typeof v === 'number' && !Number.isFinite(v)))));
    if (diverged) warnings.push(`Training of ${stage} diverged: its loss is not a number from epoch ${diverged.epoch}. Lower the learning rate, or scale the features.`);
  }
  for (const figure of ['f1', 'macroF1', 'accuracy'] as const) {
    const spread = stability?.spread[figure];
    if (spread && spread.n > 1 && spread.max - spread.min > 0.1) {
      warnings.push(`${figure} ranges from ${fixed(spread.min)} to ${fixed(spread.max)} across the ${stability!.method === 'k-fold' ? 'folds' : 'seeds'}: one figure from one split says little.`);
      break;
    }
  }
  return warnings;
}

/**
 * Puts an evaluation report together with what else is known about the model into its one report
 * (`evaluation.json`), which `renderText` and `renderHtml` of `@tributary/core/report` draw.
 */
export function summarizeEvaluation(report: Report, extras: SummaryExtras = {}): EvaluationSummary {
  const { run, ...figures } = report;
  const fit = extras.fit ? ('toJSON' in extras.fit ? extras.fit.toJSON() : extras.fit) : null;
  const stability = extras.stability ? summarizeStability(extras.stability) : undefined;
  return {
    format: 1,
    createdAt: (extras.createdAt ?? new Date()).toISOString(),
    ...(extras.pipeline ? { pipeline: extras.pipeline } : {}),
    ...(extras.fields ? { fields: extras.fields } : {}),
    ...figures,
    test: run,
    fit,
    history: extras.history ?? {},
    ...(stability ? { stability } : {}),
    ...(extras.gate ? { gate: extras.gate } : {}),
    ...(extras.seed !== undefined ? { seed: extras.seed } : {}),
    warnings: reportWarnings(report, stability, extras.history),
  } as EvaluationSummary;
}

/**
 * What keeps a value from being an EvaluationSummary the renderers can draw (an `evaluation.json` from
 * another version, or edited by hand): one phrase per missing or wrong part; empty when it is fine.
 */
export function summaryProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`it is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}, not an object`];
  const v = value as Record<string, unknown>;
  if (v.format !== 1) return [`its format is ${JSON.stringify(v.format) ?? 'missing'}, not 1`];
  const problems: string[] = [];
  const need = (key: string, kind: 'object' | 'array' | 'number' | 'string', where: Record<string, unknown> = v, prefix = '') => {
    const x = where[key];
    const ok = kind === 'array' ? Array.isArray(x) : kind === 'object' ? typeof x === 'object' && x !== null && !Array.isArray(x) : typeof x === kind;
    if (!ok) problems.push(`${prefix}${key} is ${x === undefined ? 'missing' : `not a${kind === 'array' || kind === 'object' ? 'n' : ''} ${kind}`}`);
    return ok;
  };
  if (v.task !== 'binary-classification' && v.task !== 'classification') problems.push(`task is ${JSON.stringify(v.task) ?? 'missing'}, not binary-classification or classification`);
  need('createdAt', 'string');
  need('accuracy', 'number');
  need('testRecords', 'number');
  need('classes', 'array');
  need('warnings', 'array');
  need('history', 'object');
  if (need('confusion', 'object') && v.task === 'classification') {
    need('labels', 'array', v.confusion as Record<string, unknown>, 'confusion.');
    need('matrix', 'array', v.confusion as Record<string, unknown>, 'confusion.');
  }
  if (need('test', 'object')) need('rejections', 'object', v.test as Record<string, unknown>, 'test.');
  if (need('efficiency', 'object')) {
    const e = v.efficiency as Record<string, unknown>;
    need('batchLatencyMs', 'object', e, 'efficiency.');
    need('latencyHistogram', 'object', e, 'efficiency.');
    need('stageMemoryBytes', 'object', e, 'efficiency.');
  }
  if (v.task === 'binary-classification') {
    need('curve', 'array');
    need('support', 'object');
    need('defects', 'object');
    for (const key of ['macro', 'micro', 'weighted']) if (key in v) problems.push(`${key} belongs to a classification, not a binary one`);
  } else if (v.task === 'classification') {
    for (const key of ['macro', 'micro', 'weighted']) need(key, 'object');
  }
  if (v.gate !== undefined && need('gate', 'object')) need('misses', 'array', v.gate as Record<string, unknown>, 'gate.');
  return problems;
}
