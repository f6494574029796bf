import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Dataset, RunReport, Type, createRuntime, csvRows, isTributaryError, jsonLines, sourceProblemsTo, writeCsv, writeJsonLines, writePredictions } from '@tributary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scale, toyPlugin } from './fixtures/toy-plugin.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sinks-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('writeCsv and writeJsonLines', () => {
  it('CSV written then read back gives the same records: text that looks like a number, empty text and null, quotes, delimiters, line breaks', async () => {
    const records = [
      { id: 1, code: '007', n: '42', text: 'say "hi", then\r\nleave', empty: '', missing: null, word: ' padded ' },
      { id: 2, code: 'A1', n: '-3.5e2', text: 'naïve café 👋', empty: '', missing: null, word: 'plain' },
    ];
    const file = path.join(dir, 'round.csv');
    const result = await writeCsv(records, file);
    expect(result.records).toBe(2);
    expect(fs.readFileSync(file, 'utf8').split('\r\n')[0]).toBe('id,code,n,text,empty,missing,word');
    expect(await csvRows(file).collect()).toEqual(records);
    expect(result.bytes).toBe(fs.statSync(file).size);
  });

  it('refuses a record with a field outside the columns, naming it, and leaves the previous file as it was', async () => {
    const file = path.join(dir, 'strict.csv');
    fs.writeFileSync(file, 'before\n');
    const error = await writeCsv([{ a: 1 }, { a: 2, b: 3 }], file).then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(error, 'INVALID_DATA')).toBe(true);
    expect((error as Error).message).toMatch(/Record #1 has the field 'b'/);
    expect(fs.readFileSync(file, 'utf8')).toBe('before\n');
    expect(fs.readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('JSON Lines: bytes and bigints in any record, nested too, are written right, whatever the first record holds', async () => {
    const file = path.join(dir, 'mixed.jsonl');
    await writeJsonLines([{ a: 'x' }, { a: new Uint8Array([1, 2, 3]) }, { a: Buffer.from('hi') }, { a: [1n, 2n] }, { a: { n: 5n } }], file);
    expect(await jsonLines(file).collect()).toEqual([{ a: 'x' }, { a: { base64: 'AQID' } }, { a: { base64: 'aGk=' } }, { a: ['1', '2'] }, { a: { n: '5' } }]);
  });

  it('JSON Lines: Dates as ISO text, beside bytes and bigints in the same chunk; the byte count is what was written', async () => {
    const file = path.join(dir, 'dates.jsonl');
    const result = await writeJsonLines([{ at: new Date(0), name: 'Zürich' }, { at: new Date(Date.UTC(2024, 1, 29, 12)), raw: Buffer.from('hi'), n: 7n }, { at: [new Date(1000)] }], file);
    expect(fs.readFileSync(file, 'utf8')).toBe(
      '{"at":"1970-01-01T00:00:00.000Z","name":"Zürich"}\n{"at":"2024-02-29T12:00:00.000Z","raw":{"base64":"aGk="},"n":"7"}\n{"at":["1970-01-01T00:00:01.000Z"]}\n',
    );
    expect(result.bytes).toBe(fs.statSync(file).size);
  });

  it('JSON Lines: bytes as base64, typed arrays as arrays, bigints as text; jsonLines reads it back', async () => {
    const file = path.join(dir, 'out.jsonl');
    const result = await writeJsonLines(Dataset.from([{ id: 'a', raw: Buffer.from('hi'), v: new Float32Array([0.5, 2]), big: 10n }, { id: 'b', raw: Buffer.from([0xff]), v: new Float32Array([1]), big: 1n }]), file);
    expect(result.records).toBe(2);
    expect(await jsonLines(file).collect()).toEqual([
      { id: 'a', raw: { base64: 'aGk=' }, v: [0.5, 2], big: '10' },
      { id: 'b', raw: { base64: '/w==' }, v: [1], big: '1' },
    ]);
  });
});

describe('dead-letter accounting', () => {
  it('input = output + skipped + dead-lettered, over rows the source cannot read and records a stage rejects', async () => {
    // 8 data rows: 3 the source cannot read (an id that is no integer, an unclosed quote, a row too
    // long) and 2 the stage rejects (x is not a number); 3 come out.
    const file = path.join(dir, 'accounting.csv');
    fs.writeFileSync(file, 'id,x\n1,2\n2,abc\n3.5,4\n4,"open\n5,6\n6,x\n7,8,9\n8,10\n');
    const deadLetterPath = path.join(dir, 'dead.jsonl');
    const report = new RunReport();
    const schema = Type.Object({ id: Type.Integer(), x: Type.Union([Type.Number(), Type.String()]) });
    const onProblem = sourceProblemsTo({ report, errorPolicy: 'dead-letter', deadLetterPath });
    const model = await createRuntime({ plugins: [toyPlugin()] }).pipeline([scale({ input: 'x', output: 'y', factor: 10 })]).fit([]);
    const out = model.transform(csvRows(file, { schema, ...(onProblem ? { onProblem } : {}) }), { errorPolicy: 'dead-letter', deadLetterPath, report });
    const written = await writeJsonLines(out, path.join(dir, 'accounted.jsonl'));
    expect(await jsonLines(written.path).collect()).toEqual([{ id: 1, x: 2, y: 20 }, { id: 5, x: 6, y: 60 }, { id: 8, x: 10, y: 100 }]);
    expect([report.input, report.output, report.skipped, report.deadLettered]).toEqual([8, 3, 0, 5]);
    const dead = fs.readFileSync(deadLetterPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stage: string; line?: number; code: string });
    expect(dead.map((d) => `${d.stage} ${d.code}`).sort()).toEqual(['source INVALID_DATA', 'source INVALID_DATA', 'source INVALID_RECORD', 'toy:scale INVALID_RECORD', 'toy:scale INVALID_RECORD']);
    expect(dead.filter((d) => d.stage === 'source').map((d) => d.line).sort()).toEqual([4, 5, 8]);
    expect(dead).toHaveLength(report.deadLettered);
  });

  it('under fail, the first unreadable row stops the run with its line', async () => {
    const file = path.join(dir, 'fail.csv');
    fs.writeFileSync(file, 'id,x\n1,2\n2.5,3\n');
    expect(sourceProblemsTo({ report: new RunReport(), errorPolicy: 'fail' })).toBeUndefined();
    await expect(csvRows(file, { schema: Type.Object({ id: Type.Integer(), x: Type.Number() }) }).collect()).rejects.toThrow(/line 3, column 'id'/);
  });
});

describe('writePredictions', () => {
  it('writes every input, in order, by id (or position): the outputs, or the error of the stage that rejected it', async () => {
    const model = await createRuntime({ plugins: [toyPlugin()] }).pipeline([scale({ input: 'x', output: 'y', factor: 10 })]).fit([]);
    expect(model.outputFields).toEqual(['y']);
    const inputs = [{ id: 'a', x: 1 }, { x: 2 }, { id: 'c', x: 'bad' }, { id: 'd', x: -0.5 }];
    const jsonl = await writePredictions(model, inputs, path.join(dir, 'predictions.jsonl'), { batchSize: 3 });
    expect([jsonl.records, jsonl.predicted, jsonl.rejected]).toEqual([4, 3, 1]);
    expect(await jsonLines(jsonl.path).collect()).toEqual([
      { id: 'a', y: 10 },
      { id: 1, y: 20 },
      { id: 'c', error: { code: 'INVALID_RECORD', stage: 'toy:scale', message: "'x' is not a number" } },
      { id: 'd', y: -5 },
    ]);
    const csv = await writePredictions(model, Dataset.from(inputs), path.join(dir, 'predictions.csv'));
    expect(await csvRows(csv.path).collect()).toEqual([
      { id: 'a', y: 10, error_code: null, error_message: null },
      { id: 1, y: 20, error_code: null, error_message: null },
      { id: 'c', y: null, error_code: 'INVALID_RECORD', error_message: "'x' is not a number" },
      { id: 'd', y: -5, error_code: null, error_message: null },
    ]);
  });
});
