import path from 'node:path';
import {
  type DataRecord,
  type Dataset,
  type ExecutionOptions,
  type Executor,
  type GateResult,
  type OnSourceProblem,
  RunReport,
  type Runtime,
  type StabilityReport,
  checkGate,
  crossValidate,
  describeGateMiss,
  recordHistory,
  sourceProblemsTo,
  summarizeEvaluation,
} from '@tributary/core';
import { renderHtml, renderText } from '@tributary/core/report';
import { RunFailed, UsageError } from '../errors.js';
import { type Report, evaluate, fieldsOf, metricsOf, nothingScored } from '../evaluate.js';
import { reportTarget, writeHtmlReportLater } from './report.js';
import { wholeOption } from '../options.js';
import { type GlobalOptions, Progress, createLogger, emit, showEvents } from '../output.js';
import { plan } from '../plan.js';
import { importFromProject } from '../project.js';
import { redisUrl } from './worker.js';
import { openSource, resolvePathRef } from '../sources.js';
import { loadSpec } from '../spec/load.js';

export interface RunOptions extends GlobalOptions {
  readonly set?: readonly string[];
  /** Save here instead of the spec's `save` (relative to the working folder). */
  readonly out?: string;
  /** Fit and evaluate, but save nothing. */
  readonly save?: boolean;
  /** Also write the HTML report to this file. */
  readonly report?: string;
  /** Worker threads for the stages that declare `worker` (a pool from @tributary/plugin-workers). */
  readonly threads?: string;
  /** Where the stages that declare `worker` run: threads, processes (both @tributary/plugin-workers) or bullmq (@tributary/plugin-bullmq). */
  readonly executor?: string;
  /** With --executor processes: how many. */
  readonly processes?: string;
  /** With --executor bullmq: where Redis is, and the queue the workers take batches from. */
  readonly redis?: string;
  readonly queue?: string;
}

const EXECUTORS = ['threads', 'processes', 'bullmq'] as const;

/**
 * The executor the options ask for, or undefined for the calling thread: `--threads N` (or `--executor threads`),
 * `--executor processes [--processes N]`, `--executor bullmq --redis URL [--queue NAME]` (batches taken by
 * `tributary worker` processes on any host).
 */
export async function executorFrom(options: Pick<RunOptions, 'threads' | 'executor' | 'processes' | 'redis' | 'queue'>, command: string): Promise<Executor | undefined> {
  const kind = options.executor ?? (options.threads === undefined ? undefined : 'threads');
  if (kind === undefined) {
    if (options.processes !== undefined || options.redis !== undefined || options.queue !== undefined) throw new UsageError('--processes goes with --executor processes, --redis and --queue with --executor bullmq.');
    return undefined;
  }
  if (!(EXECUTORS as readonly string[]).includes(kind)) throw new UsageError(`--executor is one of ${EXECUTORS.join(', ')}; got ${JSON.stringify(kind)}.`);
  // An option of another executor would be silently ignored: say so instead.
  const belongs: Record<string, string> = { threads: 'threads', processes: 'processes', redis: 'bullmq', queue: 'bullmq' };
  for (const [option, owner] of Object.entries(belongs)) {
    if (options[option as keyof typeof options] !== undefined && owner !== kind) throw new UsageError(`--${option} goes with --executor ${owner}, not --executor ${kind}.`);
  }
  const cwd = process.cwd();
  if (kind === 'threads') {
    const threads = wholeOption(options.threads, '--threads', 1, 256);
    const workers = (await importFromProject('@tributary/plugin-workers', cwd, `${command} --executor threads`)) as typeof import('@tributary/plugin-workers');
    return workers.workerPool(threads === undefined ? {} : { threads });
  }
  if (kind === 'processes') {
    const processes = wholeOption(options.processes, '--processes', 1, 256);
    const workers = (await importFromProject('@tributary/plugin-workers', cwd, `${command} --executor processes`)) as typeof import('@tributary/plugin-workers');
    return workers.processPool(processes === undefined ? {} : { processes });
  }
  const connection = redisUrl(options.redis);
  const bullmq = (await importFromProject('@tributary/plugin-bullmq', cwd, `${command} --executor bullmq`)) as typeof import('@tributary/plugin-bullmq');
  return bullmq.bullmqExecutor({ connection, ...(options.queue ? { queue: options.queue } : {}) });
}

/** Counts records as they are read, on a progress task. */
function counted(data: Dataset<DataRecord>, progress: Progress, label: string): { data: Dataset<DataRecord>; done: () => number; stop: () => void } {
  const task = progress.task(label);
  let n = 0;
  return {
    data: data.map((record) => {
      task.update(++n);
      return record;
    }),
    done: () => n,
    stop: () => task.stop(),
  };
}

/**
 * What the source does with a line, row or file it cannot read, by the run's error policy: under
 * `fail` nothing is passed (the source stops the run with the file and line); under `skip` and
 * `dead-letter` it is counted as a rejected input of stage `source` (once, though a split reads the
 * source more than once) and, for `dead-letter`, written to the dead-letter file.
 */
function sourceProblems(report: RunReport, execution: ExecutionOptions, runtime: Runtime): OnSourceProblem | undefined {
  return sourceProblemsTo({ report, events: runtime.events, ...(execution.errorPolicy ? { errorPolicy: execution.errorPolicy } : {}), ...(execution.deadLetterPath ? { deadLetterPath: execution.deadLetterPath } : {}) });
}

/** `tributary run <spec>`: fit the pipeline on the source, evaluate on the held-out part, check the gate, save. */
export async function runCommand(specFile: string, options: RunOptions): Promise<void> {
  const started = performance.now();
  if (options.out !== undefined && options.out.trim() === '') throw new UsageError('--out was given an empty path; name the folder to save the model to, or leave --out out to use the spec\'s save.');
  const loaded = loadSpec(specFile, options.set, { deferFormat: true });
  const { spec } = loaded;
  // Where the report page goes is checked before any work, so a bad path cannot cost a training run.
  const reportTo = options.report === undefined ? undefined : reportTarget(options.report, '--report');
  if (reportTo && !spec.evaluation) throw new UsageError(`--report writes the evaluation report, but ${path.basename(loaded.file)} has no evaluation section; add one (task, label, score) or leave --report out.`);
  const progress = new Progress(!options.quiet);
  const logger = createLogger(options.logLevel ?? 'warn', progress);
  const saveTo = options.save === false || options.out === undefined ? undefined : path.resolve(options.out);
  const executor = await executorFrom(options, 'tributary run');
  const { runtime, stages, warnings } = await plan(loaded, { logger, ...(executor ? { executor } : {}) }, saveTo);
  for (const warning of warnings) progress.log(`tributary: warning: ${warning}`);
  const off = showEvents(runtime.events, progress, logger);
  const seed = spec.seed ?? 42;
  const run = spec.run ?? {};
  const execution: ExecutionOptions = {
    ...(run.errorPolicy ? { errorPolicy: run.errorPolicy } : {}),
    ...(run.deadLetter ? { deadLetterPath: resolvePathRef(run.deadLetter, loaded.dir) } : {}),
    ...(run.batchSize ? { batchSize: run.batchSize } : {}),
    ...(run.concurrency ? { concurrency: run.concurrency } : {}),
  };
  const out = options.save === false ? undefined : (saveTo ?? (spec.save ? resolvePathRef(spec.save, loaded.dir) : undefined));
  // Records are counted here from the start, so lines of the source that cannot be read are counted too.
  const report = new RunReport();
  const onProblem = sourceProblems(report, execution, runtime);
  try {
    const source = openSource(spec.source, loaded.dir, onProblem);
    let train = source;
    let test: Dataset<DataRecord> | undefined;
    if (spec.split) ({ train, test } = source.split({ test: spec.split.test, seed: spec.split.seed ?? seed, ...(spec.split.stratifyBy ? { stratifyBy: spec.split.stratifyBy } : {}) }));
    else if (spec.test) test = openSource(spec.test, loaded.dir, onProblem);
    logger.info('run started', { spec: loaded.file, stages: stages.map((s) => s.kind), seed });

    // Cross-validation first, on the training part only, so the test part stays unseen until the end.
    let stability: StabilityReport<Report> | undefined;
    const cv = spec.evaluation?.crossValidate;
    if (spec.evaluation && cv) {
      const evaluation = spec.evaluation;
      const task = progress.task('cross-validate', cv.folds);
      let done = 0;
      stability = await crossValidate(runtime.pipeline(stages), train, {
        folds: cv.folds,
        seed: cv.seed ?? seed,
        stratifyBy: cv.stratifyBy ?? evaluation.label ?? 'label',
        fit: execution,
        evaluate: async (model, part) => {
          const figures = await evaluate(model, part, evaluation, execution).catch((error: unknown) => {
            throw nothingScored(error, 'record of a cross-validation fold', 'the folds give no figures', {});
          });
          task.update(++done);
          return figures;
        },
      });
      task.stop();
    }

    const reading = counted(train, progress, 'read');
    const recording = recordHistory(runtime.events);
    const model = await runtime.pipeline(stages).fit(reading.data, { ...execution, report });
    const fitReport = report;
    if (!model.stages.some((s) => s.fitted)) {
      // Nothing to learn: this is a processing job, so run every record through the stages.
      await model.transform(reading.data, { ...execution, report }).forEach(() => {});
    }
    reading.stop();
    const history = recording.stop();

    let evaluation: Report | undefined;
    let gate: GateResult | undefined;
    if (spec.evaluation && test) {
      const scoring = counted(test, progress, 'evaluate');
      try {
        evaluation = await evaluate(model, scoring.data, spec.evaluation, execution);
      } catch (error) {
        await model.dispose();
        throw nothingScored(error, 'test record', 'the model was not evaluated or saved', { empty: 'The test part is empty: give split.test a larger fraction or a test source with records.' });
      }
      scoring.stop();
      if (spec.evaluation.gate) gate = checkGate(evaluation, spec.evaluation.gate);
    }
    const summary =
      evaluation && spec.evaluation
        ? summarizeEvaluation(evaluation, { ...(spec.name ? { pipeline: spec.name } : {}), fields: fieldsOf(spec.evaluation), fit: fitReport, history, ...(stability ? { stability } : {}), ...(gate ? { gate } : {}), seed })
        : undefined;
    // A passed gate is recorded in the manifest as the model's approval (serving can require it); the
    // report page travels with the model.
    const saved =
      out && (!gate || gate.passed)
        ? (await model.save(out, { ...(summary ? { evaluation: summary, files: { 'report.html': renderHtml(summary) } } : {}), ...(gate ? { gate } : {}) }), out)
        : undefined;
    await model.dispose();
    progress.stop();
    const { written: reportFile, failure: reportFailure } = writeHtmlReportLater(reportTo, summary);

    const result = {
      ...(spec.name ? { pipeline: spec.name } : {}),
      spec: loaded.file,
      records: { train: fitReport?.toJSON() ?? null, test: evaluation?.run ?? null },
      ...(evaluation ? { metrics: metricsOf(evaluation), efficiency: evaluation.efficiency } : {}),
      ...(summary?.stability ? { stability: summary.stability.spread } : {}),
      ...(summary ? { warnings: summary.warnings } : {}),
      ...(gate ? { gate } : {}),
      artifact: saved ?? null,
      report: saved ? path.join(saved, 'report.html') : null,
      ...(reportFile ? { reportFile } : {}),
      seconds: (performance.now() - started) / 1000,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
    };
    emit(options, result, () => {
      const lines: string[] = [];
      const r = fitReport.toJSON();
      const reasons = (x: Record<string, unknown>) => (Object.keys(x).length ? ` ${JSON.stringify(x)}` : '');
      if (summary) lines.push(renderText(summary).trimEnd(), '');
      else if (model.stages.some((s) => s.fitted)) lines.push(`training records: ${r.input} read, ${r.output} used, ${r.skipped} skipped, ${r.deadLettered} dead-lettered${reasons(r.rejections)}`);
      else lines.push(`processed records: ${r.input} read, ${r.output} out, ${r.skipped} skipped, ${r.deadLettered} dead-lettered${reasons(r.rejections)}`);
      // With a report, its Records section lists them.
      if (!summary && Object.keys(r.warnings).length) lines.push(`warnings on records (records kept):${reasons(r.warnings)}`);
      lines.push(saved ? `saved to ${saved} (report: ${path.join(saved, 'report.html')})` : out ? 'not saved (the gate failed)' : options.save === false ? 'not saved (--no-save)' : 'not saved (no save in the spec)');
      if (reportFile) lines.push(`report written to ${reportFile}`);
      lines.push(`took ${result.seconds.toFixed(1)} s`);
      return lines.join('\n');
    });
    if (reportFailure) throw reportFailure;
    if (gate && !gate.passed) {
      throw new RunFailed(`the model missed its gate${out ? ', so it was not saved' : ''}: ${gate.misses.map(describeGateMiss).join('; ')}. Improve the model or relax ${(options.set ?? []).some((o) => o.startsWith('evaluation.gate')) ? 'the --set that sets evaluation.gate' : `evaluation.gate in ${path.basename(loaded.file)}`}.`);
    }
  } finally {
    progress.stop();
    off();
    runtime.dispose();
    await executor?.close?.();
  }
}
