import { type FeatureVector, featureLength, writeDense } from '@tributary/core';
import { featureProblem } from './training-set.js';

/**
 * How a network stage reads its input field: what makes a value unusable, which shape a usable one
 * has, and how it is written as one row of a batch in the layout the network takes. Shapes "as
 * records hold them" and "as the network takes them" differ only when the stage reorders axes.
 */
export interface NetworkInput {
  /** Why a value cannot be fed to the network, or undefined; `shape`, once fitted, is the shape it must have (as records hold it). */
  problem(value: unknown, shape: readonly number[] | undefined): string | undefined;
  /** The shape of a usable value, as the record holds it. */
  shapeOf(value: FeatureVector): readonly number[];
  /** Why training drops a usable value whose shape is not the one most training records have. */
  mismatch(shape: readonly number[], common: readonly number[]): string;
  /** The network's input shape (without the batch axis) for records of `shape`. */
  networkShape(shape: readonly number[]): number[];
  /** The records' shape for a network input shape: the inverse of `networkShape`. */
  recordShape(networkShape: readonly number[]): number[];
  /** Writes a value of the fitted shape into `target` at `offset`, in the network's layout. */
  write(value: FeatureVector, target: Float32Array, offset: number): void;
}

/** Flat feature vectors (number arrays, Float32Array, sparse vectors, tensors read as their values): what the dense stages take. */
export const featureInput: NetworkInput = {
  problem: (value, shape) => featureProblem(value, shape?.[0]),
  shapeOf: (value) => [featureLength(value)!],
  mismatch: ([length], [common]) => `has ${length} features, but most training records have ${common}`,
  networkShape: (shape) => [...shape],
  recordShape: (shape) => [...shape],
  write: writeDense,
};
