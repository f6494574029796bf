import fs from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { Dataset } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { DataRecord } from '../record/record.js';
import { type OnSourceProblem, sourceProblem } from './text-sources.js';

/** How a file source labels its records from the first folder of each file's path. */
export type FolderLabels = 'folder' | Readonly<Record<string, string | number | boolean>>;

export interface FileSourceOptions {
  /** The folder to read. */
  readonly dir: string;
  /** Glob patterns, relative to `dir`, of the files to read. Default every file (`**\/*`), hidden ones excepted. */
  readonly include?: string | readonly string[];
  /** Glob patterns of files to leave out. */
  readonly exclude?: string | readonly string[];
  /** What each record carries of its file: the bytes (default), the text (UTF-8), or nothing (the path only). */
  readonly content?: 'bytes' | 'text' | 'none';
  /** The field the content goes to. Default `raw`. */
  readonly field?: string;
  /**
   * A `label` from the first folder of the file's path: `'folder'` takes the folder's name; an object maps
   * glob patterns of folder names to labels, the first that matches winning (`{ 'spam*': 1, '*': 0 }`).
   */
  readonly label?: FolderLabels;
  /** Keep about this many files, spread evenly over the sorted list (a quick run on a sample of the same shape). */
  readonly limit?: number;
  /** Put before every id, to keep the ids of several folders apart (`boats/` gives `boats/image`). */
  readonly idPrefix?: string;
  /** Go on past files that cannot be read (permissions, removed meanwhile), handing each to this function. */
  readonly onProblem?: OnSourceProblem;
}

/** A file of a file source: id (its path relative to the folder, without the extension), path, size and mtime. */
export interface FileEntry {
  readonly id: string;
  readonly path: string;
  readonly size: number;
  readonly mtime: string;
}

const list = (value: string | readonly string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? [value] : [...value];

function labeller(label: FolderLabels | undefined, dir: string): ((relative: string) => unknown) | undefined {
  if (label === undefined) return undefined;
  const folderOf = (relative: string) => {
    const parts = relative.split('/');
    if (parts.length < 2) {
      throw new TributaryError('INVALID_DATA', {
        message: `File '${relative}' sits directly in ${dir}, so it has no folder to take its label from. Put each class in its own folder, or leave out 'label'.`,
      });
    }
    return parts[0]!;
  };
  if (label === 'folder') return folderOf;
  const rules = Object.entries(label).map(([pattern, value]) => [picomatch(pattern, { dot: true }), value] as const);
  return (relative) => {
    const folder = folderOf(relative);
    for (const [matches, value] of rules) if (matches(folder)) return value;
    throw new TributaryError('INVALID_DATA', {
      message: `Folder '${folder}' (of ${relative}) matches none of the label patterns ${Object.keys(label).join(', ')}. Add a pattern for it (a last '*' catches the rest), or exclude its files.`,
    });
  };
}

/** Lists the files of a file source, sorted by relative path, checking the folder exists. */
export async function listFiles(options: FileSourceOptions): Promise<Array<{ relative: string; absolute: string }>> {
  const dir = path.resolve(options.dir);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new TributaryError('SOURCE_NOT_FOUND', {
      message: `The folder ${dir} does not exist${stat ? ' (it is a file)' : ''}. Check the path; a relative path is taken from where the command was run (or from the spec file).`,
      details: { path: dir },
    });
  }
  const found = await glob(list(options.include) ?? ['**/*'], { cwd: dir, ignore: list(options.exclude) ?? [], onlyFiles: true, dot: false, expandDirectories: false });
  // Code-unit order, so the order (and every seeded split of it) is the same on every machine.
  const relative = found.map((f) => f.split(path.sep).join('/')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const limited = options.limit !== undefined && options.limit < relative.length ? spread(relative, options.limit) : relative;
  return limited.map((r) => ({ relative: r, absolute: path.join(dir, r) }));
}

/** `count` items spread evenly over `items` (index ⌊i·n/count⌋). */
function spread<T>(items: readonly T[], count: number): T[] {
  const stride = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * stride)]!);
}

function checkOptions(options: FileSourceOptions): void {
  if (typeof options?.dir !== 'string' || options.dir === '') {
    throw new TributaryError('INVALID_PARAMS', { param: 'dir', message: "files({ dir }) needs the folder to read, e.g. files({ dir: 'data/emails' })." });
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'limit', message: `files({ limit }) takes a whole number above 0, got ${String(options.limit)}.` });
  }
  if (options.content !== undefined && !['bytes', 'text', 'none'].includes(options.content)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'content', message: `files({ content }) is 'bytes', 'text' or 'none', got ${String(options.content)}.` });
  }
}

/**
 * The files of a folder as records, read lazily one at a time as the dataset is iterated:
 * `{ id, path, size, mtime, raw, label? }`. Re-iterable: every pass lists the folder again.
 */
export function files(options: FileSourceOptions): Dataset<DataRecord> {
  checkOptions(options);
  const content = options.content ?? 'bytes';
  const field = options.field ?? 'raw';
  const labelOf = labeller(options.label, options.dir);
  return Dataset.from(async function* () {
    for (const { relative, absolute } of await listFiles(options)) {
      const label = labelOf?.(relative);
      const id = `${options.idPrefix ?? ''}${relative.slice(0, relative.length - path.posix.extname(relative).length)}`;
      let record: Record<string, unknown>;
      try {
        const stat = await fs.stat(absolute);
        record = { id, path: absolute, size: stat.size, mtime: stat.mtime.toISOString() };
        if (content === 'none') await fs.access(absolute, fs.constants.R_OK);
        else record[field] = content === 'text' ? await fs.readFile(absolute, 'utf8') : await fs.readFile(absolute);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        sourceProblem({ code: 'SOURCE_UNREADABLE', source: absolute, id, message: `The file ${absolute} cannot be read (${code}). Check its permissions, or exclude it.` }, options.onProblem, error);
        continue;
      }
      if (labelOf) record.label = label;
      yield record as DataRecord;
    }
  });
}
