import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DataRecord, Dataset, type DatasetSource, type SinkResult, TributaryError } from '@tributary/core';
import { loadDuckDB, sqlError } from './sql.js';

export interface WriteTableOptions {
  /** Default: from the file's extension (`.parquet`, `.csv`). */
  readonly format?: 'parquet' | 'csv';
  /** Parquet compression; default `zstd`. */
  readonly compression?: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
}

type ColumnType = 'DOUBLE' | 'BIGINT' | 'BOOLEAN' | 'VARCHAR' | 'TIMESTAMP' | 'BLOB' | 'JSON';

/** The column type a value asks for; JSON for lists and objects (kept as JSON text). */
function typeOf(value: unknown): ColumnType | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return 'DOUBLE';
  if (typeof value === 'bigint') return 'BIGINT';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'string') return 'VARCHAR';
  if (value instanceof Date) return 'TIMESTAMP';
  if (value instanceof Uint8Array) return 'BLOB';
  return 'JSON';
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Columns and their types, from the first chunk: the first value that is not null decides; a column of nulls is text. */
function columnsOf(chunk: readonly DataRecord[]): Array<[string, ColumnType]> {
  const types = new Map<string, ColumnType | undefined>();
  for (const record of chunk) {
    for (const key in record) {
      if (types.get(key) === undefined) types.set(key, typeOf(record[key]));
    }
  }
  return [...types].map(([name, type]) => [name, type ?? 'VARCHAR']);
}

/**
 * Writes records to a Parquet (or CSV) file through DuckDB: the columns and their types come from the
 * first chunk of records (numbers DOUBLE, bigints BIGINT, booleans, text, Dates TIMESTAMP, bytes BLOB,
 * lists and objects as JSON text). The rows are appended to a table in a temporary database on disk, so
 * memory stays bounded for any size, then copied to the file, which appears only once complete. A record
 * whose value does not fit its column's type, or with a field the first chunk did not have, is an
 * INVALID_DATA error naming the record and the field; nothing is dropped or coerced silently.
 */
export async function writeTable(data: DatasetSource<DataRecord> | Dataset<DataRecord>, file: string, options: WriteTableOptions = {}): Promise<SinkResult> {
  const target = path.resolve(file);
  const format = options.format ?? (/\.csv$/i.test(target) ? 'csv' : /\.parquet$/i.test(target) ? 'parquet' : undefined);
  if (!format) throw new TributaryError('INVALID_PARAMS', { param: 'format', message: `Cannot tell the format of ${target} from its extension; name it .parquet or .csv, or pass format.` });
  const { DuckDBInstance, timestampValue } = await loadDuckDB();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-duckdb-'));
  const instance = await DuckDBInstance.create(path.join(scratch, 'write.duckdb'));
  const connection = await instance.connect();
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.partial`);
  try {
    let columns: Array<[string, ColumnType]> | undefined;
    let index: Map<string, number> | undefined;
    let appender: Awaited<ReturnType<typeof connection.createAppender>> | undefined;
    let records = 0;
    for await (const chunk of Dataset.from(data).chunks()) {
      if (chunk.length === 0) continue;
      if (!columns) {
        columns = columnsOf(chunk);
        // DuckDB's column names are case-insensitive and cannot be empty: say so rather than fail in SQL.
        const seen = new Map<string, string>();
        for (const [name] of columns) {
          if (name === '') throw new TributaryError('INVALID_DATA', { message: 'A record has a field with an empty name, which a Parquet or CSV column cannot have. Rename it first.' });
          const clash = seen.get(name.toLowerCase());
          if (clash !== undefined) throw new TributaryError('INVALID_DATA', { message: `The fields '${clash}' and '${name}' differ only in case, which DuckDB's columns cannot tell apart. Rename one first.` });
          seen.set(name.toLowerCase(), name);
        }
        index = new Map(columns.map(([name], i) => [name, i]));
        const ddl = columns.map(([name, type]) => `${quoteIdentifier(name)} ${type === 'JSON' ? 'VARCHAR' : type}`).join(', ');
        await connection.run(`CREATE TABLE records (${ddl})`);
        appender = await connection.createAppender('records');
      }
      for (const record of chunk) {
        for (const key in record) {
          if (!index!.has(key)) throw new TributaryError('INVALID_DATA', { message: `Record #${records} has the field '${key}', which the first records did not have (columns: ${columns.map(([n]) => n).join(', ')}). Give every record the same fields (null where a value is missing).` });
        }
        for (const [name, type] of columns) {
          const value = record[name];
          const actual = typeOf(value);
          if (actual === undefined) {
            appender!.appendNull();
            continue;
          }
          // A bigint fits a DOUBLE column only when it is exact there.
          const exactBigint = actual === 'BIGINT' && type === 'DOUBLE' && Number.isSafeInteger(Number(value));
          if (actual !== type && !exactBigint) {
            throw new TributaryError('INVALID_DATA', { message: `Record #${records}: field '${name}' holds ${actual === 'JSON' ? 'a list or object' : `a ${actual.toLowerCase()}`}, but its column is ${type} (from the first records). Give the field one type throughout, or convert it first.` });
          }
          switch (type) {
            case 'DOUBLE':
              appender!.appendDouble(Number(value));
              break;
            case 'BIGINT':
              appender!.appendBigInt(value as bigint);
              break;
            case 'BOOLEAN':
              appender!.appendBoolean(value as boolean);
              break;
            case 'VARCHAR':
              appender!.appendVarchar(value as string);
              break;
            case 'TIMESTAMP': {
              const ms = (value as Date).getTime();
              if (!Number.isFinite(ms)) throw new TributaryError('INVALID_DATA', { message: `Record #${records}: field '${name}' holds an invalid Date. Fix or drop it first.` });
              appender!.appendTimestamp(timestampValue(BigInt(ms) * 1000n));
              break;
            }
            case 'BLOB':
              appender!.appendBlob(value as Uint8Array);
              break;
            case 'JSON':
              appender!.appendVarchar(JSON.stringify(value));
              break;
          }
        }
        appender!.endRow();
        records++;
      }
      appender!.flushSync();
    }
    appender?.closeSync();
    if (!columns) await connection.run('CREATE TABLE records (empty VARCHAR)');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const copyOptions = format === 'parquet' ? `FORMAT parquet, COMPRESSION ${(options.compression ?? 'zstd').toUpperCase()}` : 'FORMAT csv, HEADER true';
    try {
      await connection.run(`COPY records TO ${quoteLiteral(partial)} (${copyOptions})`);
    } catch (error) {
      throw sqlError(error, `Writing ${target}`);
    }
    fs.renameSync(partial, target);
    return { path: target, records, bytes: fs.statSync(target).size };
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  } finally {
    connection.closeSync();
    instance.closeSync();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
