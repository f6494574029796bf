// @ts-check
// CommonJS on purpose: Nx loads a local generator with require(), and plain JavaScript needs no build
// step or TypeScript loader before `nx g` works on a fresh clone.
'use strict';

const path = require('node:path');
const { generateFiles, logger, names, readJson } = require('@nx/devkit');

/** A stage kind is `<domain>:<step>` and core's definePlugin accepts only `[a-z][a-z0-9-]*` on each side. */
const NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** The example stage every new plugin starts with. */
const STEP = 'upper-case';

// The plugin is exported as a const named after its domain (`geo`, `geoIp`), beside the names the
// generated sources and tests already use; a domain whose name is one of these would not compile.
const TAKEN_IDENTIFIERS = new Set([
  // reserved in ES modules (strict mode)
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in',
  'instanceof', 'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return',
  'static', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
  'arguments', 'eval', 'undefined', 'NaN', 'Infinity',
  // imported or declared where the generated files use the plugin (export names start in lower case)
  'definePlugin', 'upperCase', 'upperCaseStage', 'createRuntime', 'isTributaryError', 'describeConformance',
  'describe', 'expect', 'it', 'pkg', 'runtime', 'model', 'out', 'failure', 'params', 'error', 'p', 'wrongType',
  'unknownName',
]);

/**
 * @typedef {object} PluginGeneratorSchema
 * @property {string} name The plugin's domain, e.g. `geo`.
 * @property {string} [directory] Where the package goes, relative to the workspace root; `plugins/<name>` by default.
 * @property {string} [description] One sentence for package.json and the README.
 */

/**
 * The `@tributary/core` range a new plugin declares: a caret on the current core's major.minor, so
 * the floor is the core the plugin is written against. A prerelease core is the floor itself, because
 * `^x.y.0` would leave it out (semver ranges skip prereleases).
 * @param {string} version
 * @returns {string}
 */
function corePeerRange(version) {
  const match = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(version);
  if (!match) throw new Error(`packages/core/package.json has version '${version}', which is not semver; fix it before generating a plugin.`);
  return match[4] ? `^${version.replace(/\+.*$/, '')}` : `^${match[1]}.${match[2]}.0`;
}

/**
 * The Node versions of an `engines.node` range in the README's words: `>=20.19.0` → `20.19 or later`.
 * @param {string | undefined} range
 */
function nodeText(range) {
  const floor = /^>=\s*(\d+)\.(\d+)(?:\.0)?$/.exec(range ?? '');
  if (floor) return `${floor[1]}.${floor[2]} or later`;
  return range ? `\`${range}\`` : 'of any current release';
}

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {string} file
 * @returns {any}
 */
function readWorkspaceJson(tree, file) {
  if (!tree.exists(file)) throw new Error(`${file} is missing; run the generator from the Tributary workspace root.`);
  return readJson(tree, file);
}

/**
 * The names of the workspace's packages, from the `<folder>/*` patterns of the root package.json.
 * @param {import('@nx/devkit').Tree} tree
 * @returns {Map<string, string>} package name → folder
 */
function workspacePackages(tree) {
  /** @type {Map<string, string>} */
  const found = new Map();
  const patterns = /** @type {string[]} */ (readWorkspaceJson(tree, 'package.json').workspaces ?? []);
  for (const pattern of patterns) {
    const parent = pattern.replace(/\/\*$/, '');
    for (const child of tree.children(parent)) {
      const file = `${parent}/${child}/package.json`;
      if (tree.exists(file)) found.set(readJson(tree, file).name, `${parent}/${child}`);
    }
  }
  return found;
}

/**
 * Checks the options and works out everything the templates need, before anything is written.
 * @param {import('@nx/devkit').Tree} tree
 * @param {PluginGeneratorSchema} options
 */
function normalizeOptions(tree, options) {
  const name = typeof options.name === 'string' ? options.name.trim() : '';
  if (!NAME_PATTERN.test(name)) {
    throw new Error(
      `The plugin name '${name}' is not a lower-case domain. Use lower-case letters and digits, starting with a letter, ` +
        `with single hyphens between words (e.g. 'geo' or 'geo-ip'): it becomes @tributary/plugin-<name> and the stage kinds <name>:<step>.`,
    );
  }
  const pluginConst = names(name).propertyName;
  if (TAKEN_IDENTIFIERS.has(pluginConst)) {
    throw new Error(`The plugin would be exported as '${pluginConst}', which is a reserved word or a name the generated code already uses; choose another name (e.g. '${name}-data').`);
  }
  if (tree.exists(`plugins/${name}`)) {
    throw new Error(`plugins/${name} already exists: the domain '${name}' is taken. Choose another name, or add stages to that plugin instead.`);
  }
  const packageName = `@tributary/plugin-${name}`;
  const existing = workspacePackages(tree).get(packageName);
  if (existing) throw new Error(`${packageName} already exists in ${existing}. Choose another name.`);

  const raw = (options.directory ?? `plugins/${name}`).trim().replaceAll('\\', '/');
  const directory = path.posix.normalize(raw).replace(/\/+$/, '');
  if (raw === '' || path.posix.isAbsolute(raw) || directory === '.' || directory === '..' || directory.startsWith('../')) {
    throw new Error(`The directory '${options.directory}' is not a folder inside the workspace. Give a path relative to the workspace root, e.g. plugins/${name}.`);
  }
  if (directory.split('/').includes('node_modules')) {
    throw new Error(`The directory '${directory}' is inside node_modules; give a folder of the workspace, e.g. plugins/${name}.`);
  }
  if (tree.exists(directory) && (tree.isFile(directory) || tree.children(directory).length > 0)) {
    throw new Error(`${directory} already exists and is not empty. Choose an empty or new folder with --directory.`);
  }
  const changeset = `.changeset/plugin-${name}-initial.md`;
  if (tree.exists(changeset)) throw new Error(`${changeset} already exists; remove it if it is left from an earlier run, or choose another name.`);

  const description = (options.description ?? `Tributary stages for ${name}.`).replace(/\s+/g, ' ').trim();
  if (description === '') throw new Error('The description is empty; give one sentence about the plugin, or leave the option out.');

  const core = readWorkspaceJson(tree, 'packages/core/package.json');
  const rootPackage = readWorkspaceJson(tree, 'package.json');
  const esbuild = rootPackage.devDependencies?.esbuild;
  if (!esbuild) throw new Error('The root package.json has no devDependency on esbuild, which the plugin build (tools/build/bundle.mjs) needs.');

  return {
    name,
    directory,
    changeset,
    description,
    packageName,
    pluginConst,
    coreVersion: /** @type {string} */ (core.version),
    coreRange: corePeerRange(core.version),
    // The stage's params schema is TypeBox: its declarations name typebox's types, so the package depends on it, in core's range.
    typebox: /** @type {string} */ (core.dependencies?.['@sinclair/typebox']),
    engines: core.engines ?? rootPackage.engines,
    license: core.license,
    esbuild: /** @type {string} */ (esbuild),
    // The folder holds no '.' or '..' segments after normalising, so each segment is one level up.
    root: directory.split('/').map(() => '..').join('/'),
  };
}

/**
 * `nx g @tributary/tools:plugin <name>`: a new plugin package that passes its own tests and the core's
 * conformance suite as generated.
 * @param {import('@nx/devkit').Tree} tree
 * @param {PluginGeneratorSchema} options
 */
async function pluginGenerator(tree, options) {
  const o = normalizeOptions(tree, options);
  const version = '0.0.0';
  const packageJson = {
    name: o.packageName,
    // 0.0.0 until the first release: the changeset's minor makes it 0.1.0.
    version,
    description: o.description,
    license: o.license,
    type: 'module',
    sideEffects: false,
    engines: o.engines,
    exports: {
      '.': {
        '@tributary/source': './src/index.ts',
        types: './dist/index.d.ts',
        default: './dist/index.js',
      },
      './package.json': './package.json',
    },
    // The sources ship too: the declaration maps and the source condition point into them.
    files: ['dist', 'src', '!dist/**/__tests__', '!src/**/__tests__', 'README.md'],
    scripts: {
      build: `tsc -p tsconfig.build.json && node ${o.root}/tools/build/bundle.mjs src/index.ts`,
      lint: 'tsc -p tsconfig.json --noEmit',
      test: 'vitest run',
    },
    peerDependencies: { '@tributary/core': o.coreRange },
    dependencies: { '@sinclair/typebox': o.typebox },
    devDependencies: { '@tributary/core': o.coreVersion, esbuild: o.esbuild },
  };
  tree.write(`${o.directory}/package.json`, `${JSON.stringify(packageJson, null, 2)}\n`);

  const step = names(STEP);
  generateFiles(tree, path.join(__dirname, 'files'), o.directory, {
    ...o,
    version,
    step: STEP,
    kind: `${o.name}:${STEP}`,
    stepHelper: step.propertyName,
    stepClass: step.className,
    nodeText: nodeText(o.engines?.node),
  });
  tree.write(
    o.changeset,
    `---\n'${o.packageName}': minor\n---\n\nFirst release: \`${o.name}:${STEP}\`, the example stage the plugin was generated with.\n`,
  );

  const parents = /** @type {string[]} */ (readJson(tree, 'package.json').workspaces ?? []).map((pattern) => pattern.replace(/\/\*$/, ''));
  if (!parents.includes(path.posix.dirname(o.directory))) {
    logger.warn(`${o.directory} is outside the workspace folders (${parents.join(', ')}): npm will not link it and Nx will not run its tests until its folder is added to "workspaces" in the root package.json.`);
  }
  // `npm run lint` compares docs/compatibility.md with every plugin's range, so a new plugin needs it rewritten.
  const compatibility = tree.exists('tools/ci/compatibility.mjs');
  return () => {
    logger.info(
      [
        `${o.packageName} is in ${o.directory}. Next:`,
        `  npm install                               links it into the workspace, so other packages can import it`,
        `  npx nx test ${o.packageName}   its own tests and the conformance suite`,
        ...(compatibility ? ['  node tools/ci/compatibility.mjs           adds it to docs/compatibility.md'] : []),
        `Then replace the example stage with your own, and rewrite ${o.changeset} to say what the first release holds.`,
      ].join('\n'),
    );
  };
}

module.exports = pluginGenerator;
module.exports.default = pluginGenerator;
module.exports.pluginGenerator = pluginGenerator;
module.exports.corePeerRange = corePeerRange;
