import { TributaryError } from '../errors/tributary-error.js';

/** A record is a plain object; stages read and write named fields and leave the others alone. */
export type DataRecord = { [field: string]: unknown };

/** Records travel between stages in batches. */
export type Batch<T = DataRecord> = T[];

/**
 * A sparse numeric vector: `indices` ascending, `values` aligned with them, `size` the full length.
 * Text features (TF-IDF) use it so a large vocabulary never becomes a dense documents × terms matrix.
 */
export interface SparseVector {
  readonly kind: 'sparse';
  readonly size: number;
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/**
 * A dense float32 tensor, row-major: how image stages hand pixels to models (`[height, width, channels]`
 * or `[channels, height, width]` per record). Models that take flat features read `data` as a vector.
 */
export interface DenseTensor {
  readonly kind: 'tensor';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A feature vector as stages exchange it. */
export type FeatureVector = readonly number[] | Float32Array | Float64Array | SparseVector | DenseTensor;

/** Wraps `data` as a tensor of `shape`; throws a RangeError when the shape does not describe `data.length` values. */
export function denseTensor(data: Float32Array, shape: readonly number[]): DenseTensor {
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) throw new RangeError(`A tensor shape holds positive integers, got [${shape.join(', ')}].`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new RangeError(`A tensor of shape [${shape.join(', ')}] holds ${size} values, but ${data.length} were given.`);
  return { kind: 'tensor', shape: Object.freeze([...shape]), data };
}

/**
 * Stacks tensors of one shape into one batched tensor of shape [n, …shape] (the layout models
 * take: `[n, height, width, channels]` for images); INVALID_DATA names the first that differs.
 */
export function stackTensors(tensors: readonly DenseTensor[]): DenseTensor {
  if (tensors.length === 0) throw new TributaryError('INVALID_DATA', { message: 'stackTensors needs at least one tensor.' });
  const shape = tensors[0]!.shape;
  const size = tensors[0]!.data.length;
  const data = new Float32Array(size * tensors.length);
  tensors.forEach((t, i) => {
    if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
      throw new TributaryError('INVALID_DATA', {
        message: `Tensor #${i} has shape [${t.shape.join(', ')}], the first has [${shape.join(', ')}]; only tensors of one shape stack. For images, resize them to one size before toTensor.`,
      });
    }
    data.set(t.data, i * size);
  });
  return denseTensor(data, [tensors.length, ...shape]);
}

export function isDenseTensor(value: unknown): value is DenseTensor {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as DenseTensor;
  return (
    t.kind === 'tensor' &&
    t.data instanceof Float32Array &&
    Array.isArray(t.shape) &&
    t.shape.length > 0 &&
    t.shape.every((d) => Number.isInteger(d) && d > 0) &&
    t.shape.reduce((a, b) => a * b, 1) === t.data.length
  );
}

export function sparseVector(size: number, indices: Int32Array, values: Float32Array): SparseVector {
  return { kind: 'sparse', size, indices, values };
}

export function isSparseVector(value: unknown): value is SparseVector {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as SparseVector).kind === 'sparse' &&
    (value as SparseVector).indices instanceof Int32Array &&
    (value as SparseVector).values instanceof Float32Array
  );
}

/** The length of a feature vector, or undefined when the value is not one. */
export function featureLength(value: unknown): number | undefined {
  if (isSparseVector(value)) return value.size;
  if (isDenseTensor(value)) return value.data.length;
  if (value instanceof Float32Array || value instanceof Float64Array) return value.length;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value.length;
  return undefined;
}

/**
 * Writes a feature vector into `target` at `offset` (dense, row-major), so callers can fill one
 * preallocated batch buffer without intermediate arrays.
 */
export function writeDense(value: FeatureVector, target: Float32Array, offset: number): void {
  if (isSparseVector(value)) {
    const { indices, values } = value;
    for (let i = 0; i < indices.length; i++) target[offset + indices[i]!] = values[i]!;
    return;
  }
  if (isDenseTensor(value)) {
    target.set(value.data, offset);
    return;
  }
  for (let i = 0; i < value.length; i++) target[offset + i] = value[i]!;
}

/** The record's id as reports show it (the `id` field when present, else its position). */
export function recordId(record: DataRecord, fallback: number): string | number {
  if (typeof record !== 'object' || record === null) return fallback;
  const id = record.id;
  return typeof id === 'string' || typeof id === 'number' ? id : fallback;
}

/**
 * A JSON.stringify replacer for records: bytes become `{"base64": …}` rather than objects of numbered
 * keys, other typed arrays (pixels of 16-bit or float images, features) plain arrays of numbers, and
 * bigints strings. Used for JSON Lines output and dead-letter files.
 */
export function recordJsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return { base64: Buffer.from((value as { data: number[] }).data).toString('base64') };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
  return value;
}
