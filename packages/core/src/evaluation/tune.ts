import { Dataset, type DatasetSource, type StratifyBy } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { ExecutionOptions } from '../pipeline/execution.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { PipelineModel } from '../pipeline/pipeline-model.js';
import { createRandom } from '../random/random.js';
import type { DataRecord } from '../record/record.js';
import { type Spread, crossValidate } from './stability.js';

/** Where to search: `'<stage index or kind>.<param>'` → the values to try, e.g. `{ 'natural:tfidf.maxFeatures': [2000, 5000] }`. */
export type SearchSpace = Readonly<Record<string, readonly unknown[]>>;

export interface TuneOptions<R> {
  /** The data to cross-validate on (held in memory once for all trials). */
  readonly data: DatasetSource<object>;
  /** `grid` tries every combination; `random` tries `trials` of them, drawn without repetition. */
  readonly strategy?: 'grid' | 'random';
  readonly trials?: number;
  readonly folds: number;
  readonly seed: number;
  /** The figure of the evaluation to optimise (its mean over the folds), e.g. `f1`. */
  readonly metric: string;
  /** Lower is better (log loss, MSE); default: higher is better. */
  readonly minimise?: boolean;
  readonly stratifyBy?: StratifyBy<DataRecord>;
  readonly evaluate?: (model: PipelineModel, test: Dataset<DataRecord>) => Promise<R>;
  readonly fit?: ExecutionOptions;
}

export interface Trial {
  /** The values tried, by search-space key. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The metric's mean over the folds (null when no fold measured it). */
  readonly score: number | null;
  readonly spread: Readonly<Record<string, Spread>>;
}

export interface TuneResult {
  readonly best: Trial;
  /** The pipeline with the best params, fitted on all the data. */
  readonly model: PipelineModel;
  /** Every trial, in the order tried. */
  readonly trials: readonly Trial[];
}

/** Every combination of the space's values, in order (the last key varying fastest). */
function grid(space: SearchSpace): Array<Record<string, unknown>> {
  return Object.entries(space).reduce<Array<Record<string, unknown>>>((combos, [key, values]) => combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v }))), [{}]);
}

/** `{ 'natural:tfidf.maxFeatures': 2000 }` → `{ 'natural:tfidf': { maxFeatures: 2000 } }` for Pipeline.withParams. */
function overrides(params: Readonly<Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(params)) {
    const dot = key.lastIndexOf('.');
    (out[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = value;
  }
  return out;
}

/**
 * Searches params of any stage by cross-validation and returns the best, the whole trial table, and
 * the best pipeline fitted on all the data. Trials run one after another; each is a crossValidate.
 */
export async function tune<R extends object>(pipeline: Pipeline, space: SearchSpace, options: TuneOptions<R>): Promise<TuneResult> {
  const keys = Object.keys(space ?? {});
  if (keys.length === 0) throw new TributaryError('INVALID_PARAMS', { param: 'space', message: "tune needs a search space, e.g. { 'natural:tfidf.maxFeatures': [2000, 5000] }." });
  for (const key of keys) {
    const values = space[key];
    if (key.lastIndexOf('.') <= 0 || !Array.isArray(values) || values.length === 0) {
      throw new TributaryError('INVALID_PARAMS', { param: key, message: `Search-space key '${key}' must be '<stage index or kind>.<param>' with a non-empty list of values, e.g. 'tfjs:dense-classifier.learningRate': [0.001, 0.01].` });
    }
  }
  // The keys name real stages: fail now, not after the first trials.
  pipeline.withParams(overrides(Object.fromEntries(keys.map((k) => [k, space[k]![0]]))));
  const all = grid(space);
  const strategy = options.strategy ?? 'grid';
  let chosen = all;
  if (strategy === 'random') {
    const trials = options.trials ?? 10;
    if (!Number.isInteger(trials) || trials < 1) throw new TributaryError('INVALID_PARAMS', { param: 'trials', message: `tune's trials is a whole number ≥ 1, got ${String(trials)}.` });
    chosen = createRandom(options.seed).fork('tune').shuffle([...all]).slice(0, trials);
  } else if (strategy !== 'grid') {
    throw new TributaryError('INVALID_PARAMS', { param: 'strategy', message: `tune's strategy is 'grid' or 'random', got '${String(strategy)}'.` });
  }
  const records = await Dataset.from(options.data as DatasetSource<DataRecord>).collect();
  const trials: Trial[] = [];
  for (const params of chosen) {
    const cv = await crossValidate<R>(pipeline.withParams(overrides(params)), records, {
      folds: options.folds,
      seed: options.seed,
      ...(options.stratifyBy ? { stratifyBy: options.stratifyBy } : {}),
      ...(options.evaluate ? { evaluate: options.evaluate } : {}),
      ...(options.fit ? { fit: options.fit } : {}),
    });
    const figure = cv.spread[options.metric];
    trials.push({ params, score: figure ? figure.mean : null, spread: cv.spread });
  }
  const scored = trials.filter((t) => t.score !== null);
  if (scored.length === 0) {
    throw new TributaryError('INVALID_DATA', { message: `No trial measured '${options.metric}'. Name a numeric figure the evaluation reports (${Object.keys(trials[0]?.spread ?? {}).join(', ') || 'none'}).` });
  }
  const better = (a: number, b: number) => (options.minimise ? a < b : a > b);
  const best = scored.reduce((a, b) => (better(b.score!, a.score!) ? b : a));
  const model = await pipeline.withParams(overrides(best.params)).fit(records, options.fit ?? {});
  return { best, model, trials };
}
