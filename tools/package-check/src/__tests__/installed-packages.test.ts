import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencyClosure, installedPackages, resolvePackageDir, treeBytes } from '../installed-packages.js';

let project: string;

function pkg(location: string, manifest: Record<string, unknown>): void {
  const dir = path.join(project, location);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest));
}

// A tree the way npm lays one out: `a` needs b@2 while b@1 sits at the top, so b@2 is nested under a.
beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'package-check-tree-'));
  pkg('.', { name: 'app', version: '0.0.0', dependencies: { a: '^1.0.0' } });
  pkg('node_modules/a', {
    name: 'a',
    version: '1.0.0',
    dependencies: { b: '^2.0.0', c: '^1.0.0' },
    optionalDependencies: { 'only-on-windows': '^1.0.0' },
    peerDependencies: { 'optional-peer': '*' },
    peerDependenciesMeta: { 'optional-peer': { optional: true } },
  });
  pkg('node_modules/a/node_modules/b', { name: 'b', version: '2.0.0', dependencies: { c: '^1.0.0' } });
  pkg('node_modules/b', { name: 'b', version: '1.0.0' });
  pkg('node_modules/c', { name: 'c', version: '1.0.0' });
  pkg('node_modules/@s/d', { name: '@s/d', version: '1.0.0', peerDependencies: { c: '^1.0.0' } });
  pkg('node_modules/e', { name: 'e', version: '1.0.0', dependencies: { gone: '^1.0.0' } });
  fs.mkdirSync(path.join(project, 'node_modules/.bin'));
  fs.writeFileSync(path.join(project, 'node_modules/.package-lock.json'), '{}');
});

afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

describe('installedPackages', () => {
  it('lists every package folder, nested copies included, and nothing under dot-folders', () => {
    expect(installedPackages(project).map((p) => `${p.location} ${p.name}@${p.version}`)).toEqual([
      'node_modules/@s/d @s/d@1.0.0',
      'node_modules/a a@1.0.0',
      'node_modules/a/node_modules/b b@2.0.0',
      'node_modules/b b@1.0.0',
      'node_modules/c c@1.0.0',
      'node_modules/e e@1.0.0',
    ]);
  });
});

describe('resolvePackageDir', () => {
  it('looks in the importer’s own node_modules first, then in the folders above it', () => {
    const a = path.join(project, 'node_modules/a');
    expect(resolvePackageDir(project, a, 'b')).toBe(path.join(project, 'node_modules/a/node_modules/b'));
    expect(resolvePackageDir(project, path.join(a, 'node_modules/b'), 'c')).toBe(path.join(project, 'node_modules/c'));
    expect(resolvePackageDir(project, project, 'b')).toBe(path.join(project, 'node_modules/b'));
    expect(resolvePackageDir(project, a, 'nowhere')).toBeUndefined();
  });
});

describe('dependencyClosure', () => {
  const rel = (dirs: ReadonlySet<string>) => [...dirs].map((d) => path.relative(project, d).split(path.sep).join('/')).sort();

  it('follows dependencies to the copy Node would load, and skips optional ones that are absent', () => {
    const closure = dependencyClosure(project, project, ['a']);
    expect(rel(closure.dirs)).toEqual(['node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/c']);
    expect(closure.unresolved).toEqual([]);
  });

  it('follows required peer dependencies', () => {
    expect(rel(dependencyClosure(project, project, ['@s/d']).dirs)).toEqual(['node_modules/@s/d', 'node_modules/c']);
  });

  it('reports a required dependency that is not installed', () => {
    const closure = dependencyClosure(project, project, ['e']);
    expect(rel(closure.dirs)).toEqual(['node_modules/e']);
    expect(closure.unresolved).toEqual(['gone (from node_modules/e)']);
  });
});

describe('treeBytes', () => {
  it('adds the sizes of regular files, not of folders or links', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'package-check-bytes-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.bin'), Buffer.alloc(1000));
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'b.txt'), 'héllo'); // é is 2 bytes in UTF-8: 6 bytes
      fs.symlinkSync(path.join(dir, 'a.bin'), path.join(dir, 'link'));
      expect(treeBytes(dir)).toBe(1006);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
