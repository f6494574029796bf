import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DataRecord, type Estimator, type Model, RunReport, createRandom, createRuntime, denseTensor, isTributaryError } from '@tributary/core';
import { type ConvLayer, convClassifier, tfjs, useBackend } from '@tributary/plugin-tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { numTensors } from './helpers.js';

// tf.memory() needs a backend; tensor counts are taken from the first test on.
beforeAll(async () => {
  await useBackend('auto');
});

const runtime = (seed?: number) => createRuntime({ plugins: [tfjs], ...(seed === undefined ? {} : { seed }) });
const fit = (params: Record<string, unknown>, data: DataRecord[], seed?: number) => runtime(seed).pipeline([convClassifier(params)]).fit(data);
const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-conv-')), 'model');
const sameBits = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const accuracy = (out: DataRecord[], truth: DataRecord[]) => out.filter((r, i) => r.prediction === truth[i]!.label).length / truth.length;

/** 10 → conv 3×3 (valid) 8 → pool 2 → 4, flattened: 4·4·4 = 64 values into the output layer. */
const tiny: ConvLayer[] = [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'maxPool2d', poolSize: 2 }, { type: 'flatten' }];

/**
 * 10×10 greyscale images of dim noise (0…0.2) crossed by one bright bar (0.8…1) six pixels long at a
 * random place: even records horizontal, odd records vertical. The orientation is the whole answer.
 */
function bars(n: number, seed: number, size = 10) {
  const random = createRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const horizontal = i % 2 === 0;
    const data = new Float32Array(size * size).map(() => 0.2 * random.next());
    const line = Math.floor(random.next() * size);
    const start = Math.floor(random.next() * (size - 5));
    for (let k = 0; k < 6; k++) {
      const [y, x] = horizontal ? [line, start + k] : [start + k, line];
      data[y * size + x] = 0.8 + 0.2 * random.next();
    }
    return { id: i, label: horizontal ? 'horizontal' : 'vertical', tensor: denseTensor(data, [size, size, 1]) };
  });
}

const QUADRANTS = ['nw', 'ne', 'sw', 'se'] as const;

/**
 * 12×12 images with 3 channels of noise (0…0.3) and one bright 4×4 square (0.7…1) in one random
 * channel, placed wholly inside the quadrant that is the label (record i: quadrant i mod 4).
 */
function quadrants(n: number, seed: number, size = 12, channels = 3) {
  const random = createRandom(seed);
  const half = size / 2;
  return Array.from({ length: n }, (_, i) => {
    const q = i % 4;
    const data = new Float32Array(size * size * channels).map(() => 0.3 * random.next());
    const channel = Math.floor(random.next() * channels);
    const top = (q >= 2 ? half : 0) + Math.floor(random.next() * (half - 3));
    const left = (q % 2 === 1 ? half : 0) + Math.floor(random.next() * (half - 3));
    for (let y = top; y < top + 4; y++) for (let x = left; x < left + 4; x++) data[(y * size + x) * channels + channel] = 0.7 + 0.3 * random.next();
    return { id: i, label: QUADRANTS[q], tensor: denseTensor(data, [size, size, channels]) };
  });
}

/** The same image with its axes reordered from [height, width, channels] to [channels, height, width]. */
function toChannelsFirst(record: { tensor: { shape: readonly number[]; data: Float32Array } } & DataRecord) {
  const [h, w, c] = record.tensor.shape as [number, number, number];
  const from = record.tensor.data;
  const data = new Float32Array(from.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(k * h + y) * w + x] = from[(y * w + x) * c + k]!;
  return { ...record, tensor: denseTensor(data, [c, h, w]) };
}

const barTraining = { layers: tiny, epochs: 12, batchSize: 16, learningRate: 0.02, seed: 1 };

describe('convClassifier', () => {
  it('learns horizontal vs vertical bars to ≥ 0.95 on held-out images, with a sigmoid score and one of the two classes', async () => {
    const model = await fit(barTraining, bars(200, 1));
    const test = bars(200, 2);
    const out = await model.predict(test);
    expect(accuracy(out, test)).toBeGreaterThanOrEqual(0.95);
    for (const r of out) {
      expect(typeof r.score).toBe('number');
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
      // Sorted classes: 'horizontal' < 'vertical', so the score is P(vertical) and 0.5 the default threshold.
      expect(r.prediction).toBe((r.score as number) >= 0.5 ? 'vertical' : 'horizontal');
    }
    await model.dispose();
  });

  it('learns which quadrant holds the bright square (4 classes): softmax probabilities and the most likely class', async () => {
    const model = await fit({ layers: [{ type: 'conv2d', filters: 6, kernelSize: 3 }, { type: 'maxPool2d', poolSize: 2 }, { type: 'flatten' }], epochs: 10, batchSize: 16, learningRate: 0.02, seed: 1 }, quadrants(240, 1));
    const test = quadrants(200, 2);
    const out = await model.predict(test);
    expect(accuracy(out, test)).toBeGreaterThanOrEqual(0.95);
    const sorted = ['ne', 'nw', 'se', 'sw'];
    for (const r of out) {
      const p = r.score as number[];
      expect(p).toHaveLength(4);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(r.prediction).toBe(sorted[p.indexOf(Math.max(...p))]);
    }
    await model.dispose();
  });

  it("reads channels-first [C, H, W] tensors as the same images: predictions identical to channels-last, and as accurate", async () => {
    const params = { layers: [{ type: 'conv2d', filters: 6, kernelSize: 3 }, { type: 'maxPool2d', poolSize: 2 }, { type: 'flatten' }], epochs: 10, batchSize: 16, learningRate: 0.02, seed: 3 };
    const train = quadrants(240, 1);
    const test = quadrants(200, 2);
    const last = await fit(params, train);
    const first = await fit({ ...params, dataFormat: 'channelsFirst' }, train.map(toChannelsFirst));
    const outFirst = await first.predict(test.map(toChannelsFirst));
    expect(accuracy(outFirst, test)).toBeGreaterThanOrEqual(0.95);
    // Same seed and the same pixels reordered: the network sees identical batches.
    expect(outFirst.map((r) => r.score)).toEqual((await last.predict(test)).map((r) => r.score));
    await last.dispose();
    await first.dispose();
  });

  it('is reproducible under a seed (dropout and hold-out included) and differs under another', async () => {
    const data = bars(96, 4);
    const probe = bars(20, 5);
    const scores = async (seed: number) => {
      const model = await fit({ layers: [...tiny, { type: 'dropout', rate: 0.3 }], epochs: 3, batchSize: 16, validationSplit: 0.25, seed }, data);
      const out = (await model.predict(probe)).map((r) => r.score as number);
      await model.dispose();
      return out;
    };
    const a = await scores(7);
    expect(await scores(7)).toEqual(a);
    expect(await scores(8)).not.toEqual(a);
  });

  it('takes its seed from the runtime unless the stage sets its own', async () => {
    const data = bars(32, 13);
    const probe = bars(8, 14);
    const scores = async (runtimeSeed: number, params: Record<string, unknown> = {}) => {
      const model = await fit({ layers: tiny, epochs: 2, ...params }, data, runtimeSeed);
      const out = (await model.predict(probe)).map((r) => r.score);
      await model.dispose();
      return out;
    };
    expect(await scores(1)).toEqual(await scores(1));
    expect(await scores(2)).not.toEqual(await scores(1));
    expect(await scores(2, { seed: 5 })).toEqual(await scores(1, { seed: 5 }));
  });

  it('holds out a validation share and stops early when the monitored loss stops improving', async () => {
    const model = await fit({ layers: tiny, epochs: 20, validationSplit: 0.25, earlyStopping: { patience: 1, minDelta: 100 } }, bars(64, 8));
    const meta = (await model.save(tmp())).stages[0]!.state!.meta as { epochsRun: number; bestEpoch: number; history: Array<Record<string, number>> };
    // Epoch 1 sets the best val_loss; no later epoch improves it by 100, so patience 1 stops after epoch 2.
    expect(meta.epochsRun).toBe(2);
    expect(meta.bestEpoch).toBe(1);
    expect(typeof meta.history[0]!.val_loss).toBe('number');
    await model.dispose();
  });

  it('weights the loss by class: a heavy weight on one class pulls the scores towards it', async () => {
    // Labels independent of the images (every third record 'vertical'): the best the network can do is
    // a constant near w_v / (w_h + w_v) — 50/51 or 1/51 — and, unweighted, the share of verticals, 40/120.
    const data = bars(120, 3).map((r, i) => ({ ...r, label: i % 3 === 0 ? 'vertical' : 'horizontal' }));
    const meanScore = async (classWeight?: Record<string, number> | 'balanced') => {
      const model = await fit({ layers: [{ type: 'flatten' }], epochs: 20, learningRate: 0.05, ...(classWeight ? { classWeight } : {}) }, data);
      const scores = (await model.predict(data)).map((r) => r.score as number);
      await model.dispose();
      return scores.reduce((a, b) => a + b, 0) / scores.length;
    };
    expect(await meanScore({ horizontal: 1, vertical: 50 })).toBeGreaterThan(0.8);
    expect(await meanScore({ horizontal: 50, vertical: 1 })).toBeLessThan(0.2);
    const plain = await meanScore();
    expect(plain).toBeGreaterThan(0.25);
    expect(plain).toBeLessThan(0.42);
    // 'balanced' (n / (2 n_c): 0.75 and 1.5) makes both classes count alike: the constant moves to ≈ 0.5.
    const balanced = await meanScore('balanced');
    expect(balanced).toBeGreaterThan(0.42);
    expect(balanced).toBeLessThan(0.58);
  });

  it('refuses, when resolved, early stopping on val_loss without a hold-out, the score and the class in one field, and a weight for no class', () => {
    const resolve = (params: Record<string, unknown>) => () => runtime().resolve({ kind: 'tfjs:conv-classifier', params: { layers: tiny, ...params } });
    const refused = (param: string) => expect.objectContaining({ code: 'INVALID_PARAMS', stage: 'tfjs:conv-classifier', param });
    expect(resolve({ earlyStopping: { patience: 2 } })).toThrow(refused('earlyStopping'));
    expect(resolve({ output: 'class', prediction: 'class' })).toThrow(refused('prediction'));
    expect(resolve({ classes: ['horizontal', 'vertical'], classWeight: { horizontal: 1, diagonal: 3 } })).toThrow(refused('classWeight'));
    expect(resolve({ classes: ['horizontal', 'vertical'], classWeight: { horizontal: 1, vertical: 3 }, validationSplit: 0.25, earlyStopping: { patience: 2 } })).not.toThrow();
  });

  it('fails with TRAINING_DIVERGED when the weights blow up, even though the clipped loss stays finite', async () => {
    const before = numTensors();
    const failure = await fit({ layers: tiny, epochs: 3, optimizer: 'sgd', learningRate: 1e30 }, bars(64, 1)).catch((e: unknown) => e);
    expect(isTributaryError(failure, 'TRAINING_DIVERGED')).toBe(true);
    expect((failure as Error).message).toMatch(/normalised/);
    expect(numTensors()).toBe(before);
  });

  it('predicts the same whether records come in one batch larger than a forward pass takes or in small ones', async () => {
    const model = await fit({ layers: tiny, epochs: 2, seed: 2 }, bars(64, 6));
    // 1100 records exceed the 1024 a forward pass is capped at, so the one batch runs as two passes.
    const probe = bars(1100, 7);
    const whole = (await model.predict(probe)).map((r) => r.score as number);
    const small = (await model.predict(probe, { batchSize: 50 })).map((r) => r.score as number);
    expect(whole).toHaveLength(1100);
    expect(sameBits(whole, small)).toBe(true);
    await model.dispose();
  });
});

describe('convClassifier save and load', () => {
  const layers: ConvLayer[] = [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'batchNormalization' }, { type: 'maxPool2d', poolSize: 2 }, { type: 'flatten' }];

  it('saves the weights into the artifact and a fresh runtime loads it to bit-identical predictions', async () => {
    const before = numTensors();
    const dir = tmp();
    const model = await fit({ layers, epochs: 3, seed: 4 }, bars(80, 1));
    const manifest = await model.save(dir);
    expect(Object.keys(manifest.files).sort()).toEqual(['stages/00-tfjs-conv-classifier/model.json', 'stages/00-tfjs-conv-classifier/weights.bin']);
    // conv 3·3·1·4 + 4 = 40; batch norm 4 × (gamma, beta, moving mean, moving variance) = 16;
    // output 4·4·4 inputs × 1 + 1 = 65: 121 float32 values.
    expect(fs.statSync(path.join(dir, 'stages/00-tfjs-conv-classifier/weights.bin')).size).toBe(121 * 4);
    expect(manifest.stages[0]!.state!.meta).toMatchObject({ inputShape: [10, 10, 1], dataFormat: 'channelsLast', classes: ['horizontal', 'vertical'] });
    const loaded = await runtime().load(dir);
    const probe = bars(30, 2);
    const a = await model.predict(probe);
    const b = await loaded.predict(probe);
    expect(sameBits(b.map((r) => r.score as number), a.map((r) => r.score as number))).toBe(true);
    expect(b.map((r) => r.prediction)).toEqual(a.map((r) => r.prediction));
    await model.dispose();
    await loaded.dispose();
    expect(numTensors()).toBe(before);
  });

  it('refuses saved state whose image shape or data format does not fit the network', async () => {
    const model = await fit({ layers, epochs: 1 }, bars(32, 1));
    const saved = await (model.stages[0]!.stage as Model).save();
    const before = numTensors();
    const estimator = runtime().resolve(convClassifier({ layers })).instance as Estimator;
    await expect(estimator.load({ ...saved, meta: { ...saved.meta, inputShape: [12, 12, 1] } }, undefined as never)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
    await expect(estimator.load({ ...saved, meta: { ...saved.meta, dataFormat: 'channelsFirst' } }, undefined as never)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
    const channelsFirst = runtime().resolve(convClassifier({ layers, dataFormat: 'channelsFirst' })).instance as Estimator;
    await expect(channelsFirst.load(saved, undefined as never)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
    expect(numTensors()).toBe(before);
    await model.dispose();
  });
});

describe('convClassifier bad input', () => {
  it('rejects and counts records without a usable image tensor or label, in fit and in predict', async () => {
    const image = (shape: number[], fill = 0.5) => denseTensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), shape);
    const withValue = (v: number) => {
      const t = image([10, 10, 1]);
      t.data[17] = v;
      return t;
    };
    const bad = [
      { id: 'missing', label: 'vertical' },
      { id: 'array', label: 'vertical', tensor: [0.1, 0.2, 0.3] },
      { id: 'rank-2', label: 'vertical', tensor: image([10, 10]) },
      { id: 'malformed', label: 'vertical', tensor: { kind: 'tensor', shape: [10, 10, 1], data: new Float32Array(5) } },
      { id: 'nan', label: 'vertical', tensor: withValue(Number.NaN) },
      { id: 'infinite', label: 'horizontal', tensor: withValue(Number.POSITIVE_INFINITY) },
      { id: 'other-size', label: 'horizontal', tensor: image([8, 8, 1]) },
      { id: 'no-label', label: null, tensor: image([10, 10, 1]) },
    ];
    const model = await runtime().pipeline([convClassifier({ layers: tiny, epochs: 2 })]).fit([...bars(40, 9), ...bad], { errorPolicy: 'skip' });
    expect(model.fitReport!.skipped).toBe(8);
    expect(model.fitReport!.output).toBe(40);
    const samples = Object.fromEntries(model.fitReport!.samples.map((s) => [s.recordId, s]));
    expect(Object.keys(samples).sort()).toEqual(bad.map((r) => r.id).sort());
    for (const s of Object.values(samples)) expect(s.code).toBe('INVALID_RECORD');
    expect(samples['other-size']!.message).toContain('has shape [8, 8, 1], but most training records have [10, 10, 1]');
    expect(samples.nan!.message).toContain('position 17');

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-conv-dead-')), 'dead.jsonl');
    const report = new RunReport();
    const out = await model.predict(
      [{ id: 'ok', tensor: image([10, 10, 1]) }, { id: 'small', tensor: image([8, 8, 1]) }, { id: 'nan', tensor: withValue(Number.NaN) }, { id: 'none' }],
      { errorPolicy: 'dead-letter', deadLetterPath: file, report },
    );
    expect(out.map((r) => r.id)).toEqual(['ok']);
    expect(report.deadLettered).toBe(3);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { recordId: string; code: string; message: string });
    expect(lines.map((l) => [l.recordId, l.code])).toEqual([['small', 'INVALID_RECORD'], ['nan', 'INVALID_RECORD'], ['none', 'INVALID_RECORD']]);
    expect(lines[0]!.message).toContain('the model takes [10, 10, 1]');
    await model.dispose();
  });

  it('names the layer and what to change when the layers shrink the image to nothing, before building anything', async () => {
    const before = numTensors();
    // Default layers on 8×8: conv 3×3 → 8 − 3 + 1 = 6; pool 2 → 3; conv 3×3 → 1; pool 2 → ⌊1 / 2⌋ = 0.
    const small = bars(20, 1, 8);
    const failure = await fit({ epochs: 1 }, small).catch((e: unknown) => e);
    expect(isTributaryError(failure, 'INVALID_PARAMS')).toBe(true);
    expect(failure).toMatchObject({ stage: 'tfjs:conv-classifier', param: 'layers.3' });
    expect((failure as Error).message).toContain('layers[3] (maxPool2d');
    expect((failure as Error).message).toContain('1×1×32 input and would shrink it to 0×0');
    // A 5×5 kernel does not fit a 4×4 image without padding: 4 − 5 + 1 = 0.
    const conv = await fit({ layers: [{ type: 'conv2d', filters: 2, kernelSize: 5 }] }, bars(20, 1, 6).map((r) => ({ ...r, tensor: denseTensor(r.tensor.data.slice(0, 16), [4, 4, 1]) }))).catch((e: unknown) => e);
    expect(conv).toMatchObject({ code: 'INVALID_PARAMS', param: 'layers.0' });
    expect((conv as Error).message).toContain("padding 'same'");
    expect(numTensors()).toBe(before);
  });

  it('refuses layer orders that fit no image as soon as the stage is resolved', () => {
    const problem = (layers: unknown[]) => {
      try {
        runtime().resolve(convClassifier({ layers: layers as never }));
        return undefined;
      } catch (error) {
        return error as { code: string; param: string; message: string };
      }
    };
    expect(problem([{ type: 'dense', units: 8 }])).toMatchObject({ code: 'INVALID_PARAMS', param: 'layers.0', message: expect.stringContaining("{ type: 'flatten' }") });
    expect(problem([{ type: 'flatten' }, { type: 'conv2d', filters: 2, kernelSize: 3 }])).toMatchObject({ code: 'INVALID_PARAMS', param: 'layers.1' });
    // Not a valid layer spec: the schema check names the layer's field, against the kind of layer its type says.
    expect(problem([{ type: 'conv2d', filters: 0, kernelSize: 3 }])).toMatchObject({ code: 'INVALID_PARAMS', param: 'layers.0.filters' });
    expect(problem([{ type: 'conv2d', kernelSize: 3 }])!.message).toContain("field 'layers.0.filters' is missing");
    expect(problem([{ type: 'softmax' }])).toMatchObject({ code: 'INVALID_PARAMS', param: 'layers.0.type', message: expect.stringContaining('"conv2d", "maxPool2d"') });
    expect(problem([{ type: 'maxpool2d', poolSize: 2 }])!.message).toContain('did you mean "maxPool2d"');
    expect(problem([{ type: 'dense', units: 8, activaton: 'relu' }])!.message).toContain("unknown field 'layers.0.activaton' (did you mean 'activation'?)");
    expect(problem([{ type: 'conv2d', filters: 2, kernelSize: 3 }, { type: 'maxPool2d', poolSize: 2 }])).toBeUndefined();
  });
});

describe('convClassifier tensors', () => {
  it('leaves no tensor (and no backend buffer) behind across fit, predict calls and batches, and none after dispose', async () => {
    const { tf } = await useBackend('auto');
    const buffers = () => (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds();
    const before = numTensors();
    const beforeBuffers = buffers();
    const model = await fit({ layers: [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'batchNormalization' }, { type: 'maxPool2d', poolSize: 2 }, { type: 'flatten' }, { type: 'dropout', rate: 0.2 }], epochs: 2, validationSplit: 0.25, earlyStopping: { patience: 1 } }, bars(64, 10));
    // Only the network's own variables stay: conv kernel and bias, 4 batch-norm vectors, output kernel and bias.
    const afterFit = numTensors();
    expect(afterFit - before).toBe(8);
    for (let i = 0; i < 4; i++) await model.predict(bars(30, 20 + i), { batchSize: 7 });
    expect(numTensors()).toBe(afterFit);
    await model.dispose();
    expect(numTensors()).toBe(before);
    expect(buffers()).toBe(beforeBuffers);
  });

  it('trains convolutions on this backend with the filter gradient its definition gives', async () => {
    const { tf } = await useBackend('auto');
    const random = createRandom(3);
    const cases: Array<[[number, number, number, number], [number, number, number, number], [number, number], 'valid' | 'same']> = [
      [[2, 7, 6, 1], [3, 3, 1, 4], [1, 1], 'valid'],
      [[3, 9, 7, 2], [3, 2, 2, 5], [2, 2], 'same'],
      [[2, 10, 9, 3], [4, 3, 3, 2], [3, 2], 'valid'],
      [[2, 11, 11, 2], [4, 4, 2, 3], [2, 3], 'same'],
    ];
    for (const [[n, h, w, ci], [kh, kw, , co], [sh, sw], pad] of cases) {
      // TensorFlow's output size and 'same' padding: out = ⌈in / stride⌉, total pad = max((out − 1)·stride + k − in, 0), the smaller half on top/left.
      const oh = pad === 'same' ? Math.ceil(h / sh) : Math.ceil((h - kh + 1) / sh);
      const ow = pad === 'same' ? Math.ceil(w / sw) : Math.ceil((w - kw + 1) / sw);
      const top = pad === 'same' ? Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2) : 0;
      const left = pad === 'same' ? Math.floor(Math.max((ow - 1) * sw + kw - w, 0) / 2) : 0;
      const x = Float32Array.from({ length: n * h * w * ci }, () => random.next() * 2 - 1);
      const dy = Float32Array.from({ length: n * oh * ow * co }, () => random.next() * 2 - 1);
      const filter = Float32Array.from({ length: kh * kw * ci * co }, () => random.next() - 0.5);
      const expected = new Float64Array(kh * kw * ci * co);
      for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let c = 0; c < ci; c++) for (let d = 0; d < co; d++) {
        let sum = 0;
        for (let m = 0; m < n; m++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
          const y = i * sh + a - top;
          const z = j * sw + b - left;
          if (y >= 0 && y < h && z >= 0 && z < w) sum += x[((m * h + y) * w + z) * ci + c]! * dy[((m * oh + i) * ow + j) * co + d]!;
        }
        expected[((a * kw + b) * ci + c) * co + d] = sum;
      }
      const got = tf.tidy(() => {
        const xs = tf.tensor4d(x, [n, h, w, ci]);
        const dys = tf.tensor4d(dy, [n, oh, ow, co]);
        const gradient = tf.grad((f: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.mul(tf.conv2d(xs, f as import('@tensorflow/tfjs-core').Tensor4D, [sh, sw], pad), dys)));
        return gradient(tf.tensor4d(filter, [kh, kw, ci, co])).dataSync();
      });
      expect(got.length).toBe(expected.length);
      for (let k = 0; k < expected.length; k++) expect(got[k]).toBeCloseTo(expected[k]!, 4);
    }
  });
});

describe('limits found in review', () => {
  it('refuses, before allocating, networks that would exhaust the WASM heap, and the backend stays usable', async () => {
    if ((await useBackend('auto')).name !== 'wasm') return; // the budget is the WASM heap's
    const before = numTensors();
    const digits = Array.from({ length: 4 }, (_, i) => ({ label: i % 2, tensor: denseTensor(new Float32Array(784), [28, 28, 1]) }));
    // 784 × 90,000 weights: about 1.4 GB to train, past the heap (this aborted the WebAssembly runtime before).
    const wide = await fit({ layers: [{ type: 'flatten' }, { type: 'dense', units: 90_000 }], epochs: 1, batchSize: 4 }, digits).catch((e: unknown) => e);
    expect(isTributaryError(wide, 'INVALID_PARAMS')).toBe(true);
    expect((wide as Error).message).toMatch(/WASM backend's heap/);
    const many = Array.from({ length: 500 }, (_, i) => ({ label: i % 2, tensor: denseTensor(new Float32Array(784), [28, 28, 1]) }));
    const deep = await fit({ layers: [{ type: 'conv2d', filters: 300, kernelSize: 3, padding: 'same' }], epochs: 1, batchSize: 500 }, many).catch((e: unknown) => e);
    expect(isTributaryError(deep, 'INVALID_PARAMS')).toBe(true);
    expect(numTensors()).toBe(before);
    // A batch size above the record count counts as the records there are.
    const model = await fit({ layers: tiny, epochs: 1, batchSize: 1_000_000 }, bars(8, 3));
    await model.dispose();
  });

  it('keeps at least one record of every class in training, whatever the validation split', async () => {
    const random = createRandom(3);
    const image = (row: number) => {
      const d = new Float32Array(36).map(() => 0.1 * random.next());
      for (let x = 0; x < 6; x++) d[row * 12 + x] = 1;
      return denseTensor(d, [6, 6, 1]);
    };
    const data = [...Array.from({ length: 20 }, (_, i) => ({ label: i % 2 ? 'b' : 'a', tensor: image(i % 2) })), { label: 'c', tensor: image(2) }];
    const model = await fit({ layers: [{ type: 'flatten' }], epochs: 60, batchSize: 8, learningRate: 0.05, seed: 1, validationSplit: 0.5 }, data);
    const [out] = await model.predict([data.at(-1)!]);
    // With the only 'c' held out it was never learnt and came out 'a' (P(c) ≈ 0).
    expect(out!.prediction).toBe('c');
    await model.dispose();
  });
});
