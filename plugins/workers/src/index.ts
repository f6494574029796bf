export { WorkerPool, workerPool } from './pool.js';
export type { WorkerPoolOptions } from './pool.js';
export { ProcessPool, processPool } from './process-pool.js';
export type { ProcessPoolOptions } from './process-pool.js';
