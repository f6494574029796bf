import type { DuckDBDataChunk, DuckDBValueConverter, JS } from '@duckdb/node-api';
import { type DataRecord, Dataset, TributaryError } from '@tributary/core';

type DuckDB = typeof import('@duckdb/node-api');
let loading: Promise<DuckDB> | undefined;
/** DuckDB's native library is loaded on first use, so importing the plugin stays cheap. */
export const loadDuckDB = (): Promise<DuckDB> => (loading ??= import('@duckdb/node-api'));

/** A value bound to a `$name` (or `?`) parameter of a query. */
export type SqlValue = string | number | boolean | bigint | null;

export interface SqlOptions {
  /**
   * Values for the query's parameters: an object for `$name` placeholders, an array for `?`. They are
   * bound by DuckDB, never pasted into the SQL, so a value can hold quotes or SQL without changing the
   * query. File paths can be parameters too: `read_parquet($file)`.
   */
  readonly params?: Readonly<Record<string, SqlValue>> | readonly SqlValue[];
  /** A database file to open (read-only), or `:memory:` (default) for queries over files. */
  readonly database?: string;
  /**
   * 64-bit integers (DuckDB's BIGINT, and what it infers for whole-number columns) as JavaScript numbers
   * where they fit exactly (default `number`: ±2^53), or always as `bigint`. One that does not fit stays a
   * bigint, so no value is silently rounded.
   */
  readonly integers?: 'number' | 'bigint';
  /** DuckDB threads for the query; default DuckDB's own (one per core). */
  readonly threads?: number;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A safe bigint as a number, inside lists and structs too; anything else as it is. */
function toNumber(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= SAFE && value >= -SAFE ? Number(value) : value;
  if (Array.isArray(value)) return value.map(toNumber);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key in value) out[key] = toNumber((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** A column's values with safe bigints as numbers (in lists and structs too); the same array, changed in place. */
function columnToNumbers(values: unknown[]): unknown[] {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'bigint' || (typeof value === 'object' && value !== null && !(value instanceof Date))) values[i] = toNumber(value);
  }
  return values;
}

/**
 * The records of one chunk, converted a column at a time: each column's vector is read in one pass and
 * its type looked at once, rather than value by value along each row (about 30% less time than the
 * client's row objects). Field names are the client's de-duplicated column names (`a`, `a:1`).
 */
function chunkRecords(chunk: DuckDBDataChunk, names: readonly string[], converter: DuckDBValueConverter<JS>, bigints: boolean): DataRecord[] {
  const columns = chunk.convertColumns(converter) as unknown[][];
  if (!bigints) for (const column of columns) columnToNumbers(column);
  const rows = chunk.rowCount;
  const records: DataRecord[] = new Array(rows);
  // A column named `__proto__` is an ordinary field, not the record's prototype.
  const unsafe = names.includes('__proto__');
  for (let i = 0; i < rows; i++) {
    const record: DataRecord = {};
    for (let k = 0; k < names.length; k++) {
      if (unsafe && names[k] === '__proto__') Object.defineProperty(record, '__proto__', { value: columns[k]![i], enumerable: true, writable: true, configurable: true });
      else record[names[k]!] = columns[k]![i];
    }
    records[i] = record;
  }
  return records;
}

/** Says what is wrong with a query: DuckDB's message (which names the line and the object), and what to check. */
export function sqlError(error: unknown, what: string): TributaryError {
  const message = error instanceof Error ? error.message : String(error);
  const code = /No files found|does not exist|Cannot open file|IO Error/i.test(message) ? 'SOURCE_NOT_FOUND' : /Parser Error|Binder Error|Catalog Error/i.test(message) ? 'INVALID_PARAMS' : 'INVALID_DATA';
  return new TributaryError(code, { message: `${what} failed: ${message}`, cause: error });
}

/** Checks a query and its options before anything runs. */
export function checkQuery(caller: string, query: unknown, options: Pick<SqlOptions, 'threads'>): void {
  if (typeof query !== 'string' || query.trim() === '') {
    throw new TributaryError('INVALID_PARAMS', { param: 'query', message: `${caller}() needs the query text, e.g. "SELECT * FROM read_parquet($file)".` });
  }
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'threads', message: `threads must be a whole number ≥ 1, got ${options.threads}.` });
  }
}

/** An in-memory database for queries over files, or the named database read-only, with its threads. */
export async function openDatabase(options: Pick<SqlOptions, 'database' | 'threads'>) {
  const { DuckDBInstance } = await loadDuckDB();
  const config: Record<string, string> = {};
  if (options.threads) config.threads = String(options.threads);
  if (options.database && options.database !== ':memory:') config.access_mode = 'READ_ONLY';
  let instance;
  try {
    instance = await DuckDBInstance.create(options.database ?? ':memory:', config);
  } catch (error) {
    throw sqlError(error, `Opening the database ${options.database}`);
  }
  return { instance, connection: await instance.connect() };
}

/**
 * The rows of a SQL query as a Dataset, streamed in DuckDB's chunks of 2,048 rows (bounded memory for
 * any result size), re-run on every pass. Query CSV, JSON Lines and Parquet files directly
 * (`FROM read_csv($file)`, `read_json`, `read_parquet`, or `FROM 'data/*.parquet'`) to join, filter or
 * aggregate before the pipeline. Column names become fields; DuckDB's types become numbers, strings,
 * booleans, Dates, and arrays or objects for lists and structs.
 *
 * @example
 * sql('SELECT * FROM read_csv($file) WHERE station = $station', { params: { file: 'readings.csv', station: 'n1' } })
 */
export function sql(query: string, options: SqlOptions = {}): Dataset<DataRecord> {
  checkQuery('sql', query, options);
  return Dataset.fromChunks(async function* () {
    const { JSDuckDBValueConverter } = await loadDuckDB();
    const { instance, connection } = await openDatabase(options);
    try {
      let result;
      try {
        result = await connection.stream(query, options.params as never);
      } catch (error) {
        throw sqlError(error, 'The query');
      }
      const names = result.deduplicatedColumnNames();
      // The next chunk is fetched (on DuckDB's threads) while this one is converted and used.
      let next: Promise<DuckDBDataChunk | null> | undefined = result.fetchChunk();
      try {
        for (;;) {
          let chunk;
          try {
            chunk = await next;
          } catch (error) {
            throw sqlError(error, 'Reading the query result');
          } finally {
            next = undefined;
          }
          if (!chunk || chunk.rowCount === 0) break;
          next = result.fetchChunk();
          yield chunkRecords(chunk, names, JSDuckDBValueConverter, options.integers === 'bigint');
        }
      } finally {
        // A reader that stops early leaves a fetch under way: it ends before the connection closes.
        await next?.catch(() => undefined);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
}
