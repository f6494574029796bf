// The entry of @acme/plugin-mail-signals: a plugin as a Tributary user writes one. It imports only
// @tributary/core's public entry (a peer dependency in its own package.json) and nothing of the official plugins.
import { definePlugin } from '@tributary/core';
import { appendSignalsStage } from './append-signals.js';
import { signalsStage } from './signals.js';

export { SIGNAL_NAMES, SignalsParams, SignalsStage, measureSignals, signals } from './signals.js';
export type { MailSignals, SignalName } from './signals.js';
export { AppendSignalsEstimator, AppendSignalsParams, appendSignals } from './append-signals.js';
export type { SignalScaling } from './append-signals.js';
export { spamCost } from './spam-cost.js';
export type { SpamCost } from './spam-cost.js';

/** Mail signals: `createRuntime({ plugins: [natural, tfjs, mailSignals] })`. */
export const mailSignals = definePlugin({
  name: '@acme/plugin-mail-signals',
  version: '1.0.0',
  core: '^0.1.0',
  stages: [signalsStage, appendSignalsStage],
});

export default mailSignals;
