import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CsvOptions, type DataRecord, type Executor, type Plugin, type SourceProblem, countLines, createRuntime, csvRows, openCsvShards, openLocalSegment, readCsvShard, writeJsonLines } from '@tributary/core';
import { afterAll, describe, expect, it } from 'vitest';
import { scale, toyPlugin } from './fixtures/toy-plugin.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-shards-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const write = (content: string | Buffer): string => {
  const file = path.join(dir, `f${files++}.csv`);
  fs.writeFileSync(file, content);
  return file;
};

/** The reference: the file read in one pass by csvRows, its problems collected in order. */
async function onePass(file: string, options: CsvOptions = {}): Promise<{ records: DataRecord[]; problems: SourceProblem[] }> {
  const problems: SourceProblem[] = [];
  const records = await csvRows(file, { ...options, onProblem: (p) => problems.push(p) }).collect();
  return { records, problems };
}

/** The same file cut into shards, each read on its own, the results joined in order. */
async function sharded(file: string, options: CsvOptions, shardBytes: number): Promise<{ records: DataRecord[]; problems: SourceProblem[]; shards: number }> {
  const source = await openCsvShards(file, options, shardBytes);
  if (!source) throw new Error('not shardable');
  const records: DataRecord[] = [];
  const problems: SourceProblem[] = [];
  let shards = 0;
  for await (const item of source.shards()) {
    if ('problem' in item) {
      problems.push(item.problem);
      continue;
    }
    shards++;
    const part = readCsvShard(structuredClone(source.reader), { bytes: item.bytes, firstLine: item.firstLine });
    records.push(...part.records);
    problems.push(...part.problems);
  }
  return { records, problems, shards };
}

/** A seeded generator of messy CSV: quotes that open cells and quotes inside cells, doubled quotes, delimiters and line breaks inside quotes, CRLF/LF/CR row ends mixed, blank lines, short and long rows, text after a closing quote, multi-byte characters. */
function messyCsv(seed: number, rows: number): string {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ends = ['\n', '\r\n', '\r'];
  const cells = ['42', '-3.25', '007', '', 'plain', 'Zürich', '東京', '5\'11"', 'a"b', 'x""y', '"quoted, with comma"', '"two\nlines"', '"crlf\r\ninside"', '"cr\ronly"', '"dq ""inner"" dq"', '"doubled "" then, a comma\nand a break"', '"closed"tail', '""', '"a","b"', ' 7', '1e5', '9007199254740993'];
  let out = 'id,a,b,c\r\n';
  for (let r = 0; r < rows; r++) {
    const n = rnd() < 0.1 ? 2 : rnd() < 0.05 ? 6 : 4;
    const row = [String(r)];
    for (let k = 1; k < n; k++) row.push(pick(cells));
    out += row.join(',') + pick(ends);
    if (rnd() < 0.03) out += pick(ends);
  }
  return out;
}

describe('a CSV file read in shards gives exactly what one pass gives', () => {
  it('on messy generated files, at several shard sizes, with line numbers', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const file = write(messyCsv(seed, 1500));
      for (const options of [{}, { lineField: 'line' }, { numbers: false }]) {
        const expected = await onePass(file, options);
        expect(expected.records.length).toBeGreaterThan(1000);
        for (const shardBytes of [1024, 1500, 4096, 1 << 20]) {
          const got = await sharded(file, options, shardBytes);
          expect(got.records).toEqual(expected.records);
          expect(got.problems).toEqual(expected.problems);
          if (shardBytes === 1024) expect(got.shards).toBeGreaterThan(fs.statSync(file).size / 2048);
        }
      }
    }
  });

  it('a quoted cell never closed at the end of the file is the same problem, and the rows after its line still come', async () => {
    const body = Array.from({ length: 400 }, (_, i) => `${i},row ${i}`).join('\n');
    const file = write(`id,name\n${body}\n400,"never closed\n401,after\n402,last\n`);
    const expected = await onePass(file);
    expect(expected.problems).toHaveLength(1);
    expect(expected.problems[0]!.line).toBe(402);
    expect(expected.records.at(-1)).toEqual({ id: 402, name: 'last' });
    const got = await sharded(file, {}, 1024);
    expect(got.records).toEqual(expected.records);
    expect(got.problems).toEqual(expected.problems);
  });

  it('a row longer than maxRowBytes is left out with its line, and reading goes on at the next line, as in one pass', async () => {
    // An unclosed quote on line 3 that would swallow the 8,000 rows after it (80 KB, more than a first read).
    const after = Array.from({ length: 8000 }, (_, i) => `${i + 3},row ${i}`).join('\n');
    const file = write(`id,text\n1,short\n2,"${'x'.repeat(3000)}\n${after}\n`);
    const expected = await onePass(file, { maxRowBytes: 2000 });
    const got = await sharded(file, { maxRowBytes: 2000 }, 1024);
    expect(expected.problems.map((p) => [p.line, p.code])).toEqual([[3, 'INVALID_DATA']]);
    expect(got.problems.map((p) => [p.line, p.code])).toEqual([[3, 'INVALID_DATA']]);
    // One pass counts characters, shards count bytes: the same here, where every character is ASCII.
    expect(got.problems[0]!.message).toMatch(/line 3: the row is longer than 2000 bytes/);
    expect(got.records).toEqual(expected.records);
    expect(got.records).toHaveLength(8001);
    expect(got.records[1]).toEqual({ id: 3, text: 'row 0' });
  });

  it('reads the header after blank lines, drops a UTF-8 byte-order mark, and reads a single-byte encoding', async () => {
    const file = write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\r\n\r\nid,name\r\n1,Zoë\r\n')]));
    expect((await sharded(file, {}, 1024)).records).toEqual([{ id: 1, name: 'Zoë' }]);
    // windows-1252: 0x80 is €, 0x92 is ’ (as case C23's file has them).
    const cp = write(Buffer.concat([Buffer.from('id,price,note\n1,3'), Buffer.from([0x80]), Buffer.from(',it'), Buffer.from([0x92]), Buffer.from('s\n')]));
    expect((await sharded(cp, { encoding: 'windows-1252' }, 1024)).records).toEqual([{ id: 1, price: '3€', note: 'it’s' }]);
  });

  it('UTF-16 cannot be cut at byte boundaries: the file is not opened in shards', async () => {
    const file = write(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name\n1,a\n', 'utf16le')]));
    expect(await openCsvShards(file, {}, 4096)).toBeUndefined();
  });

  it('cuts files whose rows end in a lone CR (old Mac exports) as finely as LF files', async () => {
    const file = write(`id,v\r${Array.from({ length: 2000 }, (_, i) => `${i},${i * 2}`).join('\r')}\r`);
    const got = await sharded(file, {}, 1024);
    expect(got.shards).toBeGreaterThan(fs.statSync(file).size / 2048);
    expect(got.records).toEqual(Array.from({ length: 2000 }, (_, i) => ({ id: i, v: i * 2 })));
  });

  it('keeps a U+FEFF that is not the file\'s mark as text, at the start of a shard or after blank lines (as one pass does)', async () => {
    const cases: Array<[string, CsvOptions, DataRecord[]]> = [
      ['\n\uFEFFa,b\n1,2\n', {}, [{ '\uFEFFa': 1, b: 2 }]],
      ['a,b\n\uFEFFx,y\n', {}, [{ a: '\uFEFFx', b: 'y' }]],
      ['\uFEFF\uFEFF1,2\n', { header: false, columns: ['a', 'b'] }, [{ a: '\uFEFF1', b: 2 }]],
      [`a,b\n${'1,2\n'.repeat(256)}\uFEFFx,y\n`, {}, [...Array.from({ length: 256 }, () => ({ a: 1, b: 2 })), { a: '\uFEFFx', b: 'y' }]],
    ];
    for (const [text, options, records] of cases) {
      const file = write(text);
      expect((await onePass(file, options)).records).toEqual(records);
      expect((await sharded(file, options, 1024)).records).toEqual(records);
    }
  });

  it('refuses a lineField that names one of the given columns, with a header or without', async () => {
    const file = write('1,2\n');
    const options = { header: false, columns: ['a', 'ln'], lineField: 'ln' };
    await expect(onePass(file, options)).rejects.toMatchObject({ code: 'INVALID_PARAMS', param: 'lineField' });
    await expect(sharded(file, options, 1024)).rejects.toMatchObject({ code: 'INVALID_PARAMS', param: 'lineField' });
  });

  it('bytes that are not UTF-8 fail with the same message either way', async () => {
    const file = write(Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x80, 0x2c, 0xe9, 0x0a]));
    const one = await onePass(file).then(() => undefined, (e: unknown) => e as Error);
    const shards = await sharded(file, {}, 1024).then(() => undefined, (e: unknown) => e as Error);
    expect(one?.message).toMatch(/is not valid utf-8 \(found from its first bytes\)/);
    expect(shards?.message).toBe(one?.message);
  });

  it('after an over-long row whose CRLF is split between two pieces of text, the lines that follow keep their numbers', async () => {
    // Line 2 is over the limit and ends in a CR that closes the first piece; its LF opens the second.
    const pieces = ['a\n' + 'q'.repeat(1101) + '\r', '\nx\ny\n'];
    const problems: SourceProblem[] = [];
    const records = await csvRows({ name: 'split', open: async function* () { yield* pieces.map((p) => Buffer.from(p)); } }, { maxRowBytes: 1000, lineField: 'line', onProblem: (p) => problems.push(p) }).collect();
    expect(problems.map((p) => p.line)).toEqual([2]);
    expect(records).toEqual([{ a: 'x', line: 3 }, { a: 'y', line: 4 }]);
  });

  it('counts counted: each row the splitter gives up on counts once, and its raw text is decoded as the file is', async () => {
    const file = write(`temp\n"€uro\n${'7\n'.repeat(40000)}`);
    const plugins = [toyPlugin()];
    const executor = cloningExecutor(plugins);
    const model = await createRuntime({ plugins, executor }).pipeline([scale({ input: 'temp', output: 'y', factor: 1 })]).fit([]);
    const deadLetterPath = path.join(dir, 'splitter.dead.jsonl');
    const result = await model.transformCsvFile(file, path.join(dir, 'splitter.jsonl'), { csv: { maxRowBytes: 1000 }, shardBytes: 1024, errorPolicy: 'dead-letter', deadLetterPath });
    expect(result.mode).toBe('shards');
    // By hand: line 2 opens a quote that never closes and is over the limit; the 40,000 rows after it are read.
    expect([result.report.input, result.report.output, result.report.deadLettered]).toEqual([40001, 40000, 1]);
    const [dead] = fs.readFileSync(deadLetterPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; raw: string });
    expect(dead!.line).toBe(2);
    expect(dead!.raw.startsWith('"€uro\n7\n')).toBe(true);
  });

  it('counts line breaks as the tokenizer does: CRLF once, lone CR and LF each', () => {
    expect(countLines(Buffer.from('a\r\nb\nc\rd\r\n\r\n'))).toBe(5);
    expect(countLines(Buffer.from('no break'))).toBe(0);
  });
});

/**
 * An executor that runs segments in this thread but passes everything through structuredClone, as a
 * worker thread receives it; it reads shards too.
 */
function cloningExecutor(plugins: readonly Plugin[]): Executor & { shards: number } {
  const executor = {
    name: 'cloning',
    concurrency: 3,
    shards: 0,
    async open(segment: Parameters<Executor['open']>[0]) {
      const local = await openLocalSegment(structuredClone(segment), plugins);
      return {
        run: async (batch: Parameters<typeof local.run>[0]) => structuredClone(await local.run(structuredClone(batch))),
        runShard: async (task: Parameters<typeof local.runShard>[0]) => {
          executor.shards++;
          return structuredClone(await local.runShard(structuredClone(task)));
        },
        close: () => local.dispose(),
      };
    },
  };
  return executor;
}

describe('PipelineModel.transformCsvFile', () => {
  // 3,000 rows: every 500th (i % 500 === 7) has a third, non-empty cell, which no column takes (a source
  // problem); every 300th (i % 300 === 11) has text where toy:scale wants a number (the stage rejects it).
  const rows = Array.from({ length: 3000 }, (_, i) => (i % 500 === 7 ? `${i},${i % 10},extra` : i % 300 === 11 ? `${i},text` : `${i},${i % 10}`));
  const csv = `id,x\r\n${rows.join('\r\n')}\r\n`;
  const unreadable = rows.filter((_, i) => i % 500 === 7).length;
  const rejected = rows.filter((_, i) => i % 500 !== 7 && i % 300 === 11).length;

  it('in shards on an executor: the one-pass output byte for byte, and input = output + skipped + dead-lettered', async () => {
    expect([unreadable, rejected]).toEqual([6, 10]);
    const file = write(csv);
    const plugins = [toyPlugin()];
    const oneFile = path.join(dir, 'one.jsonl');
    const shardFile = path.join(dir, 'shards.jsonl');
    const here = await createRuntime({ plugins }).pipeline([scale({ input: 'x', output: 'y', factor: 3 })]).fit([]);
    const executor = cloningExecutor(plugins);
    const there = await createRuntime({ plugins, executor }).pipeline([scale({ input: 'x', output: 'y', factor: 3 })]).fit([]);
    const one = await here.transformCsvFile(file, oneFile, { errorPolicy: 'dead-letter', deadLetterPath: path.join(dir, 'one.dead.jsonl') });
    const shards = await there.transformCsvFile(file, shardFile, { errorPolicy: 'dead-letter', deadLetterPath: path.join(dir, 'shards.dead.jsonl'), shardBytes: 1024 });
    expect(one.mode).toBe('one-pass');
    expect(one.reason).toBe('the runtime has no executor');
    expect(shards.mode).toBe('shards');
    expect(executor.shards).toBeGreaterThan(10);
    const lines = fs.readFileSync(shardFile, 'utf8');
    expect(lines).toBe(fs.readFileSync(oneFile, 'utf8'));
    // The output by its definition: every good row, in order, with y = 3x.
    const good = rows.map((_, i) => i).filter((i) => i % 500 !== 7 && i % 300 !== 11);
    expect(lines).toBe(good.map((i) => `${JSON.stringify({ id: i, x: i % 10, y: (i % 10) * 3 })}\n`).join(''));
    for (const r of [one, shards]) {
      expect(r.report.input).toBe(3000);
      expect(r.report.output).toBe(3000 - unreadable - rejected);
      expect(r.report.deadLettered).toBe(unreadable + rejected);
      expect(r.records).toBe(r.report.output);
    }
    const dead = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stage: string; recordId: unknown; line?: number });
    // The same entries; one pass writes a source's problems as it reads ahead of the stages, so only the set is the same.
    const sorted = (entries: unknown[]) => entries.map((e) => JSON.stringify(e)).sort();
    expect(sorted(dead('shards.dead.jsonl'))).toEqual(sorted(dead('one.dead.jsonl')));
    // The unreadable rows are named by their file line (row i is on line i + 2).
    expect(dead('shards.dead.jsonl').filter((d) => d.stage === 'source').map((d) => d.line)).toEqual([7, 507, 1007, 1507, 2007, 2507].map((i) => i + 2));
  });

  it('under fail, the first unreadable row stops the run with its line, and the old file stays', async () => {
    const file = write(csv);
    const out = path.join(dir, 'kept.jsonl');
    fs.writeFileSync(out, 'old\n');
    const plugins = [toyPlugin()];
    const there = await createRuntime({ plugins, executor: cloningExecutor(plugins) }).pipeline([scale({ input: 'x', output: 'y', factor: 3 })]).fit([]);
    await expect(there.transformCsvFile(file, out, { shardBytes: 1024 })).rejects.toMatchObject({ code: 'INVALID_DATA', message: expect.stringMatching(/line 9 has 3 cells/) });
    expect(fs.readFileSync(out, 'utf8')).toBe('old\n');
  });

  it('reads in one pass, saying why, where shards cannot be used', async () => {
    const plugins = [toyPlugin()];
    const there = await createRuntime({ plugins, executor: cloningExecutor(plugins) }).pipeline([scale({ input: 'x', output: 'y', factor: 3 })]).fit([]);
    const utf16 = write(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,x\n1,2\n', 'utf16le')]));
    const result = await there.transformCsvFile(utf16, path.join(dir, 'utf16.jsonl'));
    expect(result.mode).toBe('one-pass');
    expect(result.reason).toMatch(/UTF-16/);
    expect(fs.readFileSync(result.path, 'utf8')).toBe('{"id":1,"x":2,"y":6}\n');
  });
});

describe('PipelineModel.transformToJsonLines', () => {
  it('on an executor that serialises: the bytes of writeJsonLines(model.transform(…)), inputs that are no records rejected and counted', async () => {
    const plugins = [toyPlugin()];
    const input: unknown[] = Array.from({ length: 500 }, (_, i) => (i === 17 ? ['not', 'a record'] : i % 45 === 2 ? { x: 'two' } : { id: `r${i}`, x: i }));
    const here = await createRuntime({ plugins }).pipeline([scale({ input: 'x', output: 'y', factor: 2 })]).fit([]);
    const executor = cloningExecutor(plugins);
    const there = await createRuntime({ plugins, executor }).pipeline([scale({ input: 'x', output: 'y', factor: 2 })]).fit([]);
    const expected = path.join(dir, 'records-one.jsonl');
    await writeJsonLines(here.transform(input as object[], { errorPolicy: 'skip' }), expected);
    const result = await there.transformToJsonLines(input as object[], path.join(dir, 'records-shards.jsonl'), { errorPolicy: 'skip', recordsPerShard: 32 });
    expect(result.mode).toBe('shards');
    expect(executor.shards).toBe(Math.ceil(500 / 32));
    expect(fs.readFileSync(result.path, 'utf8')).toBe(fs.readFileSync(expected, 'utf8'));
    // By hand: item 17 is an array; every 45th from the 3rd has text for x (rejected by toy:scale) and no id.
    const textual = input.filter((r, i) => i !== 17 && i % 45 === 2).length;
    expect([result.report.input, result.report.output, result.report.skipped]).toEqual([500, 500 - 1 - textual, 1 + textual]);
    // Records without an id are named by their input position, items left out before them counted, as in one pass.
    const mixed: unknown[] = [{ x: 1 }, 'not a record', null, { x: 'three' }, { x: 'four' }];
    const dead = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { recordId: unknown }).recordId);
    await writeJsonLines(here.transform(mixed as object[], { errorPolicy: 'dead-letter', deadLetterPath: path.join(dir, 'mixed-one.dead.jsonl') }), path.join(dir, 'mixed-one.jsonl'));
    await there.transformToJsonLines(mixed as object[], path.join(dir, 'mixed-shards.jsonl'), { errorPolicy: 'dead-letter', deadLetterPath: path.join(dir, 'mixed-shards.dead.jsonl') });
    expect(dead('mixed-one.dead.jsonl')).toEqual([1, 2, 3, 4]);
    expect(dead('mixed-shards.dead.jsonl')).toEqual([1, 2, 3, 4]);
    // A rejected record without an id is named by its input position, as in one pass.
    const under = await there.transformToJsonLines(input.filter((_, i) => i !== 17) as object[], path.join(dir, 'failed.jsonl'), { recordsPerShard: 32 }).then(() => undefined, (e: unknown) => e);
    expect(under).toMatchObject({ code: 'INVALID_RECORD', stage: 'toy:scale', recordId: 2 });
  });
});
