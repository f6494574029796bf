import {
  type DataRecord,
  type Dataset,
  type Estimator,
  type Model,
  type ModelState,
  STAGE_PARAMS,
  type StageContext,
  type Static,
  Type,
  defineStage,
  inject,
  injectable,
  stageSpec,
} from '@tributary/core';
import { ClassifierModel, checkClassifierParams, classifierHead, classifierParams, labelProblem, savedClasses } from './classifier.js';
import { checkTrainingParams, fitNetwork, loadNetworkState } from './fit-network.js';
import { denseNetwork, networkParams } from './network.js';
import { featureInput } from './network-input.js';
import { collectTrainingSet } from './training-set.js';

export const DenseClassifierParams = Type.Object(
  {
    ...networkParams,
    ...classifierParams,
  },
  { additionalProperties: false },
);
export type DenseClassifierParams = Static<typeof DenseClassifierParams>;

/**
 * A dense neural network classifier (TensorFlow.js): hidden layers, dropout, Adam/SGD, sigmoid +
 * binary cross-entropy for two classes or softmax + categorical cross-entropy for more, validation
 * hold-out, early stopping, class weights, seeded initialisation and shuffling. Trains on batches
 * densified one at a time, so sparse TF-IDF input never becomes a dense matrix of the whole corpus.
 */
@injectable()
export class DenseClassifier implements Estimator {
  readonly kind = 'tfjs:dense-classifier';

  constructor(@inject(STAGE_PARAMS) private readonly params: DenseClassifierParams) {
    checkTrainingParams(params, this.kind);
    checkClassifierParams(params, this.kind);
  }

  async fit(data: Dataset<DataRecord>, ctx: StageContext): Promise<Model> {
    const p = this.params;
    const set = await collectTrainingSet(data, p.input, featureInput, p.label, this.kind, ctx, labelProblem(p));
    const { classes, head } = classifierHead(p, set.labels, this.kind);
    const { state, meta } = await fitNetwork(p, set, head, denseNetwork(p), ctx, { checkWeights: true });
    return new ClassifierModel(this.kind, state, p, classes, meta);
  }

  async load(saved: ModelState): Promise<Model> {
    const { state, meta } = await loadNetworkState(this.params.backend, saved, this.kind, featureInput);
    const { classes, ...rest } = meta;
    return new ClassifierModel(this.kind, state, this.params, savedClasses(state, classes, this.kind), rest);
  }
}

export const denseClassifierStage = defineStage({
  kind: 'tfjs:dense-classifier',
  description: 'Dense neural network classifier (TensorFlow.js).',
  params: DenseClassifierParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output, p.prediction] }),
  implementation: DenseClassifier,
});

/** `denseClassifier({ hidden: [{ units: 10 }, { units: 10 }], epochs: 10 })` */
export const denseClassifier = stageSpec<Partial<DenseClassifierParams>>('tfjs:dense-classifier');
