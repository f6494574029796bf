import { TributaryError } from '../errors/tributary-error.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { resolveInside } from '../artifacts/safe-path.js';
import { type Random, randomFrom } from '../random/random.js';
import type { Logger } from '../services/logger.js';

/** A logger that keeps every entry, for assertions. */
export function recordingLogger(): Logger & { readonly entries: Array<{ level: string; message: string; fields?: Record<string, unknown> }> } {
  const entries: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    entries.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { entries, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** An ArtifactStore in memory, with the same path rules as the file store. */
export class MemoryArtifactStore implements ArtifactStore {
  readonly directories = new Map<string, Map<string, Uint8Array>>();

  async writeDirectory(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    for (const relative of files.keys()) resolveInside(dir, relative);
    this.directories.set(dir, new Map(files));
  }

  async readFile(dir: string, relative: string): Promise<Uint8Array> {
    resolveInside(dir, relative);
    const file = this.directories.get(dir)?.get(relative);
    if (!file) throw new TributaryError('ARTIFACT_CORRUPT', { message: `No file '${relative}' in the in-memory artifact ${dir}.` });
    return file;
  }
}

/**
 * A Random that returns the given values in turn (cycling), for tests that need to know every draw:
 * `int(n)` is `floor(next() * n)`, `shuffle` is Fisher–Yates on those draws, `fork` starts the sequence again.
 */
export function fixedRandom(values: readonly number[], seed = 0): Random {
  if (values.length === 0 || values.some((v) => !(v >= 0 && v < 1))) {
    throw new TributaryError('INVALID_PARAMS', { param: 'values', message: 'fixedRandom takes at least one value, each in [0, 1).' });
  }
  let at = 0;
  return randomFrom(() => values[at++ % values.length]!, seed, () => fixedRandom(values, seed));
}

export { conformanceChecks, describeConformance, ConformanceError, sameValue } from './conformance.js';
export type { ConformanceCase, ConformanceCheck, ConformanceOptions } from './conformance.js';
