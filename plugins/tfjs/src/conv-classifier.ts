import {
  type DataRecord,
  type Dataset,
  type Estimator,
  type Model,
  type ModelState,
  STAGE_PARAMS,
  type StageContext,
  type Static,
  TributaryError,
  Type,
  defineStage,
  inject,
  injectable,
  stageSpec,
} from '@tributary/core';
import { useBackend } from './backend.js';
import { ClassifierModel, checkClassifierParams, classifierHead, classifierParams, labelProblem, savedClasses } from './classifier.js';
import { ConvLayer, DEFAULT_CONV_LAYERS, checkLayerOrder, convNetwork, predictionChunk } from './conv-network.js';
import { checkTrainingParams, fitNetwork, loadNetworkState } from './fit-network.js';
import { imageInput } from './image-input.js';
import { trainingParams } from './network.js';
import type { NetworkState } from './network-model.js';
import type { TrainingAdvice } from './train.js';
import { collectTrainingSet } from './training-set.js';

export const ConvClassifierParams = Type.Object(
  {
    /**
     * The image in: a DenseTensor per record (what an image stage's toTensor writes), float32 values
     * already normalised (e.g. 0…1). The stage does not scale its input.
     */
    input: Type.String({ default: 'tensor' }),
    /** The axis order of the input tensors: `channelsLast` is [height, width, channels], `channelsFirst` [channels, height, width]. */
    dataFormat: Type.Union([Type.Literal('channelsLast'), Type.Literal('channelsFirst')], { default: 'channelsLast' }),
    /**
     * The layers between the image and the output layer, in order; the output layer (one unit per
     * class, or one sigmoid unit for two) is added after them, with a flatten first if they end on an image.
     * The default suits 28×28 greyscale digits.
     */
    layers: Type.Array(ConvLayer, { default: DEFAULT_CONV_LAYERS }),
    ...trainingParams,
    ...classifierParams,
  },
  { additionalProperties: false },
);
export type ConvClassifierParams = Static<typeof ConvClassifierParams>;

const IMAGE_ADVICE: TrainingAdvice = {
  diverged: 'The images are probably not normalised (values should be about 0…1; check the stage that writes the tensors) or the learning rate is too high: lower learningRate.',
  stalled: 'Check that the images are normalised (values about 0…1), lower learningRate, or check the labels.',
};

const sameShape = (a: unknown, b: readonly number[]) => Array.isArray(a) && a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * A convolutional neural network image classifier (TensorFlow.js): conv2d, pooling, batch
 * normalisation, dropout and dense layers before a sigmoid (two classes) or softmax output, with the
 * training of the dense classifier — validation hold-out, early stopping, class weights, seeded
 * initialisation, shuffling and dropout. Reads one image tensor per record; batches of images are
 * assembled one at a time, so the dataset is never copied into one tensor.
 */
@injectable()
export class ConvClassifier implements Estimator {
  readonly kind = 'tfjs:conv-classifier';

  constructor(@inject(STAGE_PARAMS) private readonly params: ConvClassifierParams) {
    // Layer orders that fit no input fail when the stage is resolved, before any data is read.
    checkLayerOrder(params.layers, this.kind);
    checkTrainingParams(params, this.kind);
    checkClassifierParams(params, this.kind);
  }

  async fit(data: Dataset<DataRecord>, ctx: StageContext): Promise<Model> {
    const p = this.params;
    const input = imageInput(p.dataFormat);
    const set = await collectTrainingSet(data, p.input, input, p.label, this.kind, ctx, labelProblem(p));
    const { classes, head } = classifierHead(p, set.labels, this.kind);
    if ((await useBackend(p.backend)).name === 'cpu') {
      ctx.logger.warn("training a convolutional network on the pure-JS CPU backend, which trains convolutions about 100 times slower than WASM: use backend 'auto' or 'wasm', or install @tensorflow/tfjs-node", { stage: this.kind });
    }
    const { state, meta } = await fitNetwork(p, set, head, convNetwork(p.layers, this.kind), ctx, { advice: IMAGE_ADVICE, checkWeights: true });
    return this.model(state, classes, { ...meta, inputShape: [...set.shape], dataFormat: p.dataFormat });
  }

  async load(saved: ModelState): Promise<Model> {
    const { state, meta } = await loadNetworkState(this.params.backend, saved, this.kind, imageInput(this.params.dataFormat));
    const { classes, ...rest } = meta;
    if (rest.dataFormat !== this.params.dataFormat || !sameShape(rest.inputShape, state.inputShape)) {
      state.network.dispose();
      throw new TributaryError('ARTIFACT_CORRUPT', {
        stage: this.kind,
        message: `The saved state of '${this.kind}' (images ${JSON.stringify(rest.inputShape)}, ${String(rest.dataFormat)}) does not fit its network or its dataFormat param. Re-save the model.`,
      });
    }
    return this.model(state, savedClasses(state, classes, this.kind), rest);
  }

  private model(state: NetworkState, classes: ClassifierModel['classes'], meta: Record<string, unknown>): ClassifierModel {
    const units = state.network.outputs[0]!.shape[1] as number;
    let chunk: number;
    try {
      chunk = predictionChunk(this.params.layers, state.input.networkShape(state.inputShape), units, this.kind);
    } catch (error) {
      state.network.dispose();
      throw error;
    }
    return new ClassifierModel(this.kind, state, this.params, classes, meta, chunk);
  }
}

export const convClassifierStage = defineStage({
  kind: 'tfjs:conv-classifier',
  description: 'Convolutional neural network image classifier (TensorFlow.js).',
  params: ConvClassifierParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output, p.prediction] }),
  implementation: ConvClassifier,
});

/** `convClassifier({ input: 'tensor', layers: [{ type: 'conv2d', filters: 8, kernelSize: 3 }, { type: 'maxPool2d', poolSize: 2 }], epochs: 5 })` */
export const convClassifier = stageSpec<Partial<ConvClassifierParams>>('tfjs:conv-classifier');
