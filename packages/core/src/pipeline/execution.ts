import fs from 'node:fs';
import path from 'node:path';
import { Dataset } from '../dataset/dataset.js';
import { type ErrorCode, TributaryError, toTributaryError } from '../errors/tributary-error.js';
import { assertKnownKeys } from '../params/closest.js';
import { type Batch, type DataRecord, recordId, recordJsonReplacer } from '../record/record.js';
import type { Model, ModelState, Stage, StageContext, StageDefinition, StageFields } from '../stage/stage.js';
import { type SourceProblem, sourceProblem } from '../sources/text-sources.js';
import type { SegmentResult, SegmentRunner, SegmentSpec, ShardResult, ShardTask } from './executor.js';
import { sourceProblemsTo } from './source-problems.js';
import type { PipelineHost, PluginRef } from './host.js';
import { RunReport } from './run-report.js';

/** What happens to a record a stage cannot handle. */
export type ErrorPolicy = 'fail' | 'skip' | 'dead-letter';

export interface ExecutionOptions {
  /** `fail` stops the run at the first bad record; `skip` counts and drops it; `dead-letter` also writes it to `deadLetterPath`. */
  readonly errorPolicy?: ErrorPolicy;
  /** A JSONL file that receives each dead-lettered record with its stage, code and reason. */
  readonly deadLetterPath?: string;
  /** Records per batch handed to each stage. Default 64. */
  readonly batchSize?: number;
  /**
   * Batches in flight at once (default 1). Above 1, the next batches start while one is still in
   * its stages: worth it when stages wait on native threads or I/O (image decoding and encoding),
   * so that work overlaps the JavaScript stages. Output order is kept; memory grows with it.
   */
  readonly concurrency?: number;
  /** Accumulates counts and timings; a new one is made when absent. */
  readonly report?: RunReport;
  /** Called with each record a stage rejects (under `skip` and `dead-letter`), as it reached that stage. */
  readonly onReject?: (record: DataRecord, error: TributaryError, stage: string) => void;
  /** Called with each warning a stage notes about a record it kept (an empty text, an unknown charset). */
  readonly onWarn?: (record: DataRecord, code: string, message: string, stage: string) => void;
}

/** A live stage at its position in the pipeline. */
export interface RunnableStage {
  readonly index: number;
  readonly kind: string;
  readonly stage: Stage;
  /** How an executor's worker rebuilds the stage: present when its definition says `worker` and its plugin names its module. */
  readonly remote?: RemoteStage;
}

/** What rebuilds a stage on a worker: its params, its plugin's module, and a fitted model's state. */
export interface RemoteStage {
  readonly params: Record<string, unknown>;
  /** The fields the stage declares it reads and writes: only those travel to the worker and back. */
  readonly fields: StageFields;
  readonly plugin: { readonly name: string; readonly version: string; readonly module: string };
  /** The saved state of a fitted model (taken when a run opens the segment). */
  readonly state?: () => ModelState | Promise<ModelState>;
}

/** The remote description of a resolved stage, or undefined when it must run in the calling thread. */
export function remoteStage(resolved: { spec: { params: Record<string, unknown> }; definition: Pick<StageDefinition, 'worker' | 'fields'>; plugin: PluginRef }, model?: Model): RemoteStage | undefined {
  const { module } = resolved.plugin;
  if (!resolved.definition.worker || !module) return undefined;
  const fields = resolved.definition.fields(resolved.spec.params as never);
  return { params: resolved.spec.params, fields, plugin: { name: resolved.plugin.name, version: resolved.plugin.version, module }, ...(model ? { state: () => model.save() } : {}) };
}

/**
 * What crosses to a segment's workers and back: the fields its stages read before any of them writes
 * them (and `id`, for errors), and the fields they write. The rest of each record stays here, so a large
 * field no stage there needs (the raw bytes a first stage already turned into text) is never copied.
 */
function segmentFields(stages: readonly RunnableStage[]): { reads: string[]; writes: string[] } {
  const reads = new Set<string>(['id']);
  const writes = new Set<string>();
  for (const step of stages) {
    for (const field of step.remote!.fields.reads) if (!writes.has(field)) reads.add(field);
    for (const field of step.remote!.fields.writes) writes.add(field);
  }
  // A written field the record already holds travels too: a stage that writes it only sometimes keeps the old value.
  return { reads: [...new Set([...reads, ...writes])], writes: [...writes] };
}

/** Consecutive stages that run in the same place: here, or together on the executor. */
interface Segment {
  readonly stages: readonly RunnableStage[];
  readonly remote: boolean;
  /** For a remote segment: the fields sent and the fields taken back. */
  readonly fields?: { readonly reads: readonly string[]; readonly writes: readonly string[] };
}

const POLICIES: readonly ErrorPolicy[] = ['fail', 'skip', 'dead-letter'];
const OPTIONS = ['errorPolicy', 'deadLetterPath', 'batchSize', 'concurrency', 'report', 'onReject', 'onWarn'];

/** Checks run options as strictly as stage params: a misspelt policy must not quietly change what happens to bad records. */
function checkOptions(options: ExecutionOptions): void {
  assertKnownKeys(options, OPTIONS, 'run option');
  if (options.errorPolicy !== undefined && !POLICIES.includes(options.errorPolicy)) {
    throw new TributaryError('INVALID_PARAMS', {
      param: 'errorPolicy',
      message: `errorPolicy must be one of ${POLICIES.map((p) => `'${p}'`).join(', ')}; got ${JSON.stringify(options.errorPolicy)}.`,
    });
  }
  for (const name of ['batchSize', 'concurrency'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new TributaryError('INVALID_PARAMS', { param: name, message: `${name} must be a whole number ≥ 1; got ${String(value)}.` });
    }
  }
}

/** One run of stages over data under one error policy, feeding one report. */
export class Execution {
  readonly report: RunReport;
  readonly policy: ErrorPolicy;
  readonly batchSize: number;
  readonly concurrency: number;
  private readonly deadLetterPath: string | undefined;
  private readonly onReject: ExecutionOptions['onReject'];
  private readonly onWarn: ExecutionOptions['onWarn'];
  /** Identifies this run to stages (StageContext.run). */
  private readonly runToken: object = Object.freeze({});
  /** The position of each input record that has no `id`, for errors about it. */
  private readonly positions = new WeakMap<object, number>();

  constructor(
    private readonly host: PipelineHost,
    options: ExecutionOptions,
    defaultPolicy: ErrorPolicy,
  ) {
    checkOptions(options);
    this.report = options.report ?? new RunReport();
    this.policy = options.errorPolicy ?? defaultPolicy;
    this.batchSize = options.batchSize ?? 64;
    this.concurrency = options.concurrency ?? 1;
    this.deadLetterPath = options.deadLetterPath;
    this.onReject = options.onReject;
    this.onWarn = options.onWarn;
    if (this.policy === 'dead-letter') {
      if (!this.deadLetterPath) {
        throw new TributaryError('INVALID_PARAMS', {
          param: 'deadLetterPath',
          message: "errorPolicy 'dead-letter' needs deadLetterPath, the JSONL file that receives the rejected records.",
        });
      }
      try {
        fs.mkdirSync(path.dirname(path.resolve(this.deadLetterPath)), { recursive: true });
        fs.closeSync(fs.openSync(this.deadLetterPath, 'a'));
      } catch (error) {
        throw new TributaryError('INVALID_PARAMS', {
          param: 'deadLetterPath',
          message: `Cannot write the dead-letter file ${this.deadLetterPath} (${(error as NodeJS.ErrnoException).code ?? String(error)}). Point deadLetterPath at a file in a writable folder.`,
          cause: error,
        });
      }
    }
  }

  /** A context whose rejections take effect only when `commit()` is called (so a retried batch is not counted twice). */
  context(kind: string, index: number): { ctx: StageContext; commit(): DataRecord[] } {
    const pending: Array<[DataRecord, TributaryError]> = [];
    const warnings: Array<[string, string, DataRecord | undefined]> = [];
    const ctx: StageContext = {
      kind,
      logger: this.host.logger,
      events: this.host.events,
      random: this.host.random.fork(`${index}:${kind}`),
      run: this.runToken,
      reject: (record, error) => {
        if (this.policy === 'fail') throw this.withRecord(error, record, kind);
        pending.push([record, error]);
      },
      warn: (code, message, record) => {
        warnings.push([code, message, record]);
      },
    };
    return {
      ctx,
      commit: () => {
        for (const [code, message, record] of warnings) this.warn(kind, code, message, record);
        const rejected = pending.map(([record]) => record);
        for (const [record, error] of pending) this.reject(kind, record, error);
        pending.length = 0;
        warnings.length = 0;
        return rejected;
      },
    };
  }

  /** The record's `id`, or its position in the input when it has none (−1 for a record a stage made). */
  private idOf(record: DataRecord): string | number {
    return recordId(record, this.positions.get(record) ?? -1);
  }

  /** The error with the record and the stage filled in, for a run that stops on it. */
  private withRecord(error: TributaryError, record: DataRecord, kind: string): TributaryError {
    if (error.recordId !== undefined && error.stage !== undefined) return error;
    const id = error.recordId ?? this.idOf(record);
    const where = typeof record.id === 'string' || typeof record.id === 'number' ? `record ${String(id)}` : id === -1 ? 'a record with no id' : `record #${id} of the input (no id)`;
    return new TributaryError(error.code, {
      message: `${error.message} (${where}; stage ${error.stage ?? kind})`,
      stage: error.stage ?? kind,
      recordId: id,
      ...(error.param === undefined ? {} : { param: error.param }),
      details: error.details,
      cause: error.cause,
    });
  }

  /** Counts and announces what a stage noted about a record it kept, wherever the stage ran. */
  private warn(kind: string, code: string, message: string, record: DataRecord | undefined): void {
    this.report.warn(kind, code);
    const id = record ? this.idOf(record) : undefined;
    this.host.events.emit({ type: 'warning', stage: kind, code, message, ...(id === undefined ? {} : { recordId: id }) });
    if (record) this.onWarn?.(record, code, message, kind);
  }

  /** Counts, announces and (for dead-letter) writes one rejected record. */
  reject(kind: string, record: DataRecord, error: TributaryError): void {
    if (this.policy === 'fail') throw this.withRecord(error, record, kind);
    const id = error.recordId ?? this.idOf(record);
    this.report.reject(kind, id, error, this.policy);
    this.host.events.emit({ type: 'record:rejected', stage: kind, recordId: id, code: error.code, message: error.message, policy: this.policy });
    this.onReject?.(record, error, kind);
    if (this.policy === 'dead-letter') {
      const entry = { stage: kind, recordId: id, code: error.code, message: error.message };
      let line: string;
      try {
        line = JSON.stringify({ ...entry, record }, recordJsonReplacer);
      } catch (failure) {
        // A record that cannot be written as JSON (cycles, a throwing toJSON) still gets its line, without the record.
        line = JSON.stringify({ ...entry, record: null, unserialisable: failure instanceof Error ? failure.message : String(failure) });
      }
      fs.appendFileSync(this.deadLetterPath!, `${line}\n`);
    }
  }

  /**
   * Runs one stage on a batch. When the stage throws for the whole batch and the policy allows,
   * the records are retried one at a time so only the bad ones are rejected.
   */
  async runStage(step: RunnableStage, batch: Batch): Promise<Batch> {
    const { ctx, commit } = this.context(step.kind, step.index);
    try {
      const out = await step.stage.transform(batch, ctx);
      const rejected = commit().length;
      if (out.length + rejected !== batch.length) {
        this.report.warn(step.kind, 'RECORDS_UNACCOUNTED');
        this.host.logger.warn('a stage returned a different number of records than it was given, less the ones it rejected', {
          stage: step.kind,
          given: batch.length,
          returned: out.length,
          rejected,
        });
      }
      return out;
    } catch (error) {
      const failure = toTributaryError(error, 'STAGE_FAILED', { stage: step.kind, message: `Stage '${step.kind}' failed` });
      if (this.policy === 'fail') throw batch.length === 1 ? this.withRecord(failure, batch[0]!, step.kind) : failure;
      if (batch.length === 1) {
        this.reject(step.kind, batch[0]!, failure);
        return [];
      }
      const out: Batch = [];
      for (const record of batch) out.push(...(await this.runStage(step, [record])));
      return out;
    }
  }

  /** Splits the stages into runs that stay here and runs that go to the executor together. */
  private segments(stages: readonly RunnableStage[]): Segment[] {
    const segments: Array<{ stages: RunnableStage[]; remote: boolean }> = [];
    for (const step of stages) {
      const remote = this.host.executor !== undefined && step.remote !== undefined;
      const last = segments[segments.length - 1];
      if (last && last.remote === remote) last.stages.push(step);
      else segments.push({ stages: [step], remote });
    }
    return segments.map((s) => (s.remote ? { ...s, fields: segmentFields(s.stages) } : s));
  }

  /** Opens a segment on the executor: its stages as data (params, plugin modules, fitted state). */
  private async openSegment(segment: Segment): Promise<SegmentRunner> {
    const plugins = new Map<string, SegmentSpec['plugins'][number]>();
    const specs: Array<SegmentSpec['stages'][number]> = [];
    for (const step of segment.stages) {
      const remote = step.remote!;
      plugins.set(remote.plugin.name, remote.plugin);
      specs.push({ index: step.index, kind: step.kind, params: remote.params, ...(remote.state ? { state: await remote.state() } : {}) });
    }
    return this.host.executor!.open({ plugins: [...plugins.values()], stages: specs, seed: this.host.random.seed });
  }

  /** Runs one batch through a segment on the executor, then applies this run's policy to what came back. */
  private async runRemote(runner: SegmentRunner, segment: Segment, batch: Batch): Promise<Batch> {
    const { reads, writes } = segment.fields!;
    const sent = batch.map((record) => {
      const part: DataRecord = {};
      for (const field of reads) if (field in record) part[field] = record[field];
      return part;
    });
    let result: SegmentResult;
    try {
      result = await runner.run(sent);
    } catch (error) {
      throw toTributaryError(error, 'STAGE_FAILED', { message: `The ${this.host.executor!.name} executor failed on a batch` });
    }
    for (const timing of result.timings) this.report.time(timing.index, timing.kind, 'transform', timing.ms, timing.records);
    for (const warning of result.warnings) this.warn(warning.stage, warning.code, warning.message, batch[warning.index]);
    for (const problem of result.rejected) {
      const record = batch[problem.index] ?? {};
      const error = new TributaryError(problem.code as ErrorCode, {
        stage: problem.stage,
        message: problem.message,
        ...(problem.recordId === undefined ? {} : { recordId: problem.recordId }),
        ...(problem.details ? { details: problem.details } : {}),
      });
      this.reject(problem.stage, record, error);
    }
    // Each output is its input record with the written fields as they came back (one the stages removed is
    // removed), so it keeps its other fields, its position (for errors) and its symbol-keyed marks.
    return result.records.map((written, k) => {
      const source = batch[result.sources[k] ?? -1];
      if (!source) return written;
      const record: DataRecord = { ...source };
      for (const field of writes) {
        if (field in written) record[field] = written[field];
        else delete record[field];
      }
      const position = this.positions.get(source);
      if (position !== undefined) this.positions.set(record, position);
      return record;
    });
  }

  /**
   * Opens every stage as one segment on the executor, for a run that reads a file in shards there; undefined
   * when that cannot be (no executor, a stage that must run here, an executor that takes only batches).
   */
  async openShardRunner(stages: readonly RunnableStage[]): Promise<SegmentRunner | undefined> {
    if (!this.host.executor || !stages.every((step) => step.remote)) return undefined;
    const runner = await this.openSegment({ stages, remote: true });
    if (runner.runShard) return runner;
    await runner.close();
    return undefined;
  }

  /**
   * Runs shards through an opened segment, at most the executor's concurrency at once, and hands each
   * shard's JSON Lines to `put` in order. What comes back is accounted here as for any run: rows a file
   * could not give and records the stages rejected go through this run's policy (fail, skip, dead-letter)
   * and its report, so input = output + skipped + dead-lettered. `positions` are the input positions of a
   * task's records, where the caller knows them (records), for errors about records without an id.
   */
  async writeShards(runner: SegmentRunner, work: AsyncIterable<{ task: ShardTask; positions?: readonly number[] } | { problem: SourceProblem }>, what: string, put: (bytes: Uint8Array) => Promise<void>): Promise<number> {
    const policy = this.policy;
    const onProblem = sourceProblemsTo({ report: this.report, errorPolicy: policy, ...(this.deadLetterPath === undefined ? {} : { deadLetterPath: this.deadLetterPath }), events: this.host.events });
    const problem = (p: SourceProblem) => sourceProblem(p, onProblem);
    const commit = async (result: ShardResult, positions: readonly number[] | undefined) => {
      const base = this.report.input;
      this.report.input += result.records;
      for (const p of result.problems) problem(p);
      for (const timing of result.timings) this.report.time(timing.index, timing.kind, 'transform', timing.ms, timing.records);
      for (const warning of result.warnings) this.warn(warning.stage, warning.code, warning.message, undefined);
      for (const r of result.rejected) {
        if (r.index >= 0) this.positions.set(r.record, positions ? (positions[r.index] ?? -1) : base + r.index);
        const error = new TributaryError(r.code as ErrorCode, { stage: r.stage, message: r.message, ...(r.recordId === undefined ? {} : { recordId: r.recordId }), ...(r.details ? { details: r.details } : {}) });
        this.reject(r.stage, r.record, error);
      }
      this.report.output += result.written;
      if (result.output.byteLength > 0) await put(result.output);
      return result.written;
    };
    type Done = { result: ShardResult; positions: readonly number[] | undefined } | { problem: SourceProblem };
    const inFlight: Array<Promise<Done>> = [];
    const limit = Math.max(1, this.host.executor!.concurrency);
    let written = 0;
    const settle = async () => {
      const next = await inFlight.shift()!;
      // A row the splitter gave up on counts as input where the policy takes it (sourceProblemsTo), once.
      if ('problem' in next) problem(next.problem);
      else written += await commit(next.result, next.positions);
    };
    try {
      for await (const item of work) {
        if ('problem' in item) inFlight.push(Promise.resolve(item));
        else {
          const running = runner.runShard!(item.task).then((result) => ({ result, positions: item.positions }));
          running.catch(() => undefined);
          inFlight.push(running);
        }
        while (inFlight.length >= limit) await settle();
      }
      while (inFlight.length > 0) await settle();
    } catch (error) {
      // The shards still running are awaited, so none writes or fails after the run is over.
      await Promise.allSettled(inFlight);
      throw toTributaryError(error, 'STAGE_FAILED', { message: `The ${this.host.executor!.name} executor failed on a shard of ${what}` });
    }
    return written;
  }

  /** True for an input item that is a record; anything else is rejected (INVALID_RECORD, stage `(input)`) under the run's policy. */
  private isRecord(item: unknown, position: number): item is DataRecord {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) return true;
    const error = new TributaryError('INVALID_RECORD', {
      recordId: position,
      message: `Input #${position} is ${Array.isArray(item) ? 'an array' : typeof item}, not a record: records are objects such as { text: '…' }.`,
    });
    if (this.policy === 'fail') throw error;
    this.reject('(input)', { value: item }, error);
    return false;
  }

  /**
   * The records of `data` as shards of `size` records for writeShards, each with its records' input positions.
   * Items that are not records are rejected here under the run's policy, as a run in this thread rejects them.
   */
  async *recordShards(data: Dataset<unknown>, size: number): AsyncGenerator<{ task: ShardTask; positions: number[] }> {
    let position = 0;
    for await (const batch of data.batch(size)) {
      const first = position;
      const records: DataRecord[] = [];
      const positions: number[] = [];
      for (const [i, item] of batch.entries()) {
        if (this.isRecord(item, first + i)) {
          records.push(item);
          positions.push(first + i);
        } else this.report.input++; // Counted as input here, where the shards' records are counted as they come back.
      }
      position += batch.length;
      if (records.length > 0) yield { task: { records, batchSize: this.batchSize }, positions };
    }
  }

  /** Streams `data` through `stages`, batch by batch, counting input and output as asked. */
  run(stages: readonly RunnableStage[], data: Dataset<DataRecord>, count: { input: boolean; output: boolean }): Dataset<DataRecord> {
    const segments = this.segments(stages);
    if (!segments.some((s) => s.remote)) return this.runBatches(segments, data, count, new Map(), this.concurrency);
    // Each pass opens the remote segments once, on its first batch, and closes them when it ends.
    const self = this;
    const concurrency = Math.max(this.concurrency, this.host.executor!.concurrency);
    return Dataset.fromChunks(async function* () {
      const runners = new Map<Segment, Promise<SegmentRunner>>();
      try {
        yield* self.runBatches(segments, data, count, runners, concurrency).chunks();
      } finally {
        // Every runner is closed, whichever fails to; a close failure never hides the run's own error.
        await Promise.allSettled([...runners.values()].map((runner) => runner.then((r) => r.close())));
      }
    });
  }

  private runBatches(segments: readonly Segment[], data: Dataset<DataRecord>, count: { input: boolean; output: boolean }, runners: Map<Segment, Promise<SegmentRunner>>, concurrency: number): Dataset<DataRecord> {
    const report = this.report;
    const clock = this.host.clock;
    const batches = data.batch(this.batchSize).mapConcurrent(async (batch) => {
      let current: Batch = batch;
      if (count.input) {
        current = [];
        for (let i = 0; i < batch.length; i++) {
          const record = batch[i];
          if (this.isRecord(record, report.input + i)) {
            // Only a record without an id is named by its position in errors; a WeakMap entry per record cost a sixth of a cheap pipeline.
            const id = (record as DataRecord).id;
            if (typeof id !== 'string' && typeof id !== 'number') this.positions.set(record, report.input + i);
            current.push(record);
          }
        }
        report.input += batch.length;
      }
      for (const segment of segments) {
        if (current.length === 0) break;
        if (segment.remote) {
          let runner = runners.get(segment);
          if (!runner) {
            runner = this.openSegment(segment);
            runners.set(segment, runner);
          }
          current = await this.runRemote(await runner, segment, current);
          continue;
        }
        for (const step of segment.stages) {
          if (current.length === 0) break;
          const started = clock.now();
          const n = current.length;
          current = await this.runStage(step, current);
          report.time(step.index, step.kind, 'transform', clock.now() - started, n);
        }
      }
      if (count.output) report.output += current.length;
      return current;
    }, concurrency);
    // The output passes on a batch at a time (Dataset.chunks) to a sink or the next run.
    return Dataset.fromChunks(() => batches);
  }
}
