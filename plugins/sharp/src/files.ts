import fs from 'node:fs/promises';
import path from 'node:path';
import { Dataset, TributaryError } from '@tributary/core';

/** The extensions of the formats sharp decodes. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.svg', '.jp2', '.jxl'] as const;

export interface ImageFilesOptions {
  /** Look into subfolders (default true). */
  readonly recursive?: boolean;
  /** Which files count as images, by extension (case-insensitive). */
  readonly extensions?: readonly string[];
  /** Folders not to look into, e.g. an output folder inside the input folder. */
  readonly exclude?: readonly string[];
}

/** A record naming one image file: `id` is its path relative to the folder without the extension. */
export interface ImageFileRecord {
  id: string;
  path: string;
}

async function* walk(root: string, dir: string, recursive: boolean, extensions: Set<string>, exclude: Set<string>): AsyncGenerator<ImageFileRecord> {
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive && !exclude.has(full)) yield* walk(root, full, recursive, extensions, exclude);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && extensions.has(path.extname(entry.name).toLowerCase())) {
      const relative = path.relative(root, full).split(path.sep).join('/');
      yield { id: relative.slice(0, relative.length - path.extname(relative).length), path: full };
    }
  }
}

/**
 * The image files of a folder as a Dataset of `{ id, path }`, in name order, read lazily: a
 * folder of any size streams through `decodeImage` with memory bounded by the batch size.
 */
export function imageFiles(dir: string, options: ImageFilesOptions = {}): Dataset<ImageFileRecord> {
  const extensions = new Set((options.extensions ?? IMAGE_EXTENSIONS).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
  const recursive = options.recursive ?? true;
  const exclude = new Set((options.exclude ?? []).map((d) => path.resolve(d)));
  return Dataset.from(() =>
    (async function* () {
      const root = path.resolve(dir);
      try {
        const stat = await fs.stat(root);
        if (!stat.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      } catch (error) {
        throw new TributaryError('INVALID_PARAMS', {
          param: 'dir',
          message: `Cannot list images in ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)}). Give a folder that exists.`,
          cause: error,
        });
      }
      yield* walk(root, root, recursive, extensions, exclude);
    })(),
  );
}
