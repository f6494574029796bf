import path from 'node:path';
import { type Logger, type PipelineModel, type Runtime, createRuntime } from '@tributary/core';
import { UsageError } from './errors.js';
import { readManifest } from './commands/inspect.js';
import { loadPlugins } from './plugins.js';

/** Loads a saved model with the plugins its manifest names, imported from the user's project. */
export async function loadModel(dir: string, logger: Logger): Promise<{ runtime: Runtime; model: PipelineModel }> {
  const { manifest } = await readManifest(dir);
  const names = manifest.plugins.map((p) => p.name);
  const { plugins, problems } = await loadPlugins(names, process.cwd(), `The model at ${dir}`);
  if (problems.length > 0) throw new UsageError(`The model at ${dir} was built with plugins that cannot be loaded here:`, problems);
  const runtime = createRuntime({ plugins, logger });
  try {
    return { runtime, model: await runtime.load(path.resolve(dir)) };
  } catch (error) {
    runtime.dispose();
    throw error;
  }
}
