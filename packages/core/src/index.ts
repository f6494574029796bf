export { CORE_VERSION } from './version.js';

export { ERROR_CODES, TributaryError, isTributaryError, toTributaryError } from './errors/tributary-error.js';
export type { ErrorCode, TributaryErrorOptions } from './errors/tributary-error.js';

export { denseTensor, featureLength, isDenseTensor, isSparseVector, recordId, recordJsonReplacer, sparseVector, stackTensors, writeDense } from './record/record.js';
export type { Batch, DataRecord, DenseTensor, FeatureVector, SparseVector } from './record/record.js';

export { createRandom } from './random/random.js';
export type { Random } from './random/random.js';

export { Dataset } from './dataset/dataset.js';
export type { DatasetSource, FoldOptions, ShuffleOptions, SplitOptions, StratifyBy } from './dataset/dataset.js';

export { defineStage, isEstimator, stageSpec } from './stage/stage.js';
export type {
  Estimator,
  JsonObject,
  JsonValue,
  Model,
  ModelState,
  Stage,
  StageContext,
  StageDefinition,
  StageFields,
  StageSpec,
} from './stage/stage.js';

export { assertKnownKeys, closest, editDistance } from './params/closest.js';
export { paramDefaults, paramProblems, validateParams } from './params/validate-params.js';
export { PATH_PARAM, pathParam, pathParams } from './params/path-param.js';
export type { ParamProblem } from './params/validate-params.js';

export { silentLogger, streamLogger } from './services/logger.js';
export type { LogLevel, Logger } from './services/logger.js';
export { createEvents } from './services/events.js';
export type { EventOf, EventType, Events, TributaryEvent } from './services/events.js';
export { systemClock } from './services/clock.js';
export type { Clock } from './services/clock.js';
export { ARTIFACT_STORE, CLOCK, EVENTS, EXECUTOR, LOGGER, RANDOM, STAGE_KIND, STAGE_PARAMS } from './services/tokens.js';
export type { Executor, SegmentProblem, SegmentResult, SegmentRunner, SegmentSpec, ShardResult, ShardTask } from './pipeline/executor.js';
export { openLocalSegment } from './runtime/segment-runner.js';
export type { LocalSegment } from './runtime/segment-runner.js';

export { FileArtifactStore, saveTargetProblem } from './artifacts/artifact-store.js';
export type { ArtifactStore } from './artifacts/artifact-store.js';
export { readArtifact, sha256, writeArtifact } from './artifacts/artifact.js';
export type { ArtifactContents } from './artifacts/artifact.js';
export { MANIFEST_FILE, ManifestSchema } from './artifacts/manifest.js';
export type { Manifest, StageEntry } from './artifacts/manifest.js';

export { files, listFiles } from './sources/files.js';
export type { FileEntry, FileSourceOptions, FolderLabels } from './sources/files.js';
export { jsonLines, parseJsonLine, sourceProblem } from './sources/text-sources.js';
export type { JsonLinesOptions, OnSourceProblem, SourceProblem, TextSource } from './sources/text-sources.js';
export { columnNames, csvRows } from './sources/csv.js';
export type { CsvOptions } from './sources/csv.js';
export { countLines, openCsvShards, readCsvShard } from './sources/csv-shards.js';
export type { CsvShard, CsvShardReader, CsvShardSource } from './sources/csv-shards.js';
export { checkEncoding, createDecoder, sniffEncoding } from './sources/decode.js';
export { writeCsv, writeJsonLines } from './sources/sinks.js';
export { httpJson, retryAfterMs } from './sources/http.js';
export type { HttpJsonOptions, NextPage } from './sources/http.js';
export type { CsvSinkOptions, SinkResult } from './sources/sinks.js';
export type { ChunkDecoder, TextEncoding } from './sources/decode.js';
export { MAX_LINE_BYTES, readLines } from './sources/lines.js';
export type { Line } from './sources/lines.js';

export { Execution } from './pipeline/execution.js';
export type { ErrorPolicy, ExecutionOptions } from './pipeline/execution.js';
export { sourceProblemsTo } from './pipeline/source-problems.js';
export { writePredictions } from './pipeline/predictions.js';
export type { PredictionsResult, WritePredictionsOptions } from './pipeline/predictions.js';
export type { SourceProblemsOptions } from './pipeline/source-problems.js';
export { Pipeline } from './pipeline/pipeline.js';
export { PipelineModel } from './pipeline/pipeline-model.js';
export type { TransformCsvFileOptions, TransformCsvFileResult, TransformToJsonLinesOptions } from './pipeline/pipeline-model.js';
export type { FittedStage, GateOutcome, PipelineSchema, Prediction, PredictionError, SaveOptions } from './pipeline/pipeline-model.js';
export { RunReport } from './pipeline/run-report.js';
export type { RejectionSample, StageTiming } from './pipeline/run-report.js';
export type { PipelineHost, PluginRef, ResolvedStage } from './pipeline/host.js';

export { definePlugin, isPlugin, versionSatisfies } from './plugin/define-plugin.js';
export type { Plugin, PluginDefinition } from './plugin/define-plugin.js';

export { Runtime, createRuntime } from './runtime/runtime.js';
export type { PluginInfo, RuntimeOptions } from './runtime/runtime.js';

export { averagePrecision, binaryClassificationMetrics, binaryConfusion, confusionMatrix, logLoss, rocAuc, thresholdSweep } from './metrics/classification.js';
export type { CurvePoint } from './metrics/ranking.js';
export { multiclassMetrics, sortClasses } from './metrics/multiclass.js';
export type { Averages, ClassLabel, MulticlassMetrics } from './metrics/multiclass.js';
export { RegressionAccumulator, regressionMetrics } from './metrics/regression.js';
export type { RegressionMetrics } from './metrics/regression.js';
export type { BinaryClassificationMetrics, BinaryConfusion } from './metrics/classification.js';

export { evaluateBinaryClassifier } from './evaluation/evaluate.js';
export type { Efficiency, EvaluateOptions, EvaluationReport, HistogramBin, Percentiles } from './evaluation/evaluate.js';
export type { ScoreOptions } from './evaluation/score.js';
export { evaluateClassifier } from './evaluation/evaluate-classifier.js';
export type { ClassifierEvaluationReport, EvaluateClassifierOptions } from './evaluation/evaluate-classifier.js';
export type { ClassFigures } from './metrics/multiclass.js';
export { checkGate, describeGateMiss, gate } from './evaluation/gate.js';
export { crossValidate, repeat, spreadOf } from './evaluation/stability.js';
export { recordHistory } from './evaluation/history.js';
export { tune } from './evaluation/tune.js';
export type { SearchSpace, Trial, TuneOptions, TuneResult } from './evaluation/tune.js';
export type { TrainingHistory } from './evaluation/history.js';
export { reportWarnings, summarizeEvaluation, summarizeStability, summaryProblems } from './evaluation/summary.js';
export type { EvaluationSummary, StabilitySummary, SummaryExtras } from './evaluation/summary.js';
export type { CrossValidateOptions, Spread, StabilityReport } from './evaluation/stability.js';
export type { GateMiss, GateOptions, GateResult } from './evaluation/gate.js';

/** One tsyringe for every plugin: import these from core, never from tsyringe directly. */
export { inject, injectable } from 'tsyringe';
export type { DependencyContainer, InjectionToken } from 'tsyringe';

/** Parameter schemas are TypeBox schemas (also JSON Schema). */
export { Type } from '@sinclair/typebox';
export type { Static, TSchema } from '@sinclair/typebox';
