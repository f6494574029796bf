import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '@tributary/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { center, scale, toyPlugin } from './fixtures/toy-plugin.js';

let dir: string;

beforeEach(async () => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-artifact-')), 'model');
  const runtime = createRuntime({ plugins: [toyPlugin()] });
  const model = await runtime.pipeline([scale(), center()]).fit([{ x: 1 }, { x: 2 }]);
  await model.save(dir);
});

const manifestPath = () => path.join(dir, 'tributary.json');
/** Edits the manifest and, like a deliberate tamperer, recomputes its digest (sha256 of the JSON without it). */
const editManifest = (edit: (m: Record<string, any>) => void, redigest = true) => {
  const manifest = JSON.parse(fs.readFileSync(manifestPath(), 'utf8'));
  edit(manifest);
  if (redigest) {
    const { digest: _digest, ...body } = manifest;
    manifest.digest = crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
  }
  fs.writeFileSync(manifestPath(), JSON.stringify(manifest));
};

describe('saving never destroys what is not a model', () => {
  it('refuses to replace a folder that holds other files, and the current folder', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-clobber-'));
    fs.writeFileSync(path.join(root, 'thesis.docx'), 'precious');
    const model = await createRuntime({ plugins: [toyPlugin()] }).pipeline([center({ input: 'x' })]).fit([{ x: 1 }]);
    await expect(model.save(root)).rejects.toMatchObject({ code: 'ARTIFACT_UNSAFE_PATH' });
    expect(fs.readFileSync(path.join(root, 'thesis.docx'), 'utf8')).toBe('precious');
    await expect(model.save('')).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    await expect(model.save('.')).rejects.toMatchObject({ code: 'ARTIFACT_UNSAFE_PATH' });
    await expect(model.save('/')).rejects.toMatchObject({ code: 'ARTIFACT_UNSAFE_PATH' });
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    await model.save(empty);
    expect(fs.existsSync(path.join(empty, 'tributary.json'))).toBe(true);
  });
});

describe('artifact safety', () => {
  it('refuses a state file whose bytes no longer match the recorded sha256', async () => {
    const state = path.join(dir, 'stages/01-toy-center/mean.f64');
    const bytes = fs.readFileSync(state);
    bytes[0] = bytes[0]! ^ 0xff;
    fs.writeFileSync(state, bytes);
    await expect(createRuntime({ plugins: [toyPlugin()] }).load(dir)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
  });

  it('refuses a manifest edited after saving (its digest no longer matches)', async () => {
    editManifest((m) => {
      m.stages[1].state.meta.records = 2;
    }, false);
    await expect(createRuntime({ plugins: [toyPlugin()] }).load(dir)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT', message: expect.stringContaining('digest') });
  });

  it('refuses state files that are not regular files (a FIFO would block the read)', async () => {
    const state = path.join(dir, 'stages/01-toy-center/mean.f64');
    fs.rmSync(state);
    fs.mkdirSync(state);
    await expect(createRuntime({ plugins: [toyPlugin()] }).load(dir)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
  });

  it('refuses a manifest path that climbs out with ..', async () => {
    editManifest((m) => {
      m.files['../outside.bin'] = m.files['stages/01-toy-center/mean.f64'];
    });
    await expect(createRuntime({ plugins: [toyPlugin()] }).load(dir)).rejects.toMatchObject({ code: 'ARTIFACT_UNSAFE_PATH' });
  });

  it('refuses absolute paths and stage files pointing outside', async () => {
    editManifest((m) => {
      m.stages[1].state.files['mean.f64'] = '/etc/passwd';
    });
    await expect(createRuntime({ plugins: [toyPlugin()] }).load(dir)).rejects.toMatchObject({ code: 'ARTIFACT_UNSAFE_PATH' });
  });

  it('refuses a symbolic link inside the artifact that leads outside it', async () => {
    const state = path.join(dir, 'stages/01-toy-center/mean.f64');
    const outside = path.join(path.dirname(dir), 'secret.f64');
    fs.copyFileSync(state, outside);
    fs.rmSync(state);
    fs.symlinkSync(outside, state);
    await expect(createRuntime({ plugins: [toyPlugin()] }).load(dir)).rejects.toMatchObject({ code: 'ARTIFACT_UNSAFE_PATH' });
  });

  it('refuses a stage kind that no registered plugin provides', async () => {
    editManifest((m) => {
      m.stages[0].kind = 'evil:run-code';
    });
    await expect(createRuntime({ plugins: [toyPlugin()] }).load(dir)).rejects.toMatchObject({ code: 'UNKNOWN_KIND' });
  });

  it('names the plugin and version the manifest records when a user plugin is missing', async () => {
    editManifest((m) => {
      m.stages[0].kind = 'acme:signals';
      m.stages[0].plugin = '@acme/plugin-signals';
      m.stages[0].pluginVersion = '2.1.0';
    });
    await expect(createRuntime({ plugins: [toyPlugin()] }).load(dir)).rejects.toMatchObject({
      code: 'PLUGIN_MISSING',
      stage: 'acme:signals',
      message: expect.stringContaining('needs @acme/plugin-signals@2.1.0'),
      details: { package: '@acme/plugin-signals', version: '2.1.0' },
    });
  });

  it('names the plugin to install when an official kind is missing', async () => {
    editManifest((m) => {
      m.stages[0].kind = 'tfjs:dense-classifier';
    });
    await expect(createRuntime({ plugins: [toyPlugin()] }).load(dir)).rejects.toMatchObject({
      code: 'PLUGIN_MISSING',
      message: expect.stringContaining('npm install @tributary/plugin-tfjs'),
    });
  });

  it('reports a missing artifact and a newer format clearly', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    await expect(runtime.load(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'ARTIFACT_NOT_FOUND' });
    editManifest((m) => {
      m.formatVersion = 99;
    });
    await expect(runtime.load(dir)).rejects.toMatchObject({ code: 'ARTIFACT_VERSION' });
  });
});
