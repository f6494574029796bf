import path from 'node:path';
import { type DataRecord, Dataset, RunReport, type SourceProblem, csvRows, jsonLines, recordJsonReplacer } from '@tributary/core';
import { UsageError } from '../errors.js';
import { loadModel } from '../model.js';
import { type GlobalOptions, Progress, createLogger } from '../output.js';
import { openSource, sourceForPath } from '../sources.js';
import type { SourceSpecValue } from '../spec/schema.js';

export interface PredictOptions extends GlobalOptions {
  readonly input?: string;
  readonly fields?: string;
  readonly batchSize?: string;
}

/** A line or file of the input that is not a record: answered with an error line rather than lost. */
class BadInput {
  constructor(
    readonly where: { readonly line: number } | { readonly id: string },
    readonly error: { readonly code: string; readonly message: string },
  ) {}
}

type Item = DataRecord | BadInput;

/** The field that carries a record's line number through the reader (removed before the model sees the record). */
const LINE = '\u0000line';

/**
 * The input as items in input order: records, and a BadInput for each line, row or file the source could
 * not read. Records without an id are named by their line (JSON Lines) or their position (CSV, files).
 */
function items(input: { readonly stdin: true } | { readonly spec: SourceSpecValue; readonly file: string }): Dataset<Item> {
  return Dataset.from(async function* () {
    const problems: SourceProblem[] = [];
    const bad = (p: SourceProblem) => new BadInput(p.line !== undefined ? { line: p.line } : { id: p.id ?? p.source }, { code: p.code, message: p.message });
    const onProblem = (p: SourceProblem) => problems.push(p);
    let source: Dataset<DataRecord>;
    const byLine = 'stdin' in input || input.spec.type === 'jsonl';
    if ('stdin' in input) source = jsonLines({ name: 'stdin', open: () => process.stdin }, { onProblem, lineField: LINE });
    else if (input.spec.type === 'jsonl') source = jsonLines(path.resolve(input.file), { onProblem, lineField: LINE });
    else if (input.spec.type === 'csv') source = csvRows(path.resolve(input.file), { onProblem, lineField: LINE });
    else source = openSource(input.spec, process.cwd(), onProblem);
    let position = 0;
    for await (const row of source) {
      // Problems are reported as met; the records read before one may still be on their way: order by line.
      const line = typeof row[LINE] === 'number' ? (row[LINE] as number) : Infinity;
      while (problems.length && (problems[0]!.line ?? -1) < line) yield bad(problems.shift()!);
      const { [LINE]: _line, ...record } = row;
      position++;
      yield record.id === undefined ? { ...record, id: byLine ? line : position } : record;
    }
    while (problems.length) yield bad(problems.shift()!);
  });
}

/**
 * `tributary predict <artifact>`: records (JSONL from stdin, or --input FILE|DIR) through the saved
 * model, one JSON line out per record in input order — its id and the model's outputs, or the error
 * that rejected it — so no record is dropped silently.
 */
export async function predictCommand(dir: string, options: PredictOptions): Promise<void> {
  const batchSize = options.batchSize === undefined ? 64 : Number(options.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size takes a whole number of at least 1, got ${options.batchSize}.`);
  if (!options.input && process.stdin.isTTY) throw new UsageError('predict reads records as JSON Lines from stdin, or from --input FILE|DIR; nothing was piped in. Example: tributary predict artifacts/spam-filter --input messages.jsonl');
  const input = items(options.input === undefined ? { stdin: true } : { spec: sourceForPath(options.input), file: options.input });
  const progress = new Progress(!options.quiet);
  const logger = createLogger(options.logLevel ?? 'warn', progress);
  const { runtime, model } = await loadModel(dir, logger);
  const last = model.stages.at(-1)!;
  const fields = options.fields ? options.fields.split(',').map((f) => f.trim()).filter(Boolean) : last.definition.fields(last.spec.params as never).writes;
  const report = new RunReport();
  const task = progress.task('predict');
  let done = 0;
  let failed = 0;
  let bad = 0;
  const write = (line: unknown) => process.stdout.write(`${JSON.stringify(line, recordJsonReplacer)}\n`);
  try {
    for await (const batch of input.batch(batchSize)) {
      const records = batch.filter((r): r is DataRecord => !(r instanceof BadInput));
      const answers = records.length ? await model.predictEach(records, { report }) : [];
      let r = 0;
      for (const item of batch) {
        if (item instanceof BadInput) {
          bad++;
          write({ ...item.where, error: item.error });
          continue;
        }
        const id = records[r]!.id;
        const answer = answers[r++]!;
        if (answer.record) write({ id, ...Object.fromEntries(fields.map((f) => [f, answer.record[f] ?? null])) });
        else {
          failed++;
          write({ id, error: answer.error });
        }
      }
      done += records.length;
      task.update(done);
    }
  } finally {
    task.stop();
    progress.stop();
    await model.dispose();
    runtime.dispose();
  }
  if (!options.quiet) {
    process.stderr.write(`predicted ${done - failed} of ${done} records${failed ? `; ${failed} rejected by the pipeline (error lines in the output)` : ''}${bad ? `; ${bad} input ${bad === 1 ? 'line or file' : 'lines or files'} could not be read as records` : ''}\n`);
  }
}
