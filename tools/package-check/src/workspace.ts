import fs from 'node:fs';
import path from 'node:path';

/** The fields of a package.json these checks read. */
export interface PackageManifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly workspaces?: readonly string[];
  readonly exports?: unknown;
  readonly bin?: string | Readonly<Record<string, string>>;
  readonly scripts?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
}

export interface WorkspacePackage {
  readonly dir: string;
  readonly manifest: PackageManifest;
}

export function readManifest(dir: string): PackageManifest {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageManifest;
}

/** The monorepo root: the nearest folder above `from` whose package.json declares workspaces. */
export function workspaceRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && Array.isArray(readManifest(dir).workspaces)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json with "workspaces" above ${from}; run the checks inside the Tributary repository.`);
  }
}

function isLinked(root: string, name: string, dir: string): boolean {
  const link = path.join(root, 'node_modules', name);
  return fs.existsSync(link) && fs.realpathSync(link) === fs.realpathSync(dir);
}

/**
 * Every package npm would publish (not `private`), found through the root's workspace globs, so a
 * new plugin is checked without being listed here. Only packages npm has linked into the root
 * node_modules count (all of them after `npm install` or `npm ci`): other tests write throwaway
 * packages into plugins/ while they run, and those are not the repository's.
 */
export function publishedPackages(root: string): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const pattern of readManifest(root).workspaces ?? []) {
    if (!pattern.endsWith('/*') || pattern.slice(0, -2).includes('*')) {
      throw new Error(`Workspace pattern ${JSON.stringify(pattern)} is not of the form "folder/*"; teach publishedPackages() to expand it.`);
    }
    const parent = path.join(root, pattern.slice(0, -2));
    if (!fs.existsSync(parent)) continue;
    for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
      const dir = path.join(parent, entry.name);
      if (!entry.isDirectory() || entry.name.startsWith('.') || !fs.existsSync(path.join(dir, 'package.json'))) continue;
      const manifest = readManifest(dir);
      if (manifest.private !== true && isLinked(root, manifest.name, dir)) found.push({ dir, manifest });
    }
  }
  return found.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

export interface ExportTarget {
  /** The keys that lead to the target: the subpath, then the conditions (`['.', 'types']`). */
  readonly keys: readonly string[];
  readonly target: string;
}

/** Every file path named in an `exports` map, under every subpath and condition. */
export function exportTargets(exports: unknown, keys: readonly string[] = []): ExportTarget[] {
  if (typeof exports === 'string') return [{ keys, target: exports }];
  if (Array.isArray(exports)) return exports.flatMap((value) => exportTargets(value, keys));
  if (exports && typeof exports === 'object') {
    return Object.entries(exports).flatMap(([key, value]) => exportTargets(value, [...keys, key]));
  }
  return [];
}

/**
 * The built files a package's exports and bin point at that are not on disk. The source condition is
 * left out: it names files in `src/`, which exist without a build.
 */
export function missingBuildOutputs(pkg: WorkspacePackage, sourceCondition: string): string[] {
  const targets = exportTargets(pkg.manifest.exports)
    .filter((t) => !t.keys.includes(sourceCondition))
    .map((t) => t.target);
  const bin = pkg.manifest.bin;
  if (typeof bin === 'string') targets.push(bin);
  else if (bin) targets.push(...Object.values(bin));
  return targets.filter((target) => !target.includes('*') && !fs.existsSync(path.join(pkg.dir, target)));
}

function newestChange(dir: string, skip: (name: string) => boolean): number {
  if (!fs.existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(full, skip) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Whether a source file changed after the last build. Only a warning: nx builds before this test on
 * its own, and a direct `npx vitest run` after an edit would otherwise check the old build silently.
 */
export function isBuildStale(pkg: WorkspacePackage): boolean {
  const isTest = (name: string) => name === '__tests__' || name.endsWith('.test.ts');
  return newestChange(path.join(pkg.dir, 'src'), isTest) > newestChange(path.join(pkg.dir, 'dist'), () => false);
}
