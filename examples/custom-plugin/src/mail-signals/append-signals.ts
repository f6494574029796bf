import {
  type Batch,
  type DataRecord,
  type Dataset,
  type Estimator,
  type FeatureVector,
  LOGGER,
  type Logger,
  type Model,
  type ModelState,
  STAGE_PARAMS,
  type StageContext,
  type Static,
  TributaryError,
  Type,
  defineStage,
  featureLength,
  inject,
  injectable,
  isSparseVector,
  sparseVector,
  stageSpec,
  writeDense,
} from '@tributary/core';

export const AppendSignalsParams = Type.Object(
  {
    /** The feature vector to extend (what `tfidf` writes: a sparse vector, or any vector of numbers). */
    features: Type.String({ default: 'features' }),
    /** The field holding the signals (what `mail:signals` writes). */
    signals: Type.String({ default: 'signals' }),
    /** The field that receives the extended vector; by default the features field is replaced. */
    output: Type.String({ default: 'features' }),
    /** Take log(1 + x) of each signal before standardising it (the signals must then be ≥ 0). */
    log: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);
export type AppendSignalsParams = Static<typeof AppendSignalsParams>;

/** What the estimator learns from the training records, one entry per signal. */
export interface SignalScaling {
  /** Mean of each (log-)signal over the training records. */
  readonly mean: readonly number[];
  /** What each (log-)signal is divided by after the mean is taken off: its population standard deviation, or 1 when it is constant. */
  readonly scale: readonly number[];
}

/** The state file, a plain JSON document: data, never code. */
const SCALING_FILE = 'scaling.json';

/** The signals of a record, checked: undefined (with the reason in `problem`) when they cannot be used. */
function readSignals(record: DataRecord, params: AppendSignalsParams, width: number | undefined): { values?: number[]; problem?: string } {
  const value = record[params.signals];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return { problem: `Field '${params.signals}' should hold the signals (an array of finite numbers) but holds ${value === undefined ? 'nothing' : Array.isArray(value) ? 'an array of something else' : typeof value}. Put mail:signals before this stage.` };
  }
  if (width !== undefined && value.length !== width) {
    return { problem: `Field '${params.signals}' holds ${value.length} signals, but this stage learned ${width}. Fit and serve with the same mail:signals stage.` };
  }
  if (params.log && value.some((v) => v < 0)) {
    return { problem: `Field '${params.signals}' holds a negative signal (${value.find((v) => v < 0)}), which log(1 + x) cannot take. Set log: false for signals that can be negative.` };
  }
  return { values: params.log ? value.map((v) => Math.log1p(v)) : (value as number[]) };
}

const invalid = (kind: string, message: string) => new TributaryError('INVALID_RECORD', { stage: kind, message });

class AppendSignalsModel implements Model {
  readonly kind = 'mail:append-signals';

  constructor(
    private readonly params: AppendSignalsParams,
    readonly scaling: SignalScaling,
    private readonly records: number,
  ) {}

  transform(batch: Batch, ctx: StageContext): Batch {
    const { mean, scale } = this.scaling;
    const width = mean.length;
    const out: Batch = [];
    for (const record of batch) {
      const vector = record[this.params.features];
      const length = featureLength(vector);
      if (length === undefined) {
        ctx.reject(record, invalid(this.kind, `Field '${this.params.features}' should hold a feature vector but holds ${vector === undefined ? 'nothing' : typeof vector}. Put tfidf (or another stage that writes a vector) before this stage.`));
        continue;
      }
      const { values, problem } = readSignals(record, this.params, width);
      if (!values) {
        ctx.reject(record, invalid(this.kind, problem!));
        continue;
      }
      const scaled = values.map((v, i) => (v - mean[i]!) / scale[i]!);
      out.push({ ...record, [this.params.output]: append(vector as FeatureVector, length, scaled) });
    }
    return out;
  }

  save(): ModelState {
    return {
      meta: { signals: this.scaling.mean.length, records: this.records, log: this.params.log },
      files: { [SCALING_FILE]: `${JSON.stringify({ mean: this.scaling.mean, scale: this.scaling.scale })}\n` },
    };
  }
}

/** The vector followed by the signals: sparse stays sparse (TF-IDF's vocabulary is large), anything else becomes a Float32Array. */
function append(vector: FeatureVector, length: number, signals: readonly number[]): FeatureVector {
  if (isSparseVector(vector)) {
    const kept = signals.flatMap((v, i) => (v === 0 ? [] : [[length + i, v] as const]));
    const indices = new Int32Array(vector.indices.length + kept.length);
    const values = new Float32Array(indices.length);
    indices.set(vector.indices);
    values.set(vector.values);
    kept.forEach(([index, value], k) => {
      indices[vector.indices.length + k] = index;
      values[vector.values.length + k] = value;
    });
    return sparseVector(length + signals.length, indices, values);
  }
  const out = new Float32Array(length + signals.length);
  writeDense(vector, out, 0);
  out.set(signals, length);
  return out;
}

/**
 * `mail:append-signals`: appends the message's signals to its feature vector, each standardised with
 * the mean and spread learned from the training records (after log(1 + x), since counts of links or
 * exclamation marks are heavy-tailed: one message with 40 links must not set everyone's scale).
 * The learned scaling is saved as `scaling.json`, so a loaded model scales exactly as the fitted one.
 */
@injectable()
export class AppendSignalsEstimator implements Estimator {
  readonly kind = 'mail:append-signals';

  constructor(
    @inject(STAGE_PARAMS) private readonly params: AppendSignalsParams,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  async fit(data: Dataset<DataRecord>, ctx: StageContext): Promise<Model> {
    // Welford's running mean and variance: one pass, bounded memory, whatever the corpus size.
    let width: number | undefined;
    let n = 0;
    let mean: number[] = [];
    let m2: number[] = [];
    for await (const chunk of data.chunks()) {
      for (const record of chunk) {
        const { values, problem } = readSignals(record, this.params, width);
        if (!values) {
          ctx.reject(record, invalid(this.kind, problem!));
          continue;
        }
        if (width === undefined) {
          width = values.length;
          mean = new Array<number>(width).fill(0);
          m2 = new Array<number>(width).fill(0);
        }
        n++;
        values.forEach((v, i) => {
          const delta = v - mean[i]!;
          mean[i]! += delta / n;
          m2[i]! += delta * (v - mean[i]!);
        });
      }
    }
    if (n === 0) {
      throw new TributaryError('EMPTY_DATASET', { stage: this.kind, message: `Stage '${this.kind}' got no record with signals to learn from. Check that mail:signals runs before it and that the training data is not empty.` });
    }
    const scale = m2.map((m) => {
      const sd = Math.sqrt(m / n);
      return sd > 0 ? sd : 1;
    });
    this.logger.debug('learned the signals scaling', { records: n, mean, scale });
    return new AppendSignalsModel(this.params, { mean, scale }, n);
  }

  async load(state: ModelState): Promise<Model> {
    const raw = state.files?.[SCALING_FILE];
    const text = typeof raw === 'string' ? raw : raw === undefined ? undefined : new TextDecoder().decode(raw);
    let scaling: Partial<SignalScaling> | undefined;
    try {
      scaling = text === undefined ? undefined : (JSON.parse(text) as Partial<SignalScaling>);
    } catch {
      scaling = undefined;
    }
    const width = state.meta.signals;
    const numbers = (xs: unknown): xs is number[] => Array.isArray(xs) && xs.length === width && xs.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!scaling || !numbers(scaling.mean) || !numbers(scaling.scale) || scaling.scale.some((s) => s <= 0) || typeof state.meta.records !== 'number') {
      throw new TributaryError('ARTIFACT_CORRUPT', {
        stage: this.kind,
        message: `The saved state of '${this.kind}' is missing or malformed (${SCALING_FILE} should hold ${String(width)} means and positive scales). Re-fit and re-save the model.`,
      });
    }
    return new AppendSignalsModel(this.params, { mean: scaling.mean, scale: scaling.scale }, state.meta.records);
  }
}

export const appendSignalsStage = defineStage({
  kind: 'mail:append-signals',
  description: 'Appends the mail signals, standardised on the training records, to a feature vector.',
  params: AppendSignalsParams,
  fields: (p) => ({ reads: [p.features, p.signals], writes: [p.output] }),
  implementation: AppendSignalsEstimator,
});

/** `appendSignals({ features: 'features', signals: 'signals' })` */
export const appendSignals = stageSpec<Partial<AppendSignalsParams>>('mail:append-signals');
