import fs from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { Dataset } from '../dataset/dataset.js';
import { type ErrorCode, TributaryError } from '../errors/tributary-error.js';
import type { DataRecord } from '../record/record.js';
import { MAX_LINE_BYTES, readLines } from './lines.js';
import { schemaMismatch } from './schema-check.js';

/** A line, row or file of a source that could not be read as a record. */
export interface SourceProblem {
  readonly code: ErrorCode;
  readonly message: string;
  /** The file it is in. */
  readonly source: string;
  /** Its 1-based line (JSON Lines, CSV). */
  readonly line?: number;
  /** Its id (a file of a files source). */
  readonly id?: string;
  /** The start of its text (a CSV row), for a dead-letter file. */
  readonly raw?: string;
}

/** A file, or a stream such as stdin given as `{ name, open }` (opened once per pass). */
export type TextSource = string | { readonly name: string; readonly open: () => AsyncIterable<Uint8Array | string> };

export const sourceName = (source: TextSource): string => (typeof source === 'string' ? source : source.name);

/**
 * What a source does with a line it cannot read: throw (the default, a TributaryError naming the file
 * and line), or hand the problem to this function and go on with the next one.
 */
export type OnSourceProblem = (problem: SourceProblem) => void;

/** Raises a source problem, or hands it on when the caller asked to go on. */
export function sourceProblem(problem: SourceProblem, onProblem: OnSourceProblem | undefined, cause?: unknown): void {
  if (!onProblem) throw new TributaryError(problem.code, { message: problem.message, ...(cause === undefined ? {} : { cause }), details: { source: problem.source, ...(problem.line === undefined ? {} : { line: problem.line }) } });
  onProblem(problem);
}

export async function checkFile(file: string): Promise<void> {
  const stat = await fs.promises.stat(file).catch(() => undefined);
  if (!stat?.isFile()) {
    throw new TributaryError('SOURCE_NOT_FOUND', {
      message: `The file ${file} does not exist${stat ? ' (it is a folder)' : ''}. Check the path; a relative path is taken from where the command was run (or from the spec file).`,
      details: { path: file },
    });
  }
  await fs.promises.access(file, fs.constants.R_OK).catch((error: NodeJS.ErrnoException) => {
    throw new TributaryError('SOURCE_UNREADABLE', { message: `The file ${file} cannot be read (${error.code ?? error.message}). Check its permissions.`, details: { path: file }, cause: error });
  });
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

export interface JsonLinesOptions {
  /** Go on past lines that are not JSON objects (or too long), handing each to this function. */
  readonly onProblem?: OnSourceProblem;
  /** Longer lines are problems rather than records. Default 64 MiB. */
  readonly maxLineBytes?: number;
  /** Put each record's line number in this field, e.g. to name records without an id by their line. */
  readonly lineField?: string;
  /** The record each line must be (a TypeBox schema); a line that does not match is a problem (INVALID_RECORD) naming the field. */
  readonly schema?: TSchema;
}

/**
 * Records from JSON Lines (one object per line; blank lines ignored), streamed: from a file, or from a
 * stream such as stdin given as `{ name, open }` (opened once per pass).
 */
export function jsonLines(source: TextSource, options: JsonLinesOptions = {}): Dataset<DataRecord> {
  const max = options.maxLineBytes ?? MAX_LINE_BYTES;
  const name = sourceName(source);
  return Dataset.from(async function* () {
    if (typeof source === 'string') await checkFile(source);
    const stream = typeof source === 'string' ? fs.createReadStream(source) : source.open();
    for await (const entry of readLines(stream, max)) {
      if ('tooLong' in entry) {
        sourceProblem({ code: 'INVALID_DATA', source: name, line: entry.line, message: `Line ${entry.line} of ${name} is ${entry.tooLong} bytes long, more than the ${max} a record may take. Split the record, or raise maxLineBytes.` }, options.onProblem);
        continue;
      }
      if ('undecodable' in entry) {
        sourceProblem({ code: 'INVALID_DATA', source: name, line: entry.line, message: `Line ${entry.line} of ${name} is not valid UTF-8. JSON Lines files are UTF-8; convert the file (e.g. iconv -f windows-1252 -t utf-8).` }, options.onProblem);
        continue;
      }
      if (entry.text.trim() === '') continue;
      let record: DataRecord;
      try {
        record = parseJsonLine(entry.text, `Line ${entry.line} of ${name}`);
      } catch (error) {
        sourceProblem({ code: 'INVALID_DATA', source: name, line: entry.line, message: (error as Error).message }, options.onProblem, error);
        continue;
      }
      const mismatch = options.schema && schemaMismatch(options.schema, record);
      if (mismatch) {
        sourceProblem({ code: 'INVALID_RECORD', source: name, line: entry.line, message: `Line ${entry.line} of ${name}: ${mismatch}.`, raw: entry.text.slice(0, 200) }, options.onProblem);
        continue;
      }
      if (options.lineField !== undefined && options.lineField in record) {
        throw new TributaryError('INVALID_PARAMS', { param: 'lineField', message: `Line ${entry.line} of ${name} has a field '${options.lineField}', which lineField would overwrite; give lineField another name.` });
      }
      yield options.lineField === undefined ? record : { ...record, [options.lineField]: entry.line };
    }
  });
}
