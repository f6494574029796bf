import { createRandom, denseTensor, sparseVector } from '@tributary/core';
import { describeConformance } from '@tributary/core/testing';
import { type ConvLayer, convClassifier, denseClassifier, denseRegressor, tfjs, useBackend } from '@tributary/plugin-tfjs';
import { beforeAll } from 'vitest';
import { numTensors } from './helpers.js';

// tf.memory() needs a backend before the first count is taken.
beforeAll(async () => {
  await useBackend('auto');
});

/** Tiny networks and few epochs: the checks are about the contract, not about what the network learns. */
const quick = { hidden: [{ units: 4 }], epochs: 2, batchSize: 4 };

/** Three colours around the three unit axes (scaled by 3), so the softmax head is the one checked. */
const colours = Array.from({ length: 18 }, (_, i) => {
  const k = i % 3;
  return { id: `c${i}`, label: ['red', 'green', 'blue'][k]!, features: [0, 1, 2].map((j) => (j === k ? 3 : 0) + 0.5 * Math.sin(i * (j + 1))) };
});

/** y = 2·x0 − x1 + 0.5 on a small grid. */
const linear = Array.from({ length: 12 }, (_, i) => {
  const x = [(i % 4) - 1.5, Math.floor(i / 4) - 1];
  return { id: `r${i}`, features: x, label: 2 * x[0]! - x[1]! + 0.5 };
});

/** 8×8 greyscale images of dim noise crossed by one bright bar: horizontal for even records, vertical for odd ones. */
function bars(n: number, seed: number, size = 8) {
  const random = createRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const horizontal = i % 2 === 0;
    const data = new Float32Array(size * size).map(() => 0.2 * random.next());
    const line = Math.floor(random.next() * size);
    for (let k = 1; k < size - 1; k++) data[horizontal ? line * size + k : k * size + line] = 0.9;
    return { id: `img${i}`, label: horizontal ? 'horizontal' : 'vertical', tensor: denseTensor(data, [size, size, 1]) };
  });
}

/** 8 → conv 3×3 (valid) 6 → pool 2 → 3, flattened: 3·3·2 = 18 values, then 4 units; batch normalisation and dropout keep state and draw masks. */
const tinyConv: ConvLayer[] = [
  { type: 'conv2d', filters: 2, kernelSize: 3 },
  { type: 'batchNormalization' },
  { type: 'maxPool2d', poolSize: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 4 },
  { type: 'dropout', rate: 0.25 },
];

/** Features a network of `dim` inputs must refuse: one too many, text, NaN, beyond float32, a sparse vector out of order. */
const badFeatures = (dim: number) => [
  { id: 'wrong-length', features: new Array<number>(dim + 1).fill(0) },
  { id: 'text', features: 'one two three' },
  { id: 'nan', features: [Number.NaN, ...new Array<number>(dim - 1).fill(0)] },
  { id: 'beyond-float32', features: [1e39, ...new Array<number>(dim - 1).fill(0)] },
  { id: 'unsorted-sparse', features: sparseVector(dim, Int32Array.from([1, 0]), Float32Array.from([1, 1])) },
];

describeConformance({
  plugin: tfjs,
  cases: [
    {
      // Dropout, a validation hold-out, early stopping with restored weights and class weights: every path that makes tensors while fitting.
      spec: denseClassifier({ ...quick, epochs: 4, input: 'features', dropout: 0.2, scale: 'standard', validationSplit: 0.25, earlyStopping: { patience: 1, minDelta: 0, monitor: 'val_loss', restoreBest: true }, classWeight: 'balanced' }),
      records: colours,
      bad: badFeatures(3),
      badParams: [
        { hidden: [{ units: 0 }] },
        { epochs: 0 },
        { dropout: 1 },
        { threshold: 1.5 },
        { classes: ['only-one'] },
        { optimizer: 'lbfgs' },
        { backend: 'gpu' },
        { validationSplit: 1 },
        { learningRate: 0 },
        { earlyStopping: { patience: 0 } },
        { hidden: [{ units: 4, extra: true }] },
        // val_loss needs a validation hold-out; the score and the class in one field; a weight for a class that is not one.
        { earlyStopping: { patience: 1 } },
        { prediction: 'score' },
        { classes: [0, 1], classWeight: { spam: 2 } },
      ],
      resources: numTensors,
    },
    {
      spec: denseRegressor({ ...quick, input: 'features', output: 'prediction' }),
      records: linear,
      bad: badFeatures(2),
      badParams: [{ loss: 'huber' }, { scaleTarget: 'log' }, { scale: 1 }, { batchSize: 0 }, { l2: -0.1 }, { earlyStopping: { monitor: 'val_loss' } }],
      resources: numTensors,
    },
    {
      spec: convClassifier({ input: 'tensor', layers: tinyConv, epochs: 2, batchSize: 4 }),
      records: bars(8, 3),
      bad: [
        { id: 'wrong-size', tensor: denseTensor(new Float32Array(36), [6, 6, 1]) },
        { id: 'flat', tensor: Array.from({ length: 64 }, () => 0.5) },
        { id: 'rank-2', tensor: denseTensor(new Float32Array(64), [8, 8]) },
        { id: 'nan-pixel', tensor: denseTensor(new Float32Array(64).fill(Number.NaN), [8, 8, 1]) },
        { id: 'malformed', tensor: { kind: 'tensor', shape: [8, 8, 1], data: [0, 1] } },
      ],
      badParams: [
        { layers: [{ type: 'dense', units: 4 }] },
        { layers: [{ type: 'conv2d', filters: 0, kernelSize: 3 }] },
        { layers: [{ type: 'lstm', units: 4 }] },
        { dataFormat: 'nchw' },
        { layers: tinyConv, epochs: 1.5 },
        { layers: tinyConv, earlyStopping: { patience: 2 } },
        { layers: tinyConv, output: 'class', prediction: 'class' },
        { layers: tinyConv, classes: ['horizontal', 'vertical'], classWeight: { horizontal: 1, diagonal: 3 } },
      ],
      resources: numTensors,
    },
  ],
});
