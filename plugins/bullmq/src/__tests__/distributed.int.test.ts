import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunReport, createRuntime, isTributaryError, jsonLines, writePredictions } from '@tributary/core';
import { type RunStatus, bullmqExecutor, cancel, deadLetters, runDistributed, runStatus } from '@tributary/plugin-bullmq';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain JavaScript module (worker processes import it as it is); its shape is used loosely here.
import { digest, echo, otherPlugin, pid, shardPlugin } from './fixtures/shard-plugin.mjs';
import { type RedisServer, selfSignedCertificate, startRedis } from './redis-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const workerScript = path.join(here, 'fixtures', 'worker.mjs');
const built = path.join(here, '..', '..', 'dist', 'index.js');

let redis: RedisServer;
let tmp: string;
const workers: ChildProcess[] = [];

/** A worker process on the built package, as on another host; resolves once it takes shards. */
async function startWorkerProcess(queue: string, settings: Record<string, unknown> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [workerScript, JSON.stringify({ connection: redis.url, queue, ...settings })], { stdio: ['ignore', 'pipe', 'pipe'] });
  workers.push(child);
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${errors}`)));
  });
  return child;
}

async function saveModel(name: string, pauseMs: number): Promise<string> {
  const dir = path.join(tmp, name);
  const model = await createRuntime({ plugins: [shardPlugin] }).pipeline([digest({ pauseMs })]).fit([]);
  await model.save(dir);
  return dir;
}

/**
 * Records with ids, some without (named by position), some a stage rejects (text not a string), and a
 * blank line that is no record: every kind of line the output must account for.
 */
function writeInput(file: string, count: number): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 97 === 13) lines.push(JSON.stringify({ id: `r${i}`, text: i }));
    else if (i % 50 === 7) lines.push(JSON.stringify({ text: `no id ${i}` }));
    else lines.push(JSON.stringify({ id: `r${i}`, text: `record ${i} of the river` }));
    if (i === count / 2) lines.push('   ');
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** The reference: core's in-process writePredictions over the same model and input. */
async function expectedOutput(modelDir: string, input: string): Promise<string> {
  const model = await createRuntime({ plugins: [shardPlugin] }).load(modelDir);
  const file = path.join(tmp, `expected-${path.basename(input)}`);
  await writePredictions(model, jsonLines(input), file);
  return fs.readFileSync(file, 'utf8');
}

function sha12(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Exactly once, in order, each line as worked out by hand for a few of them. */
function checkOutput(text: string, count: number): void {
  const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines).toHaveLength(count);
  const ids = lines.map((l, i) => (i % 50 === 7 && i % 97 !== 13 ? i : `r${i}`));
  expect(lines.map((l) => l.id)).toEqual(ids);
  expect(lines[0]).toEqual({ id: 'r0', digest: sha12('record 0 of the river'), length: 'record 0 of the river'.length });
  expect(lines[7]).toEqual({ id: 7, digest: sha12('no id 7'), length: 7 });
  expect(lines[13]).toMatchObject({ id: 'r13', error: { code: 'INVALID_RECORD', stage: 'shard:digest' } });
}

beforeAll(async () => {
  if (!fs.existsSync(built)) throw new Error(`The worker processes run the built package: run 'npm run build' in plugins/bullmq first (nx does it before 'test').`);
  redis = await startRedis();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bullmq-'));
});

afterEach(async () => {
  await Promise.all(
    workers.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
});

afterAll(async () => {
  await redis?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('runDistributed on a real Redis with worker processes', () => {
  it('splits 1,000 records into 10 shards over 2 workers and writes each record exactly once, in input order', async () => {
    const model = await saveModel('fast', 0);
    const input = path.join(tmp, 'thousand.jsonl');
    const output = path.join(tmp, 'thousand-out.jsonl');
    writeInput(input, 1000);
    await Promise.all([startWorkerProcess('exact'), startWorkerProcess('exact')]);
    const progress: number[] = [];
    const result = await runDistributed({ model, input, output, connection: redis.url, queue: 'exact', shardSize: 100, batchSize: 32, pollMs: 50, onProgress: (p) => progress.push(p.records) });
    expect(result).toMatchObject({ records: 1000, shards: 10, retried: 0 });
    const text = fs.readFileSync(output, 'utf8');
    checkOutput(text, 1000);
    expect(text).toBe(await expectedOutput(model, input));
    expect(progress.at(-1)).toBe(1000);
    // The parts are gone once joined, and the run's shards are off the queue.
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.parts'))).toEqual([]);
    const queue = new Queue('exact', { connection: { port: redis.port } });
    expect(await queue.getJobCounts('completed', 'waiting', 'active', 'failed')).toEqual({ completed: 0, waiting: 0, active: 0, failed: 0 });
    await queue.close();
  });

  it('a worker killed with SIGKILL mid-shard: its shard is taken again after the stall timeout and written once', async () => {
    const model = await saveModel('slow', 150);
    const input = path.join(tmp, 'killed.jsonl');
    const output = path.join(tmp, 'killed-out.jsonl');
    writeInput(input, 400);
    const stall = { lockDuration: 2000, stalledInterval: 1000 };
    const first = await startWorkerProcess('killed', stall);
    let killed: Promise<unknown> | undefined;
    const run = runDistributed({
      model, input, output, connection: redis.url, queue: 'killed', shardSize: 100, batchSize: 10, pollMs: 50,
      onProgress: (p) => {
        // The only worker has records of its first shard in hand: kill it there, and let another take over.
        if (!killed && p.records > 0 && p.shardsDone === 0) {
          const exited = new Promise((resolve) => first.once('exit', (_code, signal) => resolve(signal)));
          first.kill('SIGKILL');
          killed = exited.then(async (signal) => {
            await startWorkerProcess('killed', stall);
            return signal;
          });
        }
      },
    });
    const result = await run;
    expect(await killed).toBe('SIGKILL');
    expect(result.records).toBe(400);
    expect(result.retried).toBeGreaterThanOrEqual(1);
    const text = fs.readFileSync(output, 'utf8');
    checkOutput(text, 400);
    expect(text).toBe(await expectedOutput(model, input));
  });

  it('Redis restarted mid-run: the run resumes and completes, every record exactly once', async () => {
    const model = await saveModel('steady', 100);
    const input = path.join(tmp, 'restart.jsonl');
    const output = path.join(tmp, 'restart-out.jsonl');
    writeInput(input, 600);
    const stall = { lockDuration: 2000, stalledInterval: 1000 };
    await Promise.all([startWorkerProcess('restart', stall), startWorkerProcess('restart', stall)]);
    let restarted: Promise<void> | undefined;
    const outcome = await runDistributed({
      model, input, output, connection: redis.url, queue: 'restart', shardSize: 100, batchSize: 10, pollMs: 50, redisTimeoutMs: 30_000,
      onProgress: (p) => {
        if (!restarted && p.records > 0 && p.shardsDone < p.shards) restarted = redis.restart(1000);
      },
    }).then((result) => ({ result }), (error: unknown) => ({ error }));
    await restarted;
    expect(restarted).toBeDefined();
    // Redis shut down cleanly keeps its append-only file, so nothing is lost: the run must complete, not merely fail clearly.
    expect(outcome).toHaveProperty('result');
    expect((outcome as { result: { records: number } }).result.records).toBe(600);
    const text = fs.readFileSync(output, 'utf8');
    checkOutput(text, 600);
    expect(text).toBe(await expectedOutput(model, input));
    // Both workers lived through the outage.
    expect(workers.every((w) => w.exitCode === null && w.signalCode === null)).toBe(true);
  });

  it('a shard the queue lost (as Redis does when it comes back without its last writes) is put back and written once', async () => {
    const model = await saveModel('fast-lost', 0);
    const input = path.join(tmp, 'lost.jsonl');
    const output = path.join(tmp, 'lost-out.jsonl');
    writeInput(input, 300);
    const queue = new Queue('lost', { connection: { port: redis.port } });
    let lost: Promise<number> | undefined;
    // No worker yet: every shard waits, and one of them is taken off the queue behind the run's back.
    const result = await runDistributed({
      model, input, output, connection: redis.url, queue: 'lost', runId: 'losing', shardSize: 100, pollMs: 50,
      onProgress: () => {
        lost ??= queue.remove('losing-1').then(async (removed) => {
          await startWorkerProcess('lost');
          return removed;
        });
      },
    });
    await queue.close();
    expect(await lost).toBe(1);
    expect(result).toMatchObject({ records: 300, shards: 3, retried: 1 });
    const text = fs.readFileSync(output, 'utf8');
    checkOutput(text, 300);
    expect(text).toBe(await expectedOutput(model, input));
  });

  it('a shard whose input cannot be read ends in the dead-letter list after its attempts, and the run names it', async () => {
    const model = await saveModel('fast-dl', 0);
    const input = path.join(tmp, 'broken.jsonl');
    const output = path.join(tmp, 'broken-out.jsonl');
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `r${i}`, text: `line ${i}` }));
    lines[150] = '{"id": "r150", "text": '; // cut short: not JSON
    fs.writeFileSync(input, `${lines.join('\n')}\n`);
    await startWorkerProcess('dead');
    const error = await runDistributed({ model, input, output, connection: redis.url, queue: 'dead', runId: 'broken-run', shardSize: 100, attempts: 2, backoffMs: 10, pollMs: 50, invalidLines: 'fail' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTributaryError(error, 'STAGE_FAILED')).toBe(true);
    expect((error as { details: { shards: number[] } }).details.shards).toEqual([1]);
    expect((error as Error).message).toMatch(/shard 1 \(records 100–199\)/);
    expect(fs.existsSync(output)).toBe(false);
    const dead = await deadLetters({ connection: redis.url, queue: 'dead', runId: 'broken-run' });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ runId: 'broken-run', shard: 1, first: 100, count: 100, attempts: 2 });
    expect(dead[0]!.reason).toMatch(/Record 150 of .* is not valid JSON/);

    // Started again under its id once the line is mended, the run keeps the shards it committed and runs the rest.
    const partsDir = path.join(tmp, '.broken-out.jsonl.broken-run.parts');
    const kept = fs.readdirSync(partsDir).filter((f) => /^part-\d+\.jsonl$/.test(f));
    expect(kept).not.toContain('part-000001.jsonl');
    fs.writeFileSync(input, `${lines.map((l, i) => (i === 150 ? JSON.stringify({ id: 'r150', text: 'line 150' }) : l)).join('\n')}\n`);
    const reports: number[] = [];
    const resumed = await runDistributed({ model, input, output, connection: redis.url, queue: 'dead', runId: 'broken-run', shardSize: 100, attempts: 2, pollMs: 50, invalidLines: 'fail', onProgress: (p) => reports.push(p.records) });
    expect(resumed.records).toBe(300);
    expect(reports[0]).toBeGreaterThanOrEqual(kept.length * 100);
    const mended = fs.readFileSync(output, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(mended.map((l) => l.id)).toEqual(lines.map((_, i) => `r${i}`));
    expect(mended[150]).toEqual({ id: 'r150', digest: sha12('line 150'), length: 'line 150'.length });
    fs.writeFileSync(input, `${lines.join('\n')}\n`);

    // By default the broken line is answered with an error line instead, and the run completes.
    const answered = await runDistributed({ model, input, output, connection: redis.url, queue: 'dead', shardSize: 100, pollMs: 50 });
    expect(answered.records).toBe(300);
    const out = fs.readFileSync(output, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((l) => l.id)).toEqual(lines.map((_, i) => (i === 150 ? 150 : `r${i}`)));
    expect(out[150]).toMatchObject({ id: 150, error: { code: 'INVALID_DATA', stage: 'input' } });
    expect(out[151]).toEqual({ id: 'r151', digest: sha12('line 151'), length: 'line 151'.length });
  });

  it('a model the workers cannot load dead-letters its shards, and the run names them with the reason', async () => {
    const model = path.join(tmp, 'foreign');
    await (await createRuntime({ plugins: [otherPlugin] }).pipeline([echo({})]).fit([])).save(model);
    const input = path.join(tmp, 'foreign.jsonl');
    writeInput(input, 150);
    await startWorkerProcess('foreign');
    const error = await runDistributed({ model, input, output: path.join(tmp, 'foreign-out.jsonl'), connection: redis.url, queue: 'foreign', runId: 'foreign-run', shardSize: 100, attempts: 1, pollMs: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTributaryError(error, 'STAGE_FAILED')).toBe(true);
    const { shards, reasons } = (error as { details: { shards: number[]; reasons: string[] } }).details;
    // Failing fast, the run may name one shard or both; each one it names failed for the missing plugin.
    expect(shards.length).toBeGreaterThanOrEqual(1);
    for (const reason of reasons) expect(reason).toMatch(/other-plugin/);
    const dead = await deadLetters({ connection: redis.url, queue: 'foreign', runId: 'foreign-run' });
    expect(dead.map((d) => d.shard)).toEqual(expect.arrayContaining(shards));
  });

  it('cancel while shards wait: they leave the queue and the run rejects as cancelled, writing nothing', async () => {
    const model = await saveModel('fast-cancel', 0);
    const input = path.join(tmp, 'cancel.jsonl');
    const output = path.join(tmp, 'cancel-out.jsonl');
    writeInput(input, 300);
    let cancelled: Promise<{ removed: number }> | undefined;
    // No worker listens on this queue, so every shard is still waiting when the run is cancelled.
    const error = await runDistributed({
      model, input, output, connection: redis.url, queue: 'cancel', runId: 'to-cancel', shardSize: 100, pollMs: 50,
      onProgress: () => {
        cancelled ??= cancel({ connection: redis.url, queue: 'cancel', runId: 'to-cancel' });
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(await cancelled).toEqual({ removed: 3 });
    expect(isTributaryError(error, 'DISPOSED')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({ runId: 'to-cancel', cancelled: true });
    expect((error as Error).message).toMatch(/cancelled/);
    expect(fs.existsSync(output)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('to-cancel'))).toEqual([]);
    const queue = new Queue('cancel', { connection: { port: redis.port } });
    expect(await queue.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });
    await queue.close();

    // Aborting the caller's signal cancels the same way.
    const controller = new AbortController();
    const aborted = await runDistributed({ model, input, output, connection: redis.url, queue: 'cancel', shardSize: 100, pollMs: 50, signal: controller.signal, onProgress: () => controller.abort() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTributaryError(aborted, 'DISPOSED')).toBe(true);
    const again = new Queue('cancel', { connection: { port: redis.port } });
    expect(await again.getWaitingCount()).toBe(0);
    await again.close();
  });
});

describe('runStatus: where a run stands, from any process', () => {
  it('counts the shards that wait, and after a cancel says so; a run Redis does not know is unknown', async () => {
    const model = await saveModel('fast-status', 0);
    const input = path.join(tmp, 'status.jsonl');
    writeInput(input, 300);
    let seen: Promise<RunStatus> | undefined;
    // No worker listens on this queue: the three shards wait until the run is cancelled.
    const run = runDistributed({
      model, input, output: path.join(tmp, 'status-out.jsonl'), connection: redis.url, queue: 'status', runId: 'watched', shardSize: 100, pollMs: 50,
      onProgress: () => {
        seen ??= runStatus({ connection: redis.url, queue: 'status', runId: 'watched' });
      },
    }).then(() => undefined, (e: unknown) => e);
    while (!seen) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await seen).toEqual({ runId: 'watched', known: true, cancelled: false, shards: 3, states: { waiting: 3, active: 0, completed: 0, failed: 0, gone: 0 }, recordsInHand: 0, records: 300 });
    await cancel({ connection: redis.url, queue: 'status', runId: 'watched' });
    expect(isTributaryError(await run, 'DISPOSED')).toBe(true);
    expect(await runStatus({ connection: redis.url, queue: 'status', runId: 'watched' })).toMatchObject({ known: true, cancelled: true, states: { waiting: 0, gone: 3 } });
    expect(await runStatus({ connection: redis.url, queue: 'status', runId: 'never-started' })).toMatchObject({ known: false, shards: 0 });
    // Cancelling a run Redis does not know marks nothing (a mistyped id would bar that id for a week).
    await expect(cancel({ connection: redis.url, queue: 'status', runId: 'never-started' })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    expect(await runStatus({ connection: redis.url, queue: 'status', runId: 'never-started' })).toMatchObject({ known: false, cancelled: false });
  });
});

describe('connection settings', () => {
  it('a password in the URL reaches a Redis that requires one; a wrong one fails clearly', async () => {
    const locked = await startRedis({ password: 's3cret pass' });
    try {
      const model = await saveModel('fast-auth', 0);
      const input = path.join(tmp, 'auth.jsonl');
      const output = path.join(tmp, 'auth-out.jsonl');
      writeInput(input, 120);
      const url = `redis://:${encodeURIComponent('s3cret pass')}@127.0.0.1:${locked.port}`;
      const child = spawn(process.execPath, [workerScript, JSON.stringify({ connection: url, queue: 'auth' })], { stdio: ['ignore', 'pipe', 'inherit'] });
      workers.push(child);
      await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
      const result = await runDistributed({ model, input, output, connection: url, queue: 'auth', shardSize: 50, pollMs: 50 });
      expect(result).toMatchObject({ records: 120, shards: 3 });
      checkOutput(fs.readFileSync(output, 'utf8'), 120);
      const wrong = await runDistributed({ model, input, output, connection: `redis://:nope@127.0.0.1:${locked.port}`, queue: 'auth', redisTimeoutMs: 1500 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isTributaryError(wrong, 'BACKEND_UNAVAILABLE')).toBe(true);
      expect((wrong as Error).message).toContain(`redis://127.0.0.1:${locked.port}/0`);
      expect((wrong as Error).message).not.toContain('nope');
      // Neither run leaves a parts folder: the first joined and removed it, the second never queued a shard.
      expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.auth-out.jsonl.'))).toEqual([]);
    } finally {
      await locked.stop();
    }
  });

  it('TLS: options with the CA reach the run and the workers; a rediss:// URL without it is refused, not sent in clear', async () => {
    const certs = fs.mkdtempSync(path.join(tmp, 'certs-'));
    const { cert, key } = await selfSignedCertificate(certs);
    const secure = await startRedis({ tls: { cert, key } });
    try {
      const model = await saveModel('fast-tls', 0);
      const input = path.join(tmp, 'tls.jsonl');
      const output = path.join(tmp, 'tls-out.jsonl');
      writeInput(input, 120);
      const connection = { host: 'localhost', port: secure.port, tls: { ca: fs.readFileSync(cert, 'utf8') } };
      const child = spawn(process.execPath, [workerScript, JSON.stringify({ connection, queue: 'tls' })], { stdio: ['ignore', 'pipe', 'inherit'] });
      workers.push(child);
      await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
      const result = await runDistributed({ model, input, output, connection, queue: 'tls', shardSize: 50, pollMs: 50 });
      expect(result).toMatchObject({ records: 120, shards: 3 });
      checkOutput(fs.readFileSync(output, 'utf8'), 120);
      // The certificate is self-signed: a client that checks it (as rediss:// does) must refuse the server.
      const refused = await runDistributed({ model, input, output, connection: `rediss://localhost:${secure.port}`, queue: 'tls', redisTimeoutMs: 1500 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isTributaryError(refused, 'BACKEND_UNAVAILABLE')).toBe(true);
      expect((refused as Error).message).toContain(`rediss://localhost:${secure.port}/0`);
      expect((refused as Error).message).toMatch(/self[- ]signed certificate/);
    } finally {
      await secure.stop();
    }
  });
});

describe('bullmqExecutor: a pipeline whose worker stages run on worker processes through Redis', () => {
  const records = Array.from({ length: 300 }, (_, i) => (i % 37 === 5 ? { id: `r${i}`, text: i } : { id: `r${i}`, text: `record ${i} of the river` }));

  it('gives the in-process output in order, with the batches spread over two workers and the rejections counted', async () => {
    await Promise.all([startWorkerProcess('exec'), startWorkerProcess('exec')]);
    const executor = bullmqExecutor({ connection: redis.url, queue: 'exec', batchesInFlight: 6 });
    try {
      const specs = [digest({ pauseMs: 5 }), pid({})];
      const here = await createRuntime({ plugins: [shardPlugin] }).pipeline(specs).fit([]);
      const there = await createRuntime({ plugins: [shardPlugin], executor }).pipeline(specs).fit([]);
      const report = new RunReport();
      const out = await there.transform(records, { batchSize: 10, errorPolicy: 'skip', report }).collect();
      const expected = await here.transform(records, { batchSize: 10, errorPolicy: 'skip' }).collect();
      expect(out.map(({ pid: _pid, ...rest }) => rest)).toEqual(expected.map(({ pid: _pid, ...rest }) => rest));
      // By hand: every 37th record from the 6th has a number for text and is rejected; the others are hashed.
      const rejected = records.filter((_, i) => i % 37 === 5).length;
      expect([report.input, report.output, report.skipped]).toEqual([300, 300 - rejected, rejected]);
      expect(out[0]).toMatchObject({ id: 'r0', digest: sha12('record 0 of the river'), length: 21 });
      const pids = new Set(out.map((r) => r.pid));
      expect(pids.has(process.pid)).toBe(false);
      expect(pids.size).toBe(2);
    } finally {
      await executor.close();
    }
  });

  it('a worker killed with SIGKILL mid-batch: the batch is taken again after the stall timeout and used once', async () => {
    const stall = { lockDuration: 1500, stalledInterval: 500 };
    const first = await startWorkerProcess('exec-killed', stall);
    const executor = bullmqExecutor({ connection: redis.url, queue: 'exec-killed', batchesInFlight: 2 });
    try {
      const model = await createRuntime({ plugins: [shardPlugin], executor }).pipeline([digest({ pauseMs: 300 }), pid({})]).fit([]);
      const run = model.transform(records.slice(0, 60), { batchSize: 10, errorPolicy: 'skip' }).collect();
      await new Promise((resolve) => setTimeout(resolve, 450));
      first.kill('SIGKILL');
      await startWorkerProcess('exec-killed', stall);
      const out = await run;
      const expected = records.slice(0, 60).filter((r) => typeof r.text === 'string');
      expect(out.map((r) => r.id)).toEqual(expected.map((r) => r.id));
      expect(out.every((r) => r.digest === sha12(r.text as string))).toBe(true);
      expect(out.some((r) => r.pid !== first.pid)).toBe(true);
    } finally {
      await executor.close();
    }
  });

  it('with no worker on the queue, the run fails after timeoutMs and says to start one', async () => {
    const executor = bullmqExecutor({ connection: redis.url, queue: 'exec-nobody', timeoutMs: 1500 });
    try {
      const model = await createRuntime({ plugins: [shardPlugin], executor }).pipeline([digest({ pauseMs: 0 })]).fit([]);
      const error = await model.transform(records.slice(0, 5)).collect().then(() => undefined, (e: unknown) => e);
      expect(isTributaryError(error, 'STAGE_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/within 1500 ms.*tributary worker --redis/);
    } finally {
      await executor.close();
    }
  });

  it('a Redis that does not answer fails the run with BACKEND_UNAVAILABLE within redisTimeoutMs, not a hang', async () => {
    // A port nothing listens on: the redis-server of this file stopped and started elsewhere is not needed.
    const executor = bullmqExecutor({ connection: 'redis://127.0.0.1:1', redisTimeoutMs: 1000 });
    const model = await createRuntime({ plugins: [shardPlugin], executor }).pipeline([digest({ pauseMs: 0 })]).fit([]);
    const started = Date.now();
    const error = await model.transform(records.slice(0, 5)).collect().then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(error, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/did not answer within 1000 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await executor.close();
  });

  it('close() while batches are on the queue ends the run at once with DISPOSED', async () => {
    await startWorkerProcess('exec-close');
    const executor = bullmqExecutor({ connection: redis.url, queue: 'exec-close' });
    const model = await createRuntime({ plugins: [shardPlugin], executor }).pipeline([digest({ pauseMs: 2000 })]).fit([]);
    const run = model.transform(records.slice(0, 40), { batchSize: 10 }).collect().then(() => undefined, (e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await executor.close();
    expect(isTributaryError(await run, 'DISPOSED')).toBe(true);
  });

  it('a plugin the workers lack fails the run with PLUGIN_MISSING, at once', async () => {
    await startWorkerProcess('exec-foreign');
    const moduled = { ...otherPlugin, module: 'other-plugin', stages: otherPlugin.stages.map((s: object) => ({ ...s, worker: true })) };
    const executor = bullmqExecutor({ connection: redis.url, queue: 'exec-foreign' });
    try {
      const model = await createRuntime({ plugins: [moduled], executor }).pipeline([echo({})]).fit([]);
      const error = await model.transform(records.slice(0, 5)).collect().then(() => undefined, (e: unknown) => e);
      expect(isTributaryError(error, 'PLUGIN_MISSING')).toBe(true);
      expect((error as Error).message).toMatch(/other-plugin/);
    } finally {
      await executor.close();
    }
  });
});
