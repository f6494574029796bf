import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunReport, createRuntime, evaluateBinaryClassifier, isTributaryError, sparseVector } from '@tributary/core';
import { denseClassifier, tfjs, useBackend } from '@tributary/plugin-tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import * as tf from '@tensorflow/tfjs-core';
import { blobs, numTensors } from './helpers.js';

// tf.memory() needs a backend; tensor counts are taken from the first test on.
beforeAll(async () => {
  await useBackend('auto');
});

const runtime = () => createRuntime({ plugins: [tfjs] });
const fit = (params: Record<string, unknown>, data: Array<Record<string, unknown>>) => runtime().pipeline([denseClassifier(params)]).fit(data);
const small = { hidden: [{ units: 8 }], epochs: 5, batchSize: 16 };

describe('tfjs plugin', () => {
  it('declares the version of its package', () => {
    expect(tfjs.version).toBe(pkg.version);
  });

  it("selects tfjs-node when it loads, else the WASM backend, and records the choice in the model", async () => {
    let hasNode = true;
    try {
      await import(/* @vite-ignore */ '@tensorflow/tfjs-node' as string);
    } catch {
      hasNode = false;
    }
    const backend = await useBackend('auto');
    expect(backend.name).toBe(hasNode ? 'tensorflow' : 'wasm');
    const model = await fit(small, blobs(64, 3, 1));
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-backend-')), 'm');
    const manifest = await model.save(dir);
    expect(manifest.stages[0]!.state!.meta.backend).toBe(backend.name);
    await model.dispose();
  });
});

describe('denseClassifier', () => {
  it('learns a separable binary task', async () => {
    const model = await fit({ ...small, epochs: 10, learningRate: 0.01 }, blobs(400, 4, 2));
    const out = await model.predict(blobs(200, 4, 3));
    const test = blobs(200, 4, 3);
    const accuracy = out.filter((r, i) => r.prediction === test[i]!.label).length / out.length;
    expect(accuracy).toBeGreaterThan(0.95);
    for (const r of out) expect(r.score).toBeGreaterThanOrEqual(0);
    await model.dispose();
  });

  it('reports the loss and the training accuracy after each epoch, as core events', async () => {
    const rt = runtime();
    const seen: Array<{ epoch: number; logs: Readonly<Record<string, number>> }> = [];
    rt.events.on('epoch:end', (e) => seen.push({ epoch: e.epoch, logs: e.logs }));
    const model = await rt.pipeline([denseClassifier({ ...small, epochs: 5, learningRate: 0.01 })]).fit(blobs(400, 4, 2));
    expect(seen.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
    for (const { logs } of seen) {
      expect(Object.keys(logs).sort()).toEqual(['acc', 'loss']);
      expect(logs.acc).toBeGreaterThanOrEqual(0);
      expect(logs.acc).toBeLessThanOrEqual(1);
    }
    // Two blobs two standard deviations apart are separated almost perfectly once trained.
    expect(seen.at(-1)!.logs.acc).toBeGreaterThan(0.95);
    await model.dispose();
  });

  it('learns three classes with softmax and predicts class labels', async () => {
    const data = Array.from({ length: 300 }, (_, i) => {
      const k = i % 3;
      const c = [[3, 0], [0, 3], [-3, -3]][k]!;
      return { label: ['red', 'green', 'blue'][k], features: [c[0]! + Math.sin(i), c[1]! + Math.cos(i * 1.3)] };
    });
    const model = await fit({ hidden: [{ units: 8 }], epochs: 30, batchSize: 16, learningRate: 0.02 }, data);
    const out = await model.predict(data);
    expect(out.filter((r, i) => r.prediction === data[i]!.label).length / data.length).toBeGreaterThan(0.9);
    const probabilities = out[0]!.score as number[];
    expect(probabilities).toHaveLength(3);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await model.dispose();
  });

  it('is reproducible under a seed and differs under another', async () => {
    const data = blobs(128, 5, 4);
    const probe = blobs(20, 5, 5);
    const scores = async (seed: number) => {
      const model = await fit({ ...small, seed, dropout: 0.2, validationSplit: 0.25 }, data);
      const out = (await model.predict(probe)).map((r) => r.score as number);
      await model.dispose();
      return out;
    };
    const a = await scores(7);
    const b = await scores(7);
    const c = await scores(8);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('takes its seed from the runtime unless the stage sets its own', async () => {
    const data = blobs(64, 3, 13);
    const probe = blobs(10, 3, 14);
    const scores = async (runtimeSeed: number, params: Record<string, unknown> = {}) => {
      const model = await createRuntime({ plugins: [tfjs], seed: runtimeSeed }).pipeline([denseClassifier({ ...small, ...params })]).fit(data);
      const out = (await model.predict(probe)).map((r) => r.score);
      await model.dispose();
      return out;
    };
    expect(await scores(1)).toEqual(await scores(1));
    expect(await scores(2)).not.toEqual(await scores(1));
    expect(await scores(2, { seed: 5 })).toEqual(await scores(1, { seed: 5 }));
  });

  it('trains on sparse vectors as well as dense ones, with identical results', async () => {
    const dense = blobs(96, 6, 6);
    const sparse = dense.map((r) => ({ ...r, features: sparseVector(6, Int32Array.from([0, 1, 2, 3, 4, 5]), Float32Array.from(r.features)) }));
    const denseF32 = dense.map((r) => ({ ...r, features: Float32Array.from(r.features) }));
    const a = await fit(small, denseF32);
    const b = await fit(small, sparse);
    const probe = denseF32.slice(0, 10);
    expect((await b.predict(probe)).map((r) => r.score)).toEqual((await a.predict(probe)).map((r) => r.score));
    await a.dispose();
    await b.dispose();
  });

  it('stops early when the monitored loss stops improving and keeps the best weights', async () => {
    const model = await fit({ ...small, epochs: 20, earlyStopping: { monitor: 'loss', patience: 1, minDelta: 100 } }, blobs(64, 3, 8));
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-es-')), 'm');
    const meta = (await model.save(dir)).stages[0]!.state!.meta;
    // Epoch 1 sets the best; no later epoch improves by 100, so patience 1 stops after epoch 2.
    expect(meta.epochsRun).toBe(2);
    expect(meta.bestEpoch).toBe(1);
    await model.dispose();
  });

  it('rejects records with missing, ragged or non-finite features, and labels that are not classes', async () => {
    const data = [...blobs(40, 3, 9), { id: 'nan', label: 1, features: [1, Number.NaN, 0] }, { id: 'short', label: 0, features: [1, 2] }, { id: 'none', label: 1 }, { id: 'obj', label: { a: 1 }, features: [0, 0, 0] },
      { id: 'sparse-out', label: 0, features: sparseVector(3, Int32Array.from([0, 7]), Float32Array.from([1, 1])) },
      { id: 'sparse-order', label: 0, features: sparseVector(3, Int32Array.from([2, 1]), Float32Array.from([1, 1])) }];
    const model = await runtime().pipeline([denseClassifier(small)]).fit(data, { errorPolicy: 'skip' });
    expect(model.fitReport!.skipped).toBe(6);
    expect(model.fitReport!.output).toBe(40);
    const report = new RunReport();
    const out = await model.predict([{ id: 'ok', features: [1, 1, 1] }, { id: 'bad', features: [1, 1] }], { errorPolicy: 'skip', report });
    expect(out.map((r) => r.id)).toEqual(['ok']);
    expect(report.samples[0]).toMatchObject({ recordId: 'bad', code: 'INVALID_RECORD' });
    await model.dispose();
  });

  it('names the stage and the param when params are invalid', () => {
    try {
      runtime().resolve(denseClassifier({ epochs: 0 }));
      expect.unreachable();
    } catch (error) {
      expect(isTributaryError(error, 'INVALID_PARAMS')).toBe(true);
      expect(error).toMatchObject({ stage: 'tfjs:dense-classifier', param: 'epochs' });
    }
  });

  it('refuses, when resolved, early stopping on val_loss without a hold-out, the score and the class in one field, and a weight for no class', async () => {
    const refusal = (params: Record<string, unknown>) => {
      try {
        runtime().resolve({ kind: 'tfjs:dense-classifier', params });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const stage = 'tfjs:dense-classifier';
    // monitor defaults to val_loss, validationSplit to 0.
    expect(refusal({ earlyStopping: { patience: 1 } })).toMatchObject({ code: 'INVALID_PARAMS', stage, param: 'earlyStopping' });
    expect(refusal({ validationSplit: 0.2, earlyStopping: { patience: 1 } })).toBeUndefined();
    expect(refusal({ earlyStopping: { patience: 1, monitor: 'loss' } })).toBeUndefined();
    // output defaults to 'score'.
    expect(refusal({ prediction: 'score' })).toMatchObject({ code: 'INVALID_PARAMS', stage, param: 'prediction' });
    expect(refusal({ classes: [0, 1], classWeight: { '1': 3, spam: 2 } })).toMatchObject({ code: 'INVALID_PARAMS', stage, param: 'classWeight', details: { unknown: ['spam'] } });
    expect(refusal({ classes: [0, 1], classWeight: { '0': 1, '1': 3 } })).toBeUndefined();
    // Without classes, they are learned (blobs are labelled 0 and 1), so a weight for class 2 is refused at fit.
    const before = numTensors();
    await expect(fit({ ...small, classWeight: { '0': 1, '2': 5 } }, blobs(16, 3, 1))).rejects.toMatchObject({ code: 'INVALID_PARAMS', stage, param: 'classWeight', details: { unknown: ['2'] } });
    expect(numTensors()).toBe(before);
  });

  it('weights the loss by class: a heavy weight on one class pulls the scores towards it', async () => {
    // Labels independent of the features: the best the network can do is a constant, w1 / (w0 + w1) = 50/51.
    const data = blobs(200, 2, 12).map((r, i) => ({ ...r, label: (i * 7) % 3 === 0 ? 1 : 0 }));
    const meanScore = async (classWeight?: Record<string, number> | 'balanced') => {
      const model = await fit({ ...small, epochs: 20, learningRate: 0.05, ...(classWeight ? { classWeight } : {}) }, data);
      const scores = (await model.predict(data)).map((r) => r.score as number);
      await model.dispose();
      return scores.reduce((a, b) => a + b, 0) / scores.length;
    };
    expect(await meanScore({ '0': 1, '1': 50 })).toBeGreaterThan(0.8);
    expect(await meanScore({ '0': 50, '1': 1 })).toBeLessThan(0.2);
    // Unweighted the constant is the share of positives (67 of 200 ≈ 0.335); 'balanced' weights
    // (n / (2 n_c): 0.75 and 1.49) make both classes count alike, so the constant moves to ≈ 0.5.
    const plain = await meanScore();
    const balanced = await meanScore('balanced');
    expect(plain).toBeGreaterThan(0.25);
    expect(plain).toBeLessThan(0.42);
    expect(balanced).toBeGreaterThan(0.42);
    expect(balanced).toBeLessThan(0.58);
  });

  it('warns when the loss never improves (inputs so large every unit saturates)', async () => {
    const runtime = createRuntime({ plugins: [tfjs] });
    const warnings: string[] = [];
    runtime.events.on('warning', (e) => warnings.push(e.code));
    const data = blobs(64, 3, 15).map((r) => ({ ...r, features: r.features.map((v) => v * 1e30) }));
    const model = await runtime.pipeline([denseClassifier({ ...small, epochs: 4 })]).fit(data);
    expect(warnings).toContain('TRAINING_STALLED');
    expect(model.fitReport!.toJSON().warnings).toEqual({ 'tfjs:dense-classifier': { TRAINING_STALLED: 1 } });
    await model.dispose();
    const healthy = createRuntime({ plugins: [tfjs] });
    const none: string[] = [];
    healthy.events.on('warning', (e) => none.push(e.code));
    await (await healthy.pipeline([denseClassifier({ ...small, epochs: 4 })]).fit(blobs(64, 3, 15))).dispose();
    expect(none).toEqual([]);
  });

  it('fails with TRAINING_DIVERGED when the weights blow up, though the clipped cross-entropy stays finite', async () => {
    const before = numTensors();
    const failure = await fit({ ...small, epochs: 3, optimizer: 'sgd', learningRate: 1e30 }, blobs(64, 3, 15)).catch((e: unknown) => e);
    expect(isTributaryError(failure, 'TRAINING_DIVERGED')).toBe(true);
    expect(numTensors()).toBe(before);
  });

  it('refuses a dense network too large for the WASM heap before allocating it', async () => {
    if ((await useBackend('auto')).name !== 'wasm') return; // the budget is the WASM heap's
    const data = Array.from({ length: 4 }, (_, i) => ({ label: i % 2, features: new Float32Array(784).fill(i) }));
    const failure = await fit({ hidden: [{ units: 120_000 }], epochs: 1, batchSize: 4 }, data).catch((e: unknown) => e);
    expect(isTributaryError(failure, 'INVALID_PARAMS')).toBe(true);
    expect((failure as Error).message).toMatch(/WASM backend's heap/);
  });

  it('refuses training data with a single class', async () => {
    await expect(fit(small, blobs(20, 2, 1).map((r) => ({ ...r, label: 1 })))).rejects.toMatchObject({ code: 'INVALID_DATA' });
  });
});

describe('tensor accounting (case C16)', () => {
  it('leaves no tensor behind across predict calls and batches, and none after dispose', async () => {
    const before = numTensors();
    const model = await fit(small, blobs(64, 4, 10));
    const afterFit = numTensors();
    // Only the network's own variables stay: 2 dense layers × (kernel + bias).
    expect(afterFit - before).toBe(4);
    for (let i = 0; i < 5; i++) await model.predict(blobs(50, 4, 20 + i), { batchSize: 7 });
    expect(numTensors()).toBe(afterFit);
    await model.dispose();
    expect(numTensors()).toBe(before);
  });

  it("reports its tensor memory to the evaluator: the weights when idle, and more at a forward pass's peak", async () => {
    const before = tf.memory().numBytes;
    const model = await fit(small, blobs(64, 4, 12));
    // 4 inputs → 8 hidden → 1 output: (4·8 + 8) + (8·1 + 1) = 49 float32 weights.
    const weights = 49 * 4;
    const e = await evaluateBinaryClassifier(model, blobs(40, 4, 13), { batchSize: 20, latencySample: 3 });
    const memory = e.efficiency.stageMemoryBytes['tfjs:dense-classifier']!;
    expect(memory.tensorBytes).toBe(before + weights);
    // A batch of 20 records of 4 float32 values in, 20 scores out, at the least.
    expect(memory.peakTensorBytes).toBeGreaterThanOrEqual(before + weights + 20 * 4 * 4 + 20 * 4);
    await model.dispose();
  });

  it('leaves none behind when training fails or early stopping keeps weights', async () => {
    const before = numTensors();
    await expect(fit(small, blobs(20, 2, 1).map((r) => ({ ...r, label: 0 })))).rejects.toBeDefined();
    const model = await fit({ ...small, validationSplit: 0.2, earlyStopping: { patience: 1 } }, blobs(64, 3, 11));
    await model.dispose();
    expect(numTensors()).toBe(before);
  });
});
