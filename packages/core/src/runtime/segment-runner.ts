import { TributaryError } from '../errors/tributary-error.js';
import { Execution, type RunnableStage } from '../pipeline/execution.js';
import type { SegmentProblem, SegmentResult, SegmentSpec, ShardResult, ShardTask } from '../pipeline/executor.js';
import type { Plugin } from '../plugin/define-plugin.js';
import type { Batch, DataRecord } from '../record/record.js';
import { readCsvShard } from '../sources/csv-shards.js';
import { jsonLine } from '../sources/sinks.js';
import { type Estimator, isEstimator } from '../stage/stage.js';
import { createRuntime } from './runtime.js';

/** Marks each record of a batch with its position, through the stages (spreading a record keeps it). */
const POSITION = Symbol('tributary.segment.position');

/** The segment's stages rebuilt in this thread, and a function that runs a batch through them. */
export interface LocalSegment {
  run(batch: Batch): Promise<SegmentResult>;
  /** Reads a shard of a file, runs its records through the stages a batch at a time, and writes them as JSON Lines. */
  runShard(task: ShardTask): Promise<ShardResult>;
  dispose(): Promise<void>;
}

/**
 * Rebuilds a segment where an executor's worker runs it: a runtime with the given plugins (already
 * imported from the segment's modules) and its seed, each stage resolved from its kind and params, each
 * fitted model loaded from its state. Used by executors (a worker-thread pool, a queue worker); it runs
 * a batch under `skip` and hands back rejections and warnings as data, for the caller's policy.
 */
export async function openLocalSegment(segment: SegmentSpec, plugins: readonly Plugin[]): Promise<LocalSegment> {
  for (const wanted of segment.plugins) {
    const plugin = plugins.find((p) => p.name === wanted.name);
    if (!plugin) throw new TributaryError('PLUGIN_MISSING', { message: `The worker has no plugin ${wanted.name} (imported from ${wanted.module}). Install it where the workers run.` });
    if (plugin.version !== wanted.version) {
      throw new TributaryError('PLUGIN_INVALID', { message: `The worker has ${plugin.name}@${plugin.version}, but the pipeline was built with ${wanted.version}. Run the same version on every worker.` });
    }
  }
  const runtime = createRuntime({ plugins: [...plugins], seed: segment.seed });
  const loader = new Execution(runtime, {}, 'fail');
  const stages: RunnableStage[] = [];
  for (const entry of segment.stages) {
    const resolved = runtime.resolve({ kind: entry.kind, params: entry.params });
    let stage = resolved.instance;
    if (isEstimator(stage)) {
      if (!entry.state) throw new TributaryError('NOT_FITTED', { stage: entry.kind, message: `Stage '${entry.kind}' reached a worker without its fitted state.` });
      stage = await (stage as Estimator).load(entry.state, loader.context(entry.kind, entry.index).ctx);
    }
    stages.push({ index: entry.index, kind: entry.kind, stage });
  }
  /** Runs records that already carry their position mark; the outputs keep their marks. */
  const runMarked = async (batch: Batch): Promise<SegmentResult> => {
    const rejected: SegmentProblem[] = [];
    const warnings: SegmentProblem[] = [];
    const at = (record: DataRecord | undefined): number => {
      const position = record ? (record as Record<symbol, unknown>)[POSITION] : undefined;
      return typeof position === 'number' ? position : -1;
    };
    const execution = new Execution(
      runtime,
      {
        errorPolicy: 'skip',
        batchSize: Math.max(1, batch.length),
        onReject: (record, error, stage) => {
          rejected.push({ index: at(record), stage, code: error.code, message: error.message, ...(error.recordId === undefined ? {} : { recordId: error.recordId }), ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}) });
        },
        onWarn: (record, code, message, stage) => warnings.push({ index: at(record), stage, code, message }),
      },
      'skip',
    );
    let current: Batch = batch;
    const timings: Array<SegmentResult['timings'][number]> = [];
    for (const step of stages) {
      if (current.length === 0) break;
      const started = performance.now();
      const records = current.length;
      current = await execution.runStage(step, current);
      timings.push({ index: step.index, kind: step.kind, records, ms: performance.now() - started });
    }
    const sources = current.map(at);
    // A stage that rebuilt its records without their mark (a JSON round trip, Object.fromEntries): when
    // the counts leave no doubt, the unmarked outputs are the inputs not yet accounted for, in order.
    if (sources.includes(-1)) {
      const used = new Set([...sources, ...rejected.map((r) => r.index)]);
      const unused = batch.map((_, i) => i).filter((i) => !used.has(i));
      if (unused.length === sources.filter((s) => s === -1).length) for (let k = 0, u = 0; k < sources.length; k++) if (sources[k] === -1) sources[k] = unused[u++]!;
    }
    return { records: current, sources, rejected, warnings, timings };
  };
  const run = async (batch: Batch): Promise<SegmentResult> => {
    // Marked on copies: the caller's records are not changed.
    const result = await runMarked(batch.map((record, i) => ({ ...record, [POSITION]: i })));
    const records = result.records.map((record) => {
      const { [POSITION]: _position, ...rest } = record as DataRecord & { [POSITION]?: number };
      return rest;
    });
    return { ...result, records };
  };
  return {
    run,
    async runShard(task) {
      const { records, problems } = 'records' in task ? { records: [...task.records], problems: [] } : readCsvShard(task.reader, task);
      const rejected: Array<ShardResult['rejected'][number]> = [];
      const warnings: SegmentProblem[] = [];
      const timings = new Map<number, { index: number; kind: string; records: number; ms: number }>();
      // A batch's lines are encoded as they are made: no string of the whole shard is built (it would be a
      // large object, kept until a full collection).
      const parts: Buffer[] = [];
      let written = 0;
      for (let from = 0; from < records.length; from += task.batchSize) {
        const batch = records.slice(from, from + task.batchSize);
        // A shard's records are this function's own (read here, or the executor's copies: cloned across a
        // thread or process), so they are marked in place, and the mark, a symbol key, never reaches the JSON.
        for (let i = 0; i < batch.length; i++) (batch[i] as Record<symbol, unknown>)[POSITION] = i;
        const result = await runMarked(batch);
        for (const r of result.rejected) rejected.push({ ...r, index: r.index < 0 ? -1 : from + r.index, record: batch[r.index] ?? {} });
        for (const w of result.warnings) warnings.push({ ...w, index: w.index < 0 ? -1 : from + w.index });
        for (const t of result.timings) {
          const sum = timings.get(t.index);
          if (sum) {
            sum.records += t.records;
            sum.ms += t.ms;
          } else timings.set(t.index, { ...t });
        }
        let text = '';
        for (const record of result.records) text += jsonLine(record);
        if (text.length > 0) parts.push(Buffer.from(text));
        written += result.records.length;
      }
      const bytes = Buffer.concat(parts);
      return { output: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), records: records.length, written, problems, rejected, warnings, timings: [...timings.values()] };
    },
    async dispose() {
      for (const { stage } of stages) await stage.dispose?.();
      await runtime.dispose();
    },
  };
}
