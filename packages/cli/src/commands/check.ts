import { type GlobalOptions, emit } from '../output.js';
import { plan } from '../plan.js';
import { loadSpec } from '../spec/load.js';

/** `tributary check <spec>`: every check `run` makes before reading data, and nothing else. */
export async function checkCommand(specFile: string, options: GlobalOptions & { readonly set?: readonly string[] }): Promise<void> {
  const loaded = loadSpec(specFile, options.set, { deferFormat: true });
  const { runtime, stages, warnings } = await plan(loaded);
  for (const warning of warnings) process.stderr.write(`tributary: warning: ${warning}\n`);
  const plugins = runtime.plugins.map((p) => ({ name: p.name, version: p.version }));
  runtime.dispose();
  emit(options, { spec: loaded.file, ok: true, plugins, stages: stages.map((s) => s.kind) }, () => `${loaded.name}: ok — ${stages.length} stages (${stages.map((s) => s.kind).join(' → ')}), plugins ${plugins.map((p) => `${p.name}@${p.version}`).join(', ')}`);
}
