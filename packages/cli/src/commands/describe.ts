import { type StageDefinition, type TSchema, closest, paramDefaults } from '@tributary/core';
import { UsageError } from '../errors.js';
import { type GlobalOptions, emit, table } from '../output.js';
import { pluginOf } from '../plugins.js';
import { importFromProject } from '../project.js';
import { discoverPlugins } from './plugins.js';

type Schema = TSchema & { anyOf?: Schema[]; items?: Schema; const?: unknown; properties?: Record<string, Schema>; required?: string[]; default?: unknown; description?: string; minimum?: number; maximum?: number };

/** A schema as a short type for a person: `'keep' | 'drop'`, `integer ≥ 1`, `{ units, activation }[]`. */
function typeOf(schema: Schema): string {
  if ('const' in schema) return JSON.stringify(schema.const);
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' | ');
  if (schema.type === 'array') return `${schema.items ? typeOf(schema.items) : 'any'}[]`;
  if (schema.type === 'object') return schema.properties ? `{ ${Object.keys(schema.properties).join(', ')} }` : 'object';
  const range = [schema.minimum !== undefined ? `≥ ${schema.minimum}` : '', schema.maximum !== undefined ? `≤ ${schema.maximum}` : ''].filter(Boolean).join(', ');
  return `${String(schema.type ?? 'any')}${range ? ` ${range}` : ''}`;
}

/** `tributary describe <kind>`: a stage's params — types, defaults, descriptions — read from its schema, and the fields it reads and writes. */
export async function describeCommand(kind: string, options: GlobalOptions): Promise<void> {
  const definitions = new Map<string, { definition: StageDefinition; plugin: string; version: string }>();
  for (const name of discoverPlugins(process.cwd())) {
    try {
      const plugin = pluginOf(name, await importFromProject(name, process.cwd(), 'tributary describe'));
      for (const definition of plugin.stages) definitions.set(definition.kind, { definition, plugin: plugin.name, version: plugin.version });
    } catch {
      // A plugin that does not load is reported by `tributary plugins`.
    }
  }
  const found = definitions.get(kind);
  if (!found) {
    const suggestion = closest(kind, definitions.keys());
    throw new UsageError(`No installed plugin provides the stage kind '${kind}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Known kinds: ${[...definitions.keys()].sort().join(', ') || '(none: no plugins installed)'}.`);
  }
  const { definition } = found;
  const schema = definition.params as Schema;
  const defaults = paramDefaults(definition.params);
  let fields: { readonly reads: readonly string[]; readonly writes: readonly string[] } | undefined;
  try {
    fields = definition.fields(defaults as never);
  } catch {
    fields = undefined; // a stage whose required params have no default
  }
  const params = Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    type: typeOf(s),
    ...(s.default !== undefined ? { default: s.default } : {}),
    required: (schema.required ?? []).includes(name) && s.default === undefined,
    ...(s.description ? { description: s.description } : {}),
  }));
  emit(options, { kind, plugin: found.plugin, version: found.version, description: definition.description, fields: fields ?? null, params, schema }, () =>
    [
      `${kind} (${found.plugin}@${found.version})`,
      `  ${definition.description}`,
      ...(fields ? [`  reads ${fields.reads.join(', ') || '-'} → writes ${fields.writes.join(', ') || '-'} (with the defaults)`] : []),
      '',
      table([['param', 'type', 'default', 'description'], ...params.map((p) => [p.name, p.type, p.required ? '(required)' : 'default' in p ? JSON.stringify(p.default) : '-', p.description ?? ''])]),
    ].join('\n'),
  );
}
