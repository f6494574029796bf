import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DataRecord, type Manifest, createRuntime, isTributaryError, silentLogger } from '@tributary/core';
import { corpusSplit, loadMailFilter, sampleMessages, serveMailFilter, trainMailFilter, type TrainResult } from '@tributary/example-custom-plugin';
import { natural } from '@tributary/plugin-natural';
import { tfjs } from '@tributary/plugin-tfjs';
import { serve } from '@tributary/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LIMIT = 1000;
const PLUGIN = { name: '@acme/plugin-mail-signals', version: '1.0.0' };

/** Every file under a folder, as paths relative to it with '/' separators. */
function filesUnder(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

const post = async (url: string, body: unknown) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};

const answersOf = (records: readonly DataRecord[]) => records.map((r) => ({ id: r.id, score: r.score, prediction: r.prediction }));

describe('a custom plugin beside the official ones, on the SpamAssassin corpus: fit, save, load, serve', () => {
  let dir: string;
  let out: string;
  let result: TrainResult;
  const { test } = corpusSplit({ limit: LIMIT });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custom-plugin-'));
    // The folder's name is the name the model is served under.
    out = path.join(dir, 'mail-filter');
    result = await trainMailFilter({ out, limit: LIMIT });
  }, 300_000);

  afterAll(async () => {
    await result?.model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fits the custom stages in line with the official ones and classifies the held-out mail', () => {
    const fit = result.model.fitReport!.toJSON();
    // Every message is in the training part or the test part.
    expect(fit.input + result.evaluation.run.input).toBe(LIMIT);
    // The estimator learns (fit) and then passes the records on to the network (transform); the stateless stage only transforms.
    const ran = fit.stages.filter((s) => s.kind.startsWith('mail:'));
    expect(ran.map((s) => [s.kind, s.phase, s.records])).toEqual([
      ['mail:signals', 'transform', fit.output],
      ['mail:append-signals', 'fit', fit.output],
      ['mail:append-signals', 'transform', fit.output],
    ]);
    expect(result.evaluation.f1).toBeGreaterThanOrEqual(0.9);
  });

  it('saves data only: no JavaScript, and each custom stage recorded with its plugin and version', () => {
    const onDisk = filesUnder(out);
    expect(onDisk.filter((f) => /\.(?:js|mjs|cjs)$/i.test(f))).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'tributary.json'), 'utf8')) as Manifest;
    // Everything else in the folder is a file the manifest lists with its hash.
    expect(Object.keys(manifest.files).sort()).toEqual(onDisk.filter((f) => f !== 'tributary.json').sort());
    expect(manifest.plugins).toContainEqual(PLUGIN);
    const custom = manifest.stages.filter((s) => s.kind.startsWith('mail:'));
    expect(custom.map((s) => ({ kind: s.kind, plugin: s.plugin, pluginVersion: s.pluginVersion, fitted: s.fitted }))).toEqual([
      { kind: 'mail:signals', plugin: PLUGIN.name, pluginVersion: PLUGIN.version, fitted: false },
      { kind: 'mail:append-signals', plugin: PLUGIN.name, pluginVersion: PLUGIN.version, fitted: true },
    ]);
    // Params are stored whole (defaults filled in), so loading needs nothing but the plugin.
    expect(custom[0]!.params).toEqual({ input: 'text', output: 'signals', minWordLength: 3 });
    expect(custom[0]!.state).toBeUndefined();
    expect(custom[1]!.params).toEqual({ features: 'features', signals: 'signals', output: 'features', log: true });
    const scaling = JSON.parse(fs.readFileSync(path.join(out, custom[1]!.state!.files['scaling.json']!), 'utf8'));
    expect(scaling.mean).toHaveLength(4);
    expect(scaling.scale).toHaveLength(4);
    expect(custom[1]!.state!.meta).toEqual({ signals: 4, records: result.model.fitReport!.output, log: true });
  });

  it('is refused by a runtime without the custom plugin, with a typed error naming the missing stage kind', async () => {
    const error = await createRuntime({ plugins: [natural, tfjs] })
      .load(out)
      .then(() => undefined, (e: unknown) => e);
    // The manifest records which package built each stage, so the error names what to install.
    expect(isTributaryError(error, 'PLUGIN_MISSING')).toBe(true);
    expect(error).toMatchObject({ stage: 'mail:signals', message: expect.stringContaining(`needs ${PLUGIN.name}@${PLUGIN.version}`) });
    expect(result.manifest.stages.find((s) => s.kind === 'mail:signals')).toMatchObject({ plugin: PLUGIN.name, pluginVersion: PLUGIN.version });
  });

  it('loads in a new runtime and predicts exactly what the fitted model predicted', async () => {
    const loaded = await loadMailFilter(out);
    try {
      const before = answersOf(await result.model.transform(test).collect());
      const after = answersOf(await loaded.transform(test).collect());
      expect(after).toHaveLength(result.evaluation.testRecords);
      expect(after).toEqual(before);
      // Both classes are predicted: the comparison is not between two constant answers.
      expect(new Set(after.map((a) => a.prediction))).toEqual(new Set([0, 1]));
    } finally {
      await loaded.dispose();
    }
  });

  it('keeps the custom metric with the model: the figures counted from the loaded model’s answers', async () => {
    const loaded = await loadMailFilter(out);
    try {
      let tp = 0;
      let fp = 0;
      let tn = 0;
      let fn = 0;
      for (const r of await loaded.transform(test).collect()) {
        if (r.label === 1) r.prediction === 1 ? tp++ : fn++;
        else r.prediction === 1 ? fp++ : tn++;
      }
      // By definition (spam positive, λ = 9): WAcc = (λ·tn + tp) / (λ·(tn + fp) + tp + fn); TCR = (tp + fn) / (λ·fp + fn).
      const lambda = 9;
      const weightedAccuracy = (lambda * tn + tp) / (lambda * (tn + fp) + tp + fn);
      const saved = JSON.parse(fs.readFileSync(path.join(out, 'evaluation.json'), 'utf8'));
      expect(saved.spamCost.lambda).toBe(lambda);
      expect(saved.spamCost.weightedAccuracy).toBeCloseTo(weightedAccuracy, 12);
      if (lambda * fp + fn === 0) expect(saved.spamCost.totalCostRatio).toBeNull();
      else expect(saved.spamCost.totalCostRatio).toBeCloseTo((tp + fn) / (lambda * fp + fn), 12);
      // The manifest keeps it among the headline figures, so a loaded model carries it.
      expect(loaded.manifest!.evaluation!.spamCost).toEqual(saved.spamCost);
    } finally {
      await loaded.dispose();
    }
  });

  it('is served over a real socket: each answer equals the in-process prediction, a bad instance gets its error', async () => {
    const message = (await test.take(1).collect())[0]!;
    const instances = [{ raw: sampleMessages.spam }, { raw: sampleMessages.ham }, { raw: (message.raw as Buffer).toString('utf8') }];
    const loaded = await loadMailFilter(out);
    const server = await serveMailFilter(out, { port: 0, logger: silentLogger });
    try {
      const expected = (await loaded.predict(instances)).map((r) => ({ score: r.score, prediction: r.prediction }));
      expect(expected.map((e) => e.prediction).slice(0, 2)).toEqual([1, 0]);
      const answer = await post(`${server.url}/v1/models/mail-filter:predict`, { instances: [...instances, { raw: 42 }] });
      expect(answer.status).toBe(200);
      expect(answer.body.predictions).toEqual([...expected, null]);
      expect(answer.body.errors).toEqual([{ index: 3, code: 'INVALID_RECORD', message: expect.any(String) }]);
      const meta = (await (await fetch(`${server.url}/v1/models/mail-filter`)).json()) as Record<string, any>;
      expect(meta.versions[0]).toMatchObject({ inputs: ['raw'], outputs: ['score', 'prediction'] });
    } finally {
      await server.close();
      await loaded.dispose();
    }
  });

  it('is not served by a server without the custom plugin: serve refuses the folder, naming the missing plugin', async () => {
    const serving = serve(out, { runtime: createRuntime({ plugins: [natural, tfjs] }), port: 0, pollMs: 0, logger: silentLogger });
    await expect(serving).rejects.toMatchObject({ code: 'PLUGIN_MISSING', message: expect.stringContaining(`needs ${PLUGIN.name}@${PLUGIN.version}`) });
  });
});
