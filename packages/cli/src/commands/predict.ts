import readline from 'node:readline';
import { type DataRecord, Dataset, RunReport, isTributaryError, parseJsonLine } from '@tributary/core';
import { UsageError } from '../errors.js';
import { loadModel } from '../model.js';
import { type GlobalOptions, Progress, createLogger } from '../output.js';
import { openSource, sourceForPath } from '../sources.js';

export interface PredictOptions extends GlobalOptions {
  readonly input?: string;
  readonly fields?: string;
  readonly batchSize?: string;
}

/** A line of input that is not a record, kept so it is answered with an error line rather than lost. */
interface BadLine {
  readonly badLine: number;
  readonly error: { readonly code: string; readonly message: string };
}

/** JSON Lines from stdin; a line that is not a JSON object becomes a BadLine. */
function stdinRecords(): Dataset<DataRecord | BadLine> {
  return Dataset.from(async function* () {
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      try {
        const record = parseJsonLine(line, `Line ${n} of stdin`);
        // A record without an id is named by its line, so its answer can be matched to it.
        yield record.id === undefined ? { ...record, id: n } : record;
      } catch (error) {
        if (!isTributaryError(error)) throw error;
        yield { badLine: n, error: { code: error.code, message: error.message } };
      }
    }
  });
}

/** Binary values as base64 so output lines stay JSON. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
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
  const progress = new Progress(!options.quiet);
  const logger = createLogger(options.logLevel ?? 'warn', progress);
  const input: Dataset<DataRecord | BadLine> = options.input ? openSource(sourceForPath(options.input), process.cwd()) : stdinRecords();
  const { runtime, model } = await loadModel(dir, logger);
  const last = model.stages.at(-1)!;
  const fields = options.fields ? options.fields.split(',').map((f) => f.trim()).filter(Boolean) : last.definition.fields(last.spec.params as never).writes;
  const rejected = new Map<unknown, { code: string; message: string; stage: string }>();
  const offRejected = runtime.events.on('record:rejected', (e) => rejected.set(e.recordId, { code: e.code, message: e.message, stage: e.stage }));
  const report = new RunReport();
  const task = progress.task('predict');
  let done = 0;
  let failed = 0;
  let bad = 0;
  const write = (line: unknown) => process.stdout.write(`${JSON.stringify(line, replacer)}\n`);
  try {
    for await (const batch of input.batch(batchSize)) {
      const records = batch.filter((r): r is DataRecord => !('badLine' in r && 'error' in r));
      // Records without an id are named by their position (1-based), so each answer can be matched to its input.
      const named = records.map((r, i) => (r.id === undefined ? { ...r, id: done + i + 1 } : r));
      rejected.clear();
      const out = named.length ? await model.predict(named, { errorPolicy: 'skip', report }) : [];
      // Outputs keep input order with rejected records left out: walk both in step.
      let next = 0;
      let r = 0;
      for (const item of batch) {
        if ('badLine' in item && 'error' in item) {
          bad++;
          write({ line: item.badLine, error: item.error });
          continue;
        }
        const record = named[r++]!;
        const result = out[next];
        if (result && result.id === record.id) {
          next++;
          write({ id: record.id, ...Object.fromEntries(fields.map((f) => [f, result[f] ?? null])) });
        } else {
          failed++;
          write({ id: record.id, error: rejected.get(record.id) ?? { code: 'INVALID_RECORD', message: 'rejected by the pipeline' } });
        }
      }
      done += named.length;
      task.update(done);
    }
  } finally {
    task.stop();
    progress.stop();
    offRejected();
    await model.dispose();
    runtime.dispose();
  }
  if (!options.quiet) {
    process.stderr.write(`predicted ${done - failed} of ${done} records${failed ? `; ${failed} rejected by the pipeline (error lines in the output)` : ''}${bad ? `; ${bad} input lines were not JSON records` : ''}\n`);
  }
}
