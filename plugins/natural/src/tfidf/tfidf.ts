import {
  type Batch,
  type DataRecord,
  type Dataset,
  type Estimator,
  type Model,
  type ModelState,
  STAGE_PARAMS,
  type SparseVector,
  type StageContext,
  type Static,
  TributaryError,
  Type,
  defineStage,
  inject,
  injectable,
  sparseVector,
  stageSpec,
} from '@tributary/core';
import { mapTokens, readTokens } from '../record-fields.js';

export const TfidfParams = Type.Object(
  {
    input: Type.String({ default: 'tokens' }),
    output: Type.String({ default: 'features' }),
    /** Keep at most this many terms, those most frequent across the corpus (ties broken alphabetically). */
    maxFeatures: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Ignore terms in fewer documents than this: a count (≥ 1) or a fraction of the documents (< 1). */
    minDf: Type.Number({ exclusiveMinimum: 0, default: 1 }),
    /** Ignore terms in more documents than this: a fraction (≤ 1) or a count (> 1). */
    maxDf: Type.Number({ exclusiveMinimum: 0, default: 1 }),
    /** tf → 1 + ln(tf). */
    sublinearTf: Type.Boolean({ default: false }),
    /** tf → 1 for every term present. */
    binary: Type.Boolean({ default: false }),
    /**
     * `smooth`: ln((1 + N) / (1 + df)) + 1 (scikit-learn's default); `plain`: ln(N / df) + 1;
     * `natural`: 1 + ln(N / (1 + df)) (the natural library's formula); `none`: 1.
     */
    idf: Type.Union([Type.Literal('smooth'), Type.Literal('plain'), Type.Literal('natural'), Type.Literal('none')], { default: 'smooth' }),
    norm: Type.Union([Type.Literal('l2'), Type.Literal('l1'), Type.Literal('none')], { default: 'l2' }),
  },
  { additionalProperties: false },
);
export type TfidfParams = Static<typeof TfidfParams>;

export function idfWeight(formula: TfidfParams['idf'], documents: number, df: number): number {
  switch (formula) {
    case 'smooth':
      return Math.log((1 + documents) / (1 + df)) + 1;
    case 'plain':
      return Math.log(documents / df) + 1;
    case 'natural':
      return 1 + Math.log(documents / (1 + df));
    default:
      return 1;
  }
}

/** A fitted TF-IDF: the vocabulary (alphabetical, so indices are stable) and each term's idf. */
export class TfidfModel implements Model {
  readonly kind = 'natural:tfidf';
  private readonly index: ReadonlyMap<string, number>;

  constructor(
    private readonly params: TfidfParams,
    readonly terms: readonly string[],
    readonly idf: Float64Array,
    readonly documents: number,
  ) {
    // A Map, never a plain object: terms such as "constructor" or "__proto__" are ordinary words here.
    this.index = new Map(terms.map((t, i) => [t, i]));
  }

  get vocabularySize(): number {
    return this.terms.length;
  }

  /** The idf of a term, or undefined when it is not in the vocabulary. */
  idfOf(term: string): number | undefined {
    const i = this.index.get(term);
    return i === undefined ? undefined : this.idf[i];
  }

  /** The sparse TF-IDF vector of one document. An empty document, or one of unknown terms only, is the zero vector. */
  vectorize(tokens: readonly string[]): SparseVector {
    const counts = new Map<number, number>();
    for (const token of tokens) {
      const i = this.index.get(token);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const indices = Int32Array.from(counts.keys()).sort();
    const values = new Float64Array(indices.length);
    const { sublinearTf, binary, norm } = this.params;
    let l1 = 0;
    let l2 = 0;
    for (let k = 0; k < indices.length; k++) {
      const tf = counts.get(indices[k]!)!;
      const weight = (binary ? 1 : sublinearTf ? 1 + Math.log(tf) : tf) * this.idf[indices[k]!]!;
      values[k] = weight;
      l1 += Math.abs(weight);
      l2 += weight * weight;
    }
    const divisor = norm === 'l2' ? Math.sqrt(l2) : norm === 'l1' ? l1 : 1;
    const out = new Float32Array(indices.length);
    for (let k = 0; k < indices.length; k++) out[k] = divisor > 0 ? values[k]! / divisor : values[k]!;
    return sparseVector(this.terms.length, indices, out);
  }

  transform(batch: Batch, ctx: StageContext): Batch {
    return mapTokens(batch, ctx, this.params.input, this.params.output, (tokens) => this.vectorize(tokens));
  }

  save(): ModelState {
    return {
      meta: { documents: this.documents, vocabularySize: this.terms.length, idf: this.params.idf },
      files: { 'vocabulary.json': JSON.stringify({ terms: this.terms, idf: Array.from(this.idf) }) },
    };
  }
}

/**
 * TF-IDF as an estimator: fitting learns the vocabulary (capped by `maxFeatures`, pruned by
 * `minDf`/`maxDf`) and the idf of each term in one pass; transforming writes a sparse vector per
 * document, so a large vocabulary over many documents never needs a dense matrix.
 */
@injectable()
export class TfidfEstimator implements Estimator {
  readonly kind = 'natural:tfidf';

  constructor(@inject(STAGE_PARAMS) private readonly params: TfidfParams) {
    const { minDf, maxDf } = params;
    // Bounds of one kind compare without knowing the corpus; a count against a fraction is only judged at fit time.
    const sameKind = (minDf < 1 && maxDf <= 1) || (minDf >= 1 && maxDf > 1);
    if (sameKind && minDf > maxDf) {
      throw new TributaryError('INVALID_PARAMS', {
        stage: this.kind,
        param: 'minDf',
        message: `Stage '${this.kind}': minDf ${minDf} is above maxDf ${maxDf}, so no term could be kept. Lower minDf or raise maxDf.`,
      });
    }
  }

  async fit(data: Dataset<DataRecord>, ctx: StageContext): Promise<Model> {
    const stats = new Map<string, { df: number; tf: number }>();
    let documents = 0;
    for await (const record of data) {
      const tokens = readTokens(record, this.params.input, this.kind, ctx);
      if (!tokens) continue;
      documents++;
      const seen = new Set<string>();
      for (const token of tokens) {
        let s = stats.get(token);
        if (!s) stats.set(token, (s = { df: 0, tf: 0 }));
        s.tf++;
        if (!seen.has(token)) {
          seen.add(token);
          s.df++;
        }
      }
    }
    if (documents === 0) {
      throw new TributaryError('EMPTY_DATASET', { stage: this.kind, message: `Stage '${this.kind}' got no documents to learn a vocabulary from.` });
    }
    const { minDf, maxDf, maxFeatures } = this.params;
    const low = minDf < 1 ? minDf * documents : minDf;
    const high = maxDf <= 1 ? maxDf * documents : maxDf;
    let kept = [...stats].filter(([, s]) => s.df >= low && s.df <= high);
    if (stats.size === 0) {
      throw new TributaryError('INVALID_DATA', {
        stage: this.kind,
        message: `None of the ${documents} documents has a single token (they are empty, or the stages before emptied them, e.g. stop-word removal). Check the text field and the tokenizer's params.`,
      });
    }
    if (kept.length === 0) {
      throw new TributaryError('INVALID_DATA', {
        stage: this.kind,
        message: `No term is left after pruning ${stats.size} terms with minDf ${minDf} and maxDf ${maxDf} over ${documents} documents. Lower minDf or raise maxDf.`,
      });
    }
    if (maxFeatures !== undefined && kept.length > maxFeatures) {
      kept = kept.sort((a, b) => b[1].tf - a[1].tf || (a[0] < b[0] ? -1 : 1)).slice(0, maxFeatures);
    }
    const terms = kept.map(([t]) => t).sort();
    const idf = Float64Array.from(terms, (t) => idfWeight(this.params.idf, documents, stats.get(t)!.df));
    return new TfidfModel(this.params, terms, idf, documents);
  }

  async load(state: ModelState): Promise<Model> {
    const file = state.files?.['vocabulary.json'];
    const text = typeof file === 'string' ? file : new TextDecoder().decode(file);
    const { terms, idf } = JSON.parse(text) as { terms: unknown; idf: unknown };
    if (!Array.isArray(terms) || !Array.isArray(idf) || terms.length !== idf.length || !terms.every((t) => typeof t === 'string') || !idf.every(Number.isFinite)) {
      throw new TributaryError('ARTIFACT_CORRUPT', { stage: this.kind, message: `The saved vocabulary of '${this.kind}' is malformed (terms and idf must be lists of equal length). Re-save the model.` });
    }
    return new TfidfModel(this.params, terms, Float64Array.from(idf), state.meta.documents as number);
  }
}

export const tfidfStage = defineStage({
  kind: 'natural:tfidf',
  description: 'TF-IDF vectors (sparse) with a learned, capped vocabulary.',
  params: TfidfParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output] }),
  implementation: TfidfEstimator,
  worker: true,
});

/** `tfidf({ maxFeatures: 5000, sublinearTf: true })` */
export const tfidf = stageSpec<Partial<TfidfParams>>('natural:tfidf');
