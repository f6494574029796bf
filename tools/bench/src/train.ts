// The reference network of the design (Dense(10, relu, input 100) → Dense(10, relu) → Dense(1, sigmoid),
// Adam, binary cross-entropy, batch 32) on 100,000 synthetic samples: raw model.fit beside the SDK's
// denseClassifier, same backend, same process, interleaved rounds.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRandom, createRuntime } from '@tributary/core';
import { denseClassifier, tfjs, useBackend } from '@tributary/plugin-tfjs';
import { emit, median } from './emit.js';

const N = Number(process.env.BENCH_SAMPLES ?? 100_000);
const D = 100;
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const backend = await useBackend('auto');

const random = createRandom(1);
const w = Float32Array.from({ length: D }, () => random.next() * 2 - 1);
const x = new Float32Array(N * D);
const y = new Float32Array(N);
for (let i = 0; i < N; i++) {
  let dot = 0;
  for (let j = 0; j < D; j++) {
    const v = random.next() * 2 - 1;
    x[i * D + j] = v;
    dot += v * w[j]!;
  }
  y[i] = dot > 0 ? 1 : 0;
}

async function raw(): Promise<number> {
  const t0 = performance.now();
  const xs = tf.tensor2d(x, [N, D]);
  const ys = tf.tensor2d(y, [N, 1]);
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 10, activation: 'relu', inputShape: [D] }),
      tfl.layers.dense({ units: 10, activation: 'relu' }),
      tfl.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  await model.fit(xs, ys, { epochs: 1, batchSize: 32, shuffle: true, verbose: 0 });
  const ms = performance.now() - t0;
  tf.dispose([xs, ys]);
  model.dispose();
  return (N / ms) * 1000;
}

async function sdk(): Promise<number> {
  const records = Array.from({ length: N }, (_, i) => ({ label: y[i]!, features: x.subarray(i * D, (i + 1) * D) }));
  const runtime = createRuntime({ plugins: [tfjs] });
  const t0 = performance.now();
  const model = await runtime.pipeline([denseClassifier({ hidden: [{ units: 10 }, { units: 10 }], epochs: 1, batchSize: 32 })]).fit(records);
  const ms = performance.now() - t0;
  await model.dispose();
  return (N / ms) * 1000;
}

const rawRates: number[] = [];
const sdkRates: number[] = [];
for (let i = 0; i < rounds; i++) {
  rawRates.push(await raw());
  sdkRates.push(await sdk());
}
const ratio = median(sdkRates) / median(rawRates);
emit({
  bench: 'train-reference-network',
  backend: backend.name,
  samples: N,
  rawSamplesPerSecond: Math.round(median(rawRates)),
  sdkSamplesPerSecond: Math.round(median(sdkRates)),
  ratio: Math.round(ratio * 1000) / 1000,
  target: 'ratio ≥ 0.9',
  pass: ratio >= 0.9,
});
