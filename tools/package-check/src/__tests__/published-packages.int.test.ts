import fs from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecked, runCommand } from '../command.js';
import { type InstalledPackage, dependencyClosure, treeBytes } from '../installed-packages.js';
import { type PackedPackage, danglingReferences, importProblems, packPackages, unreferencedChunks } from '../pack.js';
import { rgbPng } from '../png.js';
import { type ProjectSnapshot, createProject, installScripts, npmInstall, outsideNodeModules, runScript, snapshot } from '../project.js';
import { exportTargets, isBuildStale, missingBuildOutputs, publishedPackages, readManifest, workspaceRoot } from '../workspace.js';

/** The export condition that points workspace packages at their sources (vitest.shared.ts). */
const SOURCE_CONDITION = '@tributary/source';
/** The budget for `@tributary/core` with its dependencies, in bytes (decimal MB, as npm reports sizes). */
const CORE_INSTALL_LIMIT = 12_000_000;

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const root = workspaceRoot(packageDir);
const published = publishedPackages(root);
const require = createRequire(import.meta.url);

let work = '';
let packs = new Map<string, PackedPackage>();

function packOf(name: string): PackedPackage {
  const pack = packs.get(name);
  if (!pack) throw new Error(`${name} was not packed; is it still a published workspace package?`);
  return pack;
}

/** Packages a plugin's user must never get by installing another plugin. */
const HEAVY: Readonly<Record<string, RegExp>> = {
  tfjs: /^@tensorflow\//,
  sharp: /^(sharp|@img\/.+)$/,
  natural: /^natural$/,
  duckdb: /^(duckdb|@duckdb\/.+)$/,
  fastify: /^(fastify|@fastify\/.+)$/,
  bullmq: /^bullmq$/,
};

function heavyPackages(packages: readonly InstalledPackage[], groups: readonly string[]): string[] {
  return packages.filter((p) => groups.some((g) => HEAVY[g]!.test(p.name))).map((p) => `${p.location} (${p.name}@${p.version})`);
}

const key = (p: InstalledPackage) => `${p.location}@${p.version}`;

/** Installed packages that no dependency path from the project's own dependencies reaches. */
function outsideClosure(project: string, packages: readonly InstalledPackage[]): { stray: string[]; unresolved: readonly string[] } {
  const closure = dependencyClosure(project, project, Object.keys(readManifest(project).dependencies ?? {}));
  return { stray: packages.filter((p) => !closure.dirs.has(p.dir)).map((p) => p.location), unresolved: closure.unresolved };
}

function printSize(install: string, snap: ProjectSnapshot, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ check: 'install-size', install, packages: snap.packages.length, bytes: snap.bytes, mb: +(snap.bytes / 1e6).toFixed(2), ...extra }));
}

beforeAll(async () => {
  const missing = published.flatMap((pkg) => missingBuildOutputs(pkg, SOURCE_CONDITION).map((file) => `${pkg.manifest.name}: ${file}`));
  if (missing.length > 0) {
    throw new Error(`Packages are not built, so their tarballs would be empty shells:\n  ${missing.join('\n  ')}\nRun \`npm run build\` at the repository root first (\`npx nx test @tributary/package-check\` builds them on its own).`);
  }
  const stale = published.filter(isBuildStale).map((pkg) => pkg.manifest.name);
  if (stale.length > 0) console.warn(`Sources changed after the last build of ${stale.join(', ')}: checking the old build. Run \`npm run build\` to check the new one.`);

  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-package-check-'));
  const outside = outsideNodeModules(work);
  if (outside.length > 0) {
    throw new Error(`node_modules folders above the temp folder (${outside.join(', ')}) would let the test projects load packages they did not install. Remove them or point TMPDIR elsewhere.`);
  }
  packs = await packPackages(published, path.join(work, 'packs'));
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the published packages', () => {
  it('are all devDependencies of this package at their workspace versions, so nx builds them before this test', () => {
    const own = readManifest(packageDir).devDependencies ?? {};
    const listed = Object.fromEntries(Object.entries(own).filter(([name]) => name.startsWith('@tributary/')));
    expect(listed).toEqual(Object.fromEntries(published.map((p) => [p.manifest.name, p.manifest.version])));
  });

  it('declare a dependency they share with core with core’s range, so one copy serves them all', () => {
    const core = published.find((p) => p.manifest.name === '@tributary/core')?.manifest.dependencies ?? {};
    expect(Object.keys(core).length).toBeGreaterThan(0);
    const differing = published.flatMap((p) =>
      Object.entries(p.manifest.dependencies ?? {})
        .filter(([dep, range]) => dep in core && range !== core[dep])
        .map(([dep, range]) => `${p.manifest.name} has ${dep} ${range}, core ${core[dep]}`),
    );
    expect(differing).toEqual([]);
  });
});

describe.each(published.map((p) => p.manifest.name))('%s, packed', (name) => {
  it('ships every file its exports, bin and declaration maps point at', () => {
    const pack = packOf(name);
    expect(danglingReferences(pack, exportTargets(pack.manifest.exports))).toEqual([]);
    // The source condition must keep pointing at TypeScript sources, for the workspace's tests.
    const source = exportTargets(pack.manifest.exports).filter((t) => t.keys.includes(SOURCE_CONDITION));
    expect(source.length).toBeGreaterThan(0);
    for (const { target } of source) expect(target).toMatch(/^\.\/src\/.+\.ts$/);
  });

  it('declares every package its JavaScript and declarations import', () => {
    const problems = importProblems(packOf(name), new Set(builtinModules));
    if (problems.sideEffectsInDeclarations.length > 0) {
      console.warn(JSON.stringify({ check: 'side-effect-imports-in-declarations', package: name, imports: problems.sideEffectsInDeclarations }));
    }
    expect(problems.undeclared).toEqual([]);
  });

  it('ships no chunk that nothing imports', () => {
    expect(unreferencedChunks(packOf(name))).toEqual([]);
  });

  it('ships no tests', () => {
    const tests = [...packOf(name).files].filter((f) => f.includes('/__tests__/') || /\.test(-d)?\.[cm]?[jt]s$/.test(f));
    expect(tests).toEqual([]);
  });

  it('passes publint without errors or warnings', async () => {
    const data = fs.readFileSync(packOf(name).tarball);
    const { messages, pkg } = await publint({ pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer }, level: 'suggestion', strict: false });
    const lines = messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`);
    const suggestions = lines.filter((l) => l.startsWith('suggestion'));
    if (suggestions.length > 0) console.log(JSON.stringify({ check: 'publint', package: name, suggestions }));
    expect(lines.filter((l) => !l.startsWith('suggestion'))).toEqual([]);
  });

  // The packages are ESM only (`"type": "module"`, no `require` condition) and need Node 20.19+. The
  // esm-only profile leaves out two resolutions that describe consumers they do not support: node10
  // (TypeScript's old `moduleResolution: node`, which ignores `exports`) and node16 from CommonJS
  // (a `require` in a CommonJS TypeScript file); it still checks node16 from ESM and bundlers, which is
  // how their users import them.
  it('has types that resolve for ESM consumers (arethetypeswrong, esm-only profile)', async () => {
    const pack = packOf(name);
    const attw = path.join(path.dirname(require.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js');
    const result = await runCommand(process.execPath, [attw, pack.tarball, '--profile', 'esm-only', '--format', 'json'], work);
    let report: { analysis: { types: unknown; entrypoints: Record<string, unknown>; problems: Array<{ kind: string; entrypoint?: string; resolutionKind?: string }> } };
    try {
      report = JSON.parse(result.stdout) as typeof report;
    } catch {
      throw new Error(`attw did not print a report (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    expect(report.analysis.types).toEqual({ kind: 'included' });
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(Object.keys(pack.manifest.exports as object).sort());
    const ignored = new Set(['node10', 'node16-cjs']);
    expect(report.analysis.problems.filter((p) => !p.resolutionKind || !ignored.has(p.resolutionKind))).toEqual([]);
    expect(result.code).toBe(0);
  });
});

/** A TypeScript consumer compiled against the installed declarations, library files included. */
async function typeCheck(project: string, source: string): Promise<void> {
  fs.writeFileSync(path.join(project, 'check.mts'), source);
  const typeRoots = path.dirname(path.dirname(require.resolve('@types/node/package.json')));
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      // A declaration that imports a package the install lacks is an error only when lib files are checked.
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [typeRoots],
    },
    files: ['check.mts'],
  };
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  await runChecked(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], project);
}

describe('a project that installs @tributary/core alone', () => {
  let project = '';
  let coreOnly: ProjectSnapshot;

  beforeAll(async () => {
    project = createProject(path.join(work, 'text-project'));
    await npmInstall(project, [packOf('@tributary/core').tarball]);
    coreOnly = snapshot(project);
  });

  it(`stays under ${CORE_INSTALL_LIMIT / 1e6} MB of node_modules, with nothing beyond core's own dependencies`, () => {
    printSize('@tributary/core', coreOnly);
    expect(coreOnly.packages.map((p) => p.name)).toContain('@tributary/core');
    expect(outsideClosure(project, coreOnly.packages)).toEqual({ stray: [], unresolved: [] });
    expect(heavyPackages(coreOnly.packages, Object.keys(HEAVY))).toEqual([]);
    expect(coreOnly.bytes).toBeLessThan(CORE_INSTALL_LIMIT);
  });

  // `@tributary/core/testing` is left out: it runs inside a test runner and imports vitest, an optional
  // peer dependency a user's test setup brings (the declared-imports check above covers it).
  it('loads its entry points with nothing else installed', async () => {
    const loaded = await runScript(
      project,
      'entry-points.mjs',
      `const names = {};
for (const entry of ['@tributary/core', '@tributary/core/report']) names[entry] = Object.keys(await import(entry)).sort();
process.stdout.write(JSON.stringify(names));
`,
    );
    expect(loaded).toEqual({
      '@tributary/core': expect.arrayContaining(['createRuntime', 'definePlugin', 'TributaryError', 'isTributaryError']),
      '@tributary/core/report': expect.arrayContaining(['renderHtml', 'renderText']),
    });
  });

  describe('then @tributary/plugin-natural', () => {
    let withNatural: ProjectSnapshot;
    let added: InstalledPackage[];

    beforeAll(async () => {
      await npmInstall(project, [packOf('@tributary/plugin-natural').tarball]);
      withNatural = snapshot(project);
      const before = new Set(coreOnly.packages.map(key));
      added = withNatural.packages.filter((p) => !before.has(key(p)));
    });

    it('adds only plugin-natural and the closure of its declared dependencies: no tfjs, sharp, duckdb, fastify or bullmq', () => {
      const top = added.filter((p) => p.location.split('node_modules/').length === 2);
      const largest = top
        .map((p) => [p.name, treeBytes(p.dir)] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5);
      printSize('@tributary/core + @tributary/plugin-natural', withNatural, { addedPackages: added.length, addedBytes: withNatural.bytes - coreOnly.bytes, largestAdded: Object.fromEntries(largest) });

      const plugin = withNatural.packages.find((p) => p.location === 'node_modules/@tributary/plugin-natural');
      expect(plugin).toBeDefined();
      const declared = Object.keys({ ...plugin!.manifest.dependencies, ...plugin!.manifest.optionalDependencies });
      expect(declared).toContain('natural');
      const closure = dependencyClosure(project, plugin!.dir, declared);
      expect(closure.unresolved).toEqual([]);
      const allowed = new Set([plugin!.dir, ...closure.dirs]);
      expect(added.map((p) => p.name)).toEqual(expect.arrayContaining(['@tributary/plugin-natural', 'natural']));
      expect(added.filter((p) => !allowed.has(p.dir)).map((p) => p.location)).toEqual([]);

      expect(heavyPackages(withNatural.packages, ['tfjs', 'sharp', 'duckdb', 'fastify', 'bullmq'])).toEqual([]);
      // One core: the plugin's peer dependency is the copy already installed, not a second one.
      expect(withNatural.packages.filter((p) => p.name === '@tributary/core').map((p) => p.location)).toEqual(['node_modules/@tributary/core']);
      // Nothing left out by --ignore-scripts: a user needs to allow no install script.
      expect(installScripts(withNatural.packages)).toEqual([]);
    });

    it('runs a text pipeline, tokenize → Porter stem, giving the stems of the algorithm’s definition', async () => {
      const rows = await runScript(
        project,
        'text-pipeline.mjs',
        `import { createRuntime } from '@tributary/core';
import { natural, stem, tokenize } from '@tributary/plugin-natural';

const model = await createRuntime({ plugins: [natural] })
  .pipeline([tokenize(), stem({ algorithm: 'porter' })])
  .fit([]);
const rows = await model.transform([{ id: 'm1', label: 'ham', text: process.argv[2] }]).collect();
process.stdout.write(JSON.stringify(rows));
`,
        ['The ponies were hopping and running happily through caresses of relational generalizations'],
      );
      // Worked out by hand from Porter (1980); m is the number of vowel–consonant sequences in the stem.
      const stems = [
        'the', //      no rule applies; step 5a keeps the e, m("th") = 0
        'poni', //     1a: ies → i
        'were', //     5a keeps the e: m("wer") = 1 and "wer" ends consonant–vowel–consonant
        'hop', //      1b: ing goes ("hopp" has a vowel), then the double p is undoubled
        'and', //      no rule applies
        'run', //      as hopping
        'happili', //  1c: y → i ("happil" has a vowel); no step-2 suffix ends in "ili"
        'through', //  no rule applies
        'caress', //   1a: sses → ss
        'of', //       two letters: the stage stems only tokens of three or more
        'relat', //    2: ational → ate; 4 keeps ate, m("rel") = 1; 5a drops the e, m("relat") = 2
        'gener', //    1a: s goes; 2: ization → ize; 3: alize → al; 4: al goes, m("gener") = 2
      ];
      expect(rows).toEqual([{ id: 'm1', label: 'ham', text: 'The ponies were hopping and running happily through caresses of relational generalizations', tokens: stems }]);
    });

    it('type-checks a TypeScript consumer against the installed declarations', async () => {
      await typeCheck(
        project,
        `import { createRuntime, type PipelineModel } from '@tributary/core';
import { natural, stem, tokenize } from '@tributary/plugin-natural';

const model: PipelineModel = await createRuntime({ plugins: [natural] }).pipeline([tokenize(), stem({ algorithm: 'porter' })]).fit([]);
export const count: number = (await model.predict([{ id: 'a', text: 'Running' }])).length;
// @ts-expect-error not an algorithm of the stage; declarations that had fallen back to any would accept it
stem({ algorithm: 'snowball' });
`,
      );
    });
  });
});

describe('a project that installs @tributary/core and @tributary/plugin-sharp', () => {
  let project = '';
  let installed: ProjectSnapshot;

  beforeAll(async () => {
    project = createProject(path.join(work, 'image-project'));
    await npmInstall(project, [packOf('@tributary/core').tarball, packOf('@tributary/plugin-sharp').tarball]);
    installed = snapshot(project);
  });

  it('installs only their dependencies: no tfjs, natural, duckdb, fastify or bullmq, and no install script to allow', () => {
    printSize('@tributary/core + @tributary/plugin-sharp', installed);
    expect(installed.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['@tributary/core', '@tributary/plugin-sharp', 'sharp']));
    expect(outsideClosure(project, installed.packages)).toEqual({ stray: [], unresolved: [] });
    expect(heavyPackages(installed.packages, ['tfjs', 'natural', 'duckdb', 'fastify', 'bullmq'])).toEqual([]);
    expect(installScripts(installed.packages)).toEqual([]);
  });

  it('decodes a PNG, greys it (BT.601) and thresholds it, giving the values worked out by hand', async () => {
    // Red, green / blue, and a colour whose BT.601 sum lands exactly halfway.
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 2, 0, 43];
    fs.writeFileSync(path.join(project, 'tiny.png'), rgbPng(2, 2, rgb));
    const result = await runScript(
      project,
      'image-pipeline.mjs',
      `import { createRuntime } from '@tributary/core';
import { decodeImage, greyscale, sharp, threshold } from '@tributary/plugin-sharp';

const model = await createRuntime({ plugins: [sharp] })
  .pipeline([decodeImage(), greyscale({ output: 'grey' }), threshold({ input: 'grey', output: 'mask', value: 127 })])
  .fit([]);
const [row] = await model.transform([{ id: 'tiny', path: process.argv[2] }]).collect();
const plain = (image) => ({ ...image, data: Array.from(image.data) });
process.stdout.write(JSON.stringify({ id: row.id, image: plain(row.image), grey: plain(row.grey), mask: plain(row.mask) }));
`,
      ['tiny.png'],
    );
    // Y = (299 R + 587 G + 114 B) / 1000, halves rounded up (the stage's documented rule):
    //   (255, 0, 0):  76,245 / 1000 = 76.245 → 76
    //   (0, 255, 0): 149,685 / 1000 = 149.685 → 150
    //   (0, 0, 255):  29,070 / 1000 = 29.07 → 29
    //   (2, 0, 43):   598 + 4,902 = 5,500 / 1000 = 5.5 → 6
    // threshold 127 keeps what is strictly above it: only 150 → 255.
    expect(result).toEqual({
      id: 'tiny',
      image: { data: rgb, width: 2, height: 2, channels: 3, depth: 'uchar' },
      grey: { data: [76, 150, 29, 6], width: 2, height: 2, channels: 1, depth: 'uchar' },
      mask: { data: [0, 255, 0, 0], width: 2, height: 2, channels: 1, depth: 'uchar' },
    });
  });

  it('type-checks a TypeScript consumer against the installed declarations', async () => {
    await typeCheck(
      project,
      `import { createRuntime } from '@tributary/core';
import { type RawImage, decodeImage, greyscaleImage, sharp, threshold } from '@tributary/plugin-sharp';

const image: RawImage = { data: new Uint8Array([255, 0, 0]), width: 1, height: 1, channels: 3, depth: 'uchar' };
export const grey: RawImage = greyscaleImage(image);
export const pipeline = createRuntime({ plugins: [sharp] }).pipeline([decodeImage(), threshold({ value: 'otsu' })]);
// @ts-expect-error not a threshold the stage knows; declarations that had fallen back to any would accept it
threshold({ value: 'median' });
`,
    );
  });
});
