import { type Batch, type DataRecord, type FeatureVector, type JsonObject, type StageContext, TributaryError } from '@tributary/core';
import type { Backend } from './backend.js';
import { loadNetwork, saveNetwork } from './model-io.js';
import type { NetworkInput } from './network-input.js';
import { type Scaler, fillRows } from './training-set.js';

type LayersModel = import('@tensorflow/tfjs-layers').LayersModel;

export interface NetworkState {
  readonly backend: Backend;
  readonly network: LayersModel;
  /** Values per record: the product of `inputShape`. */
  readonly inputDim: number;
  /** The shape of one record's input, as records hold it. */
  readonly inputShape: readonly number[];
  /** How records feed the network. */
  readonly input: NetworkInput;
  readonly scaler: Scaler | undefined;
}

/** Saved form of a scaler (float32 values survive JSON exactly). */
export function scalerToJson(scaler: Scaler | undefined): JsonObject | null {
  return scaler ? { offset: Array.from(scaler.offset), factor: Array.from(scaler.factor) } : null;
}

export function scalerFromJson(value: unknown): Scaler | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { offset, factor } = value as { offset: unknown; factor: unknown };
  const numbers = (a: unknown) => Array.isArray(a) && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!numbers(offset) || !numbers(factor)) return undefined;
  return { offset: Float32Array.from(offset as number[]), factor: Float32Array.from(factor as number[]) };
}

/**
 * The fitted network of a network stage: runs batches through it with every tensor released before
 * returning (numbers out, no tensors), and saves/loads it through the artifact's own files.
 */
export abstract class NetworkModel {
  abstract readonly kind: string;
  private disposed = false;
  private peakTensorBytes = 0;

  /** `chunk` caps the records per forward pass, for networks whose activations outgrow their input. */
  constructor(
    protected readonly state: NetworkState,
    private readonly input: string,
    private readonly chunk = Number.POSITIVE_INFINITY,
  ) {}

  /** The network's outputs for the valid records of a batch (rows × units); invalid records are rejected. */
  protected outputs(batch: Batch, ctx: StageContext): { records: DataRecord[]; values: Float32Array; units: number } {
    if (this.disposed) throw new TributaryError('DISPOSED', { stage: this.kind, message: `Stage '${this.kind}' was disposed; load the model again to use it.` });
    const { tf } = this.state.backend;
    const { inputDim, inputShape, input, network, scaler } = this.state;
    const records: DataRecord[] = [];
    const vectors: FeatureVector[] = [];
    for (const record of batch) {
      const problem = input.problem(record[this.input], inputShape);
      if (problem) {
        ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: this.kind, message: `Field '${this.input}' ${problem}.` }));
        continue;
      }
      records.push(record);
      vectors.push(record[this.input] as FeatureVector);
    }
    const units = (network.outputs[0]!.shape[1] as number) ?? 1;
    if (records.length === 0) return { records, values: new Float32Array(0), units };
    const shape = input.networkShape(inputShape);
    const order = Int32Array.from(vectors.keys());
    const rows = Math.min(records.length, this.chunk);
    const values = new Float32Array(records.length * units);
    for (let start = 0; start < records.length; start += rows) {
      const end = Math.min(start + rows, records.length);
      const x = new Float32Array((end - start) * inputDim);
      fillRows(vectors, order, start, end, inputDim, scaler, x, input.write);
      values.set(
        tf.tidy(() => {
          // apply, not predict: predict slices its input into batches first, a copy of the whole input
          // that doubled the time of a forward pass over a batch of 8 to 32 TF-IDF vectors.
          const output = network.apply(tf.tensor(x, [end - start, ...shape]), { training: false }) as import('@tensorflow/tfjs-core').Tensor;
          // Input, weights and output are all allocated here: the high-water mark of a forward pass.
          this.peakTensorBytes = Math.max(this.peakTensorBytes, tf.memory().numBytes);
          return output.dataSync() as Float32Array;
        }),
        start * units,
      );
    }
    // A non-finite output (weights damaged, or an input at the edge of float32) is never passed on as a score.
    const kept: DataRecord[] = [];
    const finite: number[] = [];
    for (let r = 0; r < records.length; r++) {
      const row = values.subarray(r * units, (r + 1) * units);
      if (row.every(Number.isFinite)) {
        kept.push(records[r]!);
        finite.push(...row);
      } else {
        ctx.reject(records[r]!, new TributaryError('INVALID_RECORD', { stage: this.kind, message: 'The network produced a non-finite output for this record; check its features (and the model) for extreme values.' }));
      }
    }
    return { records: kept, values: Float32Array.from(finite), units };
  }

  /** The backend's tensor bytes now (the weights, once idle) and at the fullest point of a forward pass so far. */
  memory(): Record<string, number> {
    const now = this.state.backend.tf.memory().numBytes;
    return { tensorBytes: now, peakTensorBytes: Math.max(this.peakTensorBytes, now) };
  }

  protected async saveNetwork(): Promise<{ 'model.json': string; 'weights.bin': Uint8Array }> {
    return saveNetwork(this.state.backend, this.state.network);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.state.network.dispose();
  }
}

export async function restoreNetwork(backend: Backend, files: Readonly<Record<string, Uint8Array | string>> | undefined, kind: string): Promise<LayersModel> {
  const json = files?.['model.json'];
  const weights = files?.['weights.bin'];
  if (json === undefined || !(weights instanceof Uint8Array)) {
    throw new TributaryError('ARTIFACT_CORRUPT', { stage: kind, message: `The saved state of '${kind}' lacks model.json or weights.bin. Re-save the model.` });
  }
  return loadNetwork(backend, { 'model.json': json, 'weights.bin': weights });
}
