import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime, isTributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { center, scale, toyPlugin } from './fixtures/toy-plugin.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-pipeline-'));

describe('Pipeline fit / transform / save / load', () => {
  it('fits estimators on the output of the stages before them (Spark ML semantics)', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const model = await runtime.pipeline([scale({ factor: 3 }), center()]).fit([{ x: 1 }, { x: 2 }, { x: 6 }]);
    // y = 3x = 3, 6, 18 → mean 9 → centered = -6, -3, 9
    const out = await model.predict([{ x: 1 }, { x: 2 }, { x: 6 }]);
    expect(out.map((r) => r.centered)).toEqual([-6, -3, 9]);
    expect(model.fitReport?.input).toBe(3);
    expect(model.schema).toEqual({ input: ['x'], output: ['y', 'centered'] });
  });

  it('round-trips through an artifact: the loaded model predicts bit for bit the same', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    // Values whose mean is not exactly representable in decimal, so a lossy save would show.
    const train = Array.from({ length: 97 }, (_, i) => ({ id: `r${i}`, x: Math.sin(i) / 3 }));
    const model = await runtime.pipeline([scale({ factor: 0.1 }), center()]).fit(train);
    const dir = path.join(tmp(), 'model');
    const manifest = await model.save(dir, { evaluation: { accuracy: 1 } });
    expect(Object.keys(manifest.files).sort()).toEqual(['evaluation.json', 'stages/01-toy-center/mean.f64']);
    const loaded = await createRuntime({ plugins: [toyPlugin()] }).load(dir);
    const probe = Array.from({ length: 20 }, (_, i) => ({ x: Math.cos(i) * 7 }));
    const a = (await model.predict(probe)).map((r) => r.centered as number);
    const b = (await loaded.predict(probe)).map((r) => r.centered as number);
    expect(new Float64Array(b)).toEqual(new Float64Array(a));
    expect(b.every((v, i) => Object.is(v, a[i]))).toBe(true);
  });

  it('writes atomically: saving over an existing artifact replaces it whole and leaves no temp folders', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const root = tmp();
    const dir = path.join(root, 'model');
    const m1 = await runtime.pipeline([center({ input: 'x' })]).fit([{ x: 1 }]);
    await m1.save(dir);
    const m2 = await runtime.pipeline([center({ input: 'x' })]).fit([{ x: 5 }]);
    await m2.save(dir);
    expect(fs.readdirSync(root)).toEqual(['model']);
    const loaded = await runtime.load(dir);
    expect((await loaded.predict([{ x: 5 }]))[0]!.centered).toBe(0);
  });
});

describe('error policies account for every record', () => {
  const data = [{ id: 'a', x: 1 }, { id: 'b', x: 'oops' }, { id: 'c', x: 3 }, { id: 'd', x: 4, poison: true }, { id: 'e', x: 5 }];

  it('fail (the default) stops at the first bad record with its id', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const failure = await runtime.pipeline([scale(), center()]).fit(data, { batchSize: 1 }).catch((e: unknown) => e);
    expect(isTributaryError(failure, 'INVALID_RECORD')).toBe(true);
    expect(failure).toMatchObject({ stage: 'toy:scale', recordId: 'b' });
  });

  it('skip drops only the bad records, even when a stage throws for a whole batch', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const model = await runtime.pipeline([scale(), center()]).fit(data, { errorPolicy: 'skip', batchSize: 5 });
    const report = model.fitReport!;
    expect(report.input).toBe(5);
    expect(report.output).toBe(3);
    expect(report.skipped).toBe(2);
    expect(report.unaccounted).toBe(0);
    expect(report.toJSON().rejections).toEqual({ 'toy:scale': { INVALID_RECORD: 1, STAGE_FAILED: 1 } });
    // mean of y = 2x over a, c, e = (2 + 6 + 10) / 3 = 6
    expect((await model.predict([{ x: 3 }]))[0]!.centered).toBe(0);
  });

  it('dead-letter writes each rejected record with its reason to a JSONL file', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const file = path.join(tmp(), 'dead.jsonl');
    const model = await runtime.pipeline([scale(), center()]).fit(data, { errorPolicy: 'dead-letter', deadLetterPath: file });
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.recordId, l.code])).toEqual([['b', 'INVALID_RECORD'], ['d', 'STAGE_FAILED']]);
    expect(lines[0].record).toEqual({ id: 'b', x: 'oops' });
    expect(model.fitReport!.deadLettered).toBe(2);
  });
});
