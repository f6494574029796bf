// The spam filter's preprocessing (e-mail → text → tokens → no stop words → Porter stems → TF-IDF) over
// the whole SpamAssassin corpus, in-process and on a worker-thread pool of 2, in interleaved rounds in one
// process: the median time of each, their ratio, and whether the outputs are identical (sha256 of every
// output record). The messages are read into memory first, so only the stages are timed.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { type DataRecord, type StageSpec, createRuntime } from '@tributary/core';
import { corpusEntries, spamFilterStages } from '@tributary/example-spam-filter';
import { natural } from '@tributary/plugin-natural';
import { workerPool } from '@tributary/plugin-workers';
import { emit, median } from './emit.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARM_UP = Number(process.env.WARM_UP ?? 3);
const THREADS = 2;
const BATCH = 64;

const entries = await corpusEntries();
const messages: DataRecord[] = await Promise.all(entries.map(async (e) => ({ id: e.id, label: e.label, raw: await fs.readFile(e.file) })));
// The stages before the network: the preprocessing, fitted (TF-IDF learns its vocabulary) on the whole corpus.
const specs: StageSpec[] = spamFilterStages().slice(0, 5);

const digest = (records: readonly DataRecord[]) => {
  const hash = createHash('sha256');
  for (const { raw: _raw, ...rest } of records) hash.update(JSON.stringify(rest, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)));
  return hash.digest('hex');
};

const here = createRuntime({ plugins: [natural], seed: 42 });
const model = await here.pipeline(specs).fit(messages, { batchSize: BATCH });
const pool = workerPool({ threads: THREADS });
const pooled = createRuntime({ plugins: [natural], seed: 42, executor: pool });
// The same fitted TF-IDF, rebuilt in the pooled runtime from its saved state (as a served model would be).
const dir = await fs.mkdtemp('/tmp/bench-workers-');
await model.save(`${dir}/model`);
const pooledModel = await pooled.load(`${dir}/model`);

const times = { inProcess: [] as number[], workers: [] as number[] };
const digests = { inProcess: new Set<string>(), workers: new Set<string>() };
// Warm-up passes each, until both are compiled: the in-process stages were warmed by the fit, the threads
// start cold (their first pass over the corpus took twice as long as their fourth).
for (let pass = 0; pass < WARM_UP; pass++) {
  await model.transform(messages, { batchSize: BATCH }).collect();
  await pooledModel.transform(messages, { batchSize: BATCH }).collect();
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, m] of [['inProcess', model], ['workers', pooledModel]] as const) {
    const started = performance.now();
    const out = await m.transform(messages, { batchSize: BATCH }).collect();
    times[name].push(Math.round(performance.now() - started));
    digests[name].add(digest(out));
  }
}
await pool.close();
await fs.rm(dir, { recursive: true, force: true });

const ratio = median(times.inProcess) / median(times.workers);
const identical = digests.inProcess.size === 1 && digests.workers.size === 1 && [...digests.inProcess][0] === [...digests.workers][0];
emit({
  bench: 'workers-preprocess',
  messages: messages.length,
  stages: specs.map((s) => s.kind),
  threads: THREADS,
  warmUpPasses: WARM_UP,
  batchSize: BATCH,
  msInProcess: times.inProcess,
  msWorkers: times.workers,
  messagesPerSecond: { inProcess: Math.round(messages.length / (median(times.inProcess) / 1000)), workers: Math.round(messages.length / (median(times.workers) / 1000)) },
  ratio: Math.round(ratio * 100) / 100,
  identical,
  target: '≥ 1.8× faster on 2 worker threads than in-process, identical output',
  pass: ratio >= 1.8 && identical,
});
