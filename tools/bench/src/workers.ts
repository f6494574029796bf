// The spam filter's preprocessing (e-mail → text → tokens → no stop words → Porter stems → TF-IDF, fitted on
// the corpus) over all 6,046 SpamAssassin messages held in memory, on 2 local workers against in-process, in
// interleaved rounds in one process (median times, ratios, identical output by sha256):
// - job: the preprocessing pass written to a JSON Lines file — in-process `writeJsonLines(model.transform(…))`,
//   against `model.transformToJsonLines(…)` on a thread pool and on a process pool (each worker transforms and
//   serialises its shard of records; only bytes come back);
// - records: `model.transform(…).collect()`, the output records back in the caller, on the same pools;
// - ceiling: the in-process job run alone, then in two processes side by side: 2 × alone / side by side is
//   the most any 2 workers can gain on this machine for this work, with nothing shared and no coordination.
//   node workers.js                  the benchmark
//   node workers.js side-by-side GO   one process of the ceiling (waits for the file GO, then times 5 rounds)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type DataRecord, type PipelineModel, type StageSpec, createRuntime, writeJsonLines } from '@tributary/core';
import { corpusEntries, spamFilterStages } from '@tributary/example-spam-filter';
import { natural } from '@tributary/plugin-natural';
import { processPool, workerPool } from '@tributary/plugin-workers';
import { emit, median } from './emit.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARM_UP = Number(process.env.WARM_UP ?? 3);
const WORKERS = 2;
const BATCH = 64;

const entries = await corpusEntries();
const messages: DataRecord[] = await Promise.all(entries.map(async (e) => ({ id: e.id, label: e.label, raw: await fs.readFile(e.file) })));
// The stages before the network: the preprocessing, fitted (TF-IDF learns its vocabulary) on the whole corpus.
const specs: StageSpec[] = spamFilterStages().slice(0, 5);
const model = await createRuntime({ plugins: [natural], seed: 42 }).pipeline(specs).fit(messages, { batchSize: BATCH });
const dir = await fs.mkdtemp('/tmp/bench-workers-');

/** The in-process job: the preprocessing pass into a JSON Lines file, all in this thread. */
const jobHere = (out: string) => writeJsonLines(model.transform(messages, { batchSize: BATCH }), out);

if (process.argv[2] === 'side-by-side') {
  const go = process.argv[3]!;
  const out = `${dir}/side.jsonl`;
  for (let pass = 0; pass < WARM_UP; pass++) await jobHere(out);
  process.stdout.write('ready\n');
  while (!(await fs.stat(go).then(() => true, () => false))) await new Promise((resolve) => setTimeout(resolve, 10));
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await jobHere(out);
    times.push(Math.round(performance.now() - started));
  }
  await fs.rm(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(times)}\n`);
  process.exit(0);
}

const digestRecords = (records: readonly DataRecord[]) => {
  const hash = createHash('sha256');
  for (const { raw: _raw, ...rest } of records) hash.update(JSON.stringify(rest, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)));
  return hash.digest('hex');
};
const digestFile = async (file: string) => createHash('sha256').update(await fs.readFile(file)).digest('hex');

const threads = workerPool({ threads: WORKERS });
const processes = processPool({ processes: WORKERS });
// The same fitted TF-IDF, rebuilt in each pooled runtime from its saved state (as a served model would be).
await model.save(`${dir}/model`);
const onThreads = await createRuntime({ plugins: [natural], seed: 42, executor: threads }).load(`${dir}/model`);
const onProcesses = await createRuntime({ plugins: [natural], seed: 42, executor: processes }).load(`${dir}/model`);

type Way = 'inProcess' | 'threads' | 'processes';
const ways: Array<[Way, PipelineModel | undefined]> = [['inProcess', undefined], ['threads', onThreads], ['processes', onProcesses]];
const job = async (way: Way, pooled: PipelineModel | undefined): Promise<string> => {
  const out = `${dir}/${way}.jsonl`;
  if (!pooled) await jobHere(out);
  else {
    const result = await pooled.transformToJsonLines(messages, out, { batchSize: BATCH });
    if (result.mode !== 'shards') throw new Error(`the ${way} job ran in one pass: ${result.reason}`);
  }
  return out;
};
const recordsOf = (pooled: PipelineModel | undefined) => (pooled ?? model).transform(messages, { batchSize: BATCH }).collect();

const times = { job: { inProcess: [] as number[], threads: [] as number[], processes: [] as number[] }, records: { inProcess: [] as number[], threads: [] as number[], processes: [] as number[] } };
const digests = { job: new Set<string>(), records: new Set<string>() };
// Warm-up passes each, until all are compiled: the in-process stages were warmed by the fit, the workers
// start cold (their first pass over the corpus took twice as long as their fourth).
for (let pass = 0; pass < WARM_UP; pass++) for (const [way, pooled] of ways) {
  await job(way, pooled);
  await recordsOf(pooled);
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [way, pooled] of ways) {
    let started = performance.now();
    const file = await job(way, pooled);
    times.job[way].push(Math.round(performance.now() - started));
    digests.job.add(await digestFile(file));
    started = performance.now();
    const out = await recordsOf(pooled);
    times.records[way].push(Math.round(performance.now() - started));
    digests.records.add(digestRecords(out));
  }
}
await threads.close();
await processes.close();

// The ceiling: the in-process job in one process alone, then in two side by side, started together.
const here = fileURLToPath(import.meta.url);
const sideBySide = async (n: number): Promise<number[][]> => {
  const go = `${dir}/go-${n}`;
  const children = Array.from({ length: n }, () => spawn(process.execPath, [here, 'side-by-side', go], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const runs = children.map((child) => {
    let text = '';
    const ready = new Promise<void>((resolve) => child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d).includes('ready') && resolve()));
    const done = new Promise<number[]>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(text.split('\n')[1]!) as number[]) : reject(new Error(`a side-by-side process exited with ${code}`)))));
    return { ready, done };
  });
  await Promise.all(runs.map((r) => r.ready));
  await fs.writeFile(go, '');
  return Promise.all(runs.map((r) => r.done));
};
const [aloneRuns] = await sideBySide(1);
const pairRuns = await sideBySide(2);
await fs.rm(dir, { recursive: true, force: true });

const ratio = (way: Way, kind: 'job' | 'records') => Math.round((median(times[kind].inProcess) / median(times[kind][way])) * 100) / 100;
const alone = median(aloneRuns!);
const together = median(pairRuns.flat());
const best = Math.max(ratio('threads', 'job'), ratio('processes', 'job'));
const identical = digests.job.size === 1 && digests.records.size === 1;
emit({
  bench: 'workers-preprocess',
  messages: messages.length,
  stages: specs.map((s) => s.kind),
  workers: WORKERS,
  warmUpPasses: WARM_UP,
  batchSize: BATCH,
  job: { ms: times.job, ratio: { threads: ratio('threads', 'job'), processes: ratio('processes', 'job') } },
  records: { ms: times.records, ratio: { threads: ratio('threads', 'records'), processes: ratio('processes', 'records') } },
  ceiling: { aloneMs: aloneRuns, sideBySideMs: pairRuns, ratio: Math.round(((2 * alone) / together) * 100) / 100 },
  ratio: best,
  identical,
  target: '≥ 1.8× faster on 2 local workers than in-process, identical output',
  pass: best >= 1.8 && identical,
});
