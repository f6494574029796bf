export { PipelineSpecSchema, pipelineJsonSchema } from './spec/schema.js';
export type { PipelineSpec } from './spec/schema.js';
export { loadSpec } from './spec/load.js';
export type { LoadedSpec } from './spec/load.js';
export { EXIT, RunFailed, UsageError } from './errors.js';
