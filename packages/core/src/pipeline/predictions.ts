import { Dataset, type DatasetSource } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { DataRecord } from '../record/record.js';
import { type SinkResult, writeCsv, writeJsonLines } from '../sources/sinks.js';
import type { PipelineModel } from './pipeline-model.js';

export interface WritePredictionsOptions {
  /** The field that names each input record; one without it is named by its position (0-based). Default `id`. */
  readonly id?: string;
  /** The model's fields to write; default what its last stage writes (`model.outputFields`). */
  readonly fields?: readonly string[];
  /** `jsonl` or `csv`; default from the file's extension (`.csv`), else JSON Lines. */
  readonly format?: 'jsonl' | 'csv';
  /** Records per call of the model; default 256. */
  readonly batchSize?: number;
}

export interface PredictionsResult extends SinkResult {
  readonly predicted: number;
  readonly rejected: number;
}

/**
 * Runs a model over a dataset and writes one line per input record, in input order: its id and the
 * model's outputs, or, for a record a stage rejected, its id and the error (`error: { code, message,
 * stage }` in JSON Lines; `error_code` and `error_message` columns in CSV). No input goes missing from
 * the output, and the file appears only once complete.
 */
export async function writePredictions(model: PipelineModel, data: DatasetSource<object> | Dataset<object>, file: string, options: WritePredictionsOptions = {}): Promise<PredictionsResult> {
  const idField = options.id ?? 'id';
  const fields = [...(options.fields ?? model.outputFields)];
  if (fields.length === 0) throw new TributaryError('INVALID_PARAMS', { param: 'fields', message: 'The model writes no field to put in the predictions; name them with fields.' });
  const csv = options.format === 'csv' || (options.format === undefined && /\.csv$/i.test(file));
  const batchSize = options.batchSize ?? 256;
  let position = 0;
  let predicted = 0;
  let rejected = 0;
  const rows = Dataset.fromChunks(async function* () {
    for await (const batch of Dataset.from(data).batch(batchSize)) {
      const answers = await model.predictEach(batch, { batchSize });
      const out: DataRecord[] = [];
      answers.forEach((answer, k) => {
        const input = batch[k] as DataRecord;
        const id = input[idField] ?? position + k;
        const row: DataRecord = { [idField]: id };
        if (answer.record) {
          predicted++;
          for (const field of fields) row[field] = answer.record[field] ?? null;
          if (csv) row.error_code = row.error_message = null;
        } else {
          rejected++;
          if (csv) {
            for (const field of fields) row[field] = null;
            row.error_code = answer.error.code;
            row.error_message = answer.error.message;
          } else row.error = { ...answer.error };
        }
        out.push(row);
      });
      position += batch.length;
      yield out;
    }
  });
  const written = csv ? await writeCsv(rows, file, { columns: [idField, ...fields, 'error_code', 'error_message'] }) : await writeJsonLines(rows, file);
  return { ...written, predicted, rejected };
}
