// Distributed batch inference over the whole SpamAssassin corpus: the spam filter (fitted here on the corpus)
// scores a JSON Lines file of the 6,046 messages in-process (`writePredictions`) and through
// `@tributary/plugin-bullmq` with 2 worker processes on this machine and a redis-server on loopback. Prints
// both times, throughput, whether the two outputs are byte-identical, and the overhead per shard: the
// worker time spent beyond the in-process work, (2 × distributed − in-process) / shards.
//   node distributed.js                 the benchmark
//   node distributed.js worker SETTINGS  one worker process (used by the benchmark)
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createRuntime, jsonLines, writePredictions } from '@tributary/core';
import { corpusEntries, spamFilterStages } from '@tributary/example-spam-filter';
import { runDistributed, startWorker } from '@tributary/plugin-bullmq';
import { natural } from '@tributary/plugin-natural';
import { tfjs } from '@tributary/plugin-tfjs';
import { emit } from './emit.js';

if (process.argv[2] === 'worker') {
  const worker = await startWorker({ plugins: [natural, tfjs], ...JSON.parse(process.argv[3]!) });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
} else {
  const SHARD = Number(process.env.SHARD_SIZE ?? 500);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-distributed-'));
  const children: ChildProcess[] = [];
  try {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as net.AddressInfo;
        server.close(() => resolve(p));
      });
    });
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp], { stdio: 'ignore' });
    children.push(redis);
    const url = `redis://127.0.0.1:${port}`;
    // The messages as JSON Lines (text, as the mails are 8-bit: latin1 keeps every byte).
    const entries = await corpusEntries();
    const input = path.join(tmp, 'mail.jsonl');
    fs.writeFileSync(input, entries.map((e) => `${JSON.stringify({ id: e.id, raw: fs.readFileSync(e.file, 'latin1') })}\n`).join(''));
    const modelDir = path.join(tmp, 'model');
    const records = await jsonLines(input).collect();
    const fitted = await createRuntime({ plugins: [natural, tfjs], seed: 42 }).pipeline(spamFilterStages()).fit(records.map((r, i) => ({ ...r, label: entries[i]!.label })));
    await fitted.save(modelDir);
    const model = await createRuntime({ plugins: [natural, tfjs], seed: 42 }).load(modelDir);

    let started = performance.now();
    const here = path.join(tmp, 'in-process.jsonl');
    await writePredictions(model, jsonLines(input), here);
    const inProcessSeconds = (performance.now() - started) / 1000;

    const here2 = fileURLToPath(import.meta.url);
    for (let k = 0; k < 2; k++) {
      const child = spawn(process.execPath, [here2, 'worker', JSON.stringify({ connection: url })], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`a worker exited with ${code}`)));
      });
    }
    await sleep(200);
    started = performance.now();
    const there = path.join(tmp, 'distributed.jsonl');
    const result = await runDistributed({ model: modelDir, input, output: there, connection: url, shardSize: SHARD });
    const distributedSeconds = (performance.now() - started) / 1000;
    const identical = fs.readFileSync(here).equals(fs.readFileSync(there));
    emit({
      bench: 'distributed-inference',
      messages: records.length,
      workers: 2,
      shardSize: SHARD,
      shards: result.shards,
      retried: result.retried,
      inProcessSeconds: Math.round(inProcessSeconds * 100) / 100,
      distributedSeconds: Math.round(distributedSeconds * 100) / 100,
      recordsPerSecond: { inProcess: Math.round(records.length / inProcessSeconds), distributed: Math.round(records.length / distributedSeconds) },
      overheadPerShardMs: Math.round(((2 * distributedSeconds - inProcessSeconds) / result.shards) * 1000),
      identical,
      target: 'output identical to in-process; throughput and overhead per shard reported',
      pass: identical,
    });
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await sleep(300);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
