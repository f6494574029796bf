import type { ErrorCode } from '../errors/tributary-error.js';
import type { Batch, DataRecord } from '../record/record.js';
import type { CsvShardReader } from '../sources/csv-shards.js';
import type { SourceProblem } from '../sources/text-sources.js';
import type { ModelState } from '../stage/stage.js';

/**
 * A run of consecutive stages that can be rebuilt elsewhere (a worker thread, another process) from data:
 * the plugins' modules, each stage's kind and params, and a fitted model's saved state. Plain data that
 * survives structured cloning; nothing in it is code.
 */
export interface SegmentSpec {
  /** The plugins the stages come from, with the module each is imported from (`definePlugin({ module })`). */
  readonly plugins: ReadonlyArray<{ readonly name: string; readonly version: string; readonly module: string }>;
  /** In order; `index` is the stage's position in its pipeline (it names the stage's random stream). */
  readonly stages: ReadonlyArray<{ readonly index: number; readonly kind: string; readonly params: Record<string, unknown>; readonly state?: ModelState }>;
  /** The runtime seed, so a stage draws the same random numbers wherever it runs. */
  readonly seed: number;
}

/** A rejection or warning from a segment, as data: the input record's position in the batch, the stage, the error. */
export interface SegmentProblem {
  /** The position in the batch handed to the segment of the record it is about (−1 when unknown). */
  readonly index: number;
  readonly stage: string;
  readonly code: ErrorCode | string;
  readonly message: string;
  readonly recordId?: string | number;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What a segment made of one batch. */
export interface SegmentResult {
  /** The output records, in order. */
  readonly records: Batch;
  /** For each output record, the position of the input record it came from (−1 for one a stage made anew). */
  readonly sources: readonly number[];
  readonly rejected: readonly SegmentProblem[];
  readonly warnings: readonly SegmentProblem[];
  /** Per stage of the segment: the records it was given and the milliseconds it took. */
  readonly timings: ReadonlyArray<{ readonly index: number; readonly kind: string; readonly records: number; readonly ms: number }>;
}

/**
 * Work for a segment to run and serialise where it runs, so that the output records never cross back to
 * the caller one by one: whole rows of a CSV file to read (`reader`, `bytes`, `firstLine`), or records
 * already read (`records`); and the records per batch. Plain data.
 */
export type ShardTask =
  | { readonly reader: CsvShardReader; readonly bytes: Uint8Array; /** The file line the shard's first row starts on (for problems and `lineField`). */ readonly firstLine: number; readonly batchSize: number }
  | { readonly records: Batch; readonly batchSize: number };

/** What a segment made of a shard: the JSON Lines of its output records, in order, and the rest as data. */
export interface ShardResult {
  /** UTF-8 JSON Lines, one line per output record, as `writeJsonLines` writes them. */
  readonly output: Uint8Array;
  /** Records read from the shard (rows that were problems not counted). */
  readonly records: number;
  /** Lines in `output`. */
  readonly written: number;
  /** Rows that could not be read, with their file lines. */
  readonly problems: readonly SourceProblem[];
  /** Each rejection with the record as it entered the segment (for a dead-letter file), `index` its position among the shard's records. */
  readonly rejected: ReadonlyArray<SegmentProblem & { readonly record: DataRecord }>;
  readonly warnings: readonly SegmentProblem[];
  readonly timings: SegmentResult['timings'];
}

/** A segment opened on an executor: batches go in, results come out; `close` frees what it holds. */
export interface SegmentRunner {
  run(batch: Batch): Promise<SegmentResult>;
  /**
   * Reads, transforms and serialises a shard where the segment runs (optional: an executor without it gets
   * records instead). The records of a task are the segment's to change: an executor hands over copies, as
   * crossing to a thread or process makes them.
   */
  runShard?(task: ShardTask): Promise<ShardResult>;
  close(): Promise<void>;
}

/**
 * Where the stages that declare `worker: true` run (the `Executor` of the architecture). Without one, every
 * stage runs in the calling thread. An executor from a plugin (a worker-thread pool, a distributed queue)
 * is passed to `createRuntime({ executor })`: the same pipeline then runs there by configuration alone.
 */
export interface Executor {
  /** For logs and reports, e.g. `worker-threads`. */
  readonly name: string;
  /** Batches worth keeping in flight so every worker stays busy (order is kept whatever finishes first). */
  readonly concurrency: number;
  /** Prepares a segment (rebuilds its stages where they will run); called once per run, before its first batch. */
  open(segment: SegmentSpec): Promise<SegmentRunner>;
  /** Stops the workers. */
  close?(): Promise<void>;
}
