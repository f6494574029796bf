import type { ErrorCode } from '../errors/tributary-error.js';
import type { Batch } from '../record/record.js';
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

/** A segment opened on an executor: batches go in, results come out; `close` frees what it holds. */
export interface SegmentRunner {
  run(batch: Batch): Promise<SegmentResult>;
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
