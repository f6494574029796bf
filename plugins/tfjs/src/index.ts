import { definePlugin } from '@tributary/core';
import { convClassifierStage } from './conv-classifier.js';
import { denseClassifierStage } from './dense-classifier.js';
import { denseRegressorStage } from './dense-regressor.js';

export { ConvClassifier, ConvClassifierParams, convClassifier } from './conv-classifier.js';
export type { ConvLayer } from './conv-network.js';
export { DenseClassifier, DenseClassifierParams, denseClassifier } from './dense-classifier.js';
export { DenseRegressor, DenseRegressorParams, denseRegressor } from './dense-regressor.js';
export { useBackend } from './backend.js';
export type { Backend, BackendName, BackendPreference } from './backend.js';
export { loadNetwork, saveNetwork } from './model-io.js';
export type { NetworkFiles } from './model-io.js';

/** The TensorFlow.js plugin: `createRuntime({ plugins: [tfjs] })`. */
export const tfjs = definePlugin({
  name: '@tributary/plugin-tfjs',
  version: '0.1.0',
  core: '^0.1.0',
  stages: [denseClassifierStage, denseRegressorStage, convClassifierStage],
});

export default tfjs;
