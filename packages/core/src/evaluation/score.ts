import fs from 'node:fs';
import { bin, max as maxOf } from 'd3-array';
import { Dataset, type DatasetSource } from '../dataset/dataset.js';
import { type ErrorCode, TributaryError } from '../errors/tributary-error.js';
import type { ErrorPolicy } from '../pipeline/execution.js';
import type { PipelineModel } from '../pipeline/pipeline-model.js';
import { RunReport } from '../pipeline/run-report.js';
import { type DataRecord, recordId } from '../record/record.js';

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** One bar of a histogram: values in [from, to), the last bar closed. */
export interface HistogramBin {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/** What scoring cost: wall time, throughput, latency per record and per batch, peak memory. */
export interface Efficiency {
  readonly totalMs: number;
  readonly recordsPerSecond: number;
  readonly batchSize: number;
  readonly batchLatencyMs: Percentiles;
  /**
   * The latency of one record predicted on its own (a serving request of one record), timed on up to
   * `latencySample` test records once the batched pass has warmed the model; null when none was timed.
   */
  readonly recordLatencyMs: (Percentiles & { readonly max: number; readonly samples: number }) | null;
  /** Wall time per scored record within batches (total time / records). */
  readonly perRecordMs: number;
  readonly peakRssBytes: number;
  /**
   * The largest memory each stage reported holding outside the JS heap while it ran, by stage kind
   * and figure (`{ 'tfjs:dense-classifier': { tensorBytes, peakTensorBytes } }`).
   */
  readonly stageMemoryBytes: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Latency histograms (milliseconds) for the report's plot. */
  readonly latencyHistogram: { readonly record: readonly HistogramBin[]; readonly batch: readonly HistogramBin[] };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A histogram of about `bars` bars with round edges (d3's thresholds), the last bar holding the largest value. */
export function histogram(values: readonly number[], bars = 24): HistogramBin[] {
  if (values.length === 0) return [];
  return bin()
    .thresholds(bars)(values as number[])
    .map((b) => ({ from: b.x0!, to: b.x1!, count: b.length }));
}

const percentiles = (sorted: readonly number[]): Percentiles => ({ p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) });

export interface ScoreOptions {
  readonly batchSize?: number;
  /** Default `skip`: a bad test record is counted, not fatal. */
  readonly errorPolicy?: ErrorPolicy;
  readonly deadLetterPath?: string;
  /** How many test records to time one by one for the per-record latency. Default 100; 0 turns it off. */
  readonly latencySample?: number;
}

/** Why a model's output record cannot be scored: a code for the run report's counts, and what to do. */
export interface Unscorable {
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * Runs a model over test data in batches, timing each batch, then times single-record predictions
 * on a sample, and hands every output record to `take`. `take` returns why a record cannot be scored
 * (a missing label, a NaN score): under `fail` that stops the evaluation, otherwise the record is
 * counted as rejected by stage `evaluate`. Scoring nothing at all is an error (`EMPTY_DATASET`), so no
 * figure is ever computed from zero records.
 */
export async function scoreBatches(
  model: PipelineModel,
  data: DatasetSource<object>,
  options: ScoreOptions,
  take: (record: DataRecord) => Unscorable | undefined,
): Promise<{ efficiency: Efficiency; run: ReturnType<RunReport['toJSON']>; scored: number }> {
  const batchSize = options.batchSize ?? 64;
  const policy = options.errorPolicy ?? 'skip';
  const sampleSize = options.latencySample ?? 100;
  const execution = { errorPolicy: policy, ...(options.deadLetterPath ? { deadLetterPath: options.deadLetterPath } : {}) };
  const report = new RunReport();
  const latencies: number[] = [];
  const sample: DataRecord[] = [];
  const memory: Record<string, Record<string, number>> = {};
  const readMemory = () => {
    for (const { spec, stage } of model.stages) {
      const figures = stage.memory?.();
      if (!figures) continue;
      const peaks = (memory[spec.kind] ??= {});
      for (const [name, bytes] of Object.entries(figures)) if (Number.isFinite(bytes)) peaks[name] = Math.max(peaks[name] ?? 0, bytes);
    }
  };
  let scored = 0;
  let peakRss = process.memoryUsage.rss();
  const started = performance.now();
  for await (const batch of Dataset.from(data as DatasetSource<DataRecord>).batch(batchSize)) {
    for (let i = 0; i < batch.length && sample.length < sampleSize; i++) sample.push(batch[i]!);
    const t0 = performance.now();
    const out = await model.predict(batch, { report, ...execution });
    latencies.push(performance.now() - t0);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    readMemory();
    for (const record of out) {
      const problem = take(record);
      if (problem === undefined) {
        scored++;
        continue;
      }
      const error = new TributaryError(problem.code, { stage: 'evaluate', recordId: recordId(record, -1), message: problem.message });
      if (policy === 'fail') throw error;
      // The record left the pipeline, so it was counted as output: move it to the rejected.
      report.output--;
      report.reject('evaluate', error.recordId!, error, policy);
      if (policy === 'dead-letter' && options.deadLetterPath) {
        fs.appendFileSync(options.deadLetterPath, `${JSON.stringify({ stage: 'evaluate', recordId: error.recordId, code: error.code, message: error.message })}\n`);
      }
    }
  }
  const totalMs = performance.now() - started;
  const run = report.toJSON();
  if (scored === 0) throw nothingScored(run);

  // One record at a time, as a serving request of one: the model is warm from the batched pass.
  // A throwaway report keeps these predictions out of the test counts.
  const single: number[] = [];
  const quiet = { report: new RunReport(), errorPolicy: 'skip' as const };
  for (const record of sample) {
    const t0 = performance.now();
    const out = await model.predict([record], quiet);
    if (out.length === 1) single.push(performance.now() - t0);
  }
  readMemory();
  latencies.sort((a, b) => a - b);
  single.sort((a, b) => a - b);
  return {
    scored,
    run,
    efficiency: {
      totalMs,
      recordsPerSecond: scored / (totalMs / 1000),
      batchSize,
      batchLatencyMs: percentiles(latencies),
      recordLatencyMs: single.length === 0 ? null : { ...percentiles(single), max: maxOf(single)!, samples: single.length },
      perRecordMs: totalMs / scored,
      peakRssBytes: peakRss,
      stageMemoryBytes: memory,
      latencyHistogram: { record: histogram(single), batch: histogram(latencies) },
    },
  };
}

/** The error of an evaluation that scored no record: how many were read and rejected, and why the first was. */
function nothingScored(run: ReturnType<RunReport['toJSON']>): TributaryError {
  const rejected = run.skipped + run.deadLettered;
  const first = run.samples[0];
  const message =
    run.input === 0
      ? 'The test set is empty: there is nothing to evaluate. Give the evaluation a test set with records (a larger test fraction, or another test source).'
      : `None of the ${run.input} test records could be scored (${rejected} rejected${Object.keys(run.rejections).length ? `: ${JSON.stringify(run.rejections)}` : ''}), so no figure can be given.${first ? ` The first was rejected by ${first.stage}: ${first.message}` : ''}`;
  return new TributaryError('EMPTY_DATASET', { stage: 'evaluate', message, details: { run } });
}
