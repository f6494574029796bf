import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Executor } from './executor.js';
import type { Random } from '../random/random.js';
import type { Clock } from '../services/clock.js';
import type { Events } from '../services/events.js';
import type { Logger } from '../services/logger.js';
import type { Estimator, Stage, StageDefinition, StageSpec } from '../stage/stage.js';

/** Which plugin (and version) built a stage; recorded in saved models. */
export interface PluginRef {
  readonly name: string;
  readonly version: string;
  /** Where the plugin can be imported from by a worker (see PluginDefinition.module). */
  readonly module?: string;
}

/** A spec turned into a live stage by the runtime. */
export interface ResolvedStage {
  readonly spec: StageSpec;
  readonly definition: StageDefinition;
  readonly plugin: PluginRef;
  readonly instance: Stage | Estimator;
}

/**
 * What pipelines need from the runtime. The pipeline layer sits below the runtime, so the runtime
 * passes itself in through this interface instead of being imported.
 */
export interface PipelineHost {
  readonly logger: Logger;
  readonly events: Events;
  readonly random: Random;
  readonly store: ArtifactStore;
  readonly clock: Clock;
  readonly coreVersion: string;
  /** Where `worker` stages run; undefined runs everything in the calling thread. */
  readonly executor: Executor | undefined;
  resolve(spec: StageSpec): ResolvedStage;
}
