import { type Static, TributaryError, Type } from '@tributary/core';
import type { Backend, BackendName } from './backend.js';
import { ACTIVATIONS, MAX_BATCH_VALUES, MAX_WEIGHTS, type NetworkBuilder, type NetworkOutput, wasmBudgetProblem } from './network.js';
import { seededDropoutClass } from './seeded-dropout.js';

type LayersModel = import('@tensorflow/tfjs-layers').LayersModel;

/** A window size or stride: [height, width], or one number for both. */
const Size = (options: { default?: number } = {}) =>
  Type.Union([Type.Integer({ minimum: 1 }), Type.Tuple([Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 })])], options);
// Optional with a default: validation fills it in (so saved params are explicit), yet specs may leave it out.
const Padding = () => Type.Optional(Type.Union([Type.Literal('valid'), Type.Literal('same')], { default: 'valid' }));
const Activation = () => Type.Optional(Type.Union(ACTIVATIONS.map((a) => Type.Literal(a)), { default: 'relu' }));

/** A 2-D convolution: `filters` kernels of `kernelSize` ([height, width], or one number for a square). */
export const Conv2dLayer = Type.Object(
  {
    type: Type.Literal('conv2d'),
    filters: Type.Integer({ minimum: 1 }),
    kernelSize: Size(),
    strides: Type.Optional(Size({ default: 1 })),
    /** `valid`: no padding, so the image shrinks by kernelSize − 1; `same`: padded to keep its size (divided by the strides). */
    padding: Padding(),
    activation: Activation(),
  },
  { additionalProperties: false },
);

/** Max or average pooling over `poolSize` windows; `strides` default to the pool size. */
export const Pool2dLayer = Type.Object(
  {
    type: Type.Union([Type.Literal('maxPool2d'), Type.Literal('avgPool2d')]),
    poolSize: Size(),
    strides: Type.Optional(Size()),
    padding: Padding(),
  },
  { additionalProperties: false },
);

/** Seeded dropout of `rate` of the values while training. */
export const DropoutLayer = Type.Object(
  { type: Type.Literal('dropout'), rate: Type.Number({ minimum: 0, exclusiveMaximum: 1 }) },
  { additionalProperties: false },
);

/** Flattens an image-shaped activation into a vector, for the dense layers after it. */
export const FlattenLayer = Type.Object({ type: Type.Literal('flatten') }, { additionalProperties: false });

/** A fully connected layer; only after a flatten. */
export const DenseLayer = Type.Object(
  { type: Type.Literal('dense'), units: Type.Integer({ minimum: 1 }), activation: Activation() },
  { additionalProperties: false },
);

/** Batch normalisation over the last axis (the channels); `momentum` of the moving mean and variance used at prediction time. */
export const BatchNormalizationLayer = Type.Object(
  { type: Type.Literal('batchNormalization'), momentum: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0.99 })) },
  { additionalProperties: false },
);

/** One layer of a convolutional network, told apart by `type`. */
export const ConvLayer = Type.Union([Conv2dLayer, Pool2dLayer, DropoutLayer, FlattenLayer, DenseLayer, BatchNormalizationLayer]);
export type ConvLayer = Static<typeof ConvLayer>;

/** Suits 28×28 greyscale digits: 28 → conv 26 → pool 13 → conv 11 → pool 5, then 800 values into 64 units. */
export const DEFAULT_CONV_LAYERS: ConvLayer[] = [
  { type: 'conv2d', filters: 16, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' },
  { type: 'maxPool2d', poolSize: 2, padding: 'valid' },
  { type: 'conv2d', filters: 32, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' },
  { type: 'maxPool2d', poolSize: 2, padding: 'valid' },
  { type: 'flatten' },
  { type: 'dense', units: 64, activation: 'relu' },
  { type: 'dropout', rate: 0.25 },
];

const pair = (size: number | [number, number]): [number, number] => (typeof size === 'number' ? [size, size] : size);
const show = (shape: readonly number[]) => shape.join('×');

/** The length of one axis after a window of `size` moved by `stride` (TensorFlow's rule). */
function outputLength(length: number, size: number, padding: 'valid' | 'same', stride: number): number {
  return Math.floor(((padding === 'same' ? length : length - size + 1) + stride - 1) / stride);
}

function describeLayer(layer: ConvLayer): string {
  switch (layer.type) {
    case 'conv2d':
      return `conv2d, kernelSize ${show(pair(layer.kernelSize))}, strides ${show(pair(layer.strides ?? 1))}, padding '${layer.padding ?? 'valid'}'`;
    case 'maxPool2d':
    case 'avgPool2d':
      return `${layer.type}, poolSize ${show(pair(layer.poolSize))}, strides ${show(pair(layer.strides ?? layer.poolSize))}, padding '${layer.padding ?? 'valid'}'`;
    default:
      return layer.type;
  }
}

function invalidLayers(kind: string, index: number | undefined, message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError('INVALID_PARAMS', { stage: kind, param: index === undefined ? 'layers' : `layers.${index}`, message, details: { ...(index === undefined ? {} : { layer: index }), ...details } });
}

/** Checks the order of the layers, which holds for every input: image layers before the flatten, dense layers after it. */
export function checkLayerOrder(layers: readonly ConvLayer[], kind: string): void {
  let flatAt: number | undefined;
  layers.forEach((layer, i) => {
    if (layer.type === 'flatten') flatAt ??= i;
    else if ((layer.type === 'conv2d' || layer.type === 'maxPool2d' || layer.type === 'avgPool2d') && flatAt !== undefined) {
      throw invalidLayers(kind, i, `Stage '${kind}': layers[${i}] (${layer.type}) comes after the flatten at layers[${flatAt}], but it works on images. Move it before the flatten.`);
    } else if (layer.type === 'dense' && flatAt === undefined) {
      throw invalidLayers(kind, i, `Stage '${kind}': layers[${i}] (dense) would get an image, not a vector. Add { type: 'flatten' } before it.`);
    }
  });
}

/** What the layers come to on one input shape. */
export interface ConvPlan {
  /** Whether a flatten goes before the output layer (the layers end on an image). */
  readonly flattenOutput: boolean;
  readonly weights: number;
  /** Activation values per record, summed over the layers: what one record costs while training. */
  readonly activations: number;
}

/**
 * Walks the layers over an input of [height, width, channels] and fails, naming the layer and what
 * to change, when one would shrink the image to nothing or the network would not fit in memory —
 * before TensorFlow.js builds anything.
 */
export function planConvNetwork(layers: readonly ConvLayer[], inputShape: readonly number[], outputUnits: number, batchSize: number, kind: string, backend?: BackendName): ConvPlan {
  checkLayerOrder(layers, kind);
  let shape = [...inputShape];
  let weights = 0;
  let activations = shape.reduce((a, b) => a * b, 1);
  let largest = { index: -1, weights: 0 };
  const count = (index: number, n: number) => {
    weights += n;
    if (n > largest.weights) largest = { index, weights: n };
  };
  layers.forEach((layer, i) => {
    const before = shape;
    if (layer.type === 'conv2d' || layer.type === 'maxPool2d' || layer.type === 'avgPool2d') {
      const [h = 0, w = 0, c = 0] = before;
      const conv = layer.type === 'conv2d';
      const [kh, kw] = pair(conv ? layer.kernelSize : layer.poolSize);
      const [sh, sw] = pair(conv ? (layer.strides ?? 1) : (layer.strides ?? layer.poolSize));
      const padding = layer.padding ?? 'valid';
      shape = [outputLength(h, kh, padding, sh), outputLength(w, kw, padding, sw), conv ? layer.filters : c];
      if (shape[0]! < 1 || shape[1]! < 1) {
        const remedy = conv
          ? "use padding 'same' or a smaller kernelSize here, or remove a pooling layer (or strides) before it"
          : "remove it, use a smaller poolSize, or padding 'same' (here or in the layers before it)";
        throw invalidLayers(
          kind,
          i,
          `Stage '${kind}': layers[${i}] (${describeLayer(layer)}) gets a ${show(before)} input and would shrink it to ${show(shape.map((d) => Math.max(0, d)))}: ${remedy}. The images are ${show(inputShape)} (height×width×channels).`,
          { inputShape: before, imageShape: [...inputShape] },
        );
      }
      if (conv) count(i, kh * kw * c * layer.filters + layer.filters);
    } else if (layer.type === 'flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
    } else if (layer.type === 'dense') {
      count(i, shape[0]! * layer.units + layer.units);
      shape = [layer.units];
    } else if (layer.type === 'batchNormalization') {
      count(i, 4 * shape.at(-1)!);
    }
    activations += shape.reduce((a, b) => a * b, 1);
  });
  const flattenOutput = shape.length > 1;
  const flat = shape.reduce((a, b) => a * b, 1);
  count(layers.length, flat * outputUnits + outputUnits);
  activations += (flattenOutput ? flat : 0) + outputUnits;
  if (weights > MAX_WEIGHTS) {
    const where = largest.index === layers.length ? 'the output layer' : `layers[${largest.index}] (${layers[largest.index]!.type})`;
    throw invalidLayers(
      kind,
      largest.index === layers.length ? undefined : largest.index,
      `Stage '${kind}': the network would have ${weights} weights (${largest.weights} in ${where}), too many to train in memory. Shrink the image before the flatten (more pooling or strides), or use fewer units or filters.`,
    );
  }
  if (activations * batchSize > MAX_BATCH_VALUES) {
    throw new TributaryError('INVALID_PARAMS', {
      stage: kind,
      param: 'batchSize',
      message: `Stage '${kind}': a batch of ${batchSize} ${show(inputShape)} images needs ${activations * batchSize} activation values while training, more than fit in memory. Lower batchSize, shrink the images, or pool earlier.`,
    });
  }
  const problem = backend && wasmBudgetProblem(backend, weights, activations * batchSize, kind, `these layers on ${show(inputShape)} images in batches of ${batchSize}`);
  if (problem) throw problem;
  return { flattenOutput, weights, activations };
}

/** The convolutional network of a conv stage's layers; the output layer follows them. */
export function convNetwork(layers: readonly ConvLayer[], kind: string): NetworkBuilder {
  return {
    check(inputShape, outputUnits, batchSize, _kind, backend) {
      planConvNetwork(layers, inputShape, outputUnits, batchSize, kind, backend);
    },
    build(backend, output) {
      const plan = planConvNetwork(layers, output.inputShape, output.outputUnits, 1, kind);
      try {
        return buildConvNetwork(backend, layers, plan, output);
      } catch (error) {
        // The plan has checked every shape, so this is a combination the plan does not know about.
        throw new TributaryError('INVALID_PARAMS', {
          stage: kind,
          param: 'layers',
          message: `Stage '${kind}': TensorFlow.js could not build these layers for ${show(output.inputShape)} inputs (${error instanceof Error ? error.message : String(error)}). Check the layers param.`,
          cause: error,
        });
      }
    },
  };
}

function buildConvNetwork(backend: Backend, layers: readonly ConvLayer[], plan: ConvPlan, output: NetworkOutput): LayersModel {
  const { tfl } = backend;
  const model = tfl.sequential();
  try {
    addLayers(backend, model, layers, plan, output);
  } catch (error) {
    // Layers added so far hold weights already.
    model.dispose();
    throw error;
  }
  return model;
}

function addLayers(backend: Backend, model: import('@tensorflow/tfjs-layers').Sequential, layers: readonly ConvLayer[], plan: ConvPlan, output: NetworkOutput): void {
  const { tf, tfl } = backend;
  const SeededDropout = seededDropoutClass(tf, tfl);
  const { seed } = output;
  model.add(tfl.layers.inputLayer({ inputShape: [...output.inputShape] }));
  layers.forEach((layer, i) => {
    switch (layer.type) {
      case 'conv2d':
        model.add(
          tfl.layers.conv2d({
            filters: layer.filters,
            kernelSize: layer.kernelSize,
            strides: layer.strides ?? 1,
            padding: layer.padding ?? 'valid',
            activation: layer.activation ?? 'relu',
            kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
          }),
        );
        break;
      case 'maxPool2d':
      case 'avgPool2d': {
        const args = { poolSize: layer.poolSize, strides: layer.strides ?? layer.poolSize, padding: layer.padding ?? 'valid' };
        model.add(layer.type === 'maxPool2d' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args));
        break;
      }
      case 'dropout':
        model.add(new SeededDropout({ rate: layer.rate, seed: seed * 7919 + i * 104729 }));
        break;
      case 'flatten':
        model.add(tfl.layers.flatten());
        break;
      case 'dense':
        model.add(tfl.layers.dense({ units: layer.units, activation: layer.activation ?? 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }) }));
        break;
      case 'batchNormalization':
        model.add(tfl.layers.batchNormalization({ momentum: layer.momentum ?? 0.99 }));
        break;
    }
  });
  if (plan.flattenOutput) model.add(tfl.layers.flatten());
  model.add(
    tfl.layers.dense({
      units: output.outputUnits,
      activation: output.outputActivation,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + layers.length }),
    }),
  );
}

/** Records per forward pass at prediction time, so a large batch of images never needs more than about 64 MB of activations. */
export function predictionChunk(layers: readonly ConvLayer[], inputShape: readonly number[], outputUnits: number, kind: string): number {
  const { activations } = planConvNetwork(layers, inputShape, outputUnits, 1, kind);
  return Math.max(1, Math.min(1024, Math.floor(2 ** 24 / activations)));
}
