import { Dataset, createRuntime, isTributaryError } from '@tributary/core';
import { TfidfEstimator, type TfidfModel, TfidfParams, natural, stopwords, tfidf, tokenize } from '@tributary/plugin-natural';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';

const runtime = () => createRuntime({ plugins: [natural] });

/** Fits tokenize → stopwords → tfidf and returns the fitted TF-IDF model. */
async function fitText(texts: string[], params: Record<string, unknown>) {
  const model = await runtime().pipeline([tokenize(), stopwords(), tfidf(params)]).fit(texts.map((text, id) => ({ id, text })));
  return { model, tfidf: model.stages[2]!.stage as TfidfModel };
}

const valueOf = (vector: { indices: Int32Array; values: Float32Array }, index: number | undefined) => {
  if (index === undefined) return 0;
  const k = vector.indices.indexOf(index);
  return k < 0 ? 0 : vector.values[k]!;
};

describe('TF-IDF with the natural formula, idf = 1 + ln(N / (1 + df)) (case C03)', () => {
  it('scores terms named like Object.prototype members as ordinary words', async () => {
    const { model, tfidf: m } = await fitText(['constructor this document is about node constructor document'], { idf: 'natural', norm: 'none' });
    const [out] = await model.predict([{ text: 'constructor this document is about node constructor document' }]);
    const v = out!.features as { indices: Int32Array; values: Float32Array };
    const at = (term: string) => valueOf(v, m.terms.indexOf(term) < 0 ? undefined : m.terms.indexOf(term));
    // tf 2 × (1 + ln(1/2)) = 0.613706; tf 1 × 0.306853
    expect(at('constructor')).toBeCloseTo(0.613706, 5);
    expect(at('document')).toBeCloseTo(0.613706, 5);
    expect(at('node')).toBeCloseTo(0.306853, 5);
  });

  it('gives 0, never NaN or a function, for prototype-named terms a document lacks', async () => {
    const estimator = new TfidfEstimator(Value.Default(TfidfParams, { idf: 'natural', norm: 'none' }) as never);
    const ctx = { reject() {}, warn() {} } as never;
    const m = (await estimator.fit(Dataset.from([{ tokens: ['cat', 'hasOwnProperty'] }, { tokens: ['dog'] }]), ctx)) as TfidfModel;
    for (const term of ['constructor', 'toString', '__proto__', 'valueOf']) expect(m.idfOf(term)).toBeUndefined();
    const v = m.vectorize(['constructor', 'toString', 'hasOwnProperty', '__proto__', 'dog']);
    expect([...v.values].every(Number.isFinite)).toBe(true);
    expect(v.indices.length).toBe(2); // hasOwnProperty and dog
  });

  it('handles empty documents: no terms, zero vector, and idf over all three documents', async () => {
    const { model, tfidf: m } = await fitText(['', 'the and of', 'cat dog'], { idf: 'natural', norm: 'none' });
    expect(m.idfOf('cat')).toBeCloseTo(1.405465, 6); // 1 + ln(3/2)
    const out = await model.predict([{ text: '' }, { text: 'the and of' }, { text: 'cat dog' }]);
    const vectors = out.map((r) => r.features as { indices: Int32Array; values: Float32Array });
    expect(vectors[0]!.indices.length).toBe(0);
    expect(vectors[1]!.indices.length).toBe(0);
    expect(valueOf(vectors[2]!, m.terms.indexOf('cat'))).toBeCloseTo(1.405465, 5);
  });

  it('refuses an empty corpus with EMPTY_DATASET, not a TypeError', async () => {
    const failure = await runtime().pipeline([tokenize(), tfidf()]).fit([]).catch((e: unknown) => e);
    expect(isTributaryError(failure, 'EMPTY_DATASET')).toBe(true);
    const estimator = new TfidfEstimator(Value.Default(TfidfParams, {}) as never);
    await expect(estimator.fit(Dataset.from([]), { reject() {}, warn() {} } as never)).rejects.toMatchObject({ code: 'EMPTY_DATASET' });
  });
});

describe('TF-IDF with the smooth formula (scikit-learn defaults)', () => {
  it('matches the values worked out from idf = ln((1 + N)/(1 + df)) + 1 and L2 norm', async () => {
    // N = 2; idf(apple) = ln(3/3) + 1 = 1, idf(banana) = idf(cherry) = ln(3/2) + 1 = 1.405465
    // "apple banana" → [1, 1.405465] / sqrt(1 + 1.975333) = [0.579739, 0.814802]
    const { model, tfidf: m } = await fitText(['apple banana', 'apple cherry'], {});
    expect(m.terms).toEqual(['apple', 'banana', 'cherry']);
    const [out] = await model.predict([{ text: 'apple banana' }]);
    const v = out!.features as { indices: Int32Array; values: Float32Array; size: number };
    expect(v.size).toBe(3);
    expect([...v.indices]).toEqual([0, 1]);
    expect(v.values[0]).toBeCloseTo(0.579739, 5);
    expect(v.values[1]).toBeCloseTo(0.814802, 5);
  });

  it('applies sublinear tf, binary tf, and l1 norm from their definitions', async () => {
    const sub = (await fitText(['zebra zebra zebra yak'], { sublinearTf: true, idf: 'none', norm: 'none' })).model;
    const [a] = await sub.predict([{ text: 'zebra zebra zebra yak' }]);
    expect(Array.from((a!.features as { values: Float32Array }).values)).toEqual([Math.fround(1), Math.fround(1 + Math.log(3))]);
    const bin = (await fitText(['zebra zebra yak'], { binary: true, idf: 'none', norm: 'l1' })).model;
    const [b] = await bin.predict([{ text: 'zebra zebra yak' }]);
    expect(Array.from((b!.features as { values: Float32Array }).values)).toEqual([0.5, 0.5]);
  });

  it('caps the vocabulary at maxFeatures by corpus frequency and prunes by minDf / maxDf', async () => {
    const texts = ['red red red blue', 'red green', 'red blue', 'violet'];
    expect((await fitText(texts, { maxFeatures: 2 })).tfidf.terms).toEqual(['blue', 'red']);
    expect((await fitText(texts, { minDf: 2 })).tfidf.terms).toEqual(['blue', 'red']);
    expect((await fitText(texts, { maxDf: 0.5 })).tfidf.terms).toEqual(['blue', 'green', 'violet']);
    await expect(fitText(texts, { minDf: 10 })).rejects.toMatchObject({ code: 'INVALID_DATA' });
  });

  it('keeps 5,000 terms over thousands of documents as sparse rows', async () => {
    const words = Array.from({ length: 6000 }, (_, i) => `w${i.toString(36)}x`);
    const texts = Array.from({ length: 3000 }, (_, d) => Array.from({ length: 40 }, (_, k) => words[(d * 37 + k * 101) % words.length]).join(' '));
    const { model, tfidf: m } = await fitText(texts, { maxFeatures: 5000 });
    expect(m.vocabularySize).toBe(5000);
    const out = await model.predict(texts.slice(0, 100).map((text) => ({ text })));
    for (const r of out) {
      const v = r.features as { indices: Int32Array; values: Float32Array; size: number };
      expect(v.size).toBe(5000);
      expect(v.indices.length).toBeLessThanOrEqual(40);
      const norm = Math.hypot(...v.values);
      expect(norm).toBeCloseTo(1, 5);
    }
  });

  it('validates its params, naming the stage and the param', () => {
    expect(() => runtime().resolve(tfidf({ maxFeatures: -3 }))).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', stage: 'natural:tfidf', param: 'maxFeatures' }));
  });

  it('refuses minDf above maxDf when both are fractions or both are counts, before any data is read', async () => {
    for (const params of [{ minDf: 0.8, maxDf: 0.2 }, { minDf: 3, maxDf: 2 }]) {
      expect(() => runtime().resolve(tfidf(params))).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', stage: 'natural:tfidf', param: 'minDf' }));
    }
    // df over the 4 documents: red 3, blue 2, green 1, violet 1.
    const texts = ['red red red blue', 'red green', 'red blue', 'violet'];
    // Equal fractions keep the terms in exactly half the documents (df 2).
    expect((await fitText(texts, { minDf: 0.5, maxDf: 0.5 })).tfidf.terms).toEqual(['blue']);
    // A count against a fraction: 2 ≤ df ≤ 0.75 × 4 = 3, though 2 > 0.75 as numbers.
    expect((await fitText(texts, { minDf: 2, maxDf: 0.75 })).tfidf.terms).toEqual(['blue', 'red']);
  });
});
