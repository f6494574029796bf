import fs from 'node:fs';
import type { DataRecord, Dataset } from '@tributary/core';
import { describeReport, evaluate, metricsOf } from '../evaluate.js';
import type { EvaluationSpecValue } from '../spec/schema.js';
import { readManifest } from './inspect.js';
import { RunFailed, UsageError } from '../errors.js';
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
}

/** The data `--data` names: a folder, a .jsonl or .csv file, or a spec whose source (and split part) to use. */
function dataFor(target: string, part: string): Dataset<DataRecord> {
  if (/\.(ya?ml|json)$/i.test(target) && fs.existsSync(target)) {
    const { spec, dir } = loadSpec(target);
    const source = openSource(spec.source, dir);
    if (part === 'all') return source;
    if (spec.test && part === 'test') return openSource(spec.test, dir);
    if (spec.test) return source;
    if (!spec.split) throw new UsageError(`${target} has no split or test source, so it has no '${part}' part; pass --part all to evaluate on its whole source.`);
    const parts = source.split({ test: spec.split.test, seed: spec.split.seed ?? spec.seed ?? 42, ...(spec.split.stratifyBy ? { stratifyBy: spec.split.stratifyBy } : {}) });
    return part === 'train' ? parts.train : parts.test;
  }
  return openSource(sourceForPath(target, true), process.cwd());
}

/** `tributary eval <artifact> --data <source>`: scores a saved binary classifier on data it is given. */
export async function evalCommand(dir: string, options: EvalOptions): Promise<void> {
  const part = options.part ?? 'test';
  if (!['test', 'train', 'all'].includes(part)) throw new UsageError(`--part is test, train or all; got '${part}'.`);
  const threshold = options.threshold === undefined ? undefined : Number(options.threshold);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new UsageError(`--threshold takes a number from 0 to 1, got '${options.threshold}'.`);
  const data = dataFor(options.data, part);
  const progress = new Progress(!options.quiet);
  const logger = createLogger(options.logLevel ?? 'warn', progress);
  const { runtime, model } = await loadModel(dir, logger);
  const counter = progress.task('evaluate');
  let n = 0;
  try {
    const saved = (await readManifest(dir)).manifest.evaluation?.task;
    const task = options.task ?? (saved === 'classification' ? 'classification' : 'binary-classification');
    if (task !== 'classification' && task !== 'binary-classification') throw new UsageError(`--task is binary-classification or classification; got '${task}'.`);
    const spec: EvaluationSpecValue =
      task === 'classification'
        ? { task, ...(options.label ? { label: options.label } : {}), ...(options.prediction ? { prediction: options.prediction } : {}) }
        : { task, ...(options.label ? { label: options.label } : {}), ...(options.score ? { score: options.score } : {}), ...(threshold !== undefined ? { threshold } : {}) };
    const e = await evaluate(model, data.map((r) => (counter.update(++n), r)), spec, {});
    counter.stop();
    progress.stop();
    if (e.testRecords === 0) {
      const folder = !/\.(ya?ml|json)$/i.test(options.data) && fs.statSync(options.data, { throwIfNoEntry: false })?.isDirectory();
      throw new RunFailed(
        `no record could be scored (${e.run.input} read, ${e.run.skipped + e.run.deadLettered} rejected${Object.keys(e.run.rejections).length ? `: ${JSON.stringify(e.run.rejections)}` : ''}), so there are no figures to report. ${
          folder ? "A folder's records carry no label: give a spec whose source labels them (--data pipeline.yaml, with label: { 'spam*': 1, '*': 0 } or 'folder'), or a .jsonl/.csv file with a label field." : `Check that the records carry the label field ('${options.label ?? 'label'}') and what the model needs.`
        }`,
      );
    }
    emit(options, { artifact: dir, data: options.data, part, task, metrics: metricsOf(e), efficiency: e.efficiency, records: e.run }, () => describeReport(e).join('\n'));
  } finally {
    progress.stop();
    await model.dispose();
    runtime.dispose();
  }
}
