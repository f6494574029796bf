// The worker side of both pools (a thread of workerPool, a process of processPool): rebuilds a segment's
// stages once (from its plugins' modules, params and fitted state) and runs batches and shards through
// them. Plain JavaScript, so Node loads it as it is, in development too.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';

/** The core, imported on the first task, so a thread that cannot load it answers with the reason rather than dying. */
let core;

/** Segments this thread has opened, most recently used last; the least recently used are dropped past a few. */
const segments = new Map();
const KEPT = 4;

/**
 * A plugin's module: a file URL or path as it is; a package name from the application's folder (the
 * process's working directory, where its node_modules are), else from this package's own location.
 */
async function importModule(specifier) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) || path.isAbsolute(specifier)) return import(specifier);
  let resolved;
  try {
    resolved = createRequire(path.join(process.cwd(), 'index.js')).resolve(specifier);
  } catch {
    return import(specifier);
  }
  return import(pathToFileURL(resolved).href);
}

async function importPlugins(spec) {
  const plugins = [];
  for (const wanted of spec.plugins) {
    let exports;
    try {
      exports = await importModule(wanted.module);
    } catch (error) {
      throw Object.assign(new Error(`A worker could not import ${wanted.name} from ${wanted.module} (${error instanceof Error ? error.message : String(error)}). Install it where the workers run, or set definePlugin({ module }) to a path or package name the worker can import.`), { code: 'PLUGIN_MISSING' });
    }
    const plugin = Object.values(exports).find((value) => core.isPlugin(value) && value.name === wanted.name);
    if (!plugin) throw Object.assign(new Error(`${wanted.module} exports no plugin named ${wanted.name}.`), { code: 'PLUGIN_MISSING' });
    plugins.push(plugin);
  }
  return plugins;
}

async function open(id, shared) {
  // A private copy: typed arrays deserialised from shared memory would point into it (state read as shared, and changed for every thread).
  const spec = v8.deserialize(Buffer.from(shared instanceof Uint8Array ? shared.slice() : new Uint8Array(shared)));
  return core.openLocalSegment(spec, await importPlugins(spec));
}

/**
 * One task: a batch, or a shard of a file, for the segment `id` (described by the serialised spec in
 * `shared`, read only when the segment is not open here yet). Failures come back as data, so their codes
 * survive the thread or process boundary.
 */
export async function runTask({ id, shared, batch, shard }) {
  try {
    core ??= await import('@tributary/core');
  } catch (error) {
    return { error: { code: 'PLUGIN_MISSING', message: `A worker could not load @tributary/core (${error instanceof Error ? error.message : String(error)}).` } };
  }
  let segment = segments.get(id);
  if (segment) {
    // Most recently used last, so the segments dropped first are the ones no run has asked for longest.
    segments.delete(id);
    segments.set(id, segment);
  } else {
    segment = open(id, shared);
    segment.catch(() => undefined);
    segments.set(id, segment);
    while (segments.size > KEPT) {
      const [oldest, opened] = segments.entries().next().value;
      segments.delete(oldest);
      opened.then((s) => s.dispose(), () => undefined);
    }
  }
  try {
    const opened = await segment;
    return { result: shard ? await opened.runShard(shard) : await opened.run(batch) };
  } catch (error) {
    if (segments.get(id) === segment) {
      segments.delete(id);
      segment.then((s) => s.dispose(), () => undefined);
    }
    return { error: { code: core.isTributaryError(error) ? error.code : (error?.code ?? 'STAGE_FAILED'), message: error instanceof Error ? error.message : String(error) } };
  }
}
