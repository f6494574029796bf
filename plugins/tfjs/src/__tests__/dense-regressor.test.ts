import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, isTributaryError } from '@tributary/core';
import { denseRegressor, tfjs, useBackend } from '@tributary/plugin-tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { numTensors } from './helpers.js';

// Case C17: y = x + 2 for x = 1…24, unscaled, Dense(1) trained with plain SGD.
const here = path.dirname(fileURLToPath(import.meta.url));
const rows = fs
  .readFileSync(path.join(here, 'fixtures/c17-linear-unscaled.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(',').map(Number) as [number, number]);

// tf.memory() needs a backend; tensor counts are taken from the first test on.
beforeAll(async () => {
  await useBackend('auto');
});

const runtime = () => createRuntime({ plugins: [tfjs] });

describe('denseRegressor on unscaled input (case C17)', () => {
  it('fails with TRAINING_DIVERGED instead of returning a model when the loss becomes non-finite', async () => {
    const before = numTensors();
    const data = rows.map(([x, y]) => ({ features: [x], label: y }));
    const failure = await runtime()
      .pipeline([denseRegressor({ hidden: [], optimizer: 'sgd', learningRate: 0.01, epochs: 100, batchSize: 32, scale: 'none', scaleTarget: 'none' })])
      .fit(data)
      .catch((e: unknown) => e);
    expect(isTributaryError(failure, 'TRAINING_DIVERGED')).toBe(true);
    expect((failure as Error).message).toMatch(/scale: 'standard'/);
    expect(numTensors()).toBe(before);
  });

  it('learns y = x + 2 once x and y are min-max scaled: predict(11) de-scales to 13 ± 0.1', async () => {
    const data = rows.map(([x, y]) => ({ features: [x], label: y }));
    const model = await runtime()
      .pipeline([denseRegressor({ hidden: [], optimizer: 'sgd', learningRate: 0.1, epochs: 300, batchSize: 32, scale: 'minmax', scaleTarget: 'minmax' })])
      .fit(data);
    const [out] = await model.predict([{ features: [11] }]);
    expect(out!.prediction).toBeGreaterThan(12.9);
    expect(out!.prediction).toBeLessThan(13.1);
    await model.dispose();
  });

  it('scales a constant feature column to 0, not NaN', async () => {
    const data = rows.map(([x, y]) => ({ features: [x, 5], label: y }));
    const model = await runtime()
      .pipeline([denseRegressor({ hidden: [], optimizer: 'sgd', learningRate: 0.1, epochs: 300, scale: 'minmax', scaleTarget: 'standard' })])
      .fit(data);
    const [out] = await model.predict([{ features: [11, 5] }]);
    expect(Number.isFinite(out!.prediction)).toBe(true);
    expect(out!.prediction).toBeGreaterThan(12.8);
    expect(out!.prediction).toBeLessThan(13.2);
    await model.dispose();
  });

  it('refuses early stopping on val_loss without a validation hold-out when resolved, before reading any data', () => {
    const resolve = (params: Record<string, unknown>) => () => runtime().resolve({ kind: 'tfjs:dense-regressor', params });
    expect(resolve({ earlyStopping: { monitor: 'val_loss' } })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', stage: 'tfjs:dense-regressor', param: 'earlyStopping' }));
    expect(resolve({ earlyStopping: { monitor: 'val_loss' }, validationSplit: 0.25 })).not.toThrow();
  });

  it('predicts the constant when the target is constant', async () => {
    const model = await runtime()
      .pipeline([denseRegressor({ hidden: [], epochs: 3, scaleTarget: 'minmax' })])
      .fit(rows.map(([x]) => ({ features: [x], label: 7 })));
    const [out] = await model.predict([{ features: [3] }]);
    expect(out!.prediction).toBe(7);
    await model.dispose();
  });
});
