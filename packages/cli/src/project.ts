import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolve as resolveModule } from 'import-meta-resolve';
import { UsageError } from './errors.js';

/** The folder of an installed package, found the way Node finds packages: node_modules of `from` and each parent. */
export function packageDir(name: string, from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', ...name.split('/'));
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(dir) === dir) return undefined;
  }
}

export interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly description?: string;
  readonly keywords?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The install command for a package, with the package manager the project uses. */
export function installCommand(name: string, project: string): string {
  for (let dir = path.resolve(project); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'pnpm-lock.yaml'))) return `pnpm add ${name}`;
    if (fs.existsSync(path.join(dir, 'yarn.lock'))) return `yarn add ${name}`;
    if (fs.existsSync(path.join(dir, 'package-lock.json')) || path.dirname(dir) === dir) return `npm install ${name}`;
  }
}

/** Imports a package as the user's project would (ESM resolution from `from`), or says how to install it. */
export async function importFromProject(name: string, from: string, purpose: string): Promise<Record<string, unknown>> {
  let url: string;
  try {
    url = resolveModule(name, pathToFileURL(path.join(path.resolve(from), 'noop.js')).href);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || code === 'ERR_INVALID_MODULE_SPECIFIER') {
      throw new UsageError(`${purpose} needs the package ${name}, which is not installed in ${path.resolve(from)} (or any folder above it). Install it: ${installCommand(name, from)}`);
    }
    throw error;
  }
  return (await import(url)) as Record<string, unknown>;
}
