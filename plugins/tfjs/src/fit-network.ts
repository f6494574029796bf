import { type ModelState, type StageContext, type Static, TributaryError, Type } from '@tributary/core';
import { type BackendPreference, useBackend } from './backend.js';
import { buildNetwork, networkParams } from './network.js';
import { type NetworkState, restoreNetwork, scalerFromJson, scalerToJson } from './network-model.js';
import { type TrainOptions, trainNetwork } from './train.js';
import { type TrainingSet, fitScaler } from './training-set.js';

/** Past these sizes (float32: 1.2 GB of weights, 1 GB per batch) training cannot run in this process. */
const MAX_FIRST_LAYER_WEIGHTS = 3e8;
const MAX_BATCH_VALUES = 2.5e8;

const NetworkParamsSchema = Type.Object(networkParams);
/** The params every dense network stage shares (see `networkParams`). */
export type NetworkParams = Static<typeof NetworkParamsSchema>;

/** What differs between a classifier and a regressor: the targets and the output layer. */
export interface NetworkHead {
  readonly targets: Float32Array;
  readonly units: number;
  readonly outputActivation: 'sigmoid' | 'softmax' | 'linear';
  readonly loss: TrainOptions['loss'];
  readonly classWeight?: Record<number, number>;
  readonly strata?: ArrayLike<number>;
}

/**
 * Scales, builds and trains a network for a training set; returns the fitted state and the metadata
 * every dense model saves. The network is disposed when training fails.
 */
export async function fitNetwork(p: NetworkParams, set: TrainingSet, head: NetworkHead, ctx: StageContext): Promise<{ state: NetworkState; meta: Record<string, unknown> }> {
  const firstLayer = set.dim * (p.hidden[0]?.units ?? head.units);
  if (firstLayer > MAX_FIRST_LAYER_WEIGHTS || set.dim * p.batchSize > MAX_BATCH_VALUES) {
    throw new TributaryError('INVALID_DATA', {
      stage: ctx.kind,
      message: `The features have ${set.dim} dimensions: a first layer of ${firstLayer} weights and batches of ${set.dim * p.batchSize} values do not fit in memory. Reduce the feature count (e.g. tfidf maxFeatures) or the batch size.`,
    });
  }
  const backend = await useBackend(p.backend);
  const seed = p.seed ?? ctx.random.seed;
  const scaler = p.scale === 'none' ? undefined : fitScaler(set.features, set.dim, p.scale);
  const network = buildNetwork(backend, {
    inputDim: set.dim,
    hidden: p.hidden,
    activation: p.activation,
    dropout: p.dropout,
    l2: p.l2,
    outputUnits: head.units,
    outputActivation: head.outputActivation,
    seed,
  });
  ctx.logger.info(`training ${ctx.kind}`, { backend: backend.name, records: set.features.length, features: set.dim, outputs: head.units });
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
        ...(p.learningRate === undefined ? {} : { learningRate: p.learningRate }),
        ...(head.classWeight ? { classWeight: head.classWeight } : {}),
        ...(head.strata ? { strata: head.strata } : {}),
      },
      ctx,
    );
  } catch (error) {
    network.dispose();
    throw error;
  }
  return {
    state: { backend, network, inputDim: set.dim, scaler },
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

/** Rebuilds the fitted state of a dense model from its saved state. */
export async function loadNetworkState(preference: BackendPreference, saved: ModelState, kind: string): Promise<{ state: NetworkState; meta: Record<string, unknown> }> {
  const backend = await useBackend(preference);
  const network = await restoreNetwork(backend, saved.files, kind);
  const meta = saved.meta as Record<string, unknown>;
  const inputDim = network.inputs[0]?.shape[1] ?? -1;
  const scaler = scalerFromJson(meta.scaler);
  if (meta.inputDim !== inputDim || (meta.scaler != null && (!scaler || scaler.offset.length !== inputDim || scaler.factor.length !== inputDim))) {
    network.dispose();
    throw new TributaryError('ARTIFACT_CORRUPT', { stage: kind, message: `The saved state of '${kind}' does not fit its network (input size or scaler length differ). Re-save the model.` });
  }
  return { state: { backend, network, inputDim, scaler }, meta };
}
