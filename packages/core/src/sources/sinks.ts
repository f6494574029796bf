import fs from 'node:fs';
import path from 'node:path';
import { Dataset, type DatasetSource } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import { type DataRecord, recordJsonReplacer } from '../record/record.js';
import { isPlainNumber } from './csv.js';

/** What a sink wrote. */
export interface SinkResult {
  readonly path: string;
  readonly records: number;
  readonly bytes: number;
}

/** True for a value JSON.stringify writes as it is: no bigint, no typed array or Buffer, anywhere in it. */
function plain(value: unknown, depth = 0): boolean {
  if (typeof value === 'bigint') return false;
  if (typeof value !== 'object' || value === null) return true;
  // A Date writes itself (toJSON, ISO text); SQL timestamps are on every row, and the replacer costs 3× as much.
  if (value instanceof Date) return true;
  if (ArrayBuffer.isView(value) || depth > 8) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!plain(item, depth + 1)) return false;
    return true;
  }
  // A nested object could hold anything (a Buffer's toJSON, a bigint): the replacer handles it.
  return false;
}

/** True when a record holds a value that needs the replacer (bytes, typed arrays, bigints, nested objects). */
function needsReplacer(record: DataRecord): boolean {
  for (const key in record) if (!plain(record[key])) return true;
  return false;
}

/** One record as a line of JSON Lines (with its line end): bytes as `{"base64": …}`, typed arrays as arrays, bigints as strings. */
export function jsonLine(record: DataRecord): string {
  return `${needsReplacer(record) ? JSON.stringify(record, recordJsonReplacer) : JSON.stringify(record)}\n`;
}

/**
 * Writes to `file` through a temporary file in the same folder, renamed into place once everything
 * is written: a reader never sees half a file, and a failed run leaves the previous file as it was.
 */
export async function atomicWrite(file: string, write: (put: (text: string | Uint8Array) => Promise<void>) => Promise<number>): Promise<SinkResult> {
  const target = path.resolve(file);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
  } catch (error) {
    throw new TributaryError('WRITE_FAILED', { message: `Cannot create the folder of ${target} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, cause: error });
  }
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.partial`);
  // Up to 4 MiB queued before a write waits for the disk: the next chunk is made while the last is written.
  const out = fs.createWriteStream(temporary, { highWaterMark: 4 * 1024 * 1024 });
  let failure: unknown;
  out.on('error', (error) => (failure ??= error));
  let bytes = 0;
  const put = async (text: string | Uint8Array) => {
    if (failure) throw failure;
    bytes += typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength;
    if (!out.write(text)) await new Promise<void>((resolve, reject) => {
      const onError = (error: unknown) => reject(error);
      out.once('error', onError);
      out.once('drain', () => {
        out.off('error', onError);
        resolve();
      });
    });
  };
  try {
    const records = await write(put);
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(resolve);
    });
    if (failure) throw failure;
    // A file replaced keeps its permissions (a 0600 file stays private).
    const previous = fs.statSync(target, { throwIfNoEntry: false });
    if (previous) fs.chmodSync(temporary, previous.mode & 0o7777);
    fs.renameSync(temporary, target);
    return { path: target, records, bytes };
  } catch (error) {
    // Closed first, so a stream still opening does not create the file after it was removed.
    if (!out.closed) await new Promise<void>((resolve) => {
      out.once('close', () => resolve());
      out.destroy();
    });
    fs.rmSync(temporary, { force: true });
    if (error instanceof TributaryError) throw error;
    throw new TributaryError('WRITE_FAILED', { message: `Writing ${target} failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the file was left as it was.`, cause: error });
  }
}

/**
 * Writes records as JSON Lines, a chunk at a time (bounded memory, back-pressure honoured), atomically.
 * Bytes become `{"base64": …}`, other typed arrays arrays of numbers, bigints strings.
 */
export function writeJsonLines(data: DatasetSource<DataRecord> | Dataset<DataRecord>, file: string): Promise<SinkResult> {
  return atomicWrite(file, async (put) => {
    let records = 0;
    for await (const chunk of Dataset.from(data).chunks()) {
      let text = '';
      for (const record of chunk) text += jsonLine(record);
      records += chunk.length;
      // Encoded once here, rather than once to count its bytes and again by the stream.
      await put(Buffer.from(text));
    }
    return records;
  });
}

export interface CsvSinkOptions {
  /** The columns, in order. Default: the fields of the first record. A record with a field outside them is an error (nothing is dropped silently). */
  readonly columns?: readonly string[];
  /** One character; default `,`. */
  readonly delimiter?: string;
  /** Write the column names first (default true). */
  readonly header?: boolean;
}

/** One cell: empty for null and undefined, quoted for text that would read back as something else, ISO text for dates, JSON for objects; quoted when it holds the delimiter, a quote, a line break or edge spaces. */
function cell(value: unknown, delimiter: string): string {
  let text: string;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') {
    // Text that csvRows would read as a number or as a missing value is quoted, so it reads back as text.
    if (value === '' || isPlainNumber(value)) return `"${value}"`;
    text = value;
  }
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  else if (value instanceof Date) return value.toISOString();
  else text = JSON.stringify(value, recordJsonReplacer);
  const needsQuotes = text.includes(delimiter) || text.includes('"') || text.includes('\n') || text.includes('\r') || text.trim() !== text;
  return needsQuotes ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Writes records as CSV (RFC 4180, CRLF), a chunk at a time, atomically. `csvRows` reads it back to the
 * same records when their values are text, finite numbers, booleans (read back as text) or null.
 */
export function writeCsv(data: DatasetSource<DataRecord> | Dataset<DataRecord>, file: string, options: CsvSinkOptions = {}): Promise<SinkResult> {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new TributaryError('INVALID_PARAMS', { param: 'delimiter', message: `A CSV delimiter is one character other than a quote or a line break; got ${JSON.stringify(delimiter)}.` });
  }
  return atomicWrite(file, async (put) => {
    let columns = options.columns ? [...options.columns] : undefined;
    let known = columns ? new Set(columns) : undefined;
    let records = 0;
    const header = () => (options.header === false ? '' : `${columns!.map((c) => cell(c, delimiter)).join(delimiter)}\r\n`);
    if (columns) await put(header());
    for await (const chunk of Dataset.from(data).chunks()) {
      let text = '';
      for (const record of chunk) {
        if (!columns) {
          columns = Object.keys(record);
          known = new Set(columns);
          text += header();
        }
        for (const key in record) {
          if (!known!.has(key)) {
            throw new TributaryError('INVALID_DATA', { message: `Record #${records} has the field '${key}', which is not among the CSV's columns (${columns.join(', ')}). Pass columns listing every field to write, or drop the field first.` });
          }
        }
        let line = '';
        for (let k = 0; k < columns.length; k++) line += (k > 0 ? delimiter : '') + cell(record[columns[k]!], delimiter);
        text += `${line}\r\n`;
        records++;
      }
      await put(text);
    }
    return records;
  });
}
