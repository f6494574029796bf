import { type StageContext, TributaryError, createRandom } from '@tributary/core';
import type { Backend } from './backend.js';
import { makeOptimizer } from './network.js';
import { type Scaler, type TrainingSet, fillRows } from './training-set.js';

type LayersModel = import('@tensorflow/tfjs-layers').LayersModel;
type Tensor = import('@tensorflow/tfjs-core').Tensor;

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly validationSplit: number;
  readonly earlyStopping: false | { patience: number; minDelta: number; monitor: 'val_loss' | 'loss'; restoreBest: boolean };
  readonly seed: number;
  readonly optimizer: 'adam' | 'sgd' | 'rmsprop' | 'adagrad';
  readonly learningRate?: number;
  readonly loss: 'binaryCrossentropy' | 'categoricalCrossentropy' | 'meanSquaredError' | 'meanAbsoluteError';
  /** Figures reported per epoch besides the loss, e.g. `accuracy` (logged as `acc`). */
  readonly metrics?: readonly string[];
  /** Weight per class index, applied to the loss. */
  readonly classWeight?: Record<number, number>;
  /** The class index of each record, so the validation hold-out keeps class shares. */
  readonly strata?: ArrayLike<number>;
  /** What the messages for a diverged or stalled training suggest; by default, scaling the features (the dense stages' `scale`). */
  readonly advice?: TrainingAdvice;
  /**
   * Also checks the weights after every epoch: a clipped loss (cross-entropy clips its probabilities)
   * can stay finite while the weights have already become Infinity or NaN.
   */
  readonly checkWeights?: boolean;
}

/** The remedies a stage suggests when its training diverges or stalls. */
export interface TrainingAdvice {
  readonly diverged: string;
  readonly stalled: string;
}

const SCALE_ADVICE: TrainingAdvice = {
  diverged: "The features are probably on very different scales or the learning rate is too high: set scale: 'standard' (or 'minmax') on this stage, or lower learningRate.",
  stalled: "Scale the features (scale: 'standard'), lower learningRate, or check the labels.",
};

export interface TrainResult {
  readonly history: Array<Record<string, number>>;
  readonly epochsRun: number;
  readonly bestEpoch: number | undefined;
}

/** Seeded hold-out: from each stratum, round(n × split) records go to validation, but never its last one (a class held out whole would never be learnt). */
function holdOut(n: number, split: number, seed: number, strata: ArrayLike<number> | undefined): { train: Int32Array; validation: Int32Array } {
  if (split <= 0) return { train: Int32Array.from({ length: n }, (_, i) => i), validation: new Int32Array(0) };
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = strata ? strata[i]! : 0;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(i);
  }
  const random = createRandom(seed).fork('validation');
  const train: number[] = [];
  const validation: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const group = random.shuffle(groups.get(key)!);
    const take = Math.min(Math.round(group.length * split), group.length - 1);
    validation.push(...group.slice(0, take));
    train.push(...group.slice(take));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), validation: Int32Array.from(validation.sort((a, b) => a - b)) };
}

/** Whether every weight of the network is a finite number (one read from the backend). */
function finiteWeights(backend: Backend, model: LayersModel): boolean {
  const { tf } = backend;
  return tf.tidy(() => tf.all(tf.stack(model.getWeights().map((w) => tf.all(tf.isFinite(w))))).dataSync()[0] === 1);
}

/**
 * A loss that never moves (saturated units from huge inputs, a learning rate far too high) returns a
 * model no better than a constant; it is not an error, but it is said.
 */
function warnIfStalled(history: ReadonlyArray<Record<string, number>>, advice: TrainingAdvice, ctx: StageContext): void {
  const losses = history.map((h) => h.loss).filter((l): l is number => typeof l === 'number');
  if (losses.length < 3) return;
  const first = losses[0]!;
  if (losses.every((l) => l >= first * (1 - 1e-3))) {
    const message = `The training loss did not improve over ${losses.length} epochs (${first.toPrecision(4)} → ${losses.at(-1)!.toPrecision(4)}): the model is likely no better than a constant. ${advice.stalled}`;
    ctx.warn('TRAINING_STALLED', message);
    ctx.logger.warn(message, { stage: ctx.kind });
  }
}

/**
 * Trains through `fitDataset` with batches densified one at a time from the training set, in a
 * seeded order per epoch. A non-finite loss stops training with TRAINING_DIVERGED instead of
 * returning a useless model. Leaves no tensor behind but the model's own weights.
 */
export async function trainNetwork(
  backend: Backend,
  model: LayersModel,
  set: TrainingSet,
  targets: Float32Array,
  units: number,
  scaler: Scaler | undefined,
  options: TrainOptions,
  ctx: StageContext,
): Promise<TrainResult> {
  const { tf } = backend;
  const { dim, features } = set;
  const shape = set.input.networkShape(set.shape);
  const { train, validation } = holdOut(features.length, options.validationSplit, options.seed, options.strata);
  if (train.length === 0) {
    throw new TributaryError('INVALID_PARAMS', {
      stage: ctx.kind,
      param: 'validationSplit',
      message: `validationSplit ${options.validationSplit} leaves no training records out of ${features.length}. Lower validationSplit or train on more records.`,
    });
  }
  if (options.earlyStopping && options.earlyStopping.monitor === 'val_loss' && validation.length === 0) {
    throw new TributaryError('INVALID_PARAMS', {
      stage: ctx.kind,
      param: 'earlyStopping',
      message: `Stage '${ctx.kind}': earlyStopping monitors val_loss, which needs validationSplit > 0 (or monitor: 'loss').`,
    });
  }
  const shuffler = createRandom(options.seed).fork('epochs');
  const batchOf = (order: Int32Array, start: number, end: number): { xs: Tensor; ys: Tensor } => {
    const rows = end - start;
    // A fresh buffer per batch: the CPU backend keeps a reference to the array it is given.
    const x = new Float32Array(rows * dim);
    fillRows(features, order, start, end, dim, scaler, x, set.input.write);
    const y = new Float32Array(rows * units);
    for (let r = start; r < end; r++) y.set(targets.subarray(order[r]! * units, order[r]! * units + units), (r - start) * units);
    return { xs: tf.tensor(x, [rows, ...shape]), ys: tf.tensor2d(y, [rows, units]) };
  };
  const dataset = (indices: Int32Array, shuffle: boolean) => ({
    size: Math.ceil(indices.length / options.batchSize),
    iterator: async () => {
      const order = shuffle ? shuffler.shuffle(Int32Array.from(indices)) : indices;
      let start = 0;
      return {
        next: async () => {
          if (start >= order.length) return { done: true, value: null };
          const end = Math.min(start + options.batchSize, order.length);
          const value = batchOf(order, start, end);
          start = end;
          return { done: false, value };
        },
      };
    },
  });

  const optimizer = makeOptimizer(backend, options.optimizer, options.learningRate);
  model.compile({ optimizer, loss: options.loss, ...(options.metrics ? { metrics: [...options.metrics] } : {}) });
  const history: Array<Record<string, number>> = [];
  let diverged: { epoch: number; batch: number; loss: number } | undefined;
  let brokenWeights: { epoch: number } | undefined;
  let epoch = 0;
  let best: { value: number; epoch: number; weights: Tensor[] } | undefined;
  let waited = 0;
  const stopping = options.earlyStopping;
  try {
    await model.fitDataset(dataset(train, true) as never, {
      epochs: options.epochs,
      verbose: 0,
      ...(validation.length > 0 ? { validationData: dataset(validation, false) as never } : {}),
      ...(options.classWeight ? { classWeight: options.classWeight } : {}),
      callbacks: {
        onBatchEnd: async (batch: number, logs?: Record<string, number>) => {
          const loss = logs?.loss;
          if (loss !== undefined && !Number.isFinite(loss)) {
            diverged ??= { epoch: epoch + 1, batch: batch + 1, loss };
            model.stopTraining = true;
          }
        },
        onEpochEnd: async (index: number, logs?: Record<string, number>) => {
          epoch = index + 1;
          const entry = { epoch, ...(logs ?? {}) };
          history.push(entry);
          ctx.events.emit({ type: 'epoch:end', stage: ctx.kind, epoch, epochs: options.epochs, logs: logs ?? {} });
          if (options.checkWeights && !diverged && !finiteWeights(backend, model)) {
            brokenWeights = { epoch };
            model.stopTraining = true;
            return;
          }
          if (!stopping || diverged) return;
          const value = logs?.[stopping.monitor];
          if (value === undefined) return;
          if (!best || value < best.value - stopping.minDelta) {
            best?.weights.forEach((w) => w.dispose());
            best = { value, epoch, weights: stopping.restoreBest ? model.getWeights().map((w) => w.clone()) : [] };
            waited = 0;
          } else if (++waited >= stopping.patience) {
            model.stopTraining = true;
          }
        },
      },
    });
    if (diverged) {
      throw new TributaryError('TRAINING_DIVERGED', {
        stage: ctx.kind,
        message: `Training diverged: the loss became ${diverged.loss} at epoch ${diverged.epoch}, batch ${diverged.batch}. ${(options.advice ?? SCALE_ADVICE).diverged}`,
        details: diverged,
      });
    }
    if (brokenWeights) {
      throw new TributaryError('TRAINING_DIVERGED', {
        stage: ctx.kind,
        message: `Training diverged: the weights became Infinity or NaN during epoch ${brokenWeights.epoch}, while the loss stayed finite. ${(options.advice ?? SCALE_ADVICE).diverged}`,
        details: { ...brokenWeights, weights: 'non-finite' },
      });
    }
    if (best && stopping && stopping.restoreBest && best.epoch !== epoch) model.setWeights(best.weights);
    warnIfStalled(history, options.advice ?? SCALE_ADVICE, ctx);
    return { history, epochsRun: epoch, bestEpoch: best?.epoch };
  } finally {
    best?.weights.forEach((w) => w.dispose());
    optimizer.dispose();
  }
}
