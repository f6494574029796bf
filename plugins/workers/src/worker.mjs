// A thread of workerPool (piscina's entry): each task runs through the segments this thread keeps.
export { runTask as default } from './segments.mjs';
