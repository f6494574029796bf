import crypto from 'node:crypto';
import { Dataset, type DatasetSource } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import { type DataRecord, recordId } from '../record/record.js';
import { type StageSpec, isEstimator } from '../stage/stage.js';
import { Execution, type ExecutionOptions, type RunnableStage, remoteStage } from './execution.js';
import type { PipelineHost } from './host.js';
import { type FittedStage, PipelineModel } from './pipeline-model.js';

/**
 * An ordered list of stage specs. `fit` fits each estimator in order on the output of the stages
 * before it (Spark ML semantics) and returns a PipelineModel. The input of each estimator is kept
 * in memory while it fits, because training makes several passes over it.
 */
export class Pipeline {
  constructor(
    private readonly host: PipelineHost,
    readonly specs: readonly StageSpec[],
  ) {
    if (!Array.isArray(specs)) {
      throw new TributaryError('INVALID_PARAMS', { message: `pipeline() takes an array of stage specs, e.g. pipeline([tokenize(), tfidf()]); got ${typeof specs}.` });
    }
    if (specs.length === 0) {
      throw new TributaryError('INVALID_PARAMS', { message: 'A pipeline needs at least one stage.' });
    }
    specs.forEach((spec, i) => {
      if (typeof spec !== 'object' || spec === null || typeof (spec as StageSpec).kind !== 'string') {
        const hint = typeof spec === 'function' ? ' It is a function: call the spec helper, e.g. tokenize() rather than tokenize.' : '';
        throw new TributaryError('INVALID_PARAMS', { message: `Stage #${i + 1} of the pipeline is not a stage spec ({ kind, params }).${hint}` });
      }
    });
  }

  /**
   * The same pipeline with some params replaced: `{ 4: { maxFeatures: 2000 } }` or, by kind,
   * `{ 'natural:tfidf': { maxFeatures: 2000 } }` (every stage of that kind). The params are checked when it fits.
   */
  withParams(overrides: Readonly<Record<string, Readonly<Record<string, unknown>>>>): Pipeline {
    const specs = this.specs.map((spec) => ({ kind: spec.kind, params: { ...spec.params } as Record<string, unknown> }));
    for (const [key, params] of Object.entries(overrides)) {
      const targets = /^\d+$/.test(key) ? specs.filter((_, i) => i === Number(key)) : specs.filter((s) => s.kind === key);
      if (targets.length === 0) {
        throw new TributaryError('INVALID_PARAMS', {
          param: key,
          message: `No stage of the pipeline is '${key}'; name a stage by its index (0–${specs.length - 1}) or its kind (${[...new Set(specs.map((s) => s.kind))].join(', ')}).`,
        });
      }
      for (const target of targets) Object.assign(target.params, params);
    }
    return new Pipeline(this.host, specs);
  }

  /** Fits the pipeline; bad records follow `errorPolicy` (default `fail` for training). */
  async fit(data: DatasetSource<object>, options: ExecutionOptions = {}): Promise<PipelineModel> {
    const resolved = this.specs.map((spec) => this.host.resolve(spec));
    const execution = new Execution(this.host, options, 'fail');
    const report = execution.report;
    const fingerprint = crypto.createHash('sha256');
    let source = Dataset.from(data as DatasetSource<DataRecord>).map((record, i) => {
      fingerprint.update(`${String(recordId(record, i))}\n`);
      return record;
    });
    let pending: RunnableStage[] = [];
    let countInput = true;
    let trained = 0;
    const fitted: FittedStage[] = [];
    for (const [index, stage] of resolved.entries()) {
      const { spec, definition, plugin, instance } = stage;
      if (!isEstimator(instance)) {
        fitted.push({ spec, definition, plugin, stage: instance, fitted: false });
        const remote = remoteStage(stage);
        pending.push({ index, kind: spec.kind, stage: instance, ...(remote ? { remote } : {}) });
        continue;
      }
      const input = await execution.run(pending, source, { input: countInput, output: false }).collect();
      countInput = false;
      trained = input.length;
      if (input.length === 0) {
        throw new TributaryError('EMPTY_DATASET', {
          stage: spec.kind,
          message: `Stage '${spec.kind}' has no records to fit on (${report.input} read, ${report.skipped + report.deadLettered} rejected). Check the source and the rejection counts in the run report.`,
        });
      }
      source = Dataset.from(input);
      pending = [];
      this.host.events.emit({ type: 'stage:start', stage: spec.kind, index, phase: 'fit' });
      const started = this.host.clock.now();
      const rejectedBefore = report.skipped + report.deadLettered;
      const { ctx, commit } = execution.context(spec.kind, index);
      const model = await instance.fit(source, ctx);
      const rejected = new Set(commit());
      if (rejected.size > 0) source = Dataset.from(input.filter((record) => !rejected.has(record)));
      trained -= report.skipped + report.deadLettered - rejectedBefore;
      const ms = this.host.clock.now() - started;
      report.time(index, spec.kind, 'fit', ms, input.length);
      this.host.events.emit({ type: 'stage:end', stage: spec.kind, index, phase: 'fit', ms, records: input.length });
      fitted.push({ spec, definition, plugin, stage: model, fitted: true });
      const remote = remoteStage(stage, model);
      pending.push({ index, kind: spec.kind, stage: model, ...(remote ? { remote } : {}) });
    }
    report.output = trained;
    return new PipelineModel(this.host, fitted, { fitReport: report, dataFingerprint: fingerprint.digest('hex') });
  }
}
