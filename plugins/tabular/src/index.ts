import { definePlugin } from '@tributary/core';
import { featuresStage } from './features.js';

export { FeaturesEstimator, FeaturesParams, featureNames, features } from './features.js';

/** Tabular features: `createRuntime({ plugins: [tabular] })`. */
export const tabular = definePlugin({
  name: '@tributary/plugin-tabular',
  version: '0.1.0',
  core: '^0.1.0',
  stages: [featuresStage],
});

export default tabular;
