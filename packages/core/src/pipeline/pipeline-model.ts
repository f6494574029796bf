import { Dataset, type DatasetSource } from '../dataset/dataset.js';
import { writeArtifact } from '../artifacts/artifact.js';
import type { Manifest, StageEntry } from '../artifacts/manifest.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { Batch, DataRecord } from '../record/record.js';
import type { JsonObject, Model, Stage, StageDefinition, StageSpec } from '../stage/stage.js';
import { type CsvOptions, csvRows } from '../sources/csv.js';
import { type CsvShardSource, openCsvShards, unshardable } from '../sources/csv-shards.js';
import { type SinkResult, atomicWrite, writeJsonLines } from '../sources/sinks.js';
import { Execution, type ExecutionOptions, type RunnableStage, remoteStage } from './execution.js';
import { RunReport } from './run-report.js';
import { sourceProblemsTo } from './source-problems.js';
import type { ShardTask } from './executor.js';
import type { SourceProblem } from '../sources/text-sources.js';
import type { PipelineHost, PluginRef } from './host.js';

export interface TransformCsvFileOptions extends Omit<ExecutionOptions, 'concurrency'> {
  /** How to read the file (delimiter, quoting, encoding, numbers, lineField, …). Rows it cannot read go through `errorPolicy`. */
  readonly csv?: Omit<CsvOptions, 'onProblem'>;
  /** About how many bytes of the file each shard holds when the runtime's executor reads it in parallel. Default 256 KiB. */
  readonly shardBytes?: number;
}

export interface TransformToJsonLinesOptions extends Omit<ExecutionOptions, 'concurrency'> {
  /** Records handed to a worker at once when the executor serialises the output; default 256. */
  readonly recordsPerShard?: number;
}

/** A CSV file's shards as tasks for Execution.writeShards. */
async function* csvShardTasks(source: CsvShardSource, batchSize: number): AsyncGenerator<{ task: ShardTask } | { problem: SourceProblem }> {
  for await (const item of source.shards()) {
    if ('problem' in item) yield item;
    // Its own copy of exactly its bytes: a view of the read buffer would carry the whole buffer to the worker.
    else yield { task: { reader: source.reader, bytes: item.bytes.slice(), firstLine: item.firstLine, batchSize } };
  }
}

export interface TransformCsvFileResult extends SinkResult {
  /** Counts and stage timings: input = output + skipped + dead-lettered. */
  readonly report: RunReport;
  /** `shards` when the executor read, transformed and wrote the file in parallel shards; `one-pass` when it was read here in one pass. */
  readonly mode: 'shards' | 'one-pass';
  /** Why the file was read in one pass (absent for shards). */
  readonly reason?: string;
}

/** One stage of a fitted pipeline: its spec, what built it, and the live stage (a Model when it was fitted). */
export interface FittedStage {
  readonly spec: StageSpec;
  readonly definition: StageDefinition;
  readonly plugin: PluginRef;
  readonly stage: Stage | Model;
  readonly fitted: boolean;
}

/** The outcome of checking an evaluation against a gate (checkGate's result), as save() needs it. */
export interface GateOutcome {
  readonly passed: boolean;
  /** The bounds it was checked against. */
  readonly gate: object;
  readonly misses: ReadonlyArray<{ readonly figure: string; readonly bound: 'min' | 'max'; readonly required: number; readonly actual: number | null }>;
}

export interface SaveOptions {
  /** An evaluation report to store as `evaluation.json` (and in the manifest); any JSON-serialisable object. */
  readonly evaluation?: object;
  /**
   * The model's gate, checked against its evaluation (`checkGate(report, bounds)`): a model that missed
   * it is not saved (GATE_FAILED, with the misses); one that met it is saved as approved, the bounds in
   * the manifest, so serving can require the approval.
   */
  readonly gate?: GateOutcome;
  /**
   * Other files to keep with the model, such as the rendered report (`{ 'report.html': html }`): plain
   * names at the artifact's top level, written atomically and hashed with the rest.
   */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
}

/** What of an evaluation the manifest keeps: the headline figures, not the curves, history and runs (those stay in evaluation.json). */
const BULKY = new Set(['curve', 'history', 'stability', 'test', 'fit']);
function evaluationDigest(evaluation: object): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(evaluation)) as Record<string, unknown>;
  for (const key of Object.keys(copy)) if (BULKY.has(key)) delete copy[key];
  const efficiency = copy.efficiency as Record<string, unknown> | undefined;
  if (efficiency && typeof efficiency === 'object') delete efficiency.latencyHistogram;
  return copy;
}

const RESERVED = new Set(['tributary.json', 'evaluation.json', 'stages']);
function checkExtraFile(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || RESERVED.has(name)) {
    throw new TributaryError('INVALID_PARAMS', {
      param: 'files',
      message: `Cannot keep a file named ${JSON.stringify(name)} with the model: extra files take plain names (letters, digits, '.', '_', '-') at the artifact's top level, other than ${[...RESERVED].join(', ')}.`,
    });
  }
}

/** Why a record got no prediction: the code and message of the rejection, and the stage kind. */
export interface PredictionError {
  readonly code: string;
  readonly message: string;
  readonly stage: string;
}

/** The answer for one input record of `predictEach`: the output record, or why there is none. */
export type Prediction =
  | { readonly record: DataRecord; readonly error?: undefined; /** What stages noted about the record they kept (an empty text). */ readonly warnings?: readonly PredictionError[] }
  | { readonly record?: undefined; readonly error: PredictionError; readonly warnings?: readonly PredictionError[] };

function checkRecords(records: unknown, method: string): void {
  if (!Array.isArray(records)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'records', message: `${method}() takes an array of records (objects), got ${typeof records}. Wrap a single record in an array: ${method}([record]).` });
  }
}

/** Marks each input record of predictEach with its position (a symbol key: never serialised, never a field). */
const POSITION = Symbol('tributary.predict.position');

/** The fields a pipeline needs from its input, and the fields it adds. */
export interface PipelineSchema {
  readonly input: string[];
  readonly output: string[];
}

function stageDir(index: number, kind: string): string {
  return `stages/${String(index).padStart(2, '0')}-${kind.replace(/[^a-zA-Z0-9-]+/g, '-')}`;
}

/**
 * A fitted pipeline: the thing you evaluate, save, load and serve. The same fitted preprocessing
 * runs at training, evaluation and serving time.
 */
export class PipelineModel {
  /** The report of the fit that produced this model (absent for a loaded model). */
  readonly fitReport: RunReport | undefined;
  readonly dataFingerprint: string | undefined;
  /** The verified manifest of a loaded model (its evaluation, approval, versions); absent for a freshly fitted one. */
  readonly manifest: Manifest | undefined;

  constructor(
    private readonly host: PipelineHost,
    readonly stages: readonly FittedStage[],
    info: { fitReport?: RunReport; dataFingerprint?: string; manifest?: Manifest } = {},
  ) {
    this.fitReport = info.fitReport;
    this.dataFingerprint = info.dataFingerprint;
    this.manifest = info.manifest;
  }

  /** Input fields (read before any stage writes them) and output fields (written by some stage). */
  get schema(): PipelineSchema {
    const written = new Set<string>();
    const input = new Set<string>();
    for (const { definition, spec } of this.stages) {
      const fields = definition.fields(spec.params as never);
      for (const field of fields.reads) if (!written.has(field)) input.add(field);
      for (const field of fields.writes) written.add(field);
    }
    return { input: [...input], output: [...written] };
  }

  /** The fields the last stage writes: what the model predicts (a score and a class, a vector, …). */
  get outputFields(): string[] {
    const last = this.stages[this.stages.length - 1];
    return last ? [...last.definition.fields(last.spec.params as never).writes] : [];
  }

  private runnable(): RunnableStage[] {
    return this.stages.map((s, index) => {
      const remote = remoteStage(s, s.fitted ? (s.stage as Model) : undefined);
      return { index, kind: s.spec.kind, stage: s.stage, ...(remote ? { remote } : {}) };
    });
  }

  /** Runs every stage over a dataset, lazily; errors follow `errorPolicy` (default `fail`). */
  transform(data: DatasetSource<object>, options: ExecutionOptions = {}): Dataset<DataRecord> {
    const execution = new Execution(this.host, options, 'fail');
    return execution.run(this.runnable(), Dataset.from(data as DatasetSource<DataRecord>), { input: true, output: true });
  }

  /**
   * Runs every stage over `data` and writes the outputs to a JSON Lines file, in input order, atomically:
   * `writeJsonLines(model.transform(data), output)`, with every record accounted for in the report. With an
   * executor whose workers serialise (`workerPool`, `processPool`) and stages that all run there, each
   * worker writes the lines of the records it transformed and only bytes come back, so the caller's thread
   * neither rebuilds the output records nor serialises them; the file is the same, byte for byte, for records
   * of plain values. The records cross to the workers by structured cloning: a class instance arrives as a
   * plain object, so its own `toJSON` is not called there (convert such values first).
   */
  async transformToJsonLines(data: DatasetSource<object> | Dataset<object>, output: string, options: TransformToJsonLinesOptions = {}): Promise<TransformCsvFileResult> {
    const { recordsPerShard = 256, ...rest } = options;
    if (!(Number.isInteger(recordsPerShard) && recordsPerShard >= 1)) throw new TributaryError('INVALID_PARAMS', { param: 'recordsPerShard', message: `recordsPerShard must be a whole number ≥ 1; got ${String(recordsPerShard)}.` });
    const report = rest.report ?? new RunReport();
    const execution = new Execution(this.host, { ...rest, report }, 'fail');
    const sharded = await this.inShards(execution, undefined, output, async () => execution.recordShards(Dataset.from(data as DatasetSource<object>), recordsPerShard), 'the records');
    if ('path' in sharded) return { ...sharded, report, mode: 'shards' };
    const written = await writeJsonLines(this.transform(data, { ...rest, report }), output);
    return { ...written, report, mode: 'one-pass', reason: sharded.reason };
  }

  /**
   * The run in shards on the executor, written atomically to `output`: the stages opened as one segment,
   * `work()` giving the shards (undefined when the input cannot be cut). Or why it cannot run that way:
   * `refused` (say, the CSV options), no executor, a stage that runs only here, an executor without shards.
   */
  private async inShards(execution: Execution, refused: string | undefined, output: string, work: () => Promise<AsyncIterable<{ task: ShardTask; positions?: readonly number[] } | { problem: SourceProblem }> | string>, what: string): Promise<SinkResult | { reason: string }> {
    const stages = this.runnable();
    const local = stages.find((s) => !s.remote);
    const reason = !this.host.executor ? 'the runtime has no executor' : local ? `stage ${local.kind} runs only in the calling thread` : refused;
    if (reason) return { reason };
    const runner = await execution.openShardRunner(stages);
    if (!runner) return { reason: `the ${this.host.executor!.name} executor takes batches, not shards` };
    try {
      const shards = await work();
      if (typeof shards === 'string') return { reason: shards };
      return await atomicWrite(output, (put) => execution.writeShards(runner, shards, what, put));
    } finally {
      await runner.close();
    }
  }

  /**
   * Reads a CSV file, runs every stage over its records and writes them to a JSON Lines file, in file
   * order, atomically. With an executor whose workers can read files (`workerPool`) and stages that all
   * run there, the file is cut into shards of whole rows, each read, transformed and serialised on a
   * worker, and the caller only joins the bytes: the output is the same as the one-pass run's, byte for
   * byte, and so are the counts. Otherwise (no executor, a stage that runs only here, UTF-16, a schema)
   * it is the one-pass run, `writeJsonLines(model.transform(csvRows(file)))`, and `reason` says why.
   */
  async transformCsvFile(input: string, output: string, options: TransformCsvFileOptions = {}): Promise<TransformCsvFileResult> {
    const { csv = {}, shardBytes = 256 * 1024, ...rest } = options;
    const report = rest.report ?? new RunReport();
    const execution = new Execution(this.host, { ...rest, report }, 'fail');
    const sharded = await this.inShards(
      execution,
      unshardable(csv),
      output,
      async () => {
        const source = await openCsvShards(input, csv, shardBytes);
        return source ? csvShardTasks(source, execution.batchSize) : `${input} is UTF-16 or in an encoding whose bytes are not ASCII below 0x80`;
      },
      input,
    );
    if ('path' in sharded) return { ...sharded, report, mode: 'shards' };
    const onProblem = sourceProblemsTo({ report, ...(rest.errorPolicy === undefined ? {} : { errorPolicy: rest.errorPolicy }), ...(rest.deadLetterPath === undefined ? {} : { deadLetterPath: rest.deadLetterPath }), events: this.host.events });
    const records = csvRows(input, { ...csv, ...(onProblem ? { onProblem } : {}) });
    const written = await writeJsonLines(this.transform(records, { ...rest, report }), output);
    return { ...written, report, mode: 'one-pass', reason: sharded.reason };
  }

  /** Runs every stage over some records and returns the outputs (rejected records are left out and counted in `options.report`). */
  async predict(records: readonly object[], options: ExecutionOptions = {}): Promise<Batch> {
    checkRecords(records, 'predict');
    return this.transform(records, { batchSize: Math.max(1, records.length), ...options }).collect();
  }

  /**
   * Runs some records through the model and answers each one, in input order: its output record, or
   * the error of the stage that rejected it. Answers follow positions, so repeated or missing ids are
   * fine; a bad record never costs the others their answer (the policy is `skip`).
   */
  async predictEach(records: readonly object[], options: Omit<ExecutionOptions, 'errorPolicy' | 'deadLetterPath' | 'onReject' | 'onWarn'> = {}): Promise<Prediction[]> {
    checkRecords(records, 'predictEach');
    const marked = records.map((r, i) => ({ ...(r as DataRecord), [POSITION]: i }));
    const errors = new Map<number, PredictionError>();
    const warnings: PredictionError[][] = [];
    const out = await this.predict(marked, {
      ...options,
      errorPolicy: 'skip',
      onReject: (record, error, stage) => {
        const at = (record as Record<symbol, unknown>)[POSITION];
        if (typeof at === 'number' && !errors.has(at)) errors.set(at, { code: error.code, message: error.message, stage });
      },
      onWarn: (record, code, message, stage) => {
        const at = (record as Record<symbol, unknown>)[POSITION];
        if (typeof at === 'number') (warnings[at] ??= []).push({ code, message, stage });
      },
    });
    const answers: Array<Prediction | undefined> = Array.from({ length: records.length }, () => undefined);
    const unmarked: DataRecord[] = [];
    for (const record of out) {
      const { [POSITION]: at, ...clean } = record as DataRecord & { [POSITION]?: number };
      if (typeof at === 'number' && answers[at] === undefined) answers[at] = { record: clean };
      else unmarked.push(clean);
    }
    // A stage that built new records without the marker: the rest are matched in order.
    let next = 0;
    for (let i = 0; i < records.length; i++) if (!answers[i] && !errors.has(i) && next < unmarked.length) answers[i] = { record: unmarked[next++]! };
    return answers.map((answer, i) => {
      const done = answer ?? { error: errors.get(i) ?? { code: 'INVALID_RECORD', message: 'The pipeline dropped this record without saying why.', stage: 'unknown' } };
      return warnings[i] ? { ...done, warnings: warnings[i] } : done;
    });
  }

  /** Saves the model as an artifact directory (manifest + per-stage state + sha256 of every file), atomically. */
  async save(dir: string, options: SaveOptions = {}): Promise<Manifest> {
    const gate = options.gate;
    if (gate && !gate.passed) {
      const misses = gate.misses.map((m) => `${m.figure} ${m.actual === null ? 'not measured' : m.actual} against ${m.bound === 'min' ? '≥' : '≤'} ${m.required}`);
      throw new TributaryError('GATE_FAILED', {
        message: `The model missed its gate (${misses.join('; ')}), so it was not saved. Improve the model, or save it without the gate if it is not meant to be served.`,
        details: { misses: gate.misses },
      });
    }
    const files = new Map<string, Uint8Array | string>();
    const entries: StageEntry[] = [];
    for (const [index, fitted] of this.stages.entries()) {
      const entry: StageEntry = {
        kind: fitted.spec.kind,
        plugin: fitted.plugin.name,
        pluginVersion: fitted.plugin.version,
        params: fitted.spec.params as Record<string, unknown>,
        fitted: fitted.fitted,
      };
      if (fitted.fitted) {
        const state = await (fitted.stage as Model).save();
        const dir = stageDir(index, fitted.spec.kind);
        const stateFiles: Record<string, string> = {};
        for (const [name, content] of Object.entries(state.files ?? {})) {
          const relative = `${dir}/${name}`;
          files.set(relative, content);
          stateFiles[name] = relative;
        }
        entries.push({ ...entry, state: { meta: state.meta as JsonObject, files: stateFiles } });
      } else {
        entries.push(entry);
      }
    }
    if (options.evaluation) files.set('evaluation.json', `${JSON.stringify(options.evaluation, null, 2)}\n`);
    for (const [name, content] of Object.entries(options.files ?? {})) {
      checkExtraFile(name);
      files.set(name, content);
    }
    const plugins = new Map(this.stages.map((s) => [s.plugin.name, s.plugin.version]));
    return writeArtifact(
      this.host.store,
      dir,
      {
        format: 'tributary-pipeline-model',
        formatVersion: 1,
        createdAt: this.host.clock.date().toISOString(),
        core: { version: this.host.coreVersion },
        plugins: [...plugins].map(([name, version]) => ({ name, version })),
        stages: entries,
        schema: this.schema,
        ...(this.dataFingerprint ? { dataFingerprint: this.dataFingerprint } : {}),
        ...(options.evaluation ? { evaluation: evaluationDigest(options.evaluation) } : {}),
        ...(gate
          ? { approval: { passed: true as const, bounds: Object.fromEntries(Object.entries(gate.gate).filter((e): e is [string, number] => typeof e[1] === 'number')), checkedAt: this.host.clock.date().toISOString() } }
          : {}),
      },
      files,
    );
  }

  /** Frees every stage's resources (tensors, native handles). */
  async dispose(): Promise<void> {
    for (const { stage } of this.stages) await stage.dispose?.();
  }
}
