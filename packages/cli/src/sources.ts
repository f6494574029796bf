import fs from 'node:fs';
import path from 'node:path';
import { type DataRecord, Dataset, type NextPage, type OnSourceProblem, csvRows, files, httpJson, jsonLines } from '@tributary/core';
import { importFromProject, packageDir } from './project.js';
import { UsageError } from './errors.js';
import type { PathRefValue, SourceSpecValue } from './spec/schema.js';

/** A spec path made absolute: relative to the spec's folder, or inside an installed package. */
export function resolvePathRef(ref: PathRefValue, from: string): string {
  if (typeof ref === 'string') return path.resolve(from, ref);
  const dir = packageDir(ref.package, from);
  if (!dir) throw new UsageError(`The data package ${ref.package} is not installed in ${from} (or any folder above it). Install it: npm install ${ref.package}`);
  return path.join(dir, ref.path ?? '');
}

/** The problem with a source's file or folder, or undefined when it is there. */
export function sourceProblem(source: SourceSpecValue, from: string): string | undefined {
  if (source.type === 'concat') {
    const problems = source.sources.map((s, i) => [i, sourceProblem(s, from)] as const).filter(([, p]) => p);
    return problems.map(([i, p]) => `sources.${i}: ${p}`).join('; ') || undefined;
  }
  if (source.type === 'http') return /^https?:\/\//i.test(source.url) ? undefined : `url ${JSON.stringify(source.url)} is not an http(s) URL.`;
  if (source.type === 'sql') {
    for (const [name, ref] of Object.entries(source.paths ?? {})) {
      let target: string;
      try {
        target = resolvePathRef(ref, from);
      } catch (error) {
        return `paths.${name}: ${(error as Error).message}`;
      }
      if (!fs.existsSync(target)) return `paths.${name}: ${target} does not exist; check the path (relative paths are taken from the spec's folder).`;
    }
    return undefined;
  }
  let target: string;
  try {
    target = resolvePathRef(source.type === 'files' ? source.dir : source.path, from);
  } catch (error) {
    return (error as Error).message;
  }
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  const wantDir = source.type === 'files';
  if (!stat) return `${wantDir ? 'folder' : 'file'} ${target} does not exist; check the path (relative paths are taken from the spec's folder).`;
  if (wantDir && !stat.isDirectory()) return `${target} is a file; a files source reads a folder.`;
  if (!wantDir && !stat.isFile()) return `${target} is a folder; a ${source.type} source reads one file (use type: files for a folder).`;
  try {
    fs.accessSync(target, fs.constants.R_OK | (wantDir ? fs.constants.X_OK : 0));
  } catch (error) {
    return `${target} cannot be read (${(error as NodeJS.ErrnoException).code}); check its permissions.`;
  }
  return undefined;
}

type SqlValue = string | number | boolean | null;

/** The first `limit` records of a streamed source (its length is not known up front). */
function limited(data: Dataset<DataRecord>, limit: number | undefined): Dataset<DataRecord> {
  return limit === undefined ? data : data.take(limit);
}

/**
 * A spec's source as a Dataset. With `onProblem`, lines, rows and files that cannot be read are handed
 * to it and skipped; without, the first one stops the run with its file and line.
 */
export function openSource(source: SourceSpecValue, from: string, onProblem?: OnSourceProblem): Dataset<DataRecord> {
  const tolerant = onProblem ? { onProblem } : {};
  switch (source.type) {
    case 'files': {
      const { type: _type, dir, ...options } = source;
      return files({ ...options, ...tolerant, dir: resolvePathRef(dir, from) });
    }
    case 'jsonl':
      return limited(jsonLines(resolvePathRef(source.path, from), tolerant), source.limit);
    case 'csv': {
      const { type: _type, path: file, limit, ...options } = source;
      return limited(csvRows(resolvePathRef(file, from), { ...options, ...tolerant }), limit);
    }
    case 'http': {
      const { type: _type, url, limit, next, ...options } = source;
      const paging: NextPage = next === undefined || next === 'link' ? { link: true } : next;
      return limited(httpJson(url, { ...options, next: paging, ...tolerant }), limit);
    }
    case 'sql': {
      const params: Record<string, SqlValue> = { ...source.params };
      for (const [name, ref] of Object.entries(source.paths ?? {})) params[name] = resolvePathRef(ref, from);
      // DuckDB comes from the project, like the spec's plugins.
      const rows = Dataset.fromChunks(async function* () {
        const { sql } = (await importFromProject('@tributary/plugin-duckdb', from, 'A sql source')) as { sql: (query: string, options: { params: Record<string, SqlValue> }) => Dataset<DataRecord> };
        yield* sql(source.query, { params }).chunks();
      });
      return limited(rows, source.limit);
    }
    case 'concat':
      return source.sources.map((s) => openSource(s, from, onProblem)).reduce((a, b) => a.concat(b));
  }
}

/** A source named on the command line by its path: a folder of files, a .jsonl/.ndjson or a .csv file. */
export function sourceForPath(target: string, alsoSpecs = false): SourceSpecValue {
  const accepted = `a folder of files, a .jsonl/.ndjson file or a .csv file${alsoSpecs ? ', or a pipeline spec (.yaml/.json) whose source to use' : ''}`;
  if (target === '') throw new UsageError(`An empty path was given for the data. Give ${accepted}.`);
  const absolute = path.resolve(target);
  const stat = fs.statSync(absolute, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`${target} does not exist. Give ${accepted}.`);
  try {
    fs.accessSync(absolute, fs.constants.R_OK);
  } catch (error) {
    throw new UsageError(`${target} cannot be read (${(error as NodeJS.ErrnoException).code}); check its permissions.`);
  }
  if (stat.isDirectory()) return { type: 'files', dir: absolute };
  if (/\.(jsonl|ndjson)$/i.test(absolute)) return { type: 'jsonl', path: absolute };
  if (/\.csv$/i.test(absolute)) return { type: 'csv', path: absolute };
  throw new UsageError(`${target}: unknown data format. Give ${accepted}.`);
}
