import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { Dataset } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { DataRecord } from '../record/record.js';

async function checkFile(file: string): Promise<void> {
  const stat = await fs.promises.stat(file).catch(() => undefined);
  if (!stat?.isFile()) {
    throw new TributaryError('SOURCE_NOT_FOUND', {
      message: `The file ${file} does not exist${stat ? ' (it is a folder)' : ''}. Check the path; a relative path is taken from where the command was run (or from the spec file).`,
      details: { path: file },
    });
  }
}

/** Parses one JSON Lines line into a record, or says which line of which file is wrong. */
export function parseJsonLine(line: string, where: string): DataRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new TributaryError('INVALID_DATA', { message: `${where} is not valid JSON (${(error as Error).message}). Each line must hold one JSON object.`, cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TributaryError('INVALID_DATA', { message: `${where} holds ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}, not a JSON object. Each line must hold one record as an object.` });
  }
  return value as DataRecord;
}

/** Records from a JSON Lines file (one object per line; blank lines ignored), streamed. */
export function jsonLines(file: string): Dataset<DataRecord> {
  return Dataset.from(async function* () {
    await checkFile(file);
    const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      yield parseJsonLine(n === 1 ? line.replace(/^\uFEFF/, '') : line, `Line ${n} of ${file}`);
    }
  });
}

export interface CsvOptions {
  /** Default `,`. */
  readonly delimiter?: string;
  /** The first row names the columns (default); or `false` with `columns` naming them. */
  readonly header?: boolean;
  readonly columns?: readonly string[];
  /**
   * Turn unquoted cells written as plain decimal numbers into numbers (default true). Cells a number
   * would change stay text: quoted ones, and ones with a leading zero (`007`, a code) or a sign `+`.
   */
  readonly numbers?: boolean;
}

/** A decimal number whose text a number keeps: no leading zeros, no `+`, no hex, no spaces. */
const PLAIN_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Records from a CSV file, streamed: quoting, CRLF, quoted newlines and a UTF-8 BOM handled by csv-parse. */
export function csvRows(file: string, options: CsvOptions = {}): Dataset<DataRecord> {
  if (options.header === false && !options.columns?.length) {
    throw new TributaryError('INVALID_PARAMS', { param: 'columns', message: 'A CSV source without a header row needs `columns` naming its columns in order.' });
  }
  return Dataset.from(async function* () {
    await checkFile(file);
    const parser = fs.createReadStream(file).pipe(
      parse({
        bom: true,
        delimiter: options.delimiter ?? ',',
        columns: options.header === false ? [...options.columns!] : true,
        skip_empty_lines: true,
        cast: options.numbers === false ? false : (value, context) => (!context.quoting && PLAIN_NUMBER.test(value) && Number.isFinite(Number(value)) ? Number(value) : value),
      }),
    );
    try {
      for await (const row of parser) yield row as DataRecord;
    } catch (error) {
      const line = (error as { lines?: number }).lines;
      throw new TributaryError('INVALID_DATA', { message: `${file}${line ? `, line ${line}` : ''}: ${(error as Error).message}. Fix the row, or check the delimiter and quoting.`, cause: error });
    }
  });
}
