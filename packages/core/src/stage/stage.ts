import type { Static, TSchema } from '@sinclair/typebox';
import type { Dataset } from '../dataset/dataset.js';
import type { TributaryError } from '../errors/tributary-error.js';
import type { Random } from '../random/random.js';
import type { Batch, DataRecord } from '../record/record.js';
import type { Events } from '../services/events.js';
import type { Logger } from '../services/logger.js';

/** JSON-compatible values, for params and saved state. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A stage as data: which kind, with which params. Specs are what pipelines and saved models are made of. */
export interface StageSpec<P = Record<string, unknown>> {
  readonly kind: string;
  readonly params: P;
}

/** What a stage gets while it runs. */
export interface StageContext {
  /** The kind of the running stage. */
  readonly kind: string;
  readonly logger: Logger;
  readonly events: Events;
  readonly random: Random;
  /**
   * The same object for every batch of one run (one `fit`, `transform` or `predict` call), and a
   * new one for the next run: the key for state a stage keeps per run, such as the names a file
   * sink has written (`WeakMap<object, …>`).
   */
  readonly run: object;
  /**
   * Drops one bad record from this stage's output; the pipeline's error policy decides what happens
   * (`fail` throws it, `skip` counts it, `dead-letter` also writes it to the dead-letter file).
   */
  reject(record: DataRecord, error: TributaryError): void;
  /** Notes something odd about a record that was still handled (an empty document, an unknown charset). */
  warn(code: string, message: string, record?: DataRecord): void;
}

/** A step that turns a batch of records into a batch of records. */
export interface Stage {
  readonly kind: string;
  /** Returns the output records: every input record either comes out or is passed to `ctx.reject`. */
  transform(batch: Batch, ctx: StageContext): Batch | Promise<Batch>;
  /** Frees tensors or native handles. */
  dispose?(): void | Promise<void>;
  /**
   * Bytes the stage holds outside the JS heap, by name (a tfjs network: `tensorBytes` now and
   * `peakTensorBytes` while predicting). The evaluator reads it after each batch for its memory figures.
   */
  memory?(): Readonly<Record<string, number>>;
}

/** What a fitted model persists: JSON metadata plus named files (weights, vocabularies). */
export interface ModelState {
  readonly meta: JsonObject;
  readonly files?: Readonly<Record<string, Uint8Array | string>>;
}

/** A fitted stage that can persist its state. */
export interface Model extends Stage {
  save(): ModelState | Promise<ModelState>;
}

/** A trainable stage: `fit` learns from data and yields a Model; `load` rebuilds that Model from saved state. */
export interface Estimator {
  readonly kind: string;
  fit(data: Dataset<DataRecord>, ctx: StageContext): Promise<Model>;
  load(state: ModelState, ctx: StageContext): Promise<Model>;
}

export function isEstimator(value: Stage | Estimator): value is Estimator {
  return typeof (value as Estimator).fit === 'function' && typeof (value as Estimator).load === 'function';
}

/** The fields a stage reads and writes, given its params. */
export interface StageFields {
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

// tsyringe constructs implementations with arbitrary arguments.
type Constructor<T> = new (...args: any[]) => T;

/**
 * How a plugin describes one kind of stage: its params schema (TypeBox, so it is also JSON Schema),
 * the fields it touches, and the class that implements it. The class is constructed through the
 * runtime's container with the validated params under STAGE_PARAMS, so it can `@inject` any service.
 */
export interface StageDefinition<S extends TSchema = TSchema> {
  readonly kind: string;
  readonly description: string;
  readonly params: S;
  fields(params: Static<S>): StageFields;
  readonly implementation: Constructor<Stage | Estimator>;
  /**
   * The stage can run on an executor's workers (threads or processes): its params, and a fitted model's
   * saved state, rebuild it there, and the records it reads and writes survive structured cloning (plain
   * values, arrays, typed arrays; a Buffer arrives as a Uint8Array). Worth it for CPU-heavy stages.
   */
  readonly worker?: boolean;
}

export function defineStage<S extends TSchema>(definition: StageDefinition<S>): StageDefinition<S> {
  return definition;
}

/** A spec helper: `const tokenize = stageSpec<TokenizeParams>('natural:tokenize')`, then `tokenize({ input: 'text' })`. */
export function stageSpec<P extends object>(kind: string): (params?: P) => StageSpec<P> {
  return (params) => ({ kind, params: { ...(params ?? {}) } as P });
}
