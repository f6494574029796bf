import fs from 'node:fs';
import path from 'node:path';
import { type Logger, MANIFEST_FILE, type PipelineModel, type Prediction, type Runtime, TributaryError } from '@tributary/core';
import { type BatcherOptions, MicroBatcher } from './batcher.js';

/** One version of one model, loaded and ready, with its own queue. */
export interface ServedModel {
  readonly name: string;
  readonly version: number;
  /** Where it was loaded from; undefined for a model handed over in memory. */
  readonly dir: string | undefined;
  readonly model: PipelineModel;
  readonly batcher: MicroBatcher;
  readonly loadedAt: string;
  /** The fields the last stage writes: what a prediction returns. */
  readonly outputs: readonly string[];
  /** Requests using this version now; an unloaded version is disposed when this reaches 0. */
  inflight: number;
  retired: boolean;
}

export interface RegistryOptions {
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly batching: BatcherOptions;
  /** Serve a model whose manifest records a gate without the approval that a passed gate leaves. */
  readonly allowUnapproved: boolean;
  /** Called when a model folder fails to load. */
  readonly onLoadFailure?: (name: string) => void;
  /** Called after each batch a model runs: its size and time. */
  readonly onBatch?: (model: ServedModel, size: number, ms: number) => void;
  /** The name of a model that is a single artifact folder (default: the folder's name). */
  readonly name?: string;
}

/** A model folder found on disk: name, version and where. */
interface Candidate {
  readonly name: string;
  readonly version: number;
  readonly dir: string;
  readonly mtimeMs: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const isModel = (dir: string) => fs.existsSync(path.join(dir, MANIFEST_FILE));

/**
 * The layouts a served folder may have: an artifact itself (one model, version 1); a folder of
 * artifacts (a model each, version 1); or a folder of models each holding numbered versions
 * (`spam/1`, `spam/2`: the highest is served by default).
 */
export function findModels(root: string, name?: string, skipped?: (dir: string, why: string) => void): Candidate[] {
  const stat = (dir: string) => fs.statSync(path.join(dir, MANIFEST_FILE)).mtimeMs;
  if (isModel(root)) return [{ name: name ?? path.basename(path.resolve(root)), version: 1, dir: root, mtimeMs: stat(root) }];
  const found: Candidate[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    if (!NAME.test(entry.name)) {
      skipped?.(path.join(root, entry.name), 'its name is not letters, digits, ".", "_" and "-" (it goes in URLs)');
      continue;
    }
    const dir = path.join(root, entry.name);
    if (isModel(dir)) {
      found.push({ name: entry.name, version: 1, dir, mtimeMs: stat(dir) });
      continue;
    }
    for (const v of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!v.isDirectory()) continue;
      if (!/^[1-9]\d{0,8}$/.test(v.name)) {
        skipped?.(path.join(dir, v.name), 'a version folder is named by a whole number from 1');
        continue;
      }
      if (!isModel(path.join(dir, v.name))) {
        // Still being written, most likely: the next scan looks again.
        continue;
      }
      found.push({ name: entry.name, version: Number(v.name), dir: path.join(dir, v.name), mtimeMs: stat(path.join(dir, v.name)) });
    }
  }
  return found;
}

/** The reason a model must not be served, or undefined: its gate must have passed unless overridden. */
export function approvalProblem(model: PipelineModel, allowUnapproved: boolean): string | undefined {
  const manifest = model.manifest;
  if (!manifest || allowUnapproved) return undefined;
  const gate = (manifest.evaluation as { gate?: { passed?: boolean } } | undefined)?.gate;
  if (gate && !manifest.approval?.passed) {
    return 'its evaluation records a gate, but the manifest has no approval (a gate that passed leaves one). Re-run it through its gate, or serve it anyway with allowUnapproved (--allow-unapproved).';
  }
  return undefined;
}

/**
 * The models being served, by name and version. `scan()` loads what appeared on disk and unloads
 * what went; a new version becomes the default at once, while requests already running on the old
 * one finish on it (it is disposed when the last of them is done).
 */
export class ModelRegistry {
  private readonly models = new Map<string, Map<number, ServedModel>>();
  private readonly seen = new Map<string, number>();
  /** Folders that failed to load, with why and when to try again (a half-copied version may be complete later). */
  private readonly failed = new Map<string, { name: string; version: number; code: string; message: string; attempts: number; retryAt: number }>();
  private readonly skipped = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;

  constructor(private readonly options: RegistryOptions) {}

  /** Serves a model held in memory (from `serve(model)`), as version 1 of `name`. */
  add(name: string, model: PipelineModel, version = 1, dir?: string): ServedModel {
    if (!NAME.test(name)) throw new TributaryError('INVALID_PARAMS', { param: 'name', message: `A served model's name is letters, digits, '.', '_' and '-' (it goes in URLs); got ${JSON.stringify(name)}.` });
    let served!: ServedModel;
    const batcher = new MicroBatcher((records) => this.predict(served, records), this.options.batching, (size, ms) => this.options.onBatch?.(served, size, ms));
    served = {
      name,
      version,
      dir,
      model,
      batcher,
      loadedAt: new Date().toISOString(),
      outputs: model.outputFields,
      inflight: 0,
      retired: false,
    };
    let versions = this.models.get(name);
    if (!versions) this.models.set(name, (versions = new Map()));
    const previous = versions.get(version);
    versions.set(version, served);
    if (previous) this.retire(previous);
    return served;
  }

  private predict(served: ServedModel, records: readonly object[]): Promise<Prediction[]> {
    return served.model.predictEach(records, { batchSize: Math.max(1, records.length) });
  }

  /** The version asked for, or the highest; undefined when there is none. */
  get(name: string, version?: number): ServedModel | undefined {
    const versions = this.models.get(name);
    if (!versions) return undefined;
    if (version !== undefined) return versions.get(version);
    return versions.get(Math.max(...versions.keys()));
  }

  versions(name: string): ServedModel[] {
    return [...(this.models.get(name)?.values() ?? [])].sort((a, b) => a.version - b.version);
  }

  names(): string[] {
    return [...this.models.keys()].sort();
  }

  get size(): number {
    return this.models.size;
  }

  /** Models that could not be loaded, with why (for the log and, without the folder, for model status). */
  get problems(): Array<{ dir: string; name: string; version: number; code: string; message: string }> {
    return [...this.failed].map(([dir, f]) => ({ dir, name: f.name, version: f.version, code: f.code, message: f.message }));
  }

  /** Loads the models under `root` that are new or changed, unloads those that are gone. */
  scan(root: string): Promise<void> {
    // One scan at a time: a slow load must not be started twice by the poller.
    this.scanning ??= this.doScan(root).finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async doScan(root: string): Promise<void> {
    const found = findModels(root, this.options.name, (dir, why) => {
      if (!this.skipped.has(dir)) this.options.logger.warn('folder not served', { dir, why });
      this.skipped.add(dir);
    });
    const present = new Set(found.map((c) => c.dir));
    for (const c of found) {
      const key = c.dir;
      if (this.seen.get(key) === c.mtimeMs) continue;
      const failure = this.failed.get(key);
      if (failure && Date.now() < failure.retryAt) continue;
      try {
        const model = await this.options.runtime.load(c.dir);
        const problem = approvalProblem(model, this.options.allowUnapproved);
        if (problem) {
          await model.dispose();
          throw new TributaryError('GATE_FAILED', { message: `${c.name} version ${c.version} (${c.dir}) is not served: ${problem}` });
        }
        this.add(c.name, model, c.version, c.dir);
        this.seen.set(key, c.mtimeMs);
        this.failed.delete(key);
        this.options.logger.info('model loaded', { model: c.name, version: c.version, dir: c.dir });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const attempts = (failure?.attempts ?? 0) + 1;
        // Tried again after 1 s, 2 s, 4 s, … up to a minute: a version still being copied loads once it is whole.
        this.failed.set(key, { name: c.name, version: c.version, code: (error as { code?: string }).code ?? 'LOAD_FAILED', message, attempts, retryAt: Date.now() + Math.min(60_000, 1000 * 2 ** (attempts - 1)) });
        this.options.onLoadFailure?.(c.name);
        if (attempts === 1) this.options.logger.error('model not loaded', { model: c.name, version: c.version, dir: c.dir, error: message });
      }
    }
    for (const dir of this.failed.keys()) if (!present.has(dir)) this.failed.delete(dir);
    for (const [name, versions] of this.models) {
      for (const served of versions.values()) {
        if (served.dir === undefined || present.has(served.dir)) continue;
        versions.delete(served.version);
        this.seen.delete(served.dir);
        this.retire(served);
        this.options.logger.info('model unloaded', { model: name, version: served.version });
      }
      if (versions.size === 0) this.models.delete(name);
    }
  }

  /** Scans `root` every `ms` milliseconds until `stop()`. */
  watch(root: string, ms: number): void {
    this.timer = setInterval(() => void this.scan(root).catch((error: unknown) => this.options.logger.error('scan failed', { error: String(error) })), ms);
    this.timer.unref();
  }

  /** A request starts using a model: it stays loaded until `release`. */
  acquire(served: ServedModel): void {
    served.inflight++;
  }

  release(served: ServedModel): void {
    served.inflight--;
    if (served.retired && served.inflight === 0) void served.model.dispose();
  }

  private retire(served: ServedModel): void {
    served.retired = true;
    if (served.inflight === 0) void served.batcher.drained().then(() => served.model.dispose());
  }

  /** Refuses every request still queued, in every model (a shutdown past its deadline). */
  abandonQueued(): void {
    for (const versions of this.models.values()) for (const s of versions.values()) s.batcher.abandonAll();
  }

  /** Stops watching, waits for every queue to empty, and frees every model. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
    const all = [...this.models.values()].flatMap((v) => [...v.values()]);
    await Promise.all(all.map((s) => s.batcher.drained()));
    for (const s of all) await s.model.dispose();
    this.models.clear();
  }
}
