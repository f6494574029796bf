import {
  type DataRecord,
  Dataset,
  type EvaluationReport,
  type EvaluationSummary,
  type Logger,
  type PipelineModel,
  type StageSpec,
  createRuntime,
  crossValidate,
  evaluateBinaryClassifier,
  recordHistory,
  summarizeEvaluation,
} from '@tributary/core';
import { renderHtml } from '@tributary/core/report';
import { emailText, natural, stem, stopwords, tfidf, tokenize } from '@tributary/plugin-natural';
import { denseClassifier, tfjs } from '@tributary/plugin-tfjs';
import { type CorpusOptions, corpusEntries, withMessages } from './corpus.js';

/** The spam filter: e-mail → text → tokens → no stop words → Porter stems → TF-IDF → dense network. */
export function spamFilterStages(): StageSpec[] {
  return [
    emailText({ input: 'raw', output: 'text' }),
    tokenize({ input: 'text', output: 'tokens', maxLength: 40 }),
    stopwords({ input: 'tokens' }),
    stem({ input: 'tokens', algorithm: 'porter' }),
    tfidf({ input: 'tokens', output: 'features', maxFeatures: 5000, minDf: 2, sublinearTf: true }),
    denseClassifier({ input: 'features', label: 'label', hidden: [{ units: 32 }], epochs: 6, batchSize: 32, seed: 42 }),
  ];
}

export interface SpamFilterOptions extends CorpusOptions {
  /** Where the fitted model is saved. */
  readonly out: string;
  readonly seed?: number;
  /** Cross-validate on the training part first (this many folds, stratified): the report's stability section. 0 or absent: none. */
  readonly folds?: number;
  readonly logger?: Logger;
  /** Called with progress lines for a person to read. */
  readonly progress?: (line: string) => void;
}

export interface SpamFilterResult {
  readonly model: PipelineModel;
  readonly evaluation: EvaluationReport;
  /** The whole report, as saved in `evaluation.json` and drawn in `report.html` beside it. */
  readonly summary: EvaluationSummary;
  readonly messages: number;
  readonly timings: Record<string, number>;
}

/** Collects the corpus, splits it 80/20 stratified, fits, evaluates on the test part and saves the artifact. */
export async function trainSpamFilter(options: SpamFilterOptions): Promise<SpamFilterResult> {
  const seed = options.seed ?? 42;
  const say = options.progress ?? (() => {});
  const runtime = createRuntime({ plugins: [natural, tfjs], seed, ...(options.logger ? { logger: options.logger } : {}) });
  runtime.events.on('epoch:end', (e) => say(`  epoch ${e.epoch}/${e.epochs}  loss ${e.logs.loss?.toFixed(4)}`));
  runtime.events.on('stage:end', (e) => say(`  fitted ${e.stage} on ${e.records} records in ${(e.ms / 1000).toFixed(1)} s`));
  const timings: Record<string, number> = {};
  const clock = () => performance.now();

  let t = clock();
  const entries = await corpusEntries(options);
  const { train, test } = Dataset.from<DataRecord>(entries).split({ test: 0.2, seed, stratifyBy: 'label' });
  timings.collectMs = clock() - t;
  say(`collected ${entries.length} messages (${entries.filter((e) => e.label === 1).length} spam)`);

  const folds = options.folds ?? 0;
  const pipeline = runtime.pipeline(spamFilterStages());
  let stability;
  if (folds > 0) {
    t = clock();
    say(`cross-validating on the training part: ${folds} folds`);
    const evaluate = (model: PipelineModel, part: Dataset<DataRecord>) => evaluateBinaryClassifier(model, part, { label: 'label', score: 'score', latencySample: 0 });
    stability = await crossValidate(pipeline, withMessages(train), { folds, seed, stratifyBy: 'label', fit: { errorPolicy: 'skip' }, evaluate });
    const f1 = stability.spread.f1!;
    say(`  F1 over ${folds} folds: mean ${f1.mean.toFixed(4)} ± ${f1.std.toFixed(4)} (min ${f1.min.toFixed(4)}, max ${f1.max.toFixed(4)})`);
    timings.crossValidateMs = clock() - t;
  }

  let read = 0;
  const counted = withMessages(train).map((record) => {
    if (++read % 1000 === 0) say(`  read ${read} training messages`);
    return record;
  });
  t = clock();
  say('fitting emailText → tokenize → stopwords → stem → tfidf → denseClassifier');
  const history = recordHistory(runtime.events);
  const model = await pipeline.fit(counted, { errorPolicy: 'skip' });
  timings.fitMs = clock() - t;

  t = clock();
  say('evaluating on the test part');
  const evaluation = await evaluateBinaryClassifier(model, withMessages(test), { label: 'label', score: 'score' });
  timings.evaluateMs = clock() - t;
  const summary = summarizeEvaluation(evaluation, {
    pipeline: 'spam-filter',
    fields: { label: 'label', score: 'score' },
    fit: model.fitReport ?? null,
    history: history.stop(),
    ...(stability ? { stability } : {}),
    seed,
  });

  t = clock();
  // The report page is kept with the model: evaluation.json holds the figures, report.html draws them.
  await model.save(options.out, { evaluation: summary, files: { 'report.html': renderHtml(summary) } });
  timings.saveMs = clock() - t;
  return { model, evaluation, summary, messages: entries.length, timings };
}

/** Loads a saved spam filter and scores messages (raw RFC 822 text). */
export async function classify(dir: string, messages: ReadonlyArray<{ id: string; raw: string | Uint8Array }>) {
  const runtime = createRuntime({ plugins: [natural, tfjs] });
  const model = await runtime.load(dir);
  const out = await model.predict(messages.map((m) => ({ id: m.id, raw: m.raw })), { errorPolicy: 'skip' });
  await model.dispose();
  return out.map((r) => ({ id: r.id as string, spam: r.prediction === 1, score: r.score as number }));
}
