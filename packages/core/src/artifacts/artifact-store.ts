import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TributaryError } from '../errors/tributary-error.js';
import { resolveInside } from './safe-path.js';

/** Where saved models live. The default writes directories on the local file system. */
export interface ArtifactStore {
  /** Writes `files` (relative path → bytes) as the directory `dir`, all or nothing. */
  writeDirectory(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void>;
  /** Reads one file of an artifact; refuses paths that leave it. */
  readFile(dir: string, relative: string): Promise<Uint8Array>;
}

/**
 * The file-system store. Writes go to a temporary sibling directory that is renamed into place, so a
 * crash never leaves a half-written artifact where a model is expected; a previous artifact at the
 * same path is replaced only once the new one is complete.
 */
export class FileArtifactStore implements ArtifactStore {
  async writeDirectory(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const target = path.resolve(dir);
    const parent = path.dirname(target);
    await fs.mkdir(parent, { recursive: true });
    const suffix = crypto.randomBytes(4).toString('hex');
    const temp = `${target}.tmp-${suffix}`;
    await fs.mkdir(temp);
    try {
      for (const [relative, bytes] of files) {
        const file = resolveInside(temp, relative);
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, bytes);
      }
      const previous = `${target}.old-${suffix}`;
      const hadPrevious = await fs.rename(target, previous).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false;
          throw error;
        },
      );
      await fs.rename(temp, target);
      if (hadPrevious) await fs.rm(previous, { recursive: true, force: true });
    } catch (error) {
      await fs.rm(temp, { recursive: true, force: true });
      throw error;
    }
  }

  async readFile(dir: string, relative: string): Promise<Uint8Array> {
    const file = resolveInside(dir, relative);
    // A symbolic link inside the artifact could still point outside it: compare real paths.
    const [realRoot, realFile] = await Promise.all([fs.realpath(dir), fs.realpath(file)]).catch((error: NodeJS.ErrnoException) => {
      throw new TributaryError(error.code === 'ENOENT' ? 'ARTIFACT_CORRUPT' : 'ARTIFACT_NOT_FOUND', {
        message: `The artifact at ${dir} is missing '${relative}' (${error.code}). Re-save the model, or restore the whole directory.`,
        cause: error,
      });
    });
    if (!realFile.startsWith(realRoot + path.sep)) {
      throw new TributaryError('ARTIFACT_UNSAFE_PATH', {
        message: `'${relative}' in the artifact at ${dir} is a link to a file outside the artifact. Refusing to read it.`,
        details: { path: relative },
      });
    }
    return new Uint8Array(await fs.readFile(realFile));
  }
}
