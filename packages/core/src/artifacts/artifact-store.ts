import crypto from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
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
 * Why a model may not be saved as `dir`, or undefined when it may: only a new path, an empty folder
 * or an earlier model (a folder with a manifest) may be written, never the current, home or root
 * folder. Checked again, atomically enough, by the save itself; exported so tools can check a
 * target before a long fit rather than after it.
 */
export function saveTargetProblem(dir: string): string | undefined {
  if (typeof dir !== 'string' || dir.trim() === '') return 'no folder was given to save the model to';
  const target = path.resolve(dir);
  if (target === path.dirname(target) || target === path.resolve(process.cwd()) || target === path.resolve(os.homedir())) {
    return `${target} is the current, home or root folder, which saving would replace; name a folder of its own, e.g. ${path.join(target, 'model')}`;
  }
  let stat: fsSync.Stats | undefined;
  try {
    stat = fsSync.lstatSync(target);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) return `${target} is a file (not a folder); choose another path or remove it`;
  const entries = fsSync.readdirSync(target);
  if (entries.length > 0 && !entries.includes('tributary.json')) {
    return `${target} holds other files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}) and no tributary.json, so it is not an earlier model that may be replaced; choose an empty or new folder`;
  }
  return undefined;
}

/**
 * The file-system store. Writes go to a temporary sibling directory that is renamed into place, so a
 * crash never leaves a half-written artifact where a model is expected; a previous artifact at the
 * same path is replaced only once the new one is complete.
 */
export class FileArtifactStore implements ArtifactStore {
  async writeDirectory(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    if (typeof dir !== 'string' || dir.trim() === '') {
      throw new TributaryError('INVALID_PARAMS', { param: 'dir', message: 'save() needs the path of the folder to write the model to, e.g. save("artifacts/my-model").' });
    }
    const target = path.resolve(dir);
    const parent = path.dirname(target);
    const problem = saveTargetProblem(target);
    if (problem) throw new TributaryError('ARTIFACT_UNSAFE_PATH', { message: `Refusing to save a model there: ${problem}.` });
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
      throw new TributaryError('ARTIFACT_CORRUPT', {
        message: `The artifact at ${dir} is missing '${relative}' or cannot reach it (${error.code}). Re-save the model, or restore the whole directory.`,
        cause: error,
      });
    });
    if (!realFile.startsWith(realRoot + path.sep)) {
      throw new TributaryError('ARTIFACT_UNSAFE_PATH', {
        message: `'${relative}' in the artifact at ${dir} is a link to a file outside the artifact. Refusing to read it.`,
        details: { path: relative },
      });
    }
    // A FIFO would block the read forever and a directory cannot be read: only regular files are state.
    const stat = await fs.stat(realFile);
    if (!stat.isFile()) {
      throw new TributaryError('ARTIFACT_CORRUPT', { message: `'${relative}' in the artifact at ${dir} is not a regular file. Re-save the model.` });
    }
    return new Uint8Array(await fs.readFile(realFile));
  }
}
