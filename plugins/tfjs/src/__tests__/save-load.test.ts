import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRuntime } from '@tributary/core';
import { denseClassifier, denseRegressor, loadNetwork, saveNetwork, tfjs, useBackend } from '@tributary/plugin-tfjs';
import { describe, expect, it } from 'vitest';
import { blobs, numTensors } from './helpers.js';

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-save-')), 'model');
const sameBits = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('saving without tfjs-node (case C18)', () => {
  it("has no file:// handler here, which is why the plugin saves through its own IO handler", async () => {
    const backend = await useBackend('auto');
    if (backend.name !== 'tensorflow') expect(tf.io.getSaveHandlers('file://./model-out')).toEqual([]);
  });

  it('round-trips Dense(2, relu) → Dense(1) on 3 inputs bit for bit, with 44 weight bytes', async () => {
    const backend = await useBackend('auto');
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 2, activation: 'relu', inputShape: [3], kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), biasInitializer: 'ones' }),
        tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    const files = await saveNetwork(backend, model);
    expect(files['weights.bin'].byteLength).toBe(44); // (3×2 + 2) + (2×1 + 1) float32 values
    const loaded = await loadNetwork(backend, files);
    const x = tf.tensor2d([[0.5, -1.25, 3]]);
    const a = Array.from((model.predict(x) as tf.Tensor).dataSync());
    const b = Array.from((loaded.predict(x) as tf.Tensor).dataSync());
    expect(sameBits(a, b)).toBe(true);
    tf.dispose([x]);
    model.dispose();
    loaded.dispose();
  });

  it('saves a fitted classifier into the artifact and a fresh runtime loads it to identical predictions', async () => {
    const before = numTensors();
    const dir = tmp();
    const model = await createRuntime({ plugins: [tfjs] })
      .pipeline([denseClassifier({ hidden: [{ units: 6 }, { units: 4, dropout: 0.1 }], epochs: 4, scale: 'standard' })])
      .fit(blobs(80, 5, 1));
    const manifest = await model.save(dir);
    expect(Object.keys(manifest.files).sort()).toEqual(['stages/00-tfjs-dense-classifier/model.json', 'stages/00-tfjs-dense-classifier/weights.bin']);
    const loaded = await createRuntime({ plugins: [tfjs] }).load(dir);
    const probe = blobs(30, 5, 2);
    const a = (await model.predict(probe)).map((r) => r.score as number);
    const b = (await loaded.predict(probe)).map((r) => r.score as number);
    expect(sameBits(a, b)).toBe(true);
    expect((await loaded.predict(probe)).map((r) => r.prediction)).toEqual((await model.predict(probe)).map((r) => r.prediction));
    await model.dispose();
    await loaded.dispose();
    expect(numTensors()).toBe(before);
  });

  it('round-trips a regressor with its target scaling', async () => {
    const dir = tmp();
    const data = Array.from({ length: 40 }, (_, i) => ({ features: [i, i % 3], label: 3 * i + 100 }));
    const model = await createRuntime({ plugins: [tfjs] }).pipeline([denseRegressor({ hidden: [{ units: 4 }], epochs: 5, scale: 'minmax', scaleTarget: 'standard' })]).fit(data);
    await model.save(dir);
    const loaded = await createRuntime({ plugins: [tfjs] }).load(dir);
    const a = (await model.predict(data)).map((r) => r.prediction as number);
    const b = (await loaded.predict(data)).map((r) => r.prediction as number);
    expect(sameBits(a, b)).toBe(true);
    await model.dispose();
    await loaded.dispose();
  });
});
