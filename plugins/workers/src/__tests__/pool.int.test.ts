import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Dataset, type DataRecord, RunReport, createRuntime, definePlugin, isTributaryError, writeJsonLines } from '@tributary/core';
import { type ProcessPool, type WorkerPool, processPool, workerPool } from '@tributary/plugin-workers';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain JavaScript module (worker threads import it as it is); its shape is used loosely here.
import { busy, digest, evil, thread, vocab } from './fixtures/busy-plugin.mjs';

/** The digest by its definition: sha256 hex of the text, applied `rounds` times. */
function expectedDigest(text: string, rounds: number): string {
  let d = text;
  for (let i = 0; i < rounds; i++) d = createHash('sha256').update(d).digest('hex');
  return d;
}

const words = ['river', 'delta', 'stone', 'water', 'basin', 'flow', 'tide', 'marsh'];
const records: DataRecord[] = Array.from({ length: 120 }, (_, i) => ({ id: `r${i}`, text: `${words[i % 8]} ${words[(i * 3) % 8]} ${words[(i * 5) % 8]}`, cost: i < 8 ? 400 : 0 }));

const pools: Array<[string, WorkerPool | ProcessPool]> = [
  ['workerPool: stages rebuilt on worker threads', workerPool({ threads: 2 })],
  ['processPool: stages rebuilt in worker processes', processPool({ processes: 2 })],
];
afterAll(() => Promise.all(pools.map(([, pool]) => pool.close())));

describe.each(pools)('%s from their plugin module, params and state', (_name, pool) => {
  it('gives the in-process output, in input order, though the first batches take longest, and runs on two workers', async () => {
    const specs = [digest({ rounds: 20 }), vocab({})];
    const here = await createRuntime({ plugins: [busy] }).pipeline(specs).fit(records.slice(0, 40));
    const pooled = await createRuntime({ plugins: [busy], executor: pool }).pipeline([...specs, thread({})]).fit(records.slice(0, 40));
    const expected = await here.transform(records, { batchSize: 4 }).collect();
    const out = await pooled.transform(records, { batchSize: 4 }).collect();
    expect(out.map(({ thread: _t, ...rest }) => rest)).toEqual(expected);
    expect(out.map((r) => r.id)).toEqual(records.map((r) => r.id));
    // Checked against the definition, not only against the in-process run.
    expect(out[9]!.digest).toBe(expectedDigest(records[9]!.text as string, 20));
    expect(out[3]!.digest).toBe(expectedDigest(records[3]!.text as string, 420));
    // The vocabulary was fitted here on words longer than 3 letters of the first 40 records ('flow' and 'tide' are not): its state reached the threads.
    expect(out[0]!.known).toBe((records[0]!.text as string).split(' ').filter((w) => w.length > 3).length);
    const workers = new Set(out.map((r) => r.thread));
    expect(workers.has(`${process.pid}:0`)).toBe(false);
    expect(workers.size).toBe(2);
  });

  it('holds a bounded number of records in flight, whatever the input size', async () => {
    const runtime = createRuntime({ plugins: [busy], executor: pool });
    const model = await runtime.pipeline([digest({ rounds: 5 })]).fit([]);
    let pulled = 0;
    let consumed = 0;
    let most = 0;
    const source = Dataset.from(async function* () {
      for (let i = 0; i < 2000; i++) {
        pulled++;
        most = Math.max(most, pulled - consumed);
        yield { id: i, text: `t${i}` };
      }
    });
    const batchSize = 10;
    for await (const chunk of model.transform(source, { batchSize }).chunks()) {
      consumed += chunk.length;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(consumed).toBe(2000);
    // In flight: the pool's batches (threads + 1 = 3), one being gathered, one handed over: (3 + 2) × 10.
    expect(most).toBeLessThanOrEqual((pool.concurrency + 2) * batchSize);
  });

  it('a stage that throws inside a thread surfaces as a TributaryError with the stage kind and the record id', async () => {
    const model = await createRuntime({ plugins: [busy], executor: pool }).pipeline([digest({ rounds: 1 })]).fit([]);
    const input = [{ id: 'a', text: 'fine' }, { id: 'b', text: 'explode' }, { id: 'c', text: 7 }, { id: 'd', text: 'also fine' }];
    const error = await model.transform(input, { batchSize: 4 }).collect().then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(error, 'STAGE_FAILED')).toBe(true);
    expect(error).toMatchObject({ stage: 'busy:digest', recordId: 'b' });
    expect((error as Error).message).toMatch(/boom/);
    const report = new RunReport();
    const kept = await model.transform(input, { batchSize: 4, errorPolicy: 'skip', report }).collect();
    expect(kept.map((r) => r.id)).toEqual(['a', 'd']);
    expect([report.input, report.output, report.skipped]).toEqual([4, 2, 2]);
  });

  it('a plugin the threads cannot import fails with PLUGIN_MISSING, naming it', async () => {
    const lost = definePlugin({ ...busy, name: 'busy-plugin', module: 'file:///nowhere/busy-plugin.mjs' });
    const model = await createRuntime({ plugins: [lost], executor: pool }).pipeline([digest({ rounds: 1 })]).fit([]);
    const error = await model.transform([{ id: 'a', text: 'x' }]).collect().then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(error, 'PLUGIN_MISSING')).toBe(true);
    expect((error as Error).message).toMatch(/could not import busy-plugin from file:\/\/\/nowhere/);
  });

  it('reads a CSV file in shards on the workers: the one-pass bytes, the counts, and the stage errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-csv-'));
    try {
      // 5,000 rows. Every 700th text is a number (busy:digest rejects it); every 900th row has a stray
      // third cell (the file cannot give it a column: a source problem); row 2,000 says "explode" (the stage throws).
      const rows = Array.from({ length: 5000 }, (_, i) => (i % 700 === 3 ? `${i},${i}` : i % 900 === 5 ? `${i},"w ${i}",oops` : i === 2000 ? `${i},explode` : `${i},"${words[i % 8]}, ${i}"`));
      const file = path.join(dir, 'in.csv');
      fs.writeFileSync(file, `id,text\n${rows.join('\n')}\n`);
      const specs = [digest({ rounds: 2 })];
      const here = await createRuntime({ plugins: [busy] }).pipeline(specs).fit([]);
      const there = await createRuntime({ plugins: [busy], executor: pool }).pipeline(specs).fit([]);
      const one = await here.transformCsvFile(file, path.join(dir, 'one.jsonl'), { errorPolicy: 'skip' });
      const sharded = await there.transformCsvFile(file, path.join(dir, 'sharded.jsonl'), { errorPolicy: 'skip', shardBytes: 4096 });
      expect(sharded.mode).toBe('shards');
      const out = fs.readFileSync(sharded.path, 'utf8');
      expect(out).toBe(fs.readFileSync(one.path, 'utf8'));
      const numeric = rows.filter((_, i) => i % 700 === 3).length;
      const stray = rows.filter((_, i) => i % 700 !== 3 && i % 900 === 5).length;
      expect([sharded.report.input, sharded.report.output, sharded.report.skipped]).toEqual([5000, 5000 - numeric - stray - 1, numeric + stray + 1]);
      // A line checked against the definition: row 10's text digested twice.
      const line10 = out.split('\n').map((l) => JSON.parse(l || 'null') as DataRecord | null).find((r) => r?.id === 10)!;
      expect(line10).toEqual({ id: 10, text: 'stone, 10', digest: expectedDigest('stone, 10', 2) });
      // Under fail, the first problem stops the run with the same error as one pass: row 5's stray cell, on line 7.
      const failed = (model: typeof here) => model.transformCsvFile(file, path.join(dir, 'failed.jsonl'), { shardBytes: 4096 }).then(() => undefined, (e: unknown) => e);
      const [oneError, shardError] = [await failed(here), await failed(there)];
      expect(isTributaryError(shardError, 'INVALID_DATA')).toBe(true);
      expect((shardError as Error).message).toMatch(/line 7 has 3 cells/);
      expect((shardError as Error).message).toBe((oneError as Error).message);
      expect(fs.existsSync(path.join(dir, 'failed.jsonl'))).toBe(false);
      // A stage's error under fail names its stage and record, as in one pass.
      const clean = path.join(dir, 'clean.csv');
      fs.writeFileSync(clean, `id,text\n${Array.from({ length: 3000 }, (_, i) => (i === 2400 ? `${i},explode` : `${i},w${i}`)).join('\n')}\n`);
      const thrown = await there.transformCsvFile(clean, path.join(dir, 'clean.jsonl'), { shardBytes: 4096 }).then(() => undefined, (e: unknown) => e);
      expect(thrown).toMatchObject({ code: 'STAGE_FAILED', stage: 'busy:digest', recordId: 2400 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps working across more segments than a worker keeps open (each pass of cross-validation opens its own)', async () => {
    const runtime = createRuntime({ plugins: [busy], executor: pool });
    const models = await Promise.all(Array.from({ length: 12 }, (_, k) => runtime.pipeline([digest({ rounds: k + 1 })]).fit([])));
    for (const round of [0, 1]) {
      for (const [k, model] of models.entries()) {
        const [out] = await model.transform([{ id: `m${k}-${round}`, text: 'river' }]).collect();
        expect(out!.digest).toBe(expectedDigest('river', k + 1));
      }
    }
  });

  it('writes records as JSON Lines on the workers: the bytes of writeJsonLines(model.transform(…)), every record counted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-jsonl-'));
    try {
      const input: unknown[] = records.map((r, i) => (i === 30 ? { ...r, text: 'explode' } : i === 50 ? 'not a record' : r));
      const specs = [digest({ rounds: 3 }), vocab({})];
      const here = await createRuntime({ plugins: [busy] }).pipeline(specs).fit(records.slice(0, 40));
      const there = await createRuntime({ plugins: [busy], executor: pool }).pipeline(specs).fit(records.slice(0, 40));
      const expected = path.join(dir, 'expected.jsonl');
      const report = new RunReport();
      await writeJsonLines(here.transform(input as object[], { errorPolicy: 'skip', report }), expected);
      const result = await there.transformToJsonLines(input as object[], path.join(dir, 'out.jsonl'), { errorPolicy: 'skip', recordsPerShard: 16 });
      expect(result.mode).toBe('shards');
      expect(fs.readFileSync(result.path, 'utf8')).toBe(fs.readFileSync(expected, 'utf8'));
      // 120 inputs: record 30 breaks the stage and item 50 is no record; the other 118 are written.
      expect([result.report.input, result.report.output, result.report.skipped]).toEqual([120, 118, 2]);
      expect([report.input, report.output, report.skipped]).toEqual([120, 118, 2]);
      const line = JSON.parse(fs.readFileSync(result.path, 'utf8').split('\n')[0]!) as DataRecord;
      expect(line.digest).toBe(expectedDigest(records[0]!.text as string, 403));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('processPool: a worker process that dies', () => {
  it('fails the run with STAGE_FAILED naming the exit, and the next run gets a new process', async () => {
    const pool = processPool({ processes: 1 });
    try {
      const model = await createRuntime({ plugins: [busy], executor: pool }).pipeline([thread({}), digest({ rounds: 1 })]).fit([]);
      const [first] = await model.transform([{ id: 'a', text: 'x' }]).collect();
      const pid = Number(String(first!.thread).split(':')[0]);
      expect(pid).not.toBe(process.pid);
      // Killed while it works on a slow batch (cost makes the digest take seconds).
      const slow = model.transform([{ id: 'b', text: 'y', cost: 3_000_000 }]).collect();
      setTimeout(() => process.kill(pid, 'SIGKILL'), 300);
      const error = await slow.then(() => undefined, (e: unknown) => e);
      expect(isTributaryError(error, 'STAGE_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(new RegExp(`pid ${pid}\\) exited on SIGKILL`));
      const [again] = await model.transform([{ id: 'c', text: 'z' }]).collect();
      expect(Number(String(again!.thread).split(':')[0])).not.toBe(pid);
      expect(again!.digest).toBe(expectedDigest('z', 1));
    } finally {
      await pool.close();
    }
  });

  it('a record or an answer that cannot be sent fails its run, and the process goes on serving', async () => {
    const pool = processPool({ processes: 1 });
    try {
      const model = await createRuntime({ plugins: [busy], executor: pool }).pipeline([thread({}), digest({ rounds: 1 })]).fit([]);
      const [first] = await model.transform([{ id: 'a', text: 'x' }]).collect();
      const sent = await model.transform([{ id: 'b', text: () => 1 } as never]).collect().then(() => undefined, (e: unknown) => e);
      expect(isTributaryError(sent, 'STAGE_FAILED')).toBe(true);
      expect((sent as Error).message).toMatch(/could not be sent to a worker process/);
      const writer = await createRuntime({ plugins: [busy], executor: pool }).pipeline([thread({}), evil({})]).fit([]);
      const back = await writer.transform([{ id: 'c', text: 'y' }]).collect().then(() => undefined, (e: unknown) => e);
      expect(isTributaryError(back, 'STAGE_FAILED')).toBe(true);
      expect((back as Error).message).toMatch(/could not send its answer back/);
      // The same process answers the next run: neither failure cost it.
      const [again] = await model.transform([{ id: 'd', text: 'z' }]).collect();
      expect(again!.thread).toBe(first!.thread);
    } finally {
      await pool.close();
    }
  });

  it('a process killed while idle is replaced at the next task; close() with tasks in flight ends them with DISPOSED', async () => {
    const pool = processPool({ processes: 1 });
    const model = await createRuntime({ plugins: [busy], executor: pool }).pipeline([thread({}), digest({ rounds: 1 })]).fit([]);
    const [first] = await model.transform([{ id: 'a', text: 'x' }]).collect();
    const pid = Number(String(first!.thread).split(':')[0]);
    process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [next] = await model.transform([{ id: 'b', text: 'y' }]).collect();
    expect(Number(String(next!.thread).split(':')[0])).not.toBe(pid);
    const slow = model.transform([{ id: 'c', text: 'z', cost: 3_000_000 }]).collect().then(() => undefined, (e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await pool.close();
    expect(isTributaryError(await slow, 'DISPOSED')).toBe(true);
  });

  it('close() ends every process, and a closed pool refuses new work with DISPOSED', async () => {
    const pool = processPool({ processes: 2 });
    const model = await createRuntime({ plugins: [busy], executor: pool }).pipeline([thread({})]).fit([]);
    const out = await model.transform(records.slice(0, 20), { batchSize: 2 }).collect();
    const pids = [...new Set(out.map((r) => Number(String(r.thread).split(':')[0])))];
    expect(pids).toHaveLength(2);
    await pool.close();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    const error = await model.transform([{ id: 'x' }]).collect().then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(error, 'DISPOSED')).toBe(true);
  });
});
