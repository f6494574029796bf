import {
  type DataRecord,
  type Dataset,
  type FeatureVector,
  type StageContext,
  TributaryError,
  featureLength,
  isDenseTensor,
  isSparseVector,
  writeDense,
} from '@tributary/core';
import type { NetworkInput } from './network-input.js';

/** Per-feature affine scaling learned on the training records: x' = (x − offset) × factor. */
export interface Scaler {
  readonly offset: Float32Array;
  readonly factor: Float32Array;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** Why a feature value cannot be used, or undefined when it can. */
export function featureProblem(value: unknown, dim: number | undefined): string | undefined {
  if (value === undefined) return 'is missing from the record; set the stage\'s input param to the field that holds the features';
  const length = featureLength(value);
  if (length === undefined) return `is not a feature vector (a number array, Float32Array, sparse vector or tensor), got ${value === null ? 'null' : typeof value}`;
  if (length === 0) return 'is an empty feature vector';
  if (dim !== undefined && length !== dim) return `has ${length} features, but the model takes ${dim}`;
  if (isSparseVector(value)) {
    const { indices, values, size } = value;
    if (!Number.isInteger(size) || size < 1) return `is a sparse vector of size ${size}`;
    if (indices.length !== values.length) return `is a sparse vector with ${indices.length} indices but ${values.length} values`;
    for (let i = 0; i < indices.length; i++) {
      if (indices[i]! < 0 || indices[i]! >= size) return `is a sparse vector whose index ${indices[i]} is outside 0…${size - 1}`;
      if (i > 0 && indices[i]! <= indices[i - 1]!) return 'is a sparse vector whose indices are not strictly ascending';
    }
  }
  const values = isSparseVector(value) ? value.values : isDenseTensor(value) ? value.data : (value as ArrayLike<number>);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // Networks compute in float32: anything beyond its range becomes Infinity there.
    if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) return `holds a value out of the float32 range (${v}) at position ${isSparseVector(value) ? value.indices[i] : i}`;
  }
  return undefined;
}

/** The training records as kept in memory: references to their feature vectors (sparse stays sparse) and dense targets. */
export interface TrainingSet {
  readonly features: FeatureVector[];
  readonly labels: unknown[];
  /** Values per record: the product of `shape`. */
  readonly dim: number;
  /** The shape every kept record has, as records hold it. */
  readonly shape: readonly number[];
  /** How the records feed the network. */
  readonly input: NetworkInput;
}

/**
 * Reads the features and labels of the training records. Memory is what the vectors already take:
 * sparse TF-IDF rows are not expanded into a dense documents × terms matrix; batches are densified one at a time.
 */
export async function collectTrainingSet(
  data: Dataset<DataRecord>,
  input: string,
  reader: NetworkInput,
  label: string,
  kind: string,
  ctx: StageContext,
  labelProblem: (value: unknown) => string | undefined,
): Promise<TrainingSet> {
  const candidates: Array<{ record: DataRecord; key: string }> = [];
  const shapes = new Map<string, { shape: readonly number[]; count: number }>();
  for await (const record of data) {
    const problem = reader.problem(record[input], undefined);
    const badLabel = labelProblem(record[label]);
    if (problem || badLabel) {
      ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: kind, message: problem ? `Field '${input}' ${problem}.` : `Field '${label}' ${badLabel}.` }));
      continue;
    }
    const shape = reader.shapeOf(record[input] as FeatureVector);
    const key = shape.join(',');
    const seen = shapes.get(key);
    if (seen) seen.count++;
    else shapes.set(key, { shape, count: 1 });
    candidates.push({ record, key });
  }
  // The most common shape is the input shape; records of another shape are the odd ones out.
  const common = [...shapes.entries()].sort(([, a], [, b]) => b.count - a.count || compareShapes(a.shape, b.shape))[0];
  const features: FeatureVector[] = [];
  const labels: unknown[] = [];
  for (const { record, key } of candidates) {
    if (key !== common![0]) {
      ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: kind, message: `Field '${input}' ${reader.mismatch(shapes.get(key)!.shape, common![1].shape)}.` }));
      continue;
    }
    features.push(record[input] as FeatureVector);
    labels.push(record[label]);
  }
  if (features.length === 0 || common === undefined) {
    throw new TributaryError('EMPTY_DATASET', { stage: kind, message: `Stage '${kind}' got no usable training records (fields '${input}' and '${label}'). Check that an earlier stage writes them.` });
  }
  const { shape } = common[1];
  return { features, labels, dim: shape.reduce((a, b) => a * b, 1), shape, input: reader };
}

/** Orders shapes by rank, then axis by axis: the tie-break between equally common shapes. */
function compareShapes(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Learns min-max or standard scaling per feature; a constant feature gets factor 0, so it scales to 0 rather than NaN. */
export function fitScaler(features: readonly FeatureVector[], dim: number, mode: 'minmax' | 'standard'): Scaler {
  const row = new Float32Array(dim);
  const a = new Float64Array(dim).fill(mode === 'minmax' ? Infinity : 0);
  const b = new Float64Array(dim).fill(mode === 'minmax' ? -Infinity : 0);
  for (const vector of features) {
    row.fill(0);
    writeDense(vector, row, 0);
    for (let j = 0; j < dim; j++) {
      const v = row[j]!;
      if (mode === 'minmax') {
        if (v < a[j]!) a[j] = v;
        if (v > b[j]!) b[j] = v;
      } else {
        a[j]! += v;
        b[j]! += v * v;
      }
    }
  }
  const offset = new Float32Array(dim);
  const factor = new Float32Array(dim);
  const n = features.length;
  for (let j = 0; j < dim; j++) {
    if (mode === 'minmax') {
      offset[j] = a[j]!;
      const range = b[j]! - a[j]!;
      factor[j] = range > 0 ? 1 / range : 0;
    } else {
      const mean = a[j]! / n;
      const variance = Math.max(0, b[j]! / n - mean * mean);
      offset[j] = mean;
      factor[j] = variance > 0 ? 1 / Math.sqrt(variance) : 0;
    }
  }
  return { offset, factor };
}

/** Writes rows `order[start..end)` of `features` into `target` (row-major, each row as `write` lays it out), scaled when a scaler is given. */
export function fillRows(
  features: readonly FeatureVector[],
  order: ArrayLike<number>,
  start: number,
  end: number,
  dim: number,
  scaler: Scaler | undefined,
  target: Float32Array,
  write: NetworkInput['write'] = writeDense,
): void {
  target.fill(0, 0, (end - start) * dim);
  for (let r = start; r < end; r++) {
    const offset = (r - start) * dim;
    write(features[order[r]!]!, target, offset);
    if (scaler) {
      for (let j = 0; j < dim; j++) target[offset + j] = (target[offset + j]! - scaler.offset[j]!) * scaler.factor[j]!;
    }
  }
}
