import fs from 'node:fs';
import path from 'node:path';
import { runChecked } from './command.js';
import type { ExportTarget, PackageManifest, WorkspacePackage } from './workspace.js';

export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  /** The .tgz npm would upload. */
  readonly tarball: string;
  /** The tarball unpacked: what lands in a user's node_modules. */
  readonly unpacked: string;
  /** The package.json inside the tarball (npm may normalise it while packing). */
  readonly manifest: PackageManifest;
  /** Paths inside the package, `/`-separated. */
  readonly files: ReadonlySet<string>;
  readonly unpackedSize: number;
}

interface NpmPackEntry {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly unpackedSize: number;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

/**
 * `npm pack` in each package folder, the way `npm publish` would build the upload, then unpacked
 * beside it. Lifecycle scripts are not run: the packages must already be built, and a pack that
 * quietly rebuilt them would test a different dist than the one checked in the workspace.
 */
export async function packPackages(packages: readonly WorkspacePackage[], destination: string): Promise<Map<string, PackedPackage>> {
  fs.mkdirSync(destination, { recursive: true });
  const packed = new Map<string, PackedPackage>();
  for (const pkg of packages) {
    const out = await runChecked('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], pkg.dir);
    const [entry] = JSON.parse(out) as NpmPackEntry[];
    if (!entry) throw new Error(`npm pack printed no package for ${pkg.dir}: ${out.slice(0, 500)}`);
    const tarball = path.join(destination, entry.filename);
    const unpacked = path.join(destination, 'unpacked', entry.filename.replace(/\.tgz$/, ''));
    fs.mkdirSync(unpacked, { recursive: true });
    await runChecked('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], destination);
    packed.set(entry.name, {
      name: entry.name,
      version: entry.version,
      tarball,
      unpacked,
      manifest: JSON.parse(fs.readFileSync(path.join(unpacked, 'package.json'), 'utf8')) as PackageManifest,
      files: new Set(entry.files.map((f) => f.path)),
      unpackedSize: entry.unpackedSize,
    });
  }
  return packed;
}

/**
 * Files the package points at but does not ship: every `exports` target under every condition (a
 * custom condition included: a user who enables it must find the file), `bin`, and the sources of
 * the declaration maps (`sources` in `*.d.ts.map`, which editors follow from a type to its code).
 */
export function danglingReferences(pkg: PackedPackage, targets: readonly ExportTarget[]): string[] {
  const has = (file: string): boolean => pkg.files.has(path.posix.normalize(file));
  const problems: string[] = [];
  for (const { keys, target } of targets) {
    if (target.includes('*')) continue;
    if (!has(target)) problems.push(`exports[${keys.map((k) => JSON.stringify(k)).join('][')}] → ${target} is not in the tarball`);
  }
  const bin = pkg.manifest.bin;
  for (const target of typeof bin === 'string' ? [bin] : Object.values(bin ?? {})) {
    if (!has(target)) problems.push(`bin → ${target} is not in the tarball`);
  }
  for (const file of pkg.files) {
    if (!file.endsWith('.d.ts.map')) continue;
    const map = JSON.parse(fs.readFileSync(path.join(pkg.unpacked, file), 'utf8')) as { sources?: string[]; sourceRoot?: string };
    for (const source of map.sources ?? []) {
      const resolved = path.posix.join(path.posix.dirname(file), map.sourceRoot ?? '', source);
      if (!has(resolved)) problems.push(`${file} maps to ${resolved}, which is not in the tarball`);
    }
  }
  return problems;
}

/** The package a bare import specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
export function packageOfSpecifier(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

// The forms esbuild and tsc emit. Static imports start a line, which keeps out text that only looks
// like one: tsyringe's bundled error message "add 'import \"reflect-metadata\"'", a TSDoc example.
const STATIC_IMPORT = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"'\n]+)["']/gm;
const SIDE_EFFECT_IMPORT = /^\s*import\s*["']([^"'\n]+)["']/gm;
const CALL_IMPORT = /\b(?:import|require)\s*\(\s*["']([^"'\n]+)["']\s*\)/g;

export interface ImportProblems {
  /** Imports of packages the package does not declare. */
  readonly undeclared: readonly string[];
  /**
   * Side-effect imports (`import 'x'`) in declaration files of packages the package does not
   * declare. They do not change the types, and TypeScript ignores one it cannot resolve unless the
   * consumer sets `noUncheckedSideEffectImports` (with `skipLibCheck` off), so they are told apart.
   */
  readonly sideEffectsInDeclarations: readonly string[];
}

/**
 * Packages the shipped JavaScript and declarations import without declaring them in dependencies,
 * peerDependencies or optionalDependencies. npm's hoisting often hides such an import (the package
 * is there because something else brought it); pnpm's and Yarn's strict layouts do not, and a
 * declaration that cannot resolve its import turns the types it names into `any` under
 * `skipLibCheck`. The shipped sources (`src/`) are left out: they are read through declaration maps,
 * never run or compiled by a user, and import the build-time packages the bundle inlines.
 */
export function importProblems(pack: PackedPackage, builtins: ReadonlySet<string>): ImportProblems {
  const m = pack.manifest;
  const declared = new Set([m.name, ...Object.keys({ ...m.dependencies, ...m.peerDependencies, ...m.optionalDependencies })]);
  const undeclared = new Set<string>();
  const sideEffects = new Set<string>();
  const isExternal = (specifier: string) => !/^(\.|\/|node:|#)/.test(specifier) && !builtins.has(packageOfSpecifier(specifier)) && !declared.has(packageOfSpecifier(specifier));
  for (const file of pack.files) {
    const declaration = /\.d\.(c|m)?ts$/.test(file);
    if (file.startsWith('src/') || !(declaration || /\.(c|m)?js$/.test(file))) continue;
    const text = fs.readFileSync(path.join(pack.unpacked, file), 'utf8');
    for (const form of [STATIC_IMPORT, CALL_IMPORT]) {
      for (const [, specifier] of text.matchAll(form)) if (specifier && isExternal(specifier)) undeclared.add(`${file} imports ${specifier}, which ${m.name} does not declare`);
    }
    for (const [, specifier] of text.matchAll(SIDE_EFFECT_IMPORT)) {
      if (!specifier || !isExternal(specifier)) continue;
      (declaration ? sideEffects : undeclared).add(`${file} imports ${specifier}, which ${m.name} does not declare`);
    }
  }
  return { undeclared: [...undeclared].sort(), sideEffectsInDeclarations: [...sideEffects].sort() };
}

/**
 * Chunk files no shipped file imports. esbuild writes new chunks beside the old ones without
 * removing them, so a dist built more than once can carry dead chunks into the tarball.
 */
export function unreferencedChunks(pack: PackedPackage): string[] {
  const chunks = [...pack.files].filter((f) => /^dist\/chunks\/[^/]+\.js$/.test(f));
  if (chunks.length === 0) return [];
  const referenced = new Set<string>();
  for (const file of pack.files) {
    if (!file.startsWith('dist/') || !/\.(c|m)?js$/.test(file)) continue;
    const text = fs.readFileSync(path.join(pack.unpacked, file), 'utf8');
    for (const form of [STATIC_IMPORT, SIDE_EFFECT_IMPORT, CALL_IMPORT]) {
      for (const [, specifier] of text.matchAll(form)) {
        if (specifier?.startsWith('.')) referenced.add(path.posix.join(path.posix.dirname(file), specifier));
      }
    }
  }
  return chunks.filter((chunk) => !referenced.has(chunk));
}
