import fs from 'node:fs';
import path from 'node:path';
import { type PackageManifest, readManifest } from './workspace.js';

export interface InstalledPackage {
  /** The name it is installed (and imported) under: its folder below node_modules. */
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  /** The folder relative to the project, `/`-separated: `node_modules/a/node_modules/b`. */
  readonly location: string;
  readonly manifest: PackageManifest;
}

/** Every package in a project's node_modules tree, nested copies included. */
export function installedPackages(projectDir: string): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  const visit = (dir: string, name: string): void => {
    if (!fs.existsSync(path.join(dir, 'package.json'))) return;
    const manifest = readManifest(dir);
    found.push({ name, version: manifest.version, dir, location: path.relative(projectDir, dir).split(path.sep).join('/'), manifest });
    walk(path.join(dir, 'node_modules'));
  };
  const walk = (nodeModules: string): void => {
    if (!fs.existsSync(nodeModules)) return;
    for (const entry of fs.readdirSync(nodeModules, { withFileTypes: true })) {
      // .bin holds command links and .package-lock.json npm's record of the tree; neither is a package.
      if (entry.name.startsWith('.')) continue;
      const full = path.join(nodeModules, entry.name);
      if (entry.name.startsWith('@')) {
        for (const scoped of fs.readdirSync(full, { withFileTypes: true })) visit(path.join(full, scoped.name), `${entry.name}/${scoped.name}`);
      } else {
        visit(full, entry.name);
      }
    }
  };
  walk(path.join(projectDir, 'node_modules'));
  return found.sort((a, b) => a.location.localeCompare(b.location));
}

/**
 * The folder Node would load `name` from when `fromDir` imports it: `node_modules/name` in `fromDir`
 * and then in each folder above it, up to the project (nothing above the project counts; the checks
 * make sure nothing is there).
 */
export function resolvePackageDir(projectDir: string, fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    if (dir === projectDir || path.dirname(dir) === dir) return undefined;
  }
}

export interface DependencyClosure {
  /** Folders of the packages reached. */
  readonly dirs: ReadonlySet<string>;
  /** Required dependencies that are not installed, as `name (from location)`. */
  readonly unresolved: readonly string[];
}

/**
 * The packages reached from `names` (as `fromDir` imports them) through every package's dependencies,
 * optional dependencies and peer dependencies (npm installs a package's peers with it). Optional ones
 * that are not installed (another platform's sharp binary) are skipped; a missing required one is
 * reported, since npm should have installed it.
 */
export function dependencyClosure(projectDir: string, fromDir: string, names: readonly string[]): DependencyClosure {
  const dirs = new Set<string>();
  const unresolved: string[] = [];
  const queue: Array<{ from: string; name: string; optional: boolean }> = names.map((name) => ({ from: fromDir, name, optional: false }));
  while (queue.length > 0) {
    const { from, name, optional } = queue.shift()!;
    const dir = resolvePackageDir(projectDir, from, name);
    if (!dir) {
      if (!optional) unresolved.push(`${name} (from ${path.relative(projectDir, from).split(path.sep).join('/') || '.'})`);
      continue;
    }
    if (dirs.has(dir)) continue;
    dirs.add(dir);
    const manifest = readManifest(dir);
    const optionalDeps = manifest.optionalDependencies ?? {};
    for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push({ from: dir, name: dep, optional: dep in optionalDeps });
    for (const dep of Object.keys(optionalDeps)) queue.push({ from: dir, name: dep, optional: true });
    for (const dep of Object.keys(manifest.peerDependencies ?? {})) {
      queue.push({ from: dir, name: dep, optional: manifest.peerDependenciesMeta?.[dep]?.optional === true });
    }
  }
  return { dirs, unresolved };
}

/** Bytes of every regular file below `dir` (what the files hold, not the blocks they take on disk). */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(full);
    else if (entry.isFile()) total += fs.lstatSync(full).size;
  }
  return total;
}
