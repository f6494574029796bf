import { definePlugin } from '@tributary/core';

export { sql } from './sql.js';
export type { SqlOptions, SqlValue } from './sql.js';
export { copyQuery } from './copy.js';
export type { CopyQueryOptions } from './copy.js';
export { writeTable } from './write.js';
export type { WriteTableOptions } from './write.js';

/**
 * The SQL collection plugin. Its source (`sql`) and sinks (`writeTable`, and `copyQuery`, which DuckDB writes itself) are functions, used directly;
 * the plugin object registers no stages and is there so a runtime records its version with the others.
 */
export const duckdb = definePlugin({
  name: '@tributary/plugin-duckdb',
  version: '0.1.0',
  core: '^0.1.0',
  stages: [],
});

export default duckdb;
