export { AppendSignalsEstimator, AppendSignalsParams, SIGNAL_NAMES, SignalsParams, SignalsStage, appendSignals, mailSignals, measureSignals, signals, spamCost } from './mail-signals/index.js';
export type { MailSignals, SignalName, SignalScaling, SpamCost } from './mail-signals/index.js';
export { corpusDirectory, corpusSplit, loadMailFilter, mailFilterRuntime, mailFilterStages, serveMailFilter, trainMailFilter } from './mail-filter.js';
export type { CorpusOptions, TrainOptions, TrainResult } from './mail-filter.js';
export { sampleMessages } from './sample-messages.js';
