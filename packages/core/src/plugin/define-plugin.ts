import semver from 'semver';
import type { DependencyContainer } from 'tsyringe';
import { TributaryError } from '../errors/tributary-error.js';
import type { StageDefinition } from '../stage/stage.js';

const PLUGIN_BRAND: unique symbol = Symbol.for('@tributary/core/Plugin') as never;

export interface PluginDefinition {
  /** The package name, e.g. `@tributary/plugin-natural`. */
  readonly name: string;
  /** The package version, recorded in saved models. */
  readonly version: string;
  /** The range of @tributary/core this plugin works with, e.g. `^0.1.0`. */
  readonly core: string;
  readonly stages: readonly StageDefinition[];
  /**
   * The module that exports this plugin, `import.meta.url` in its entry: an executor's workers import it
   * from there to rebuild the plugin's `worker` stages. Without it, the plugin's stages run in the calling thread.
   */
  readonly module?: string;
  /** Registers the plugin's services in the runtime's container. Runs once, when the runtime is built. */
  register?(container: DependencyContainer): void;
}

export interface Plugin extends PluginDefinition {
  readonly [PLUGIN_BRAND]: true;
}

const KIND_PATTERN = /^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$/;

/**
 * Declares a plugin. Nothing is registered here: the plugin takes effect when it is passed to
 * `createRuntime({ plugins })`, which checks its core range and its stage kinds.
 */
export function definePlugin(definition: PluginDefinition): Plugin {
  const problems: string[] = [];
  if (!definition.name) problems.push('a name (its package name)');
  if (!semver.valid(definition.version)) problems.push(`a valid semver version (got '${definition.version}')`);
  if (!semver.validRange(definition.core)) problems.push(`a valid semver range for core (got '${definition.core}')`);
  for (const stage of definition.stages) {
    if (!KIND_PATTERN.test(stage.kind)) problems.push(`stage kinds of the form '<domain>:<step>' in lower case (got '${stage.kind}')`);
  }
  if (problems.length > 0) {
    throw new TributaryError('PLUGIN_INVALID', {
      message: `Plugin '${definition.name || '(unnamed)'}' is malformed: it needs ${problems.join('; ')}.`,
    });
  }
  return Object.freeze({ ...definition, [PLUGIN_BRAND]: true as const });
}

/** True when `version` is in the semver `range` (prereleases included), e.g. whether a plugin's core range fits this core. */
export function versionSatisfies(version: string, range: string): boolean {
  return semver.validRange(range) !== null && semver.satisfies(version, range, { includePrerelease: true });
}

export function isPlugin(value: unknown): value is Plugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}
