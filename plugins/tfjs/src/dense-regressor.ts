import {
  type Batch,
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
import { useBackend } from './backend.js';
import { buildNetwork, networkParams } from './network.js';
import { NetworkModel, type NetworkState, restoreNetwork, scalerFromJson, scalerToJson } from './network-model.js';
import { trainNetwork } from './train.js';
import { type Scaler, collectTrainingSet, fitScaler } from './training-set.js';

export const DenseRegressorParams = Type.Object(
  {
    ...networkParams,
    output: Type.String({ default: 'prediction' }),
    loss: Type.Union([Type.Literal('meanSquaredError'), Type.Literal('meanAbsoluteError')], { default: 'meanSquaredError' }),
    /** Scaling of the target, learned on the training records and undone on the predictions. */
    scaleTarget: Type.Union([Type.Literal('none'), Type.Literal('minmax'), Type.Literal('standard')], { default: 'none' }),
  },
  { additionalProperties: false },
);
export type DenseRegressorParams = Static<typeof DenseRegressorParams>;

class DenseRegressorModel extends NetworkModel implements Model {
  readonly kind = 'tfjs:dense-regressor';

  constructor(
    state: NetworkState,
    private readonly params: DenseRegressorParams,
    private readonly target: Scaler | undefined,
    private readonly meta: Record<string, unknown>,
  ) {
    super(state, params.input);
  }

  transform(batch: Batch, ctx: StageContext): Batch {
    const { records, values } = this.outputs(batch, ctx);
    const offset = this.target?.offset[0] ?? 0;
    const factor = this.target?.factor[0] ?? 1;
    // A constant target was scaled to 0: every prediction is that constant.
    return records.map((record, r) => ({ ...record, [this.params.output]: factor === 0 ? offset : values[r]! / factor + offset }));
  }

  async save(): Promise<ModelState> {
    return { meta: this.meta as ModelState['meta'], files: await this.saveNetwork() };
  }
}

/** A dense neural network regressor (TensorFlow.js) with MSE or MAE loss and optional feature and target scaling. */
@injectable()
export class DenseRegressor implements Estimator {
  readonly kind = 'tfjs:dense-regressor';

  constructor(@inject(STAGE_PARAMS) private readonly params: DenseRegressorParams) {}

  async fit(data: Dataset<DataRecord>, ctx: StageContext): Promise<Model> {
    const p = this.params;
    const backend = await useBackend(p.backend);
    const set = await collectTrainingSet(data, p.input, p.label, this.kind, ctx, (value) =>
      typeof value === 'number' && Number.isFinite(value) ? undefined : `is not a finite number (got ${String(value)})`,
    );
    const n = set.features.length;
    const raw = Float32Array.from(set.labels as number[]);
    const target = p.scaleTarget === 'none' ? undefined : fitScaler(Array.from(raw, (v) => [v]), 1, p.scaleTarget);
    const targets = target ? raw.map((v) => (v - target.offset[0]!) * target.factor[0]!) : raw;
    const scaler = p.scale === 'none' ? undefined : fitScaler(set.features, set.dim, p.scale);
    const network = buildNetwork(backend, {
      inputDim: set.dim,
      hidden: p.hidden,
      activation: p.activation,
      dropout: p.dropout,
      l2: p.l2,
      outputUnits: 1,
      outputActivation: 'linear',
      seed: p.seed,
    });
    let result;
    try {
      result = await trainNetwork(backend, network, set, targets, 1, scaler, {
        epochs: p.epochs,
        batchSize: p.batchSize,
        validationSplit: p.validationSplit,
        earlyStopping: p.earlyStopping,
        seed: p.seed,
        optimizer: p.optimizer,
        ...(p.learningRate === undefined ? {} : { learningRate: p.learningRate }),
        loss: p.loss,
      }, ctx);
    } catch (error) {
      network.dispose();
      throw error;
    }
    const meta = {
      backend: backend.name,
      inputDim: set.dim,
      trainedOn: n,
      epochsRun: result.epochsRun,
      bestEpoch: result.bestEpoch ?? null,
      history: result.history,
      scaler: scalerToJson(scaler),
      target: scalerToJson(target),
    };
    return new DenseRegressorModel({ backend, network, inputDim: set.dim, scaler }, p, target, meta);
  }

  async load(state: ModelState): Promise<Model> {
    const backend = await useBackend(this.params.backend);
    const network = await restoreNetwork(backend, state.files, this.kind);
    const meta = state.meta as Record<string, unknown>;
    return new DenseRegressorModel(
      { backend, network, inputDim: meta.inputDim as number, scaler: scalerFromJson(meta.scaler) },
      this.params,
      scalerFromJson(meta.target),
      meta,
    );
  }
}

export const denseRegressorStage = defineStage({
  kind: 'tfjs:dense-regressor',
  description: 'Dense neural network regressor (TensorFlow.js).',
  params: DenseRegressorParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output] }),
  implementation: DenseRegressor,
});

/** `denseRegressor({ hidden: [], loss: 'meanSquaredError', scale: 'minmax', scaleTarget: 'minmax' })` */
export const denseRegressor = stageSpec<Partial<DenseRegressorParams>>('tfjs:dense-regressor');
