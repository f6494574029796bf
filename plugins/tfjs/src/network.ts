import { TributaryError, Type } from '@tributary/core';
import type { Backend, BackendName } from './backend.js';
import { seededDropoutClass } from './seeded-dropout.js';

type LayersModel = import('@tensorflow/tfjs-layers').LayersModel;

export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'linear', 'swish'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const Activation = Type.Union(ACTIVATIONS.map((a) => Type.Literal(a)));

export const HiddenLayer = Type.Object(
  {
    units: Type.Integer({ minimum: 1 }),
    activation: Type.Optional(Activation),
    dropout: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
  },
  { additionalProperties: false },
);

const Optimizer = Type.Union([Type.Literal('adam'), Type.Literal('sgd'), Type.Literal('rmsprop'), Type.Literal('adagrad')], { default: 'adam' });

/** Params of the training loop, shared by every network stage. */
const loopParams = {
  optimizer: Optimizer,
  /** Default: 0.001 for adam and rmsprop, 0.01 for sgd and adagrad. */
  learningRate: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  epochs: Type.Integer({ minimum: 1, default: 10 }),
  batchSize: Type.Integer({ minimum: 1, default: 32 }),
  /** Fraction of the training records held out (seeded, stratified for classifiers) to validate each epoch. */
  validationSplit: Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0 }),
  /** Stop when the monitored loss has not improved by `minDelta` for `patience` epochs, then restore the best weights. */
  earlyStopping: Type.Union(
    [
      Type.Literal(false),
      Type.Object(
        {
          patience: Type.Integer({ minimum: 1, default: 3 }),
          minDelta: Type.Number({ minimum: 0, default: 0 }),
          monitor: Type.Union([Type.Literal('val_loss'), Type.Literal('loss')], { default: 'val_loss' }),
          restoreBest: Type.Boolean({ default: true }),
        },
        { additionalProperties: false },
      ),
    ],
    { default: false },
  ),
};

/** Params of the run, shared by every network stage. */
const runParams = {
  /** Seeds the initial weights, the shuffling, the validation hold-out and dropout; by default derived from the runtime's seed. */
  seed: Type.Optional(Type.Integer()),
  backend: Type.Union([Type.Literal('auto'), Type.Literal('tensorflow'), Type.Literal('wasm'), Type.Literal('cpu')], { default: 'auto' }),
};

/** The training params every network stage shares: the label, the optimiser and loop, the seed and the backend. */
export const trainingParams = {
  label: Type.String({ default: 'label' }),
  ...loopParams,
  ...runParams,
};

/** Params shared by every dense network stage. */
export const networkParams = {
  /** Features in: a number array, a Float32Array, or a sparse vector (TF-IDF). */
  input: Type.String({ default: 'features' }),
  label: trainingParams.label,
  hidden: Type.Array(HiddenLayer, { default: [{ units: 16 }] }),
  /** Activation of hidden layers that do not name their own. */
  activation: Type.Union(ACTIVATIONS.map((a) => Type.Literal(a)), { default: 'relu' }),
  /** Dropout after hidden layers that do not set their own. */
  dropout: Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0 }),
  /** L2 penalty on the kernels. */
  l2: Type.Number({ minimum: 0, default: 0 }),
  ...loopParams,
  /** Scaling of the features, learned on the training records: `minmax` to [0, 1], `standard` to mean 0 and sd 1. A constant feature scales to 0. */
  scale: Type.Union([Type.Literal('none'), Type.Literal('minmax'), Type.Literal('standard')], { default: 'none' }),
  ...runParams,
};

export interface NetworkShape {
  readonly inputDim: number;
  readonly hidden: ReadonlyArray<{ units: number; activation?: Activation; dropout?: number }>;
  readonly activation: Activation;
  readonly dropout: number;
  readonly l2: number;
  readonly outputUnits: number;
  readonly outputActivation: 'sigmoid' | 'softmax' | 'linear';
  readonly seed: number;
}

/** Builds a sequential dense network with seeded Glorot-uniform kernels and zero biases. */
export function buildNetwork(backend: Backend, shape: NetworkShape): LayersModel {
  const { tf, tfl } = backend;
  const SeededDropout = seededDropoutClass(tf, tfl);
  const model = tfl.sequential();
  const regularizer = shape.l2 > 0 ? tfl.regularizers.l2({ l2: shape.l2 }) : undefined;
  shape.hidden.forEach((layer, i) => {
    model.add(
      tfl.layers.dense({
        units: layer.units,
        activation: layer.activation ?? shape.activation,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: shape.seed + i }),
        ...(regularizer ? { kernelRegularizer: regularizer } : {}),
        ...(i === 0 ? { inputShape: [shape.inputDim] } : {}),
      }),
    );
    const rate = layer.dropout ?? shape.dropout;
    if (rate > 0) model.add(new SeededDropout({ rate, seed: shape.seed * 7919 + i * 104729 }));
  });
  model.add(
    tfl.layers.dense({
      units: shape.outputUnits,
      activation: shape.outputActivation,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: shape.seed + shape.hidden.length }),
      ...(shape.hidden.length === 0 ? { inputShape: [shape.inputDim] } : {}),
    }),
  );
  return model;
}

/** The head of a network: its output layer and the seed of its initial weights. */
export interface NetworkOutput {
  /** The input shape of one record, as the network takes it (no batch axis). */
  readonly inputShape: readonly number[];
  readonly outputUnits: number;
  readonly outputActivation: 'sigmoid' | 'softmax' | 'linear';
  readonly seed: number;
}

/** How a network stage turns its params into layers, so one training loop serves dense and convolutional networks. */
export interface NetworkBuilder {
  /**
   * Throws a TributaryError (saying what to change) when these layers cannot be built or trained for
   * this input; `batchSize` is the largest batch training will use, `backend` the one it runs on.
   */
  check(inputShape: readonly number[], outputUnits: number, batchSize: number, kind: string, backend: BackendName): void;
  build(backend: Backend, output: NetworkOutput): LayersModel;
}

/** Past these sizes (float32: 1.2 GB of weights, 1 GB per batch) training cannot run in this process. */
export const MAX_WEIGHTS = 3e8;
export const MAX_BATCH_VALUES = 2.5e8;

/**
 * The WASM backend's heap cannot grow past 2 GB, and running out aborts the WebAssembly runtime for
 * the rest of the process. Training holds each weight about five times (value, gradient, two Adam
 * moments, a temporary) and each activation of a batch about three times (forward, gradient, a
 * temporary), all float32; networks past this budget are refused before anything is allocated.
 */
export const WASM_TRAINING_BYTES = 1.2e9;

export function trainingBytes(weights: number, batchActivations: number): number {
  return 4 * (5 * weights + 3 * batchActivations);
}

/** The refusal of a network that does not fit the WASM heap, or undefined when it fits or the backend is another. */
export function wasmBudgetProblem(backend: BackendName, weights: number, batchActivations: number, kind: string, what: string): TributaryError | undefined {
  const bytes = trainingBytes(weights, batchActivations);
  if (backend !== 'wasm' || bytes <= WASM_TRAINING_BYTES) return undefined;
  return new TributaryError('INVALID_PARAMS', {
    stage: kind,
    message: `Stage '${kind}': training ${what} (${weights} weights, ${batchActivations} activation values per batch) needs about ${Math.round(bytes / 1e6)} MB, more than the WASM backend's heap holds (about ${WASM_TRAINING_BYTES / 1e6} MB for training). Use fewer units or filters, shrink the input, lower batchSize, or install @tensorflow/tfjs-node for native memory.`,
    details: { bytes, budget: WASM_TRAINING_BYTES },
  });
}

/** The dense network of a dense stage's params. */
export function denseNetwork(p: Pick<NetworkShape, 'hidden' | 'activation' | 'dropout' | 'l2'>): NetworkBuilder {
  return {
    check([dim = 0], outputUnits, batchSize, kind, backend) {
      const firstLayer = dim * (p.hidden[0]?.units ?? outputUnits);
      if (firstLayer > MAX_WEIGHTS || dim * batchSize > MAX_BATCH_VALUES) {
        throw new TributaryError('INVALID_DATA', {
          stage: kind,
          message: `The features have ${dim} dimensions: a first layer of ${firstLayer} weights and batches of ${dim * batchSize} values do not fit in memory. Reduce the feature count (e.g. tfidf maxFeatures) or the batch size.`,
        });
      }
      const widths = [dim, ...p.hidden.map((h) => h.units), outputUnits];
      let weights = 0;
      for (let i = 1; i < widths.length; i++) weights += widths[i - 1]! * widths[i]! + widths[i]!;
      const problem = wasmBudgetProblem(backend, weights, widths.reduce((a, b) => a + b, 0) * batchSize, kind, 'this dense network');
      if (problem) throw problem;
    },
    build: (backend, output) =>
      buildNetwork(backend, {
        inputDim: output.inputShape[0]!,
        hidden: p.hidden,
        activation: p.activation,
        dropout: p.dropout,
        l2: p.l2,
        outputUnits: output.outputUnits,
        outputActivation: output.outputActivation,
        seed: output.seed,
      }),
  };
}

export function makeOptimizer(backend: Backend, name: 'adam' | 'sgd' | 'rmsprop' | 'adagrad', learningRate?: number) {
  const { train } = backend.tf;
  switch (name) {
    case 'sgd':
      return train.sgd(learningRate ?? 0.01);
    case 'rmsprop':
      return train.rmsprop(learningRate ?? 0.001);
    case 'adagrad':
      return train.adagrad(learningRate ?? 0.01);
    default:
      return train.adam(learningRate ?? 0.001);
  }
}
