// @tributary/serve: a saved pipeline behind an HTTP API.
export { createApp, readTokens, serve } from './server.js';
export type { Server, ServeOptions } from './server.js';
export { MicroBatcher, QueueFull } from './batcher.js';
export type { BatcherOptions } from './batcher.js';
export { ModelRegistry, approvalProblem, findModels } from './registry.js';
export type { ServedModel } from './registry.js';
