// Runs each plugin's tests on the oldest @tributary/core its peer range allows, as a user who has that core
// would: not on the workspace's sources but on a packed core, resolved through TRIBUTARY_CORE_DIR (see
// vitest.shared.ts). A floor older than the workspace's core is taken from the npm registry, where
// released cores live; a floor equal to it is the workspace's core packed as it would be published (so
// the tests also run on the core's built files, not its sources). Needs the core built (`npm run build`).
//
//   node tools/ci/lowest-core.mjs [plugin-folder …]     default: every folder under plugins/
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const coreDir = path.join(root, 'packages', 'core');
const core = JSON.parse(fs.readFileSync(path.join(coreDir, 'package.json'), 'utf8'));
if (!fs.existsSync(path.join(coreDir, 'dist', 'index.js'))) {
  console.error('lowest-core: packages/core has no dist/; run `npm run build` first.');
  process.exit(1);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-core-floor-'));
const unpacked = new Map();
/** The unpacked core of `version`: the workspace's packed, or the registry's release. */
function coreAt(version) {
  if (unpacked.has(version)) return unpacked.get(version);
  const into = path.join(tmp, version);
  fs.mkdirSync(into);
  const spec = version === core.version ? coreDir : `${core.name}@${version}`;
  const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', spec, '--json', '--pack-destination', into], { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  execFileSync('tar', ['-xzf', path.join(into, path.basename(filename)), '-C', into]);
  const dir = path.join(into, 'package');
  unpacked.set(version, dir);
  return dir;
}

const wanted = process.argv.slice(2);
const plugins = (wanted.length > 0 ? wanted.map((p) => path.resolve(p)) : fs.readdirSync(path.join(root, 'plugins')).map((d) => path.join(root, 'plugins', d)))
  .filter((d) => fs.existsSync(path.join(d, 'package.json')))
  .sort();
let failed = 0;
try {
  for (const dir of plugins) {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const range = pkg.peerDependencies?.[core.name];
    if (!range) continue;
    const floor = semver.minVersion(range).version;
    const started = Date.now();
    const run = spawnSync('npx', ['vitest', 'run'], { cwd: dir, stdio: 'inherit', env: { ...process.env, TRIBUTARY_CORE_DIR: coreAt(floor) } });
    const passed = run.status === 0;
    if (!passed) failed++;
    console.log(JSON.stringify({ check: 'lowest-core', plugin: pkg.name, range, floor, core: floor === core.version ? 'workspace, packed' : 'registry', passed, seconds: Math.round((Date.now() - started) / 100) / 10 }));
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed > 0 ? 1 : 0);
