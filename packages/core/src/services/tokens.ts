import type { InjectionToken } from 'tsyringe';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Executor } from '../pipeline/executor.js';
import type { Random } from '../random/random.js';
import type { Clock } from './clock.js';
import type { Events } from './events.js';
import type { Logger } from './logger.js';

/*
 * DI tokens are registered symbols, so two copies of the core package in one process agree on them.
 * Constructor parameters name them with @inject(TOKEN); nothing relies on emitted type metadata.
 */

export const LOGGER: InjectionToken<Logger> = Symbol.for('@tributary/core/Logger');
export const EVENTS: InjectionToken<Events> = Symbol.for('@tributary/core/Events');
export const RANDOM: InjectionToken<Random> = Symbol.for('@tributary/core/Random');
export const ARTIFACT_STORE: InjectionToken<ArtifactStore> = Symbol.for('@tributary/core/ArtifactStore');
export const CLOCK: InjectionToken<Clock> = Symbol.for('@tributary/core/Clock');
/** Where `worker` stages run; registered only when the runtime has an executor. */
export const EXECUTOR: InjectionToken<Executor> = Symbol.for('@tributary/core/Executor');
/** The validated params of the stage being constructed (registered in the stage's own child container). */
export const STAGE_PARAMS: InjectionToken<unknown> = Symbol.for('@tributary/core/StageParams');
/** The kind of the stage being constructed. */
export const STAGE_KIND: InjectionToken<string> = Symbol.for('@tributary/core/StageKind');
