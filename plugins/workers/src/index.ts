export { WorkerPool, workerPool } from './pool.js';
export type { WorkerPoolOptions } from './pool.js';
