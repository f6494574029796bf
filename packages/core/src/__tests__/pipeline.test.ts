import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Dataset, RunReport, createRuntime, isTributaryError } from '@tributary/core';
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

describe('bad inputs are handled, never fatal or lost', () => {
  it('rejects null and non-object records under skip, in fit and in predict', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const model = await runtime.pipeline([scale(), center()]).fit([{ x: 1 }, null, 7, { x: 3 }] as never, { errorPolicy: 'skip' });
    expect(model.fitReport!.toJSON()).toMatchObject({ input: 4, output: 2, skipped: 2, unaccounted: 0 });
    const report = new RunReport();
    expect(await model.predict([null, { x: 2 }] as never, { errorPolicy: 'skip', report })).toHaveLength(1);
    expect(report.unaccounted).toBe(0);
  });

  it('counts a record an estimator rejects once, not again in the stages after it', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const model = await runtime.pipeline([center({ input: 'x', output: 'c' }), center({ input: 'c', output: 'cc' })]).fit([{ x: 1 }, { x: 'bad' }, { x: 3 }], { errorPolicy: 'skip' });
    expect(model.fitReport!.toJSON()).toMatchObject({ input: 3, output: 2, skipped: 1, unaccounted: 0 });
  });

  it('refuses to read a generator object a second time instead of seeing no records', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const model = await runtime.pipeline([scale()]).fit([]);
    const source = (function* () {
      yield { x: 1 };
    })();
    expect(await model.transform(source).count()).toBe(1);
    await expect(model.transform(source).count()).rejects.toMatchObject({ code: 'SOURCE_CONSUMED' });
  });

  it('still writes a dead-letter line for records JSON cannot hold (BigInt, cycles)', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const file = path.join(tmp(), 'dead.jsonl');
    const cyclic: Record<string, unknown> = { id: 'cycle', x: 'no' };
    cyclic.self = cyclic;
    const model = await runtime.pipeline([scale()]).fit([]);
    await model.predict([{ id: 'big', x: 'no', n: 10n }, cyclic], { errorPolicy: 'dead-letter', deadLetterPath: file });
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.recordId)).toEqual(['big', 'cycle']);
    expect(lines[0].record.n).toBe('10');
    expect(lines[1].record).toBeNull();
  });

  it('checks the dead-letter path when the run starts', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const model = await runtime.pipeline([scale()]).fit([]);
    await expect(model.predict([{ x: 'no' }], { errorPolicy: 'dead-letter', deadLetterPath: os.tmpdir() })).rejects.toMatchObject({ code: 'INVALID_PARAMS', param: 'deadLetterPath' });
  });

  it('refuses sources and seeds of the wrong kind with INVALID_PARAMS', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    await expect(runtime.pipeline([scale()]).fit(42 as never)).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    expect(() => Dataset.from([1]).split({ test: 0.2, seed: Number.NaN })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', param: 'seed' }));
    await expect(Dataset.from([{ a: 1 }, { a: 2 }]).split({ test: 0.5, seed: 1, stratifyBy: 'label' }).test.collect()).rejects.toMatchObject({ param: 'stratifyBy' });
    expect(() => runtime.resolve({ kind: 'toy:scale', params: JSON.parse('{"__proto__": {"input": "y"}}') })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
  });
});


describe('PipelineModel.predictEach', () => {
  it('answers every record in input order: repeated or missing ids are fine, a rejected one gets its error', async () => {
    const model = await createRuntime({ plugins: [toyPlugin()] }).pipeline([scale({ input: 'x', output: 'y', factor: 3 })]).fit([]);
    const answers = await model.predictEach([{ id: 'a', x: 1 }, { id: 'a', x: 'two' }, { x: 3 }, { id: 'a', x: 4 }], { batchSize: 2 });
    expect(answers.map((a) => (a.record ? a.record.y : a.error.code))).toEqual([3, 'INVALID_RECORD', 9, 12]);
    expect(answers[1]!.error).toEqual({ code: 'INVALID_RECORD', message: "'x' is not a number", stage: 'toy:scale' });
    // The position marker never leaks into an answer.
    expect(Object.getOwnPropertySymbols(answers[0]!.record!)).toEqual([]);
    expect(answers[2]!.record).toEqual({ x: 3, y: 9 });
    await expect(model.predictEach({ x: 1 } as never)).rejects.toMatchObject({ code: 'INVALID_PARAMS', message: expect.stringContaining('predictEach([record])') });
  });
});
