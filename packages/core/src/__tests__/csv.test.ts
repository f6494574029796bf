import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type SourceProblem, Type, csvRows, isTributaryError, sniffEncoding } from '@tributary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvTokenizer } from '../sources/csv-tokenizer.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'c23');
let dir: string;
const write = (name: string, content: string | Uint8Array) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};
const errorOf = async (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);
/** Rows of a text fed to the tokenizer in the given pieces. */
function tokenize(pieces: string[], maxRowChars = 1 << 20) {
  const rows: Array<[number, string[]]> = [];
  const problems: number[] = [];
  const t = new CsvTokenizer({ delimiter: ',', quote: '"', maxRowChars }, (r) => rows.push([r.line, r.cells]), (p) => problems.push(p.line));
  for (const piece of pieces) t.write(piece);
  t.end();
  return { rows, problems };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-csv-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('case C23: byte-order marks, UTF-16LE and Windows-1252', () => {
  it('a UTF-8 BOM does not reach the first column name', async () => {
    const rows = await csvRows(path.join(fixtures, 'c23-bom.csv'), { numbers: false }).collect();
    expect(rows.map((r) => Object.keys(r))).toEqual([['id', 'name'], ['id', 'name']]);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.id).toBe('1');
    expect(await csvRows(path.join(fixtures, 'c23-bom.csv')).collect()).toEqual([{ id: 1, name: 'alice' }, { id: 2, name: 'bob' }]);
  });

  it('UTF-16LE is read from its BOM, and without one from its zero bytes; no U+0000 anywhere', async () => {
    const bytes = fs.readFileSync(path.join(fixtures, 'c23-utf16le-bom.tsv'));
    const expected = [{ name: 'José', city: 'München' }];
    expect(await csvRows(path.join(fixtures, 'c23-utf16le-bom.tsv'), { delimiter: '\t' }).collect()).toEqual(expected);
    const headless = await csvRows(write('no-bom.tsv', bytes.subarray(2)), { delimiter: '\t' }).collect();
    expect(headless).toEqual(expected);
    expect(JSON.stringify(headless)).not.toContain('\\u0000');
    expect(sniffEncoding(bytes.subarray(2))).toBe('utf-16le');
    const be = Buffer.from(bytes.subarray(2)).swap16();
    expect(await csvRows(write('be.tsv', be), { delimiter: '\t' }).collect()).toEqual(expected);
  });

  it("Windows-1252 named as such gives €, ’ and – (bytes 0x80, 0x92, 0x96); read as UTF-8 it fails loudly, naming the fix", async () => {
    const file = path.join(fixtures, 'c23-cp1252.csv');
    expect(await csvRows(file, { encoding: 'windows-1252' }).collect()).toEqual([{ item: 'café', price: '3€', note: 'it’s – ok' }]);
    const error = await errorOf(csvRows(file).collect());
    expect(isTributaryError(error, 'INVALID_DATA')).toBe(true);
    expect((error as Error).message).toMatch(/is not valid utf-8 .*'windows-1252'/);
    // The same fault in the middle of a large file: nothing before it is silently replaced with U+FFFD.
    const late = write('late.csv', Buffer.concat([Buffer.from(`a,b\n${'x,1\n'.repeat(100_000)}`), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2c, 0x32, 0x0a])]));
    expect(isTributaryError(await errorOf(csvRows(late).collect()), 'INVALID_DATA')).toBe(true);
    const unknown = await errorOf(Promise.resolve().then(() => csvRows(file, { encoding: 'windows-1253x' })));
    expect(isTributaryError(unknown, 'INVALID_PARAMS')).toBe(true);
  });
});

describe('csvRows: the kinds of fault C23 stands for', () => {
  it('CRLF, LF and CR row ends, mixed; quoted delimiters, line breaks and doubled quotes', async () => {
    const text = 'a,b\r\n1,"x, y"\n2,"line\r\nbreak"\r3,"say ""hi"""\r\n4,"lf\ninside"\n';
    expect(await csvRows(write('ends.csv', text)).collect()).toEqual([
      { a: 1, b: 'x, y' },
      { a: 2, b: 'line\r\nbreak' },
      { a: 3, b: 'say "hi"' },
      { a: 4, b: 'lf\ninside' },
    ]);
  });

  it('short rows get null for their missing cells; empty cells are null, quoted empty ones the empty string; blank lines are skipped', async () => {
    const text = 'id,x,y,z\n1,2\n\n2,,"",\n3,4,5,6\n';
    expect(await csvRows(write('short.csv', text)).collect()).toEqual([
      { id: 1, x: 2, y: null, z: null },
      { id: 2, x: null, y: '', z: null },
      { id: 3, x: 4, y: 5, z: 6 },
    ]);
    expect(await csvRows(write('short-raw.csv', text), { numbers: false }).collect()).toEqual([
      { id: '1', x: '2', y: null, z: null },
      { id: '2', x: '', y: '', z: '' },
      { id: '3', x: '4', y: '5', z: '6' },
    ]);
  });

  it('a row with more cells than columns is a problem with its line; trailing empty cells are not', async () => {
    const problems: SourceProblem[] = [];
    const rows = await csvRows(write('long.csv', 'a,b\n1,2,\n3,4,5\n6,7\n'), { onProblem: (p) => problems.push(p) }).collect();
    expect(rows).toEqual([{ a: 1, b: 2 }, { a: 6, b: 7 }]);
    expect(problems.map((p) => [p.line, p.code, p.raw])).toEqual([[3, 'INVALID_DATA', '3,4,5']]);
  });

  it('an unclosed quote costs its own line only: the problem names it and reading goes on at the next line', async () => {
    const problems: SourceProblem[] = [];
    const rows = await csvRows(write('quote.csv', 'a,b\n1,"open\n2,two\n3,three\n'), { onProblem: (p) => problems.push(p) }).collect();
    // The quote never closes, so the file is read again from line 3.
    expect(problems.map((p) => p.line)).toEqual([2]);
    expect(problems[0]!.message).toMatch(/quote\.csv, line 2: a quoted cell is never closed/);
    expect(rows).toEqual([{ a: 2, b: 'two' }, { a: 3, b: 'three' }]);
    // Without onProblem the read stops there, saying where.
    await expect(csvRows(write('quote2.csv', 'a,b\n1,"open\n')).collect()).rejects.toThrow(/line 2: a quoted cell is never closed/);
  });

  it('a row longer than maxRowBytes is reported without being held, and the rows after it are read', async () => {
    const problems: SourceProblem[] = [];
    const text = `a,b\n1,"${'z'.repeat(5000)}\n2,ok\n`;
    const rows = await csvRows(write('huge.csv', text), { maxRowBytes: 1000, onProblem: (p) => problems.push(p) }).collect();
    expect(problems.map((p) => p.line)).toEqual([2]);
    expect(rows).toEqual([{ a: 2, b: 'ok' }]);
  });

  it('text after a closing quote stays in the cell and a quote inside an unquoted cell is a character, as Python reads them', () => {
    expect(tokenize(['"ab"cd,e"f\n']).rows).toEqual([[1, ['abcd', 'e"f']]]);
  });

  it('column names: an empty one is column_<n>, a repeated one gets _2; __proto__ is an ordinary field', async () => {
    const [row] = await csvRows(write('names.csv', 'a,,a,__proto__\n1,2,3,4\n')).collect();
    expect(Object.keys(row!)).toEqual(['a', 'column_2', 'a_2', '__proto__']);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe(4);
  });

  it('gives the same rows and line numbers however the text is cut into chunks', () => {
    const text = 'h1,h2\r\n1,"a\r\nb"\r\n2,"c""d"\n\n3,e\r4,"x,y"\r\n5,\n6,"open\n7,z';
    const whole = tokenize([text]);
    expect(whole.rows).toEqual([
      [1, ['h1', 'h2']],
      [2, ['1', 'a\r\nb']],
      [4, ['2', 'c"d']],
      [6, ['3', 'e']],
      [7, ['4', 'x,y']],
      [8, ['5', '']],
      [10, ['7', 'z']],
    ]);
    expect(whole.problems).toEqual([9]);
    for (let size = 1; size <= 7; size++) {
      const pieces = [];
      for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
      expect(tokenize(pieces)).toEqual(whole);
    }
  });

  it('reads a stream ({ name, open }) as well as a file, with the line each row starts on', async () => {
    const source = { name: 'feed', open: () => Readable.from([Buffer.from('t,v\n1,"a\nb"\n'), Buffer.from('2,c\n')]) };
    expect(await csvRows(source, { lineField: 'line' }).collect()).toEqual([{ t: 1, v: 'a\nb', line: 2 }, { t: 2, v: 'c', line: 4 }]);
  });

  it('a whole number a JavaScript number cannot hold exactly stays text; a broken header stops the read', async () => {
    expect(await csvRows(write('big.csv', 'id,x\n12345678901234567890,9007199254740993\n9007199254740991,1.5\n')).collect()).toEqual([
      { id: '12345678901234567890', x: '9007199254740993' },
      { id: 9007199254740991, x: 1.5 },
    ]);
    await expect(csvRows(write('header.csv', 'a,"b\n1,2\n')).collect()).rejects.toThrow(/the header row: .*quoted cell is never closed/);
  });

  it('infers a number exactly where the documented rule says, over thousands of number-like cells', async () => {
    // The rule as its regex: a plain decimal, no leading zeros, no '+', that a double holds exactly.
    const rule = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
    const expected = (cell: string): unknown => {
      if (cell === '') return null;
      if (!rule.test(cell)) return cell;
      const n = Number(cell);
      const whole = !/[.eE]/.test(cell);
      return Number.isFinite(n) && (!whole || Number.isSafeInteger(n)) ? n : cell;
    };
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const alphabet = ['0', '0', '1', '5', '9', '-', '+', '.', 'e', 'E', ' ', 'x'];
    const cells = ['0', '-0', '00', '-', '007', '1e5', '1e', '9007199254740991', '9007199254740992', '900719925474099', '999999999999999', '-999999999999999', '0.5', '-.5', '5.', '1_000'];
    while (cells.length < 5000) {
      const length = 1 + Math.floor(next() * 18);
      let cell = '';
      for (let k = 0; k < length; k++) cell += next() < 0.7 ? String(Math.floor(next() * 10)) : alphabet[Math.floor(next() * alphabet.length)];
      cells.push(cell);
    }
    const rows = await csvRows(write('numbers.csv', `v\n${cells.join('\n')}\n`)).collect();
    expect(rows.map((r) => r.v)).toEqual(cells.map(expected));
  });

  it('decides the encoding on the first KiB however the stream cuts it, and drops a BOM from a text stream', async () => {
    const bytes = fs.readFileSync(path.join(fixtures, 'c23-utf16le-bom.tsv'));
    const pieces = (b: Buffer) => ({ name: 'pieces', open: () => Readable.from([b.subarray(0, 1), b.subarray(1, 3), b.subarray(3)]) });
    expect(await csvRows(pieces(bytes), { delimiter: '\t' }).collect()).toEqual([{ name: 'José', city: 'München' }]);
    expect(await csvRows(pieces(bytes.subarray(2)), { delimiter: '\t' }).collect()).toEqual([{ name: 'José', city: 'München' }]);
    expect(await csvRows({ name: 'text', open: () => Readable.from(['\uFEFFid,n\n1,x\n'], { objectMode: true }) }).collect()).toEqual([{ id: 1, n: 'x' }]);
  });

  it('reads a quoted cell of megabytes fed in small chunks, whole', async () => {
    const cell = '{""k"":1},'.repeat(300_000);
    const text = `a,b\n1,"${cell}"\n2,x\n`;
    const chunks = Array.from({ length: Math.ceil(text.length / 65536) }, (_, i) => Buffer.from(text.slice(i * 65536, (i + 1) * 65536)));
    const rows = await csvRows({ name: 'long', open: () => Readable.from(chunks) }).collect();
    expect(rows.map((r) => [r.a, typeof r.b === 'string' && r.b.length > 100 ? r.b.length : r.b])).toEqual([[1, cell.replaceAll('""', '"').length], [2, 'x']]);
  });

  it('refuses a lineField that would overwrite a column', async () => {
    await expect(csvRows(write('line.csv', 'line,x\n1,2\n'), { lineField: 'line' }).collect()).rejects.toThrow(/has a column 'line', which lineField would overwrite/);
  });

  it('checks its params: one-character delimiter and quote, different from each other', () => {
    expect(() => csvRows('x.csv', { delimiter: ';;' })).toThrow(/one character/);
    expect(() => csvRows('x.csv', { delimiter: '\n' })).toThrow(/one character/);
    expect(() => csvRows('x.csv', { delimiter: '"' })).toThrow(/must differ/);
  });
});

describe('csvRows with a schema', () => {
  const Reading = Type.Object({
    id: Type.Integer(),
    temperature: Type.Number(),
    anomaly: Type.Boolean(),
    humidity: Type.Union([Type.Number(), Type.Null()]),
    note: Type.Optional(Type.String()),
  });

  it('converts cells to the types it names; an empty cell (or a cell a short row lacks) is null where allowed, absent where optional', async () => {
    const file = write('typed.csv', 'id,temperature,anomaly,humidity,note\n1,21.5,false,40,ok\n2,19,true,,\n3,18,0,7\n');
    expect(await csvRows(file, { schema: Reading }).collect()).toEqual([
      { id: 1, temperature: 21.5, anomaly: false, humidity: 40, note: 'ok' },
      { id: 2, temperature: 19, anomaly: true, humidity: null },
      { id: 3, temperature: 18, anomaly: false, humidity: 7 },
    ]);
    const problems: SourceProblem[] = [];
    expect(await csvRows(write('unsafe.csv', 'id,temperature,anomaly,humidity\n9007199254740993,1,true,\n'), { schema: Reading, onProblem: (p) => problems.push(p) }).collect()).toEqual([]);
    expect(problems[0]!.message).toMatch(/column 'id'/);
  });

  it('a row that does not match is an INVALID_RECORD problem naming the column and the value', async () => {
    const problems: SourceProblem[] = [];
    const file = write('bad-typed.csv', 'id,temperature,anomaly,humidity\n1,warm,false,3\n2.5,1,true,3\n3,,true,3\n4,1,true,3\n');
    const rows = await csvRows(file, { schema: Reading, onProblem: (p) => problems.push(p) }).collect();
    expect(rows).toEqual([{ id: 4, temperature: 1, anomaly: true, humidity: 3 }]);
    expect(problems.map((p) => [p.line, p.code])).toEqual([[2, 'INVALID_RECORD'], [3, 'INVALID_RECORD'], [4, 'INVALID_RECORD']]);
    expect(problems[0]!.message).toMatch(/line 2, column 'temperature': .*\(got "warm"\)/);
    expect(problems[1]!.message).toMatch(/line 3, column 'id': .*integer.*\(got 2\.5\)/);
    expect(problems[2]!.message).toMatch(/column 'temperature'.*empty/);
  });
});
