import fs from 'node:fs';
import type { TObject, TSchema } from '@sinclair/typebox';
import { Dataset } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { DataRecord } from '../record/record.js';
import { CsvTokenizer, type CsvRow } from './csv-tokenizer.js';
import { type TextEncoding, checkEncoding, createDecoder } from './decode.js';
import { MAX_LINE_BYTES } from './lines.js';
import { schemaMismatch } from './schema-check.js';
import { type OnSourceProblem, type SourceProblem, type TextSource, checkFile, sourceName, sourceProblem } from './text-sources.js';

export interface CsvOptions {
  /** One character; default `,`. */
  readonly delimiter?: string;
  /** One character; default `"`. */
  readonly quote?: string;
  /** The first row names the columns (default); or `false` with `columns` naming them. */
  readonly header?: boolean;
  /** The column names, in order: with `header: false`, or to rename the header's columns. */
  readonly columns?: readonly string[];
  /**
   * Infer types (default true): unquoted cells written as plain decimal numbers become numbers, and
   * empty unquoted cells become null (a missing value). Cells a number would change stay text: quoted
   * ones, and ones with a leading zero (`007`, a code), a sign `+` or spaces. `false` keeps every cell as
   * its text. Ignored for the columns a `schema` types.
   */
  readonly numbers?: boolean;
  /** `auto` (default): a byte-order mark, UTF-16 by its zero bytes, else strict UTF-8. See TextEncoding. */
  readonly encoding?: TextEncoding;
  /**
   * The record each row must be (a TypeBox object schema). Cells are converted to the types it names
   * (`"3"` to 3 for a number, `"true"` to true; never by truncating, so `"2.5"` is no integer); an
   * empty cell is null where the schema allows null and left out otherwise (a problem when the field is
   * required). A row that does not match is a problem (INVALID_RECORD), naming the field at fault.
   * Columns the schema does not name are kept as text, unless it forbids additional properties.
   */
  readonly schema?: TObject;
  /** Go on past rows that cannot be read (a broken quote, too many cells, a schema mismatch), handing each to this function. */
  readonly onProblem?: OnSourceProblem;
  /** Put the line each row starts on in this field, e.g. to cite it or to name records without an id. */
  readonly lineField?: string;
  /** A longer row is a problem rather than held in memory (an unclosed quote would otherwise swallow the file). Default 64 MiB. */
  readonly maxRowBytes?: number;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * True for a decimal number whose text a number keeps, `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`: no
 * leading zeros, no `+`, no hex, no spaces. A loop over the characters rather than that regex: type
 * inference runs on every cell of every row, and the loop takes about half the time (1.6–2.4× faster).
 */
export function isPlainNumber(s: string): boolean {
  const n = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i >= n) return false;
  if (s.charCodeAt(i) === 48) i++;
  else if (isDigit(s.charCodeAt(i))) while (i < n && isDigit(s.charCodeAt(i))) i++;
  else return false;
  if (i < n && s.charCodeAt(i) === 46) {
    const from = ++i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === from) return false;
  }
  if (i < n && (s.charCodeAt(i) | 32) === 101) {
    i++;
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++;
    const from = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === from) return false;
  }
  return i === n;
}

/** Exact powers of ten, for the decimal fast path. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

function inferred(cell: string): unknown {
  if (cell === '') return null;
  const c = cell.charCodeAt(0);
  const n = cell.length;
  const start = c === 45 ? 1 : 0;
  // Most numeric cells, `-?(0|[1-9]\d*)(\.\d+)?` with at most 15 digits, are read in the pass that checks
  // them: the digits make an exact whole number m, and m / 10^k (both exact doubles) is rounded once by
  // the division, so it is the double nearest the decimal, the same as Number(cell) (strtod's fast path).
  if (n > start && n - start <= 16) {
    let value = 0;
    let point = -1;
    let i = start;
    for (; i < n; i++) {
      const d = cell.charCodeAt(i) - 48;
      if (d >= 0 && d <= 9) value = value * 10 + d;
      else if (d === -2 && point < 0 && i > start) point = i;
      else break;
    }
    const whole = (point < 0 ? n : point) - start;
    if (i === n && point !== n - 1 && (whole === 1 || cell.charCodeAt(start) !== 48) && n - start - (point < 0 ? 0 : 1) <= 15) {
      const v = point < 0 ? value : value / POW10[n - point - 1]!;
      return c === 45 ? -v : v;
    }
  }
  if ((isDigit(c) || c === 45) && isPlainNumber(cell)) {
    const n = Number(cell);
    if (exactNumber(cell, n)) return n;
  }
  return cell;
}

/** True when `n` holds the value `text` wrote: finite, and a whole number written without a point or exponent is a safe integer (12345678901234567890 is not). */
function exactNumber(text: string, n: number): boolean {
  if (!Number.isFinite(n)) return false;
  // Fractions and safe integers answer at once; only a whole number beyond 2^53 needs its text looked at.
  return !Number.isInteger(n) || Number.isSafeInteger(n) || /[.eE]/.test(text);
}

/** Column names as records can hold them: an empty one becomes `column_<n>`, a repeated one `<name>_2`, `<name>_3`, …. */
export function columnNames(raw: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return raw.map((name, k) => {
    let base = name.trim() === '' ? `column_${k + 1}` : name;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    if (count > 1) {
      base = `${base}_${count}`;
      seen.set(base, 1);
    }
    return base;
  });
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE = /^(?:true|1)$/i;
const FALSE = /^(?:false|0)$/i;

/**
 * A cell as the type a schema names: a decimal for number and integer (`" 7"`, `"+7"`, `"007"` and
 * `"7e0"` are 7; `"0x10"` and `"7 kg"` stay text and fail the check), true/false/1/0 for boolean; a
 * union takes the first member the cell converts to. TypeBox's own Value.Convert is not used: it reads
 * `"2.5"` as the integer 2 and `"0x10"` as the number 0, changing data instead of refusing it.
 */
function convertCell(schema: TSchema | undefined, cell: string): unknown {
  if (!schema) return cell;
  if (Array.isArray(schema.anyOf)) {
    for (const member of schema.anyOf as TSchema[]) {
      const value = convertCell(member, cell);
      if (value !== cell || member.type === 'string') return value;
    }
    return cell;
  }
  switch (schema.type) {
    case 'number':
    case 'integer': {
      const text = cell.trim();
      return DECIMAL.test(text) && exactNumber(text, Number(text)) ? Number(text) : cell;
    }
    case 'boolean':
      return TRUE.test(cell.trim()) ? true : FALSE.test(cell.trim()) ? false : cell;
    default:
      return cell;
  }
}

/** How an empty cell of a schema's field is read: null where null is allowed, else absent (fine for an optional field, a problem for a required one). */
function emptyAs(schema: TSchema | undefined): 'null' | 'absent' {
  const allowsNull = (s: TSchema): boolean => s.type === 'null' || (Array.isArray(s.anyOf) && s.anyOf.some(allowsNull));
  return schema && allowsNull(schema) ? 'null' : 'absent';
}

/** A problem waiting in a chunk's output, in its place among the records. */
class PendingProblem {
  constructor(readonly problem: SourceProblem) {}
}

/** Why a row is not a record. */
class RowProblem {
  constructor(
    readonly code: 'INVALID_DATA' | 'INVALID_RECORD',
    readonly message: string,
  ) {}
}

/** The most columns read through a compiled object literal; a wider file takes the general path. */
const MAX_LITERAL_COLUMNS = 512;

/**
 * A function that makes a row's record as one object literal of the header's fields: the object is
 * created with its final shape at once, rather than grown a field at a time (a third of the time of
 * building records). Only for files without a schema and without a `__proto__` column, which an object
 * literal would read as the prototype.
 */
function literalRecord(names: readonly string[], infer: boolean): (cells: string[], quoted: boolean[] | undefined) => DataRecord {
  const value = infer
    ? (cell: string | undefined, quoted: boolean[] | undefined, k: number): unknown => (cell === undefined ? null : quoted !== undefined && quoted[k] === true ? cell : inferred(cell))
    : (cell: string | undefined): unknown => (cell === undefined ? null : cell);
  // The names are JSON string literals (valid JavaScript string literals), so no column name can change the code.
  const fields = names.map((name, k) => `${JSON.stringify(name)}: value(cells[${k}], quoted, ${k})`).join(',\n');
  return new Function('value', `return function record(cells, quoted) {\n return {\n${fields}\n };\n};`)(value) as (cells: string[], quoted: boolean[] | undefined) => DataRecord;
}

/** Builds records from rows: names, inference, short and long rows, the schema. Returns a record or a problem. */
function recordBuilder(names: string[], options: CsvOptions): (row: CsvRow) => DataRecord | RowProblem {
  const infer = options.numbers !== false;
  const schema = options.schema;
  const properties = schema?.properties ?? {};
  const empty = names.map((name) => (schema ? emptyAs(properties[name]) : undefined));
  const unsafe = names.some((n) => n === '__proto__');
  const literal = !schema && !unsafe && names.length <= MAX_LITERAL_COLUMNS ? literalRecord(names, infer) : undefined;
  return (row) => {
    const { cells, quoted } = row;
    if (cells.length > names.length) {
      // Trailing delimiters (`1,2,`) add empty cells; anything else in the extra cells is data with no column.
      for (let k = names.length; k < cells.length; k++) {
        if (cells[k] !== '') return new RowProblem('INVALID_DATA', `line ${row.line} has ${cells.length} cells, but there are ${names.length} columns (${names.join(', ')}). Check the delimiter and the quoting of that row.`);
      }
    }
    if (literal) return literal(cells, quoted);
    const record: DataRecord = {};
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      const cell = cells[k];
      let value: unknown;
      if (schema && name in properties) {
        // A short row's missing cell reads as an empty one.
        if (cell === undefined || (cell === '' && quoted?.[k] !== true)) {
          // A missing value is left out too, so the check names the field as required.
          if (empty[k] !== 'null') continue;
          value = null;
        } else value = convertCell(properties[name], cell);
      } else if (cell === undefined) value = null;
      else value = infer && quoted?.[k] !== true ? inferred(cell) : cell;
      if (unsafe && name === '__proto__') Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
      else record[name] = value;
    }
    if (!schema) return record;
    const mismatch = schemaMismatch(schema, record, 'the cell is empty or missing');
    return mismatch === undefined ? record : new RowProblem('INVALID_RECORD', `line ${row.line}, column ${mismatch}.`);
  };
}

/** Checks the options a CSV reader takes, before anything is read; returns the row limit in characters. */
export function checkCsvOptions(options: CsvOptions): number {
  const delimiter = options.delimiter ?? ',';
  const quote = options.quote ?? '"';
  for (const [param, value] of [['delimiter', delimiter], ['quote', quote]] as const) {
    if (value.length !== 1 || value === '\n' || value === '\r') throw new TributaryError('INVALID_PARAMS', { param, message: `A CSV ${param} is one character other than a line break; got ${JSON.stringify(value)}.` });
  }
  if (delimiter === quote) throw new TributaryError('INVALID_PARAMS', { param: 'quote', message: `The quote and the delimiter are both ${JSON.stringify(quote)}; they must differ.` });
  if (options.header === false && !options.columns?.length) {
    throw new TributaryError('INVALID_PARAMS', { param: 'columns', message: 'A CSV source without a header row needs `columns` naming its columns in order.' });
  }
  checkEncoding(options.encoding ?? 'auto');
  const maxRowChars = options.maxRowBytes ?? MAX_LINE_BYTES;
  if (!(Number.isInteger(maxRowChars) && maxRowChars >= 1)) throw new TributaryError('INVALID_PARAMS', { param: 'maxRowBytes', message: `maxRowBytes must be a whole number ≥ 1, got ${String(options.maxRowBytes)}.` });
  return maxRowChars;
}

/** The column names a file's header (or `columns`) gives, checked against `lineField`. */
export function csvColumns(name: string, header: readonly string[], options: CsvOptions): string[] {
  const names = columnNames(options.columns?.length ? options.columns : header);
  if (options.lineField !== undefined && names.includes(options.lineField)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'lineField', message: `${name} has a column '${options.lineField}', which lineField would overwrite; give lineField another name.` });
  }
  return names;
}

/**
 * CSV text to records, synchronously, a piece of text at a time: the header (unless `names` are given),
 * then each row as a record or, in its place, a problem. `take()` hands on what the text so far completed.
 * csvRows streams a file through one; a part of a file read elsewhere (a worker) goes through another,
 * starting at its own first line, with the names from the file's header.
 */
export class CsvRecordReader {
  private readonly pending: Array<DataRecord | PendingProblem> = [];
  private readonly tokenizer: CsvTokenizer;
  private build: ((row: CsvRow) => DataRecord | RowProblem) | undefined;
  private names: string[] | undefined;

  constructor(
    name: string,
    private readonly options: CsvOptions,
    from: { readonly names?: readonly string[]; readonly firstLine?: number } = {},
  ) {
    const maxRowChars = checkCsvOptions(options);
    const delimiter = options.delimiter ?? ',';
    if (from.names) this.start([...from.names]);
    // Checked as a header's names are: lineField must not overwrite one of the columns.
    else if (options.header === false) this.start(csvColumns(name, options.columns!, options));
    this.tokenizer = new CsvTokenizer(
      { delimiter, quote: options.quote ?? '"', maxRowChars, ...(from.firstLine === undefined ? {} : { firstLine: from.firstLine }) },
      (row) => {
        if (!this.build) {
          this.start(csvColumns(name, row.cells, options));
          return;
        }
        const record = this.build(row);
        if (record instanceof RowProblem) {
          this.problem({ code: record.code, source: name, line: row.line, message: `${name}, ${record.message}`, raw: row.cells.join(delimiter).slice(0, 200) });
          return;
        }
        if (options.lineField !== undefined) record[options.lineField] = row.line;
        this.pending.push(record);
      },
      (p) => {
        // Without its header the rest of the file cannot be read right: a broken header row stops the read.
        if (!this.build) throw new TributaryError('INVALID_DATA', { message: `${name}, the header row: ${p.message.replace(/ The row is left out.*$/, '')} Fix the header's quoting.`, details: { source: name, line: p.line } });
        this.problem({ code: 'INVALID_DATA', source: name, line: p.line, message: `${name}, ${p.message}`, raw: p.raw });
      },
    );
  }

  /** The column names, once the header is read. */
  get columns(): readonly string[] | undefined {
    return this.names;
  }

  private start(names: string[]): void {
    this.names = names;
    this.build = recordBuilder(names, this.options);
  }

  private problem(p: SourceProblem): void {
    this.pending.push(new PendingProblem(p));
  }

  write(text: string): void {
    this.tokenizer.write(text);
  }

  end(): void {
    this.tokenizer.end();
  }

  /** What the text so far completed: the records in file order, and the rows that were problems. */
  take(): { records: DataRecord[]; problems: SourceProblem[] } {
    const records: DataRecord[] = [];
    const problems: SourceProblem[] = [];
    for (const item of this.pending) {
      if (item instanceof PendingProblem) problems.push(item.problem);
      else records.push(item);
    }
    this.pending.length = 0;
    return { records, problems };
  }

  /**
   * The records the text so far completed, an array at a time; a problem among them is raised (or
   * handed to `onProblem`) in its place.
   */
  *drain(): Generator<DataRecord[]> {
    let records: DataRecord[] = [];
    for (const item of this.pending) {
      if (!(item instanceof PendingProblem)) {
        records.push(item);
        continue;
      }
      if (records.length > 0) yield records;
      records = [];
      sourceProblem(item.problem, this.options.onProblem);
    }
    this.pending.length = 0;
    if (records.length > 0) yield records;
  }
}

/**
 * Records from a CSV file (or stream), streamed: header, quoting, CRLF/LF/CR row ends (mixed too),
 * quoted line breaks, a byte-order mark, UTF-16 and legacy encodings, short rows (their missing cells
 * null), type inference or a schema. Rows that cannot be read are problems: they stop the read with
 * their line, or, with `onProblem`, are handed to it and left out.
 */
export function csvRows(source: TextSource, options: CsvOptions = {}): Dataset<DataRecord> {
  const name = sourceName(source);
  checkCsvOptions(options);
  return Dataset.fromChunks(async function* () {
    if (typeof source === 'string') await checkFile(source);
    const decoder = createDecoder(options.encoding ?? 'auto', name);
    const reader = new CsvRecordReader(name, options);
    const stream = typeof source === 'string' ? fs.createReadStream(source, { highWaterMark: 256 * 1024 }) : source.open();
    let first = true;
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      // A stream of text, already decoded, may still start with a byte-order mark.
      if (first && typeof chunk === 'string' && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length > 0) first = false;
      reader.write(text);
      yield* reader.drain();
    }
    reader.write(decoder.end());
    reader.end();
    yield* reader.drain();
  });
}
