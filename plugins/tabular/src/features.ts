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
  TributaryError,
  Type,
  defineStage,
  inject,
  injectable,
  stageSpec,
} from '@tributary/core';

export const FeaturesParams = Type.Object(
  {
    /** Columns of numbers, in order; each becomes one entry of the vector. */
    numeric: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Columns of categories (strings, numbers or booleans); each becomes one entry per category seen in training (one-hot). */
    categorical: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** The field that receives the vector (a plain array of numbers). */
    output: Type.String({ default: 'features' }),
    /** Numeric columns to mean 0 and sd 1 (`standard`), to [0, 1] (`minmax`), or as they are (`none`). */
    scale: Type.Union([Type.Literal('standard'), Type.Literal('minmax'), Type.Literal('none')], { default: 'standard' }),
  },
  { additionalProperties: false },
);
export type FeaturesParams = Static<typeof FeaturesParams>;

interface NumericStats {
  readonly column: string;
  /** Subtracted, then divided by `scale` (1 for a constant column, which becomes 0). */
  readonly offset: number;
  readonly scale: number;
}

interface FeaturesState {
  readonly numeric: NumericStats[];
  /** Per categorical column, its categories in a fixed order (sorted by their JSON text). */
  readonly categories: Array<{ readonly column: string; readonly values: Array<string | number | boolean> }>;
}

type Category = string | number | boolean;
const isCategory = (value: unknown): value is Category => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean';
const keyOf = (value: Category) => JSON.stringify(value);

/** The vector's entry names, in order: `humidity`, `mote_id=1`, …. */
export function featureNames(state: FeaturesState): string[] {
  return [...state.numeric.map((n) => n.column), ...state.categories.flatMap((c) => c.values.map((v) => `${c.column}=${String(v)}`))];
}

class FeaturesModel implements Model {
  readonly kind = 'tabular:features';
  private readonly lookup: Array<Map<string, number>>;
  private readonly width: number;

  constructor(
    private readonly params: FeaturesParams,
    private readonly state: FeaturesState,
  ) {
    this.lookup = state.categories.map((c) => new Map(c.values.map((v, i) => [keyOf(v), i])));
    this.width = state.numeric.length + state.categories.reduce((n, c) => n + c.values.length, 0);
  }

  get names(): string[] {
    return featureNames(this.state);
  }

  transform(batch: Batch, ctx: StageContext): Batch {
    const out: Batch = [];
    for (const record of batch) {
      const vector = new Array<number>(this.width).fill(0);
      let problem: string | undefined;
      this.state.numeric.forEach((n, i) => {
        const value = record[n.column];
        if (typeof value !== 'number' || !Number.isFinite(value)) problem ??= `'${n.column}' is ${value === undefined ? 'missing' : JSON.stringify(value)}, not a finite number`;
        else vector[i] = (value - n.offset) / n.scale;
      });
      let at = this.state.numeric.length;
      this.state.categories.forEach((c, k) => {
        const value = record[c.column];
        const index = isCategory(value) ? this.lookup[k]!.get(keyOf(value)) : undefined;
        if (index !== undefined) vector[at + index] = 1;
        else if (!isCategory(value)) problem ??= `'${c.column}' is ${value === undefined ? 'missing' : JSON.stringify(value)}, not a category`;
        else ctx.warn('UNKNOWN_CATEGORY', `'${c.column}' is ${JSON.stringify(value)}, a category not seen in training; its one-hot entries are all 0.`, record);
        at += c.values.length;
      });
      if (problem) {
        ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: this.kind, message: `${problem}. Clean or fill the column before this stage, or leave the record out.` }));
        continue;
      }
      out.push({ ...record, [this.params.output]: vector });
    }
    return out;
  }

  save(): ModelState {
    return { meta: { numeric: this.state.numeric.map((n) => ({ ...n })), categories: this.state.categories.map((c) => ({ column: c.column, values: [...c.values] })) } };
  }
}

/**
 * One feature vector from the columns of a table: numeric columns standardised (or scaled to [0, 1])
 * and categorical columns one-hot encoded, with the means, spreads and categories learned from the
 * training records only and saved with the model, so serving encodes a record exactly as training did.
 * A record with a missing or non-numeric value is rejected (INVALID_RECORD); a category not seen in
 * training gets all-zero entries and an UNKNOWN_CATEGORY warning.
 */
@injectable()
export class FeaturesEstimator implements Estimator {
  readonly kind = 'tabular:features';

  constructor(@inject(STAGE_PARAMS) private readonly params: FeaturesParams) {
    if (params.numeric.length + params.categorical.length === 0) {
      throw new TributaryError('INVALID_PARAMS', { stage: this.kind, param: 'numeric', message: `Stage '${this.kind}' needs at least one column: name them in numeric and/or categorical.` });
    }
    const all = [...params.numeric, ...params.categorical];
    const repeated = all.find((c, i) => all.indexOf(c) !== i);
    if (repeated) throw new TributaryError('INVALID_PARAMS', { stage: this.kind, param: 'numeric', message: `Column '${repeated}' is named twice; give each column once, in numeric or in categorical.` });
  }

  async fit(data: Dataset<DataRecord>): Promise<Model> {
    const p = this.params;
    // One pass: Welford's mean and variance, the range, and the categories of each column.
    const n = p.numeric.map(() => ({ count: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity }));
    const seen = p.categorical.map(() => new Map<string, Category>());
    let records = 0;
    for await (const chunk of data.chunks()) {
      for (const record of chunk) {
        records++;
        p.numeric.forEach((column, i) => {
          const value = record[column];
          if (typeof value !== 'number' || !Number.isFinite(value)) return;
          const s = n[i]!;
          s.count++;
          const delta = value - s.mean;
          s.mean += delta / s.count;
          s.m2 += delta * (value - s.mean);
          if (value < s.min) s.min = value;
          if (value > s.max) s.max = value;
        });
        p.categorical.forEach((column, i) => {
          const value = record[column];
          if (isCategory(value)) seen[i]!.set(keyOf(value), value);
        });
      }
    }
    if (records === 0) throw new TributaryError('EMPTY_DATASET', { stage: this.kind, message: `Stage '${this.kind}' got no records to learn from.` });
    const numeric = p.numeric.map((column, i): NumericStats => {
      const s = n[i]!;
      if (s.count === 0) throw new TributaryError('INVALID_DATA', { stage: this.kind, message: `Column '${column}' has no number in any of the ${records} training records. Check the column name and that its cells are numbers.` });
      if (p.scale === 'none') return { column, offset: 0, scale: 1 };
      if (p.scale === 'minmax') return { column, offset: s.min, scale: s.max > s.min ? s.max - s.min : 1 };
      const sd = Math.sqrt(s.m2 / s.count);
      return { column, offset: s.mean, scale: sd > 0 ? sd : 1 };
    });
    const categories = p.categorical.map((column, i) => {
      const values = [...seen[i]!].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, v]) => v);
      if (values.length === 0) throw new TributaryError('INVALID_DATA', { stage: this.kind, message: `Column '${column}' has no category (text, number or boolean) in any of the ${records} training records.` });
      return { column, values };
    });
    return new FeaturesModel(p, { numeric, categories });
  }

  async load(saved: ModelState): Promise<Model> {
    const meta = saved.meta as unknown as FeaturesState;
    const ok =
      Array.isArray(meta.numeric) &&
      meta.numeric.every((s) => typeof s.column === 'string' && Number.isFinite(s.offset) && Number.isFinite(s.scale) && s.scale !== 0) &&
      Array.isArray(meta.categories) &&
      meta.categories.every((c) => typeof c.column === 'string' && Array.isArray(c.values) && c.values.every(isCategory));
    if (!ok) throw new TributaryError('ARTIFACT_CORRUPT', { stage: this.kind, message: `The saved state of '${this.kind}' is malformed (means, scales and categories). Re-save the model.` });
    return new FeaturesModel(this.params, meta);
  }
}

export const featuresStage = defineStage({
  kind: 'tabular:features',
  description: 'Numeric columns standardised and categorical columns one-hot encoded into one vector.',
  params: FeaturesParams,
  fields: (p) => ({ reads: [...p.numeric, ...p.categorical], writes: [p.output] }),
  implementation: FeaturesEstimator,
});

/** `features({ numeric: ['humidity', 'temperature'], categorical: ['mote_id'] })` */
export const features = stageSpec<Partial<FeaturesParams>>('tabular:features');
