import crypto from 'node:crypto';
import fs from 'node:fs';
import { type DataRecord, type Dataset, recordId, summarizeEvaluation } from '@tributary/core';
import { renderText } from '@tributary/core/report';
import { evaluate, fieldsOf, metricsOf, nothingScored } from '../evaluate.js';
import { reportTarget, writeHtmlReportLater } from './report.js';
import type { EvaluationSpecValue } from '../spec/schema.js';
import { UsageError } from '../errors.js';
import { loadModel } from '../model.js';
import { type GlobalOptions, Progress, createLogger, emit } from '../output.js';
import { openSource, sourceForPath } from '../sources.js';
import { loadSpec } from '../spec/load.js';

export interface EvalOptions extends GlobalOptions {
  readonly data: string;
  readonly part?: string;
  readonly label?: string;
  readonly score?: string;
  readonly prediction?: string;
  readonly task?: string;
  readonly threshold?: string;
  readonly set?: readonly string[];
  readonly report?: string;
}

/** The data `--data` names: a folder, a .jsonl or .csv file, or a spec (with --set overrides) whose source, or split part, to use. */
function dataFor(target: string, part: string, overrides: readonly string[]): { data: Dataset<DataRecord>; train?: Dataset<DataRecord> } {
  if (/\.(ya?ml|json)$/i.test(target) && fs.existsSync(target)) {
    const { spec, dir } = loadSpec(target, overrides);
    const source = openSource(spec.source, dir);
    if (part === 'all') return { data: source };
    if (spec.test) return part === 'test' ? { data: openSource(spec.test, dir), train: source } : { data: source };
    if (!spec.split) throw new UsageError(`${target} has no split or test source, so it has no '${part}' part; pass --part all to evaluate on its whole source.`);
    const parts = source.split({ test: spec.split.test, seed: spec.split.seed ?? spec.seed ?? 42, ...(spec.split.stratifyBy ? { stratifyBy: spec.split.stratifyBy } : {}) });
    return part === 'train' ? { data: parts.train } : { data: parts.test, train: parts.train };
  }
  if (overrides.length > 0) throw new UsageError('--set applies to a spec given as --data; this --data is a data file or folder.');
  return { data: openSource(sourceForPath(target, true), process.cwd()) };
}

/** The fingerprint fit() records: sha256 over the ids of the training records, in order. */
async function fingerprint(train: Dataset<DataRecord>): Promise<string> {
  const hash = crypto.createHash('sha256');
  await train.forEach((record, i) => void hash.update(`${String(recordId(record, i))}\n`));
  return hash.digest('hex');
}

/** `tributary eval <artifact> --data <source>`: scores a saved binary classifier on data it is given. */
export async function evalCommand(dir: string, options: EvalOptions): Promise<void> {
  const part = options.part ?? 'test';
  if (!['test', 'train', 'all'].includes(part)) throw new UsageError(`--part is test, train or all; got '${part}'.`);
  const threshold = options.threshold === undefined ? undefined : Number(options.threshold);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new UsageError(`--threshold takes a number from 0 to 1, got '${options.threshold}'.`);
  const reportFile = options.report === undefined ? undefined : reportTarget(options.report, '--report');
  const { data, train } = dataFor(options.data, part, options.set ?? []);
  const fromSpec = /\.(ya?ml|json)$/i.test(options.data);
  const progress = new Progress(!options.quiet);
  const logger = createLogger(options.logLevel ?? 'warn', progress);
  const { runtime, model, manifest } = await loadModel(dir, logger);
  const counter = progress.task('evaluate');
  let n = 0;
  try {
    const savedEvaluation = (manifest.evaluation ?? {}) as { task?: string; fields?: { label?: string; score?: string; prediction?: string } };
    const task = options.task ?? (savedEvaluation.task === 'classification' ? 'classification' : 'binary-classification');
    const fields = savedEvaluation.fields ?? {};
    if (train && manifest.dataFingerprint && (await fingerprint(train)) !== manifest.dataFingerprint) {
      progress.log(
        `tributary: warning: the training part of ${options.data} is not the data this model was fitted on (its fingerprint differs), so this test part may hold records the model trained on. Give eval the same --set options the run had (a source.limit, say).`,
      );
    }
    const label = options.label ?? fields.label;
    const score = options.score ?? fields.score;
    const prediction = options.prediction ?? fields.prediction;
    if (task !== 'classification' && task !== 'binary-classification') throw new UsageError(`--task is binary-classification or classification; got '${task}'.`);
    const spec: EvaluationSpecValue =
      task === 'classification'
        ? { task, ...(label ? { label } : {}), ...(prediction ? { prediction } : {}) }
        : { task, ...(label ? { label } : {}), ...(score ? { score } : {}), ...(threshold !== undefined ? { threshold } : {}) };
    const folder = !/\.(ya?ml|json)$/i.test(options.data) && fs.statSync(options.data, { throwIfNoEntry: false })?.isDirectory();
    const e = await evaluate(model, data.map((r) => (counter.update(++n), r)), spec, {}).catch((error: unknown) => {
      throw nothingScored(error, 'record', 'there are no figures to report', {
        ...(folder ? { other: "A folder's records carry no label: give a spec whose source labels them (--data pipeline.yaml, with label: { 'spam*': 1, '*': 0 } or 'folder'), or a .jsonl/.csv file with a label field." } : {}),
      });
    });
    counter.stop();
    progress.stop();
    const pipeline = (manifest.evaluation as { pipeline?: unknown } | undefined)?.pipeline;
    const summary = summarizeEvaluation(e, { fields: fieldsOf(spec), ...(typeof pipeline === 'string' ? { pipeline } : {}) });
    const { written, failure } = writeHtmlReportLater(reportFile, summary);
    emit(options, { artifact: dir, data: options.data, ...(fromSpec ? { part } : {}), task, metrics: metricsOf(e), efficiency: e.efficiency, records: e.run, warnings: summary.warnings, ...(written ? { report: written } : {}) }, () =>
      [renderText(summary).trimEnd(), ...(written ? ['', `report written to ${written}`] : [])].join('\n'),
    );
    if (failure) throw failure;
  } finally {
    progress.stop();
    await model.dispose();
    runtime.dispose();
  }
}
