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

/** An npm package name (optionally scoped), with no path, subpath, URL or `node:` scheme. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** Why `name` may not be loaded as a plugin, or undefined: only packages installed in the project are. */
export function pluginNameProblem(name: string): string | undefined {
  if (PACKAGE_NAME.test(name)) return undefined;
  return `'${name}' is not a package name. Plugins are named by the npm package they are installed as (e.g. @tributary/plugin-natural); paths, URLs and subpaths are never loaded.`;
}

/** Loads plugin packages from the user's project by dynamic import; each failure becomes one problem line. */
export async function loadPlugins(names: readonly string[], from: string, purpose = 'The spec'): Promise<{ plugins: Plugin[]; problems: string[] }> {
  const plugins: Plugin[] = [];
  const problems: string[] = [];
  for (const [i, name] of names.entries()) {
    const problem = pluginNameProblem(name);
    if (problem) {
      problems.push(problem);
      continue;
    }
    if (names.indexOf(name) !== i) {
      problems.push(`${name} is listed twice; list each plugin once.`);
      continue;
    }
    try {
      plugins.push(pluginOf(name, await importFromProject(name, from, purpose)));
    } catch (error) {
      if (error instanceof UsageError) problems.push(error.message);
      else problems.push(`The plugin ${name} failed to load: ${(error as Error).message}`);
    }
  }
  return { plugins, problems };
}
