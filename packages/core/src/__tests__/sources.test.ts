import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type, csvRows, files, isTributaryError, jsonLines } from '@tributary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
const write = (relative: string, content: string | Uint8Array) => {
  const file = path.join(dir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
};
const codeOf = async (promise: Promise<unknown>) => promise.then(() => 'resolved', (e: unknown) => (isTributaryError(e) ? e.code : String(e)));

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sources-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('files(): one record per file of a folder', () => {
  it('reads the matching files in code-unit order with id, path, size, mtime, bytes and a folder label', async () => {
    const root = path.join(dir, 'mail');
    write('mail/spam-1/b.txt', 'BBB');
    write('mail/spam-1/a.txt', 'A');
    write('mail/ham/c.txt', 'cc');
    write('mail/ham/skip.bin', new Uint8Array([1]));
    write('mail/ham/.hidden.txt', 'h');
    const records = await files({ dir: root, include: '*/*.txt', label: { 'spam*': 1, '*': 0 } }).collect();
    expect(records.map((r) => r.id)).toEqual(['ham/c', 'spam-1/a', 'spam-1/b']);
    expect(records.map((r) => r.label)).toEqual([0, 1, 1]);
    expect(records.map((r) => r.size)).toEqual([2, 1, 3]);
    expect(records[0]!.path).toBe(path.join(root, 'ham', 'c.txt'));
    expect(Buffer.from(records[2]!.raw as Uint8Array).toString()).toBe('BBB');
    expect(Number.isNaN(Date.parse(records[0]!.mtime as string))).toBe(false);
    const text = await files({ dir: root, include: '**/*.txt', content: 'text', field: 'body', label: 'folder', idPrefix: 'm/' }).collect();
    expect(text.map((r) => [r.id, r.body, r.label])).toEqual([['m/ham/c', 'cc', 'ham'], ['m/spam-1/a', 'A', 'spam-1'], ['m/spam-1/b', 'BBB', 'spam-1']]);
  });

  it('keeps a sample spread evenly over the sorted list with limit (index ⌊i·n/limit⌋)', async () => {
    for (let i = 0; i < 10; i++) write(`ten/${i}.txt`, String(i));
    const ids = (await files({ dir: path.join(dir, 'ten'), limit: 3, content: 'none' }).collect()).map((r) => r.id);
    expect(ids).toEqual(['0', '3', '6']);
  });

  it('says what is wrong: a missing folder, a folder no label pattern matches, a file with no folder to label it', async () => {
    expect(await codeOf(files({ dir: path.join(dir, 'nope') }).collect())).toBe('SOURCE_NOT_FOUND');
    write('labels/other/x.txt', 'x');
    write('flat/x.txt', 'x');
    await expect(files({ dir: path.join(dir, 'labels'), label: { 'spam*': 1 } }).collect()).rejects.toThrow(/Folder 'other' .* matches none of the label patterns spam\*/);
    await expect(files({ dir: path.join(dir, 'flat'), label: 'folder' }).collect()).rejects.toThrow(/no folder to take its label from/);
    expect(() => files({ dir: path.join(dir, 'flat'), limit: 0 })).toThrow(/limit/);
  });
});

describe('jsonLines() and csvRows()', () => {
  it('JSON Lines: a BOM, CRLF line ends and blank lines are fine; a bad line is named by its number', async () => {
    const good = write('a.jsonl', '\uFEFF{"id":1}\r\n\r\n{"id":2,"x":[1]}\r\n');
    expect(await jsonLines(good).collect()).toEqual([{ id: 1 }, { id: 2, x: [1] }]);
    const bad = write('b.jsonl', '{"id":1}\n{"id":2}\n{"id":3,\n');
    await expect(jsonLines(bad).collect()).rejects.toThrow(/Line 3 of .*b\.jsonl is not valid JSON/);
    const notObject = write('c.jsonl', '{"id":1}\n42\n');
    await expect(jsonLines(notObject).collect()).rejects.toThrow(/Line 2 .* holds 42, not a JSON object/);
    expect(await codeOf(jsonLines(path.join(dir, 'none.jsonl')).collect())).toBe('SOURCE_NOT_FOUND');
  });

  it('CSV: header, BOM, CRLF, quoted commas and newlines; plain numbers become numbers, codes and quoted cells stay text', async () => {
    const file = write('a.csv', '\uFEFFid,text,n\r\n1,"hello, world",3.5\r\n2,"two\r\nlines","7"\r\n3,,007\r\n4,x,-1e3\r\n5,y, 5\r\n6,z,0x1F\r\n');
    expect(await csvRows(file).collect()).toEqual([
      { id: 1, text: 'hello, world', n: 3.5 },
      { id: 2, text: 'two\r\nlines', n: '7' },
      { id: 3, text: null, n: '007' },
      { id: 4, text: 'x', n: -1000 },
      { id: 5, text: 'y', n: ' 5' },
      { id: 6, text: 'z', n: '0x1F' },
    ]);
    const semi = write('b.csv', 'a;b\n1;2\n');
    expect(await csvRows(semi, { delimiter: ';', header: false, columns: ['x', 'y'], numbers: false }).collect()).toEqual([{ x: 'a', y: 'b' }, { x: '1', y: '2' }]);
    // A file edited on two systems: CRLF rows, then LF rows.
    const mixed = write('mixed-ends.csv', 'a,b\r\n1,2\r\n3,4\n5,6\n');
    expect(await csvRows(mixed).collect()).toEqual([{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 }]);
    const ragged = write('c.csv', 'a,b\n1,2\n3,4,5\n');
    await expect(csvRows(ragged).collect()).rejects.toThrow(/c\.csv, line 3 has 3 cells, but there are 2 columns/);
  });
});

describe('readLines and sources that go on past bad lines', () => {
  it('splits on LF across chunk boundaries, drops CR and a leading BOM, and reports an over-long line without holding it', async () => {
    const { readLines } = await import('@tributary/core');
    const chunks = ['\uFEFFab', 'c\r\nde', 'f\n', 'x'.repeat(50), 'y'.repeat(50), '\nlast'].map((c) => Buffer.from(c));
    const lines = [];
    for await (const line of readLines(chunks, 64)) lines.push(line);
    expect(lines).toEqual([{ line: 1, text: 'abc' }, { line: 2, text: 'def' }, { line: 3, tooLong: 100 }, { line: 4, text: 'last' }]);
  });

  it('with onProblem, a JSON Lines file or CSV file yields every good record and hands over each bad line with its number', async () => {
    const problems: Array<{ line?: number; code: string }> = [];
    const onProblem = (p: { line?: number; code: string }) => problems.push({ line: p.line, code: p.code });
    const file = write('mixed.jsonl', `{"id":1}\nnot json\n{"id":3,"x":"${'z'.repeat(200)}"}\n[4]\n{"id":5}\n`);
    expect(await jsonLines(file, { onProblem, maxLineBytes: 100 }).collect()).toEqual([{ id: 1 }, { id: 5 }]);
    expect(problems).toEqual([{ line: 2, code: 'INVALID_DATA' }, { line: 3, code: 'INVALID_DATA' }, { line: 4, code: 'INVALID_DATA' }]);
    problems.length = 0;
    const csv = write('ragged.csv', 'a,b\n1,2\n3,x,y\n4,5\n');
    expect(await csvRows(csv, { onProblem }).collect()).toEqual([{ a: 1, b: 2 }, { a: 4, b: 5 }]);
    expect(problems).toEqual([{ line: 3, code: 'INVALID_DATA' }]);
  });
});

describe('jsonLines and bytes that are not UTF-8', () => {
  it('reports the line rather than turning its bytes into U+FFFD, and reads the others', async () => {
    const file = write('latin1.jsonl', Buffer.concat([Buffer.from('{"id":1,"t":"ok"}\n{"id":2,"t":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"id":3}\n')]));
    const problems: Array<{ line?: number; code: string }> = [];
    expect(await jsonLines(file, { onProblem: (p) => problems.push({ line: p.line, code: p.code }) }).collect()).toEqual([{ id: 1, t: 'ok' }, { id: 3 }]);
    expect(problems).toEqual([{ line: 2, code: 'INVALID_DATA' }]);
    await expect(jsonLines(file).collect()).rejects.toThrow(/Line 2 of .* is not valid UTF-8/);
  });
});

describe('jsonLines with a schema', () => {
  it('a line that does not match is an INVALID_RECORD problem naming the field and the value', async () => {
    const file = write('typed.jsonl', '{"id":1,"t":20.5}\n{"id":2,"t":"warm"}\n{"id":3}\n{"id":4,"t":1}\n');
    const schema = Type.Object({ id: Type.Integer(), t: Type.Number() });
    const problems: Array<{ line?: number; code: string; message: string }> = [];
    const rows = await jsonLines(file, { schema, onProblem: (p) => problems.push(p) }).collect();
    expect(rows).toEqual([{ id: 1, t: 20.5 }, { id: 4, t: 1 }]);
    expect(problems.map((p) => [p.line, p.code])).toEqual([[2, 'INVALID_RECORD'], [3, 'INVALID_RECORD']]);
    expect(problems[0]!.message).toMatch(/Line 2 of .*typed\.jsonl: 't': Expected number \(got "warm"\)/);
    expect(problems[1]!.message).toMatch(/'t': .*\(the field is missing\)/);
  });
});
