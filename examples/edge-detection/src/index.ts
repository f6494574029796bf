export { EDGE_PNG_LEVEL, detectEdges, edgeStages } from './edges.js';
export type { EdgeOptions, EdgeSummary } from './edges.js';
export { stdlibPhotos } from './photos.js';
