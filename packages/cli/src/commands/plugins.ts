import fs from 'node:fs';
import path from 'node:path';
import { versionSatisfies } from '@tributary/core';
import { type GlobalOptions, emit, table } from '../output.js';
import { pluginOf } from '../plugins.js';
import { type PackageJson, importFromProject, packageDir, readPackageJson } from '../project.js';

export interface PluginsOptions extends GlobalOptions {
  /** Only read package.json files: do not import the plugins (no kinds listed). */
  readonly load?: boolean;
}

const PLUGIN_NAME = /^(@tributary\/plugin-[a-z0-9-]+|(@[a-z0-9-]+\/)?tributary-plugin-[a-z0-9-]+)$/;

/** Names of the packages installed in the node_modules folders from `from` upwards that are Tributary plugins. */
export function discoverPlugins(from: string, problems: string[] = []): string[] {
  const names = new Set<string>();
  const list = (folder: string) => {
    try {
      return fs.readdirSync(folder);
    } catch {
      return []; // not a folder, or unreadable: nothing installed there
    }
  };
  const read = (dir: string) => {
    try {
      return readPackageJson(dir);
    } catch (error) {
      problems.push(`${path.join(dir, 'package.json')} cannot be read: ${(error as Error).message}`);
      return undefined;
    }
  };
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const modules = path.join(dir, 'node_modules');
    for (const entry of list(modules)) {
      const candidates = entry.startsWith('@') ? list(path.join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
      for (const name of candidates) {
        if (PLUGIN_NAME.test(name)) names.add(name);
      }
    }
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      const project = read(dir);
      for (const name of Object.keys({ ...project?.dependencies, ...project?.devDependencies })) {
        const pkg = packageDir(name, dir);
        if (pkg && (read(pkg)?.keywords ?? []).includes('tributary-plugin')) names.add(name);
      }
    }
    if (path.dirname(dir) === dir) break;
  }
  return [...names].sort();
}

interface PluginRow {
  readonly package: string;
  readonly version: string | null;
  readonly core: string | null;
  readonly fits: boolean | null;
  readonly kinds: string[] | null;
  readonly problem: string | null;
}

/** `tributary plugins`: what is installed, its version, the core range it needs, and the stage kinds it registers. */
export async function pluginsCommand(options: PluginsOptions): Promise<void> {
  const cwd = process.cwd();
  const coreDir = packageDir('@tributary/core', cwd);
  const problems: string[] = [];
  let coreVersion: string | null = null;
  try {
    coreVersion = coreDir ? (readPackageJson(coreDir).version ?? null) : null;
  } catch (error) {
    problems.push(`${coreDir}/package.json cannot be read: ${(error as Error).message}`);
  }
  const rows: PluginRow[] = [];
  for (const name of discoverPlugins(cwd, problems)) {
    const dir = packageDir(name, cwd);
    let pkg: PackageJson = {};
    try {
      pkg = dir ? readPackageJson(dir) : {};
    } catch (error) {
      rows.push({ package: name, version: null, core: null, fits: null, kinds: null, problem: `its package.json cannot be read: ${(error as Error).message}` });
      continue;
    }
    const core = pkg.peerDependencies?.['@tributary/core'] ?? null;
    const fits = core && coreVersion ? versionSatisfies(coreVersion, core) : null;
    let kinds: string[] | null = null;
    let problem: string | null = fits === false ? `needs @tributary/core ${core}, found ${coreVersion}` : null;
    if (options.load !== false && fits !== false) {
      try {
        const module = await importFromProject(name, cwd, 'tributary plugins');
        const plugin = pluginOf(name, module);
        kinds = plugin.stages.map((s) => s.kind).sort();
        if (coreVersion && !versionSatisfies(coreVersion, plugin.core)) problem = `registers for @tributary/core ${plugin.core}, found ${coreVersion}`;
      } catch (error) {
        problem = (error as Error).message;
      }
    }
    rows.push({ package: name, version: pkg.version ?? null, core, fits, kinds, problem });
  }
  for (const problem of problems) process.stderr.write(`tributary: warning: ${problem}\n`);
  emit(options, { core: coreVersion, plugins: rows, ...(problems.length ? { problems } : {}) }, () => {
    if (rows.length === 0) return `No Tributary plugins are installed in ${cwd}. Install one, e.g. npm install @tributary/plugin-natural`;
    const lines = [
      `@tributary/core ${coreVersion ?? '(not installed)'}`,
      '',
      table([
        ['plugin', 'version', 'core range', 'fits', 'kinds'],
        ...rows.map((r) => [r.package, r.version ?? '?', r.core ?? '?', r.fits === null ? '?' : r.fits ? 'yes' : 'NO', r.kinds ? String(r.kinds.length) : '-']),
      ]),
    ];
    for (const r of rows) {
      if (r.kinds?.length) lines.push('', `${r.package}: ${r.kinds.join(', ')}`);
      if (r.problem) lines.push('', `${r.package}: ${r.problem}`);
    }
    return lines.join('\n');
  });
}
