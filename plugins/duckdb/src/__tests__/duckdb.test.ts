import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Dataset, isTributaryError, writeCsv, writeJsonLines } from '@tributary/core';
import { copyQuery, sql, writeTable } from '@tributary/plugin-duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-duckdb-test-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

const readings = [
  { id: 1, station: 'n1', temp: 21.5, ok: true, note: 'it\'s "fine"', at: new Date('2024-05-01T10:00:00Z') },
  { id: 2, station: 'n2', temp: 35.25, ok: false, note: null, at: new Date('2024-05-01T10:05:00Z') },
  { id: 3, station: 'n1', temp: 30, ok: true, note: 'x, y', at: new Date('2024-05-01T10:10:00Z') },
  { id: 4, station: 'n3', temp: -2, ok: true, note: '', at: new Date('2024-05-01T10:15:00Z') },
];

describe('writeTable → sql over Parquet: a round trip with bound parameters', () => {
  it('writes the records and reads back the rows a parameterised query selects, with their types', async () => {
    const file = path.join(dir, 'readings.parquet');
    const written = await writeTable(readings, file);
    expect(written.records).toBe(4);
    expect(fs.existsSync(file)).toBe(true);
    const rows = await sql('SELECT * FROM read_parquet($file) WHERE temp >= $min ORDER BY id', { params: { file, min: 21.5 } }).collect();
    expect(rows).toEqual([readings[0], readings[1], readings[2]]);
  });

  it('binds values, never pastes them into the SQL: a quote-laden value matches nothing rather than everything', async () => {
    const file = path.join(dir, 'readings.parquet');
    const all = await sql('SELECT count(*) AS n FROM read_parquet(?)', { params: [file] }).collect();
    expect(all).toEqual([{ n: 4 }]);
    const injected = await sql('SELECT id FROM read_parquet($file) WHERE station = $station', { params: { file, station: "n1' OR '1'='1" } }).collect();
    expect(injected).toEqual([]);
    expect(await sql('SELECT id FROM read_parquet($file) WHERE station = $station ORDER BY id', { params: { file, station: 'n1' } }).collect()).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('joins and aggregates CSV and JSON Lines files written by the core sinks', async () => {
    const csv = path.join(dir, 'readings.csv');
    const jsonl = path.join(dir, 'stations.jsonl');
    await writeCsv(readings.map(({ at: _at, ...r }) => r), csv);
    await writeJsonLines([{ station: 'n1', site: 'roof' }, { station: 'n2', site: 'cellar' }], jsonl);
    const rows = await sql(
      `SELECT s.site, count(*) AS readings, avg(r.temp) AS mean
       FROM read_csv($csv) r JOIN read_json($jsonl) s USING (station)
       GROUP BY s.site ORDER BY s.site`,
      { params: { csv, jsonl } },
    ).collect();
    // roof: n1 at 21.5 and 30; cellar: n2 at 35.25; n3 has no station row.
    expect(rows).toEqual([
      { site: 'cellar', readings: 1, mean: 35.25 },
      { site: 'roof', readings: 2, mean: 25.75 },
    ]);
  });

  it('streams a large result in chunks of at most 2,048 rows, on every pass', async () => {
    const data = sql('SELECT range AS i FROM range(10000)');
    for (let pass = 0; pass < 2; pass++) {
      let count = 0;
      let sum = 0;
      for await (const chunk of data.chunks()) {
        expect(chunk.length).toBeLessThanOrEqual(2048);
        count += chunk.length;
        for (const row of chunk) sum += row.i as number;
      }
      expect([count, sum]).toEqual([10000, (9999 * 10000) / 2]);
    }
  });

  it('stops cleanly when the reader stops early, with the next chunk still being fetched', async () => {
    const data = sql('SELECT range AS i FROM range(100000) ORDER BY i');
    for (let pass = 0; pass < 3; pass++) expect((await data.take(3).collect()).map((r) => r.i)).toEqual([0, 1, 2]);
    expect(await data.skip(99998).collect()).toEqual([{ i: 99998 }, { i: 99999 }]);
  });

  it('keeps a 64-bit integer that does not fit a JavaScript number as a bigint', async () => {
    expect(await sql('SELECT 42::BIGINT AS small, (2::BIGINT ** 60)::BIGINT AS large').collect()).toEqual([{ small: 42, large: 2n ** 60n }]);
    expect(await sql('SELECT 42::BIGINT AS small', { integers: 'bigint' }).collect()).toEqual([{ small: 42n }]);
  });

  it('names every column of a result: a repeated name gets a suffix, `__proto__` is an ordinary field, NULL is null in any type', async () => {
    const [row] = await sql(`SELECT 1 AS a, 2 AS a, 'x' AS "__proto__", NULL::BIGINT AS n, NULL::TIMESTAMP AS t, TIMESTAMP '2024-02-29 12:00:00' AS at`).collect();
    expect(Object.keys(row!)).toEqual(['a', 'a:1', '__proto__', 'n', 't', 'at']);
    expect(row).toEqual({ a: 1, 'a:1': 2, ['__proto__']: 'x', n: null, t: null, at: new Date(Date.UTC(2024, 1, 29, 12)) });
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });

  it('turns safe 64-bit integers inside lists into numbers too, and refuses to round a bigint into a DOUBLE column', async () => {
    expect(await sql('SELECT [1::BIGINT, 2::BIGINT] AS ids, {n: 3::BIGINT} AS s').collect()).toEqual([{ ids: [1, 2], s: { n: 3 } }]);
    const target = path.join(dir, 'rounded.parquet');
    const rounded = await errorOf(writeTable(sql('SELECT * FROM (VALUES (1::BIGINT), (9007199254740993::BIGINT)) v(id) ORDER BY id'), target));
    expect(isTributaryError(rounded, 'INVALID_DATA')).toBe(true);
    expect(fs.existsSync(target)).toBe(false);
    const clash = await errorOf(writeTable([{ a: 1, A: 2 }], path.join(dir, 'clash.parquet')));
    expect((clash as Error).message).toMatch(/differ only in case/);
  });

  it('says what is wrong: a missing file, a syntax error, a field whose type changes', async () => {
    const missing = await errorOf(sql('SELECT * FROM read_parquet($file)', { params: { file: path.join(dir, 'none.parquet') } }).collect());
    expect(isTributaryError(missing, 'SOURCE_NOT_FOUND')).toBe(true);
    const syntax = await errorOf(sql('SELEC 1').collect());
    expect(isTributaryError(syntax, 'INVALID_PARAMS')).toBe(true);
    const target = path.join(dir, 'mixed.parquet');
    const mixed = await errorOf(writeTable(Dataset.from([{ a: 1 }, { a: 'two' }]), target));
    expect(isTributaryError(mixed, 'INVALID_DATA')).toBe(true);
    expect((mixed as Error).message).toMatch(/Record #1: field 'a' holds a varchar, but its column is DOUBLE/);
    expect(fs.existsSync(target)).toBe(false);
    expect(() => sql('')).toThrow(/needs the query text/);
  });
});

describe('copyQuery: DuckDB writes a query result to a file itself', () => {
  const csv = 'id,station,temp\n1,n1,21.5\n2,n2,35.25\n3,n1,30\n4,n3,-2\n';

  it('writes JSON Lines with a derived column, the parameters bound', async () => {
    const input = path.join(dir, 'copy-in.csv');
    fs.writeFileSync(input, csv);
    const out = path.join(dir, 'copy.jsonl');
    const result = await copyQuery('SELECT id, station, temp > $limit AS hot FROM read_csv($file) WHERE station <> $skip ORDER BY id', out, { params: { file: input, limit: 30, skip: "n3' OR '1'='1" } });
    // By hand: n3 is kept (the quote-laden value matches no station); hot is temp > 30.
    expect(result.records).toBe(4);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { id: 1, station: 'n1', hot: false },
      { id: 2, station: 'n2', hot: true },
      { id: 3, station: 'n1', hot: false },
      { id: 4, station: 'n3', hot: false },
    ]);
    expect(result.bytes).toBe(fs.statSync(out).size);
  });

  it('writes Parquet that sql reads back, and CSV with a header', async () => {
    const input = path.join(dir, 'copy-in.csv');
    fs.writeFileSync(input, csv);
    const parquet = path.join(dir, 'copy.parquet');
    await copyQuery('SELECT station, avg(temp) AS mean FROM read_csv($file) GROUP BY station', parquet, { params: { file: input } });
    // n1: (21.5 + 30) / 2 = 25.75; n2 35.25; n3 −2.
    expect(await sql('SELECT * FROM read_parquet($file) ORDER BY station', { params: { file: parquet } }).collect()).toEqual([
      { station: 'n1', mean: 25.75 },
      { station: 'n2', mean: 35.25 },
      { station: 'n3', mean: -2 },
    ]);
    const out = path.join(dir, 'copy.csv');
    await copyQuery('SELECT id FROM read_csv($file) WHERE temp < 0', out, { params: { file: input } });
    expect(fs.readFileSync(out, 'utf8')).toBe('id\n4\n');
  });

  it('a query that fails leaves the old file as it was and says why; an unknown extension asks for a format', async () => {
    const out = path.join(dir, 'kept.jsonl');
    fs.writeFileSync(out, 'old\n');
    const error = await errorOf(copyQuery('SELECT nope FROM read_csv($file)', out, { params: { file: path.join(dir, 'copy-in.csv') } }));
    expect(isTributaryError(error, 'INVALID_PARAMS')).toBe(true);
    expect((error as Error).message).toMatch(/nope/);
    expect(fs.readFileSync(out, 'utf8')).toBe('old\n');
    expect(fs.readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
    const format = await errorOf(copyQuery('SELECT 1', path.join(dir, 'out.txt')));
    expect(isTributaryError(format, 'INVALID_PARAMS')).toBe(true);
    expect((format as Error).message).toMatch(/\.jsonl, \.csv or \.parquet/);
  });
});
