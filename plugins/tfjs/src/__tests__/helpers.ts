import { createRandom } from '@tributary/core';
import * as tf from '@tensorflow/tfjs-core';

/** Two Gaussian blobs in `dim` dimensions, label 1 for the blob around +1, 0 around −1. */
export function blobs(n: number, dim: number, seed: number) {
  const random = createRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2;
    return { id: i, label, features: Array.from({ length: dim }, () => (label ? 1 : -1) + 0.5 * gauss()) };
  });
}

export const numTensors = () => tf.memory().numTensors;
