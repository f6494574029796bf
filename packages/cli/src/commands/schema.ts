import { pipelineJsonSchema } from '../spec/schema.js';

/** `tributary schema`: the JSON Schema of pipeline specs (also published as @tributary/cli/pipeline.schema.json). */
export function schemaCommand(): void {
  process.stdout.write(`${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
}
