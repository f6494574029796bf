import 'reflect-metadata';
import semver from 'semver';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { type ArtifactStore, FileArtifactStore } from '../artifacts/artifact-store.js';
import { readArtifact } from '../artifacts/artifact.js';
import { TributaryError, isTributaryError, toTributaryError } from '../errors/tributary-error.js';
import { assertKnownKeys, closest } from '../params/closest.js';
import { validateParams } from '../params/validate-params.js';
import type { PipelineHost, ResolvedStage } from '../pipeline/host.js';
import { Execution } from '../pipeline/execution.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { type FittedStage, PipelineModel } from '../pipeline/pipeline-model.js';
import { type Plugin, isPlugin } from '../plugin/define-plugin.js';
import { type Random, createRandom } from '../random/random.js';
import { type Clock, systemClock } from '../services/clock.js';
import { type Events, createEvents } from '../services/events.js';
import { type Logger, silentLogger } from '../services/logger.js';
import { ARTIFACT_STORE, CLOCK, EVENTS, EXECUTOR, LOGGER, RANDOM, STAGE_KIND, STAGE_PARAMS } from '../services/tokens.js';
import type { Executor } from '../pipeline/executor.js';
import { type Estimator, type ModelState, type StageDefinition, type StageSpec, isEstimator } from '../stage/stage.js';
import { CORE_VERSION } from '../version.js';

export interface RuntimeOptions {
  /** The plugins whose stage kinds this runtime can build, in any order. */
  readonly plugins?: readonly Plugin[];
  readonly logger?: Logger;
  readonly events?: Events;
  /** Seeds every random choice of the runtime (splits, shuffles, initial weights). Default 42. */
  readonly seed?: number;
  readonly artifactStore?: ArtifactStore;
  readonly clock?: Clock;
  /**
   * Where stages that declare `worker: true` run, e.g. `workerPool({ threads: 2 })` from
   * `@tributary/plugin-workers`. Default: every stage in the calling thread. It may be shared by several
   * runtimes, so the runtime never closes it: call its `close()` when done.
   */
  readonly executor?: Executor;
}

/** What a plugin contributed to a runtime. */
export interface PluginInfo {
  readonly name: string;
  readonly version: string;
  readonly core: string;
  readonly kinds: readonly string[];
}

/** The domains of the official plugins, so a missing one can be named with its install command. */
const OFFICIAL_DOMAINS: Readonly<Record<string, string>> = {
  natural: '@tributary/plugin-natural',
  tfjs: '@tributary/plugin-tfjs',
  sharp: '@tributary/plugin-sharp',
  duckdb: '@tributary/plugin-duckdb',
  bullmq: '@tributary/plugin-bullmq',
};

const RUNTIME_OPTIONS = ['plugins', 'logger', 'events', 'seed', 'artifactStore', 'clock', 'executor'];

function checkRuntimeOptions(options: RuntimeOptions): void {
  assertKnownKeys(options, RUNTIME_OPTIONS, 'createRuntime option');
  if (options.plugins !== undefined && !Array.isArray(options.plugins)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'plugins', message: 'createRuntime({ plugins }) takes an array of plugins, e.g. { plugins: [natural, tfjs] }.' });
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'seed', message: `createRuntime({ seed }) takes a finite number; got ${String(options.seed)}.` });
  }
}

/**
 * A runtime: the registered plugins, a child DI container with the core services, and the means to
 * turn specs into stages, build pipelines and load saved models.
 */
export class Runtime implements PipelineHost {
  readonly container: DependencyContainer;
  readonly logger: Logger;
  readonly events: Events;
  readonly random: Random;
  readonly store: ArtifactStore;
  readonly clock: Clock;
  readonly executor: Executor | undefined;
  readonly coreVersion = CORE_VERSION;
  private readonly definitions = new Map<string, { definition: StageDefinition; plugin: Plugin }>();
  private readonly registered: Plugin[] = [];
  private started = false;

  constructor(options: RuntimeOptions = {}) {
    checkRuntimeOptions(options);
    this.container = rootContainer.createChildContainer();
    this.logger = options.logger ?? silentLogger;
    this.events = options.events ?? createEvents();
    this.random = createRandom(options.seed ?? 42);
    this.store = options.artifactStore ?? new FileArtifactStore();
    this.clock = options.clock ?? systemClock;
    this.executor = options.executor;
    if (this.executor) this.container.register(EXECUTOR, { useValue: this.executor });
    this.container.register(LOGGER, { useValue: this.logger });
    this.container.register(EVENTS, { useValue: this.events });
    this.container.register(RANDOM, { useValue: this.random });
    this.container.register(ARTIFACT_STORE, { useValue: this.store });
    this.container.register(CLOCK, { useValue: this.clock });
    for (const plugin of options.plugins ?? []) this.use(plugin);
  }

  /** Adds a plugin. Allowed only before the runtime has built its first stage. */
  use(plugin: Plugin): this {
    if (this.started) {
      throw new TributaryError('RUNTIME_STARTED', {
        message: `Cannot register '${plugin.name}': this runtime has already built stages. Pass every plugin to createRuntime({ plugins }) before building pipelines.`,
      });
    }
    if (!isPlugin(plugin)) {
      throw new TributaryError('PLUGIN_INVALID', {
        message: 'createRuntime({ plugins }) was given something that is not a plugin. Pass the value exported by the plugin package (made with definePlugin).',
      });
    }
    if (!semver.satisfies(CORE_VERSION, plugin.core, { includePrerelease: true })) {
      throw new TributaryError('CORE_VERSION_MISMATCH', {
        message: `${plugin.name}@${plugin.version} works with @tributary/core ${plugin.core}, but this is @tributary/core ${CORE_VERSION}. Install a version of ${plugin.name} made for core ${CORE_VERSION}, or install a @tributary/core that satisfies ${plugin.core}.`,
        details: { plugin: plugin.name, required: plugin.core, actual: CORE_VERSION },
      });
    }
    if (this.registered.some((p) => p.name === plugin.name)) {
      throw new TributaryError('PLUGIN_INVALID', { message: `Plugin '${plugin.name}' is registered twice. Pass it to createRuntime once.` });
    }
    const seen = new Set<string>();
    for (const definition of plugin.stages) {
      const existing = this.definitions.get(definition.kind);
      if (existing || seen.has(definition.kind)) {
        throw new TributaryError('DUPLICATE_KIND', {
          stage: definition.kind,
          message: `Stage kind '${definition.kind}' is provided by both ${existing?.plugin.name ?? plugin.name} and ${plugin.name}. Register only one of them, or rename the kind in your own plugin.`,
        });
      }
      seen.add(definition.kind);
    }
    for (const definition of plugin.stages) this.definitions.set(definition.kind, { definition, plugin });
    this.registered.push(plugin);
    plugin.register?.(this.container);
    return this;
  }

  get plugins(): PluginInfo[] {
    return this.registered.map((p) => ({ name: p.name, version: p.version, core: p.core, kinds: p.stages.map((s) => s.kind) }));
  }

  kinds(): string[] {
    return [...this.definitions.keys()].sort();
  }

  /** The definition of a kind, or an error that says which package to install. */
  definition(kind: string): { definition: StageDefinition; plugin: Plugin } {
    const found = this.definitions.get(kind);
    if (found) return found;
    const domain = kind.split(':')[0] ?? '';
    const hasDomain = [...this.definitions.keys()].some((k) => k.startsWith(`${domain}:`));
    const official = Object.hasOwn(OFFICIAL_DOMAINS, domain) ? OFFICIAL_DOMAINS[domain] : undefined;
    if (!hasDomain && official) {
      throw new TributaryError('PLUGIN_MISSING', {
        stage: kind,
        message: `Stage kind '${kind}' comes from ${official}, which this runtime does not have. Install it (npm install ${official}) and pass it to createRuntime({ plugins: [...] }).`,
        details: { package: official },
      });
    }
    const suggestion = closest(kind, this.definitions.keys());
    throw new TributaryError('UNKNOWN_KIND', {
      stage: kind,
      message: `No registered plugin provides the stage kind '${kind}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Known kinds: ${this.kinds().join(', ') || '(none: no plugins registered)'}.`,
      details: suggestion ? { suggestion } : {},
    });
  }

  /** Turns a spec into a live stage: params validated (defaults filled), services injected. */
  resolve(spec: StageSpec): ResolvedStage {
    const { definition, plugin } = this.definition(spec.kind);
    const params = validateParams(spec.kind, definition.params, spec.params);
    this.started = true;
    const scope = this.container.createChildContainer();
    scope.register(STAGE_PARAMS, { useValue: params });
    scope.register(STAGE_KIND, { useValue: spec.kind });
    let instance;
    try {
      instance = scope.resolve(definition.implementation);
    } catch (error) {
      throw toTributaryError(error, 'STAGE_FAILED', {
        stage: spec.kind,
        message: `Could not construct stage '${spec.kind}' (${plugin.name}); every constructor parameter needs an @inject(TOKEN) whose service is registered`,
      });
    }
    return { spec: { kind: spec.kind, params: params as Record<string, unknown> }, definition, plugin: { name: plugin.name, version: plugin.version, ...(plugin.module ? { module: plugin.module } : {}) }, instance };
  }

  /** A pipeline of these specs, built by this runtime. */
  pipeline(specs: readonly StageSpec[]): Pipeline {
    return new Pipeline(this, specs);
  }

  /**
   * Loads a saved PipelineModel. Only kinds of registered plugins load; every file is checked
   * against its hash; nothing from the artifact is executed.
   */
  async load(dir: string): Promise<PipelineModel> {
    const { manifest, files } = await readArtifact(this.store, dir);
    const stages: FittedStage[] = [];
    const execution = new Execution(this, {}, 'fail');
    if (manifest.stages.length === 0) {
      throw new TributaryError('ARTIFACT_CORRUPT', { message: `The model at ${dir} has no stages. Re-save it from a fitted pipeline.` });
    }
    for (const [index, entry] of manifest.stages.entries()) {
      let resolved: ResolvedStage;
      try {
        resolved = this.resolve({ kind: entry.kind, params: entry.params });
      } catch (error) {
        // A kind no registered plugin provides, from a plugin this runtime does not have: the manifest says which to install.
        if ((isTributaryError(error, 'UNKNOWN_KIND') || isTributaryError(error, 'PLUGIN_MISSING')) && !this.registered.some((p) => p.name === entry.plugin)) {
          throw new TributaryError('PLUGIN_MISSING', {
            stage: entry.kind,
            message: `The model at ${dir} needs ${entry.plugin}@${entry.pluginVersion} for its stage '${entry.kind}', and this runtime does not have it. Install it (npm install ${entry.plugin}@${entry.pluginVersion}) and pass it to createRuntime({ plugins: [...] }).`,
            details: { package: entry.plugin, version: entry.pluginVersion },
            cause: error,
          });
        }
        // Params that no longer validate mean the manifest was edited (or made by a newer plugin), not a user mistake.
        if (isTributaryError(error, 'INVALID_PARAMS')) {
          throw new TributaryError('ARTIFACT_CORRUPT', { stage: entry.kind, message: `The saved params of stage '${entry.kind}' in ${dir} do not validate: ${error.message}`, cause: error });
        }
        throw error;
      }
      if (resolved.plugin.version !== entry.pluginVersion) {
        this.logger.warn('model saved with another plugin version', { stage: entry.kind, saved: entry.pluginVersion, loaded: resolved.plugin.version });
      }
      if (!entry.fitted) {
        if (isEstimator(resolved.instance)) {
          throw new TributaryError('ARTIFACT_CORRUPT', { stage: entry.kind, message: `Stage '${entry.kind}' of the model at ${dir} is trainable but was saved unfitted. Re-fit and re-save the model.` });
        }
        stages.push({ ...resolved, stage: resolved.instance, fitted: false });
        continue;
      }
      if (!isEstimator(resolved.instance) || !entry.state) {
        throw new TributaryError('ARTIFACT_CORRUPT', { stage: entry.kind, message: `Stage '${entry.kind}' of the model at ${dir} has saved state but its kind is not trainable (or the state is missing). Re-save the model.` });
      }
      const state: ModelState = {
        meta: entry.state.meta as ModelState['meta'],
        files: Object.fromEntries(Object.entries(entry.state.files).map(([name, relative]) => [name, files.get(relative)!])),
      };
      const { ctx } = execution.context(entry.kind, index);
      const model = await (resolved.instance as Estimator).load(state, ctx).catch((error: unknown) => {
        throw toTributaryError(error, 'ARTIFACT_CORRUPT', { stage: entry.kind, message: `Stage '${entry.kind}' could not load its saved state from ${dir}` });
      });
      stages.push({ ...resolved, stage: model, fitted: true });
    }
    return new PipelineModel(this, stages, { manifest, ...(manifest.dataFingerprint ? { dataFingerprint: manifest.dataFingerprint } : {}) });
  }

  /** Frees the runtime's container. An executor is the caller's (runtimes may share one): close it yourself. */
  async dispose(): Promise<void> {
    await this.container.dispose();
  }
}

/** Builds a runtime on its own child container: `createRuntime({ plugins: [natural, tfjs] })`. */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  return new Runtime(options);
}
