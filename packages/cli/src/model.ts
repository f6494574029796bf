import fs from 'node:fs/promises';
import path from 'node:path';
import { type Logger, MANIFEST_FILE, type Manifest, type PipelineModel, type Runtime, createRuntime } from '@tributary/core';
import { UsageError } from './errors.js';
import { readManifest } from './commands/inspect.js';
import { loadPlugins } from './plugins.js';

/** The manifest as written, unverified: enough to know which plugins to load before runtime.load verifies everything. */
async function manifestFile(dir: string): Promise<Manifest> {
  const manifest = await fs
    .readFile(path.join(path.resolve(dir), MANIFEST_FILE), 'utf8')
    .then((text) => JSON.parse(text) as Manifest)
    .catch(() => undefined);
  if (Array.isArray(manifest?.plugins) && manifest.plugins.every((p) => typeof p?.name === 'string')) return manifest;
  // Not there, not JSON, or not a manifest: the full read says why, in the words inspect uses.
  return (await readManifest(dir)).manifest;
}

/** Loads a saved model with the plugins its manifest names, imported from the user's project. */
export async function loadModel(dir: string, logger: Logger): Promise<{ runtime: Runtime; model: PipelineModel; manifest: Manifest }> {
  const manifest = await manifestFile(dir);
  const names = manifest.plugins.map((p) => p.name);
  const { plugins, problems } = await loadPlugins(names, process.cwd(), `The model at ${dir}`);
  if (problems.length > 0) throw new UsageError(`The model at ${dir} was built with plugins that cannot be loaded here:`, problems);
  const runtime = createRuntime({ plugins, logger });
  try {
    // load() reads every file again and checks it against the manifest's hashes and digest.
    return { runtime, model: await runtime.load(path.resolve(dir)), manifest };
  } catch (error) {
    runtime.dispose();
    throw error;
  }
}
