import { type Plugin, isPlugin } from '@tributary/core';
import { UsageError } from './errors.js';
import { importFromProject } from './project.js';

/** The plugin a package exports (its default export, or the one named export made with definePlugin). */
export function pluginOf(name: string, module: Record<string, unknown>): Plugin {
  const candidates = [module.default, ...Object.values(module)].filter(isPlugin);
  const unique = [...new Set(candidates)];
  if (unique.length === 0) {
    throw new UsageError(`The package ${name} exports no Tributary plugin (a value made with definePlugin). Check that it is a plugin package, and that its version is made for this core.`);
  }
  if (unique.length > 1) {
    throw new UsageError(`The package ${name} exports ${unique.length} plugins (${unique.map((p) => p.name).join(', ')}); a plugin package exports one.`);
  }
  return unique[0]!;
}

/** Loads plugin packages from the user's project by dynamic import; each failure becomes one problem line. */
export async function loadPlugins(names: readonly string[], from: string, purpose = 'The spec'): Promise<{ plugins: Plugin[]; problems: string[] }> {
  const plugins: Plugin[] = [];
  const problems: string[] = [];
  for (const name of names) {
    try {
      plugins.push(pluginOf(name, await importFromProject(name, from, purpose)));
    } catch (error) {
      if (error instanceof UsageError) problems.push(error.message);
      else problems.push(`The plugin ${name} failed to load: ${(error as Error).message}`);
    }
  }
  return { plugins, problems };
}
