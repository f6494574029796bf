import type { Manifest } from '@tributary/core';

/** Text safe inside a quoted Mermaid label: no quotes, brackets or line breaks that could end it or add lines. */
const quote = (text: string) =>
  text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/"/g, '#quot;')
    .replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'));

/** Reads/writes of a stage from its saved params (`input`/`output`/`label` by convention), for the diagram's edges. */
function fieldsOf(params: Record<string, unknown>): { reads: string[]; writes: string[] } {
  const str = (v: unknown) => (typeof v === 'string' ? [v] : []);
  const input = str(params.input);
  const output = params.output === undefined ? input : str(params.output);
  return { reads: [...input, ...str(params.label)], writes: output };
}

/**
 * The pipeline of a saved model as a Mermaid flowchart: input fields, each stage (fitted ones as
 * double-bordered boxes) labelled with the field it reads and writes, and the output fields.
 */
export function pipelineDiagram(manifest: Manifest): string {
  const lines = ['flowchart LR'];
  lines.push(`  input(["input: ${quote(manifest.schema.input.join(', ') || '(none)')}"])`);
  let previous = 'input';
  manifest.stages.forEach((stage, i) => {
    const id = `s${i}`;
    const { reads, writes } = fieldsOf(stage.params);
    const flow = reads.length || writes.length ? `<br/><small>${quote(reads.join(', ') || '·')} → ${quote(writes.join(', ') || '·')}</small>` : '';
    const label = `"${quote(stage.kind)}${flow}"`;
    lines.push(stage.fitted ? `  ${id}[[${label}]]` : `  ${id}[${label}]`);
    lines.push(`  ${previous} --> ${id}`);
    previous = id;
  });
  const added = manifest.schema.output.filter((f) => !manifest.schema.input.includes(f));
  lines.push(`  output(["output: ${quote(added.join(', ') || '(none)')}"])`);
  lines.push(`  ${previous} --> output`);
  return lines.join('\n');
}
