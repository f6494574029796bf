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
import { checkTrainingParams, fitNetwork, loadNetworkState } from './fit-network.js';
import { denseNetwork, networkParams } from './network.js';
import { featureInput } from './network-input.js';
import { NetworkModel, type NetworkState, scalerFromJson, scalerToJson } from './network-model.js';
import { type Scaler, collectTrainingSet, fitScaler } from './training-set.js';

export const DenseRegressorParams = Type.Object(
  {
    ...networkParams,
    output: Type.String({ default: 'prediction' }),
    loss: Type.Union([Type.Literal('meanSquaredError'), Type.Literal('meanAbsoluteError')], { default: 'meanSquaredError' }),
    /** Scaling of the features; standardised by default, since unscaled inputs are the usual reason a regression fails. */
    scale: Type.Union([Type.Literal('none'), Type.Literal('minmax'), Type.Literal('standard')], { default: 'standard' }),
    /** Scaling of the target, learned on the training records and undone on the predictions; standardised by default. */
    scaleTarget: Type.Union([Type.Literal('none'), Type.Literal('minmax'), Type.Literal('standard')], { default: 'standard' }),
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

  constructor(@inject(STAGE_PARAMS) private readonly params: DenseRegressorParams) {
    checkTrainingParams(params, this.kind);
  }

  async fit(data: Dataset<DataRecord>, ctx: StageContext): Promise<Model> {
    const p = this.params;
    const set = await collectTrainingSet(data, p.input, featureInput, p.label, this.kind, ctx, (value) =>
      typeof value === 'number' && Number.isFinite(value) ? undefined : `is not a finite number (got ${String(value)})`,
    );
    const raw = Float32Array.from(set.labels as number[]);
    const target = p.scaleTarget === 'none' ? undefined : fitScaler(Array.from(raw, (v) => [v]), 1, p.scaleTarget);
    const targets = target ? raw.map((v) => (v - target.offset[0]!) * target.factor[0]!) : raw;
    const { state, meta } = await fitNetwork(p, set, { targets, units: 1, outputActivation: 'linear', loss: p.loss }, denseNetwork(p), ctx, { checkWeights: true });
    return new DenseRegressorModel(state, p, target, { ...meta, target: scalerToJson(target) });
  }

  async load(saved: ModelState): Promise<Model> {
    const { state, meta } = await loadNetworkState(this.params.backend, saved, this.kind, featureInput);
    return new DenseRegressorModel(state, this.params, scalerFromJson(meta.target), meta);
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
