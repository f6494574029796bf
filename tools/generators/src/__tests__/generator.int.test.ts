import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The generated package goes inside the repo so that @tributary/core resolves from the root node_modules
// exactly as it does for a real plugin; the folder starts with a dot, which Nx and git (.gitignore) skip.
const root = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const name = `gen-x${randomBytes(4).toString('hex')}`;
const directory = `plugins/.generated-${name}`;
const dir = path.join(root, directory);
const changeset = path.join(root, '.changeset', `plugin-${name}-initial.md`);
const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-generator-'));

// This file runs inside vitest: its variables would make the child vitest think it is a worker of this run.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'TEST' && key !== 'NODE_ENV'));

function run(args: string[], cwd: string, extra: Record<string, string | undefined> = {}): SpawnSyncReturns<string> {
  const childEnv = Object.fromEntries(Object.entries({ ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...extra }).filter(([, value]) => value !== undefined));
  return spawnSync('npx', args, { cwd, env: childEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
const output = (result: SpawnSyncReturns<string>) => `exit ${result.status}\n${result.stdout}\n${result.stderr}`;

afterAll(() => {
  for (const folder of [dir, path.join(root, 'plugins/.generated-again'), path.join(root, 'plugins/.generated-bad')]) fs.rmSync(folder, { recursive: true, force: true });
  fs.rmSync(changeset, { force: true });
  fs.rmSync(reports, { recursive: true, force: true });
});

interface VitestReport {
  numFailedTests: number;
  numPassedTests: number;
  numPendingTests: number;
  testResults: Array<{ name: string; status: string; assertionResults: Array<{ title: string; status: string }> }>;
}

describe('nx g @tributary/tools:plugin, run for real', () => {
  it('generates a package whose type check, own tests and conformance suite pass with no edits', () => {
    const generated = run(['nx', 'g', '@tributary/tools:plugin', name, `--directory=${directory}`, '--no-interactive'], root);
    expect(generated.status, output(generated)).toBe(0);

    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const core = JSON.parse(fs.readFileSync(path.join(root, 'packages/core/package.json'), 'utf8'));
    const [major, minor] = core.version.split('.');
    expect(pkg.name).toBe(`@tributary/plugin-${name}`);
    expect(pkg.peerDependencies).toEqual({ '@tributary/core': `^${major}.${minor}.0` });
    expect(pkg.devDependencies['@tributary/core']).toBe(core.version);
    expect(fs.readFileSync(changeset, 'utf8')).toContain(`'@tributary/plugin-${name}': minor`);
    expect(fs.existsSync(path.join(dir, 'src/__tests__/conformance.test.ts'))).toBe(true);
    // A hyphenated domain is exported in camel case.
    expect(fs.readFileSync(path.join(dir, 'src/index.ts'), 'utf8')).toContain(`export const genX${name.slice('gen-x'.length)} = definePlugin({`);

    const typeCheck = run(['tsc', '-p', 'tsconfig.json', '--noEmit'], dir);
    expect(typeCheck.status, output(typeCheck)).toBe(0);

    const report = path.join(reports, 'vitest.json');
    // Without CI, so that the shared config's CI report does not take the place of this one (nor land in .reports/).
    const tests = run(['vitest', 'run', '--reporter=json', `--outputFile=${report}`], dir, { CI: undefined });
    expect(tests.status, output(tests)).toBe(0);
    const result = JSON.parse(fs.readFileSync(report, 'utf8')) as VitestReport;
    expect(result.numFailedTests).toBe(0);
    expect(result.numPendingTests).toBe(0);
    const files = result.testResults.map((file) => [path.relative(dir, file.name), file.status]).sort();
    expect(files).toEqual([
      ['src/__tests__/conformance.test.ts', 'passed'],
      ['src/__tests__/plugin.test.ts', 'passed'],
      ['src/__tests__/upper-case.test.ts', 'passed'],
    ]);
    // The suite runs its checks against the generated stage, not an empty describe.
    const conformance = result.testResults.find((file) => file.name.endsWith('conformance.test.ts'))!;
    expect(conformance.assertionResults.length).toBeGreaterThan(0);
    expect(conformance.assertionResults.every((test) => test.title.includes(`${name}:upper-case`) && test.status === 'passed')).toBe(true);
  });

  it('refuses to generate the same plugin twice, saying why, and leaves the first one as it was', () => {
    const before = fs.readFileSync(path.join(dir, 'src/index.ts'), 'utf8');
    const again = run(['nx', 'g', '@tributary/tools:plugin', name, '--directory=plugins/.generated-again', '--no-interactive'], root);
    expect(again.status).not.toBe(0);
    expect(output(again)).toContain(`@tributary/plugin-${name} already exists in ${directory}. Choose another name.`);
    expect(fs.existsSync(path.join(root, 'plugins/.generated-again'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'src/index.ts'), 'utf8')).toBe(before);
  });

  it('explains a name that is not a lower-case domain on the command line', () => {
    const bad = run(['nx', 'g', '@tributary/tools:plugin', 'Geo_IP', '--directory=plugins/.generated-bad', '--no-interactive'], root);
    expect(bad.status).not.toBe(0);
    expect(output(bad)).toContain("The plugin name 'Geo_IP' is not a lower-case domain.");
    expect(fs.existsSync(path.join(root, 'plugins/.generated-bad'))).toBe(false);
  });
});
