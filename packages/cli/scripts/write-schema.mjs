// Writes schema/pipeline.schema.json from the spec schema in src/spec/schema.ts (run after a build).
// A test fails when the committed file and the code disagree.
import fs from 'node:fs';
import { pipelineJsonSchema } from '../dist/index.js';

const file = new URL('../schema/pipeline.schema.json', import.meta.url);
fs.writeFileSync(file, `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
