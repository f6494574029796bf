import fs from 'node:fs';
import path from 'node:path';
import { runChecked } from './command.js';
import { type InstalledPackage, installedPackages, treeBytes } from './installed-packages.js';

/** A fresh npm project, as `npm init -y` would leave it but private and ESM. */
export function createProject(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: path.basename(dir), version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  return dir;
}

/**
 * `node_modules` folders above `dir`. Node looks for packages there too, so a package missing from
 * the project could still load from one of them and the checks would pass on a machine that has it.
 */
export function outsideNodeModules(dir: string): string[] {
  const found: string[] = [];
  for (let parent = path.dirname(path.resolve(dir)); ; parent = path.dirname(parent)) {
    if (fs.existsSync(path.join(parent, 'node_modules'))) found.push(path.join(parent, 'node_modules'));
    if (path.dirname(parent) === parent) return found;
  }
}

/**
 * A user's install of packed tarballs: third-party dependencies from the registry (through npm's
 * cache when it has them), and no lifecycle scripts, so an install that only works with scripts
 * allowed fails the checks instead of passing on a machine that allowed them.
 */
export async function npmInstall(project: string, specs: readonly string[]): Promise<void> {
  await runChecked('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', '--loglevel=error', ...specs], project);
}

export interface ProjectSnapshot {
  readonly packages: readonly InstalledPackage[];
  /** Bytes of every file in node_modules. */
  readonly bytes: number;
}

export function snapshot(project: string): ProjectSnapshot {
  return { packages: installedPackages(project), bytes: treeBytes(path.join(project, 'node_modules')) };
}

/** Runs an ES module script with the project's node_modules and prints what it wrote as JSON. */
export async function runScript(project: string, file: string, source: string, args: readonly string[] = []): Promise<unknown> {
  fs.writeFileSync(path.join(project, file), source);
  const out = await runChecked(process.execPath, [file, ...args], project);
  return JSON.parse(out) as unknown;
}

/**
 * Packages npm would run a script for at install: a preinstall, install or postinstall script, or a
 * binding.gyp at the package root (npm then runs `node-gyp rebuild` on its own).
 */
export function installScripts(packages: readonly InstalledPackage[]): string[] {
  return packages
    .filter((p) => {
      const scripts = p.manifest.scripts ?? {};
      return ['preinstall', 'install', 'postinstall'].some((s) => s in scripts) || fs.existsSync(path.join(p.dir, 'binding.gyp'));
    })
    .map((p) => p.location);
}
