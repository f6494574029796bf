import fs from 'node:fs';
import path from 'node:path';
import { type SinkResult, TributaryError } from '@tributary/core';
import { type SqlOptions, checkQuery, openDatabase, sqlError } from './sql.js';

export interface CopyQueryOptions extends Pick<SqlOptions, 'params' | 'database' | 'threads'> {
  /** Default: from the file's extension (`.jsonl`/`.ndjson` JSON Lines, `.csv`, `.parquet`). */
  readonly format?: 'jsonl' | 'csv' | 'parquet';
  /** Parquet compression; default `zstd`. */
  readonly compression?: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
}

const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

function formatOf(file: string, format: CopyQueryOptions['format']): NonNullable<CopyQueryOptions['format']> {
  const found = format ?? (/\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : /\.parquet$/i.test(file) ? 'parquet' : undefined);
  if (!found || !['jsonl', 'csv', 'parquet'].includes(found)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'format', message: `Cannot tell the format of ${file} from its extension; name it .jsonl, .csv or .parquet, or pass format ('jsonl', 'csv', 'parquet').` });
  }
  return found;
}

/**
 * Writes the result of a query to a file by DuckDB itself (`COPY (query) TO file`): its own threads read,
 * transform and write, and no row becomes a JavaScript object, so it is the fast way when the step
 * between source and file can be said in SQL (a filter, a derived column, a join, an aggregate). The
 * parameters are bound, never pasted into the SQL. The file appears only once complete; a failed query
 * leaves an existing file as it was.
 *
 * DuckDB writes the values in its own forms: JSON Lines timestamps as `2024-01-31 12:00:00+00`, not the
 * ISO text of `writeJsonLines`. For steps that need JavaScript (a model, a tokenizer), use `sql` as the
 * source of a pipeline instead.
 *
 * @example
 * copyQuery('SELECT *, temp > $limit AS hot FROM read_csv($file)', 'out.jsonl', { params: { file: 'readings.csv', limit: 30 } })
 */
export async function copyQuery(query: string, file: string, options: CopyQueryOptions = {}): Promise<SinkResult> {
  checkQuery('copyQuery', query, options);
  const target = path.resolve(file);
  const format = formatOf(target, options.format);
  const copyOptions = format === 'jsonl' ? 'FORMAT JSON' : format === 'csv' ? 'FORMAT CSV, HEADER' : `FORMAT PARQUET, COMPRESSION ${(options.compression ?? 'zstd').toUpperCase()}`;
  if (options.compression !== undefined && !['zstd', 'snappy', 'gzip', 'uncompressed'].includes(options.compression)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'compression', message: `compression is one of 'zstd', 'snappy', 'gzip', 'uncompressed'; got ${JSON.stringify(options.compression)}.` });
  }
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
  } catch (error) {
    throw new TributaryError('WRITE_FAILED', { message: `Cannot create the folder of ${target} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, cause: error });
  }
  const { instance, connection } = await openDatabase(options);
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.partial`);
  try {
    let records: number;
    try {
      // The query is the user's SQL, as with sql(); only the file name is a literal here, quoted.
      const result = await connection.run(`COPY (${query}) TO ${quoteLiteral(partial)} (${copyOptions})`, options.params as never);
      records = Number(result.rowsChanged);
    } catch (error) {
      throw sqlError(error, 'The query');
    }
    const bytes = fs.statSync(partial).size;
    // A file replaced keeps its permissions.
    const previous = fs.statSync(target, { throwIfNoEntry: false });
    if (previous) fs.chmodSync(partial, previous.mode & 0o7777);
    fs.renameSync(partial, target);
    return { path: target, records, bytes };
  } finally {
    fs.rmSync(partial, { force: true });
    connection.closeSync();
    instance.closeSync();
  }
}
