import fs from 'node:fs';
import { Dataset, type DatasetSource } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { ErrorPolicy } from '../pipeline/execution.js';
import type { PipelineModel } from '../pipeline/pipeline-model.js';
import { RunReport } from '../pipeline/run-report.js';
import { type DataRecord, recordId } from '../record/record.js';

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** What scoring cost: wall time, throughput, latency per batch, peak memory. */
export interface Efficiency {
  readonly totalMs: number;
  readonly recordsPerSecond: number;
  readonly batchSize: number;
  readonly batchLatencyMs: Percentiles;
  readonly perRecordMs: number;
  readonly peakRssBytes: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface ScoreOptions {
  readonly batchSize?: number;
  /** Default `skip`: a bad test record is counted, not fatal. */
  readonly errorPolicy?: ErrorPolicy;
  readonly deadLetterPath?: string;
}

/**
 * Runs a model over test data in batches, timing each batch, and hands every output record to
 * `take`. `take` returns an error message for a record that cannot be scored (a missing label):
 * under `fail` that stops the evaluation, otherwise the record is counted as rejected by `evaluate`.
 */
export async function scoreBatches(
  model: PipelineModel,
  data: DatasetSource<object>,
  options: ScoreOptions,
  take: (record: DataRecord) => string | undefined,
): Promise<{ efficiency: Efficiency; run: ReturnType<RunReport['toJSON']>; scored: number }> {
  const batchSize = options.batchSize ?? 64;
  const policy = options.errorPolicy ?? 'skip';
  const report = new RunReport();
  const latencies: number[] = [];
  let scored = 0;
  let peakRss = process.memoryUsage.rss();
  const started = performance.now();
  for await (const batch of Dataset.from(data as DatasetSource<DataRecord>).batch(batchSize)) {
    const t0 = performance.now();
    const out = await model.predict(batch, { report, errorPolicy: policy, ...(options.deadLetterPath ? { deadLetterPath: options.deadLetterPath } : {}) });
    latencies.push(performance.now() - t0);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    for (const record of out) {
      const problem = take(record);
      if (problem === undefined) {
        scored++;
        continue;
      }
      const error = new TributaryError('INVALID_RECORD', { stage: 'evaluate', recordId: recordId(record, -1), message: problem });
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
  latencies.sort((a, b) => a - b);
  return {
    scored,
    run: report.toJSON(),
    efficiency: {
      totalMs,
      recordsPerSecond: scored / (totalMs / 1000),
      batchSize,
      batchLatencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
      perRecordMs: scored === 0 ? 0 : totalMs / scored,
      peakRssBytes: peakRss,
    },
  };
}
