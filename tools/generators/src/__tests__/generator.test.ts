import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FsTree } from 'nx/src/generators/tree';
import { describe, expect, it } from 'vitest';
import pluginGenerator, { corePeerRange } from '../plugin/generator.cjs';

// The real workspace, read from disk; what the generator writes stays in the tree's memory.
const root = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const workspaceTree = () => new FsTree(root, false);
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
const written = (tree: FsTree, file: string) => tree.read(file, 'utf-8') ?? '';

async function failure(options: Parameters<typeof pluginGenerator>[1]): Promise<{ message: string; changes: number }> {
  const tree = workspaceTree();
  try {
    await pluginGenerator(tree, options);
  } catch (error) {
    return { message: (error as Error).message, changes: tree.listChanges().length };
  }
  throw new Error(`the generator accepted ${JSON.stringify(options)}`);
}

describe('nx g @tributary/tools:plugin', () => {
  it('writes a package shaped like plugins/tabular, with the current core as the floor of its peer range', async () => {
    const tree = workspaceTree();
    await pluginGenerator(tree, { name: 'geo-ip' });
    expect(tree.listChanges().map((c) => c.path).sort()).toEqual([
      '.changeset/plugin-geo-ip-initial.md',
      'plugins/geo-ip/README.md',
      'plugins/geo-ip/package.json',
      'plugins/geo-ip/src/__tests__/conformance.test.ts',
      'plugins/geo-ip/src/__tests__/plugin.test.ts',
      'plugins/geo-ip/src/__tests__/upper-case.test.ts',
      'plugins/geo-ip/src/index.ts',
      'plugins/geo-ip/src/upper-case.ts',
      'plugins/geo-ip/tsconfig.build.json',
      'plugins/geo-ip/tsconfig.json',
      'plugins/geo-ip/vitest.config.ts',
    ]);

    const generated = JSON.parse(written(tree, 'plugins/geo-ip/package.json'));
    const tabular = readJson('plugins/tabular/package.json');
    const core = readJson('packages/core/package.json');
    const [major, minor] = core.version.split('.');
    expect(generated.name).toBe('@tributary/plugin-geo-ip');
    expect(generated.peerDependencies).toEqual({ '@tributary/core': `^${major}.${minor}.0` });
    expect(generated.devDependencies['@tributary/core']).toBe(core.version);
    for (const field of ['license', 'type', 'sideEffects', 'engines', 'exports', 'files', 'scripts']) expect([field, generated[field]]).toEqual([field, tabular[field]]);
    expect(Object.keys(generated.exports['.'])).toEqual(['@tributary/source', 'types', 'default']);
    expect(Object.keys(generated)).toEqual(Object.keys(tabular));

    for (const file of ['tsconfig.json', 'tsconfig.build.json', 'vitest.config.ts']) {
      expect([file, written(tree, `plugins/geo-ip/${file}`)]).toEqual([file, fs.readFileSync(path.join(root, 'plugins/tabular', file), 'utf8')]);
    }

    const index = written(tree, 'plugins/geo-ip/src/index.ts');
    expect(index).toContain('export const geoIp = definePlugin({');
    expect(index).toContain(`name: '@tributary/plugin-geo-ip',\n  version: '0.0.0',\n  core: '^${major}.${minor}.0',`);
    expect(written(tree, 'plugins/geo-ip/src/upper-case.ts')).toContain("readonly kind = 'geo-ip:upper-case';");
    expect(written(tree, '.changeset/plugin-geo-ip-initial.md')).toMatch(/^---\n'@tributary\/plugin-geo-ip': minor\n---\n\n\S/);
  });

  it('gives the README the sections of the standard skeleton, in order, and the compatibility of this workspace', async () => {
    const tree = workspaceTree();
    await pluginGenerator(tree, { name: 'geo', description: 'Coordinates and\n  places.' });
    const readme = written(tree, 'plugins/geo/README.md');
    expect(readme.split('\n').filter((line) => line.startsWith('#'))).toEqual([
      '# @tributary/plugin-geo',
      '## When to use it',
      '## Install',
      '## Example',
      '## API',
      '## Compatibility',
      '## Security notes',
    ]);
    // engines.node of the core is ">=20.19.0".
    expect(readme).toContain(`\`@tributary/core\` ^${readJson('packages/core/package.json').version.split('.').slice(0, 2).join('.')}.0 (peer). Node 20.19 or later.`);
    expect(readme).toContain('\nCoordinates and places.\n');
    expect(JSON.parse(written(tree, 'plugins/geo/package.json')).description).toBe('Coordinates and places.');
  });

  it('points the relative paths of a package at another depth back at the workspace root', async () => {
    const tree = workspaceTree();
    await pluginGenerator(tree, { name: 'geo', directory: 'contrib/plugins/geo/' });
    const dir = 'contrib/plugins/geo';
    const extendsPath = JSON.parse(written(tree, `${dir}/tsconfig.json`)).extends;
    const sharedPath = /from '([^']+vitest\.shared\.ts)'/.exec(written(tree, `${dir}/vitest.config.ts`))?.[1];
    const bundlePath = /node (\S+bundle\.mjs)/.exec(JSON.parse(written(tree, `${dir}/package.json`)).scripts.build)?.[1];
    // Three folders deep: three steps up.
    expect([extendsPath, sharedPath, bundlePath]).toEqual(['../../../tsconfig.base.json', '../../../vitest.shared.ts', '../../../tools/build/bundle.mjs']);
    for (const target of [extendsPath, sharedPath, bundlePath]) expect([target, fs.existsSync(path.resolve(root, dir, target))]).toEqual([target, true]);
  });

  it('refuses a name that is not a lower-case domain, and writes nothing', async () => {
    for (const name of ['Geo', 'geo_ip', 'geo ip', '-geo', 'geo-', 'geo--ip', '1geo', '', 'géo']) {
      const { message, changes } = await failure({ name });
      expect([name, message]).toEqual([name, expect.stringMatching(/is not a lower-case domain\. Use lower-case letters and digits/)]);
      expect(changes).toBe(0);
    }
  });

  it('refuses a domain that is taken: an existing plugin folder or package, a reserved word, a name the generated code uses', async () => {
    expect((await failure({ name: 'tabular' })).message).toBe("plugins/tabular already exists: the domain 'tabular' is taken. Choose another name, or add stages to that plugin instead.");
    expect((await failure({ name: 'tabular', directory: 'contrib/tabular' })).message).toMatch(/^plugins\/tabular already exists/);
    expect((await failure({ name: 'package' })).message).toMatch(/exported as 'package', which is a reserved word/);
    expect((await failure({ name: 'upper-case' })).message).toMatch(/exported as 'upperCase', which is a reserved word or a name the generated code already uses/);
    expect((await failure({ name: 'it' })).changes).toBe(0);
  });

  it('refuses a directory outside the workspace, inside node_modules, or not empty', async () => {
    for (const directory of ['../geo', '/tmp/geo', '.', 'plugins/../..', 'node_modules/geo']) {
      expect([directory, (await failure({ name: 'geo', directory })).message]).toEqual([directory, expect.stringMatching(/not a folder inside the workspace|inside node_modules/)]);
    }
    expect((await failure({ name: 'geo', directory: 'plugins/tabular' })).message).toBe('plugins/tabular already exists and is not empty. Choose an empty or new folder with --directory.');
  });

  it('takes the caret range of the core major.minor, or the prerelease itself', () => {
    expect(corePeerRange('0.1.0')).toBe('^0.1.0');
    expect(corePeerRange('0.1.7')).toBe('^0.1.0');
    expect(corePeerRange('1.4.2')).toBe('^1.4.0');
    expect(corePeerRange('1.4.2+build.9')).toBe('^1.4.0');
    expect(corePeerRange('2.0.0-next.3')).toBe('^2.0.0-next.3');
    expect(() => corePeerRange('v1')).toThrow(/not semver/);
  });
});
