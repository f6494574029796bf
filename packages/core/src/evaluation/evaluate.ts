import { Dataset, type DatasetSource } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import { type BinaryClassificationMetrics, binaryClassificationMetrics } from '../metrics/classification.js';
import type { ErrorPolicy } from '../pipeline/execution.js';
import type { PipelineModel } from '../pipeline/pipeline-model.js';
import { RunReport } from '../pipeline/run-report.js';
import { type DataRecord, recordId } from '../record/record.js';

export interface EvaluateOptions {
  /** The field holding the true label (0/1). Default `label`. */
  readonly label?: string;
  /** The field the model writes its probability of class 1 to. Default `score`. */
  readonly score?: string;
  readonly threshold?: number;
  readonly batchSize?: number;
  /** Default `skip`: a bad test record is counted, not fatal. */
  readonly errorPolicy?: ErrorPolicy;
  readonly deadLetterPath?: string;
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface EvaluationReport extends BinaryClassificationMetrics {
  readonly task: 'binary-classification';
  /** Records that were scored. */
  readonly testRecords: number;
  readonly efficiency: {
    readonly totalMs: number;
    readonly recordsPerSecond: number;
    readonly batchSize: number;
    readonly batchLatencyMs: Percentiles;
    readonly perRecordMs: number;
    readonly peakRssBytes: number;
  };
  readonly run: ReturnType<RunReport['toJSON']>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Scores a binary classifier on a dataset: accuracy metrics plus what it cost to run. */
export async function evaluateBinaryClassifier(
  model: PipelineModel,
  data: DatasetSource<object>,
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const labelField = options.label ?? 'label';
  const scoreField = options.score ?? 'score';
  const batchSize = options.batchSize ?? 64;
  const report = new RunReport();
  const labels: number[] = [];
  const scores: number[] = [];
  const latencies: number[] = [];
  let peakRss = process.memoryUsage.rss();
  const started = performance.now();
  for await (const batch of Dataset.from(data as DatasetSource<DataRecord>).batch(batchSize)) {
    const t0 = performance.now();
    const out = await model.predict(batch, {
      report,
      errorPolicy: options.errorPolicy ?? 'skip',
      ...(options.deadLetterPath ? { deadLetterPath: options.deadLetterPath } : {}),
    });
    latencies.push(performance.now() - t0);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    for (const record of out) {
      const raw = record[labelField];
      const label = raw === true ? 1 : raw === false ? 0 : raw;
      if (label !== 0 && label !== 1) {
        const error = new TributaryError('INVALID_RECORD', {
          stage: 'evaluate',
          recordId: recordId(record, -1),
          message: `Field '${labelField}' holds ${JSON.stringify(raw) ?? 'nothing'}; binary evaluation needs labels 0 or 1 (or false/true). Map the classes to 0/1 first.`,
        });
        if ((options.errorPolicy ?? 'skip') === 'fail') throw error;
        // The record left the pipeline, so it was counted as output: move it to the rejected.
        report.output--;
        report.reject('evaluate', error.recordId!, error, 'skip');
        continue;
      }
      const score = record[scoreField];
      if (typeof score !== 'number') {
        throw new TributaryError('INVALID_DATA', {
          message: `The model wrote no number to '${scoreField}' (got ${typeof score}). Pass evaluateBinaryClassifier(model, data, { score }) naming the field the classifier writes.`,
        });
      }
      labels.push(label);
      scores.push(score);
    }
  }
  const totalMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    task: 'binary-classification',
    ...binaryClassificationMetrics(labels, scores, options.threshold ?? 0.5),
    testRecords: labels.length,
    efficiency: {
      totalMs,
      recordsPerSecond: labels.length / (totalMs / 1000),
      batchSize,
      batchLatencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
      perRecordMs: labels.length === 0 ? 0 : totalMs / labels.length,
      peakRssBytes: peakRss,
    },
    run: report.toJSON(),
  };
}
