import { Dataset, type DatasetSource, type StratifyBy } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { ExecutionOptions } from '../pipeline/execution.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { PipelineModel } from '../pipeline/pipeline-model.js';
import type { DataRecord } from '../record/record.js';
import { evaluateBinaryClassifier } from './evaluate.js';

/** The spread of one figure over folds or seeds. */
export interface Spread {
  readonly mean: number;
  /** Sample standard deviation (n − 1 in the denominator); 0 for a single value. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** How many folds or seeds had the figure (ROC-AUC is null on a fold with one class, and left out). */
  readonly n: number;
}

/** What every fold or seed gave, and each figure's spread. */
export interface StabilityReport<R> {
  readonly runs: ReadonlyArray<{ readonly fold?: number; readonly seed?: number; readonly trainRecords?: number; readonly testRecords?: number; readonly report: R }>;
  /** Each numeric top-level figure of the reports (accuracy, f1, rocAuc, …) over the runs. */
  readonly spread: Readonly<Record<string, Spread>>;
}

/** Mean, sample standard deviation, min and max of each numeric top-level field the reports share. */
export function spreadOf(reports: readonly object[]): Record<string, Spread> {
  const values = new Map<string, number[]>();
  for (const report of reports) {
    for (const [key, value] of Object.entries(report)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      let list = values.get(key);
      if (!list) values.set(key, (list = []));
      list.push(value);
    }
  }
  const out: Record<string, Spread> = {};
  for (const [key, list] of values) {
    const n = list.length;
    const mean = list.reduce((a, b) => a + b, 0) / n;
    const variance = n < 2 ? 0 : list.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    out[key] = { mean, std: Math.sqrt(variance), min: Math.min(...list), max: Math.max(...list), n };
  }
  return out;
}

export interface CrossValidateOptions<R> {
  readonly folds: number;
  readonly seed: number;
  /** Keep each class's share the same in every fold (usually the label). */
  readonly stratifyBy?: StratifyBy<DataRecord>;
  /** Scores a fitted model on a fold's test part. Default: evaluateBinaryClassifier. */
  readonly evaluate?: (model: PipelineModel, test: Dataset<DataRecord>) => Promise<R>;
  /** Options of each fit (error policy, batch size, …). */
  readonly fit?: ExecutionOptions;
}

/**
 * k-fold cross-validation: the pipeline is fitted on k − 1 folds and evaluated on the other, k times,
 * each record tested exactly once. Folds are of exact sizes (per stratum with `stratifyBy`) and the
 * same for the same seed; every fold's report is kept, with each figure's mean, std, min and max.
 */
export async function crossValidate<R extends object = Awaited<ReturnType<typeof evaluateBinaryClassifier>>>(
  pipeline: Pipeline,
  data: DatasetSource<object>,
  options: CrossValidateOptions<R>,
): Promise<StabilityReport<R>> {
  if (!Number.isInteger(options?.folds) || options.folds < 2) {
    throw new TributaryError('INVALID_PARAMS', { param: 'folds', message: `crossValidate needs a whole number of folds ≥ 2, got ${String(options?.folds)}.` });
  }
  const evaluate = options.evaluate ?? ((model: PipelineModel, test: Dataset<DataRecord>) => evaluateBinaryClassifier(model, test) as Promise<R>);
  // Folds re-read the source several times: hold it once, so every fold sees the same records.
  const records = await Dataset.from(data as DatasetSource<DataRecord>).collect();
  if (records.length < options.folds) {
    throw new TributaryError('EMPTY_DATASET', { message: `${options.folds} folds need at least ${options.folds} records; the dataset has ${records.length}. Use fewer folds or more data.` });
  }
  const folds = Dataset.from(records).kFold(options.folds, { seed: options.seed, ...(options.stratifyBy ? { stratifyBy: options.stratifyBy } : {}) });
  const runs: Array<{ fold: number; trainRecords: number; testRecords: number; report: R }> = [];
  for (const [fold, { train, test }] of folds.entries()) {
    const trainRecords = await train.collect();
    const testRecords = await test.collect();
    const model = await pipeline.fit(trainRecords, options.fit ?? {});
    try {
      runs.push({ fold, trainRecords: trainRecords.length, testRecords: testRecords.length, report: await evaluate(model, Dataset.from(testRecords)) });
    } finally {
      await model.dispose();
    }
  }
  return { runs, spread: spreadOf(runs.map((r) => r.report)) };
}

/**
 * Runs the same job under several seeds (a fit and an evaluation, typically, with the seed passed to
 * the runtime or the stages) and reports every run and each figure's spread: how much of a figure is
 * the model and how much the luck of the draw.
 */
export async function repeat<R extends object>(run: (seed: number) => Promise<R>, options: { readonly seeds: readonly number[] }): Promise<StabilityReport<R>> {
  const seeds = options?.seeds;
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((s) => Number.isFinite(s))) {
    throw new TributaryError('INVALID_PARAMS', { param: 'seeds', message: 'repeat needs a list of seeds (finite numbers), e.g. { seeds: [1, 2, 3, 4, 5] }.' });
  }
  const runs: Array<{ seed: number; report: R }> = [];
  for (const seed of seeds) runs.push({ seed, report: await run(seed) });
  return { runs, spread: spreadOf(runs.map((r) => r.report)) };
}
