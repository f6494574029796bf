import { type ModelState, type StageContext, type Static, TributaryError, Type } from '@tributary/core';
import { type BackendPreference, useBackend } from './backend.js';
import { type NetworkBuilder, trainingParams } from './network.js';
import type { NetworkInput } from './network-input.js';
import { type NetworkState, restoreNetwork, scalerFromJson, scalerToJson } from './network-model.js';
import { type TrainOptions, trainNetwork } from './train.js';
import { type TrainingSet, fitScaler } from './training-set.js';

const TrainingParamsSchema = Type.Object(trainingParams);
/** The params every network stage shares (see `trainingParams`), plus the feature scaling of the stages that offer it. */
export type NetworkParams = Static<typeof TrainingParamsSchema> & { readonly scale?: 'none' | 'minmax' | 'standard' };

/**
 * Refuses, when the stage is resolved, training params no data could make work: early stopping on
 * val_loss with no validation hold-out would otherwise fail only after the training set is read.
 */
export function checkTrainingParams(p: Pick<NetworkParams, 'earlyStopping' | 'validationSplit'>, kind: string): void {
  if (p.earlyStopping && p.earlyStopping.monitor === 'val_loss' && p.validationSplit === 0) {
    throw new TributaryError('INVALID_PARAMS', {
      stage: kind,
      param: 'earlyStopping',
      message: `Stage '${kind}': earlyStopping monitors val_loss, which needs a validation hold-out: set validationSplit (e.g. 0.1), or earlyStopping.monitor 'loss'.`,
    });
  }
}

/** What differs between a classifier and a regressor: the targets and the output layer. */
export interface NetworkHead {
  readonly targets: Float32Array;
  readonly units: number;
  readonly outputActivation: 'sigmoid' | 'softmax' | 'linear';
  readonly loss: TrainOptions['loss'];
  /** Figures tfjs computes per epoch besides the loss (`accuracy` for classifiers). */
  readonly metrics?: readonly string[];
  readonly classWeight?: Record<number, number>;
  readonly strata?: ArrayLike<number>;
}

/**
 * Scales, builds (through the stage's builder) and trains a network for a training set; returns the
 * fitted state and the metadata every network model saves. The network is disposed when training fails.
 */
export async function fitNetwork(
  p: NetworkParams,
  set: TrainingSet,
  head: NetworkHead,
  builder: NetworkBuilder,
  ctx: StageContext,
  training: Pick<TrainOptions, 'advice' | 'checkWeights'> = {},
): Promise<{ state: NetworkState; meta: Record<string, unknown> }> {
  const inputShape = set.input.networkShape(set.shape);
  const backend = await useBackend(p.backend);
  // The largest batch training will see: batchSize, or all the records when there are fewer.
  builder.check(inputShape, head.units, Math.min(p.batchSize, set.features.length), ctx.kind, backend.name);
  const seed = p.seed ?? ctx.random.seed;
  const scale = p.scale ?? 'none';
  const scaler = scale === 'none' ? undefined : fitScaler(set.features, set.dim, scale);
  const network = builder.build(backend, { inputShape, outputUnits: head.units, outputActivation: head.outputActivation, seed });
  ctx.logger.info(`training ${ctx.kind}`, {
    backend: backend.name,
    records: set.features.length,
    features: set.dim,
    ...(set.shape.length > 1 ? { shape: [...set.shape] } : {}),
    outputs: head.units,
  });
  let result;
  try {
    result = await trainNetwork(
      backend,
      network,
      set,
      head.targets,
      head.units,
      scaler,
      {
        epochs: p.epochs,
        batchSize: p.batchSize,
        validationSplit: p.validationSplit,
        earlyStopping: p.earlyStopping,
        seed,
        optimizer: p.optimizer,
        loss: head.loss,
        ...(head.metrics ? { metrics: head.metrics } : {}),
        ...(p.learningRate === undefined ? {} : { learningRate: p.learningRate }),
        ...(head.classWeight ? { classWeight: head.classWeight } : {}),
        ...(head.strata ? { strata: head.strata } : {}),
        ...training,
      },
      ctx,
    );
  } catch (error) {
    network.dispose();
    throw error;
  }
  return {
    state: { backend, network, inputDim: set.dim, inputShape: set.shape, input: set.input, scaler },
    meta: {
      backend: backend.name,
      seed,
      inputDim: set.dim,
      trainedOn: set.features.length,
      epochsRun: result.epochsRun,
      bestEpoch: result.bestEpoch ?? null,
      history: result.history,
      scaler: scalerToJson(scaler),
    },
  };
}

/** Rebuilds the fitted state of a network model from its saved state; the records' shape follows from the network's input. */
export async function loadNetworkState(
  preference: BackendPreference,
  saved: ModelState,
  kind: string,
  input: NetworkInput,
): Promise<{ state: NetworkState; meta: Record<string, unknown> }> {
  const backend = await useBackend(preference);
  const network = await restoreNetwork(backend, saved.files, kind);
  const meta = saved.meta as Record<string, unknown>;
  const networkShape = network.inputs[0]?.shape.slice(1) ?? [];
  const known = networkShape.length > 0 && networkShape.every((d): d is number => typeof d === 'number' && d > 0);
  const inputShape = known ? input.recordShape(networkShape as number[]) : [];
  const inputDim = known ? inputShape.reduce((a, b) => a * b, 1) : -1;
  const scaler = scalerFromJson(meta.scaler);
  if (meta.inputDim !== inputDim || (meta.scaler != null && (!scaler || scaler.offset.length !== inputDim || scaler.factor.length !== inputDim))) {
    network.dispose();
    throw new TributaryError('ARTIFACT_CORRUPT', { stage: kind, message: `The saved state of '${kind}' does not fit its network (input size or scaler length differ). Re-save the model.` });
  }
  return { state: { backend, network, inputDim, inputShape, input, scaler }, meta };
}
