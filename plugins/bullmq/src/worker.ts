import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';
import { type DataRecord, type LocalSegment, type Logger, type Plugin, type PipelineModel, type SegmentSpec, TributaryError, createRuntime, isTributaryError, openLocalSegment, parseJsonLine, readLines, recordJsonReplacer, silentLogger } from '@tributary/core';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type Connection, describeConnection, redisOptions } from './connection.js';
import { settledWithin } from './bounded.js';
import { type BatchAnswer, type BatchJob, batchQueueName, decode, encode, segmentKey } from './executor.js';
import { DEFAULT_QUEUE, type ShardJob, type ShardProgress, type ShardResult, partFile, runKey } from './shard-job.js';

export interface WorkerOptions {
  /** Where Redis is; default `TRIBUTARY_REDIS_URL`. */
  readonly connection?: Connection;
  /** The queue to take shards from; default `tributary`. */
  readonly queue?: string;
  /** The plugins the models need (the same the pipelines were built with). */
  readonly plugins: readonly Plugin[];
  /** Shards worked on at once by this process; default 1. */
  readonly concurrency?: number;
  /**
   * How long a shard stays claimed without a sign of life from its worker (ms, default 30 000): a worker
   * killed mid-shard gives its shard back after this, and another worker runs it again.
   */
  readonly lockDuration?: number;
  /** How often this worker looks for claimed shards whose worker died (ms, default 30 000). */
  readonly stalledInterval?: number;
  /** Times a shard may be given back by dead workers before it counts as failed (default 1). */
  readonly maxStalledCount?: number;
  readonly logger?: Logger;
}

/** A running worker: `close()` finishes the shards and batches in hand, then disconnects. */
export interface ShardWorker {
  readonly worker: Worker<ShardJob, ShardResult>;
  /** Takes the batches of pipelines whose runtime uses `bullmqExecutor` on the same queue. */
  readonly batches: Worker<BatchJob, BatchAnswer>;
  close(): Promise<void>;
}

/**
 * Starts taking shards of `runDistributed` runs from the queue: each shard's records go through the saved
 * model, and its answers are committed as one part file (written aside, then renamed into place), so a shard
 * run twice (its first worker killed) leaves one complete part, never two. It also takes the batches of
 * pipelines that run on `bullmqExecutor` with the same queue: it rebuilds each segment once from the
 * description the run stored in Redis and answers each batch with its result.
 *
 * @example
 * const worker = await startWorker({ connection: 'redis://queue-host:6379', plugins: [natural] });
 * process.on('SIGTERM', () => void worker.close());
 */
export async function startWorker(options: WorkerOptions): Promise<ShardWorker> {
  const connection = redisOptions(options.connection);
  const queue = options.queue ?? DEFAULT_QUEUE;
  const logger = options.logger ?? silentLogger;
  const runtime = createRuntime({ plugins: [...options.plugins] });
  const models = new Map<string, { stamp: number; model: Promise<PipelineModel> }>();
  const { Worker } = await import('bullmq');
  const { Redis } = await import('ioredis');
  // BullMQ's blocking commands must wait out a Redis restart rather than fail after a few retries.
  const redis: Redis = new Redis({ ...connection, maxRetriesPerRequest: null } as never);
  redis.on('error', (error: Error) => logger.warn(`Redis at ${describeConnection(connection)}: ${error.message}`));

  /** A model is loaded once per folder, and again when it was saved anew (its manifest changed). */
  const modelAt = async (dir: string): Promise<PipelineModel> => {
    const stamp = await fs.promises.stat(path.join(dir, 'tributary.json')).then(
      (s) => s.mtimeMs,
      () => -1,
    );
    const cached = models.get(dir);
    if (cached && cached.stamp === stamp) return cached.model;
    const model = runtime.load(dir);
    models.set(dir, { stamp, model });
    model.catch(() => models.delete(dir));
    return model;
  };

  const cancelled = async (job: ShardJob) => (await redis.hget(runKey(queue, job.runId), 'cancelled')) === '1';

  const processor = async (job: Job<ShardJob, ShardResult>): Promise<ShardResult> => {
    const data = job.data;
    const none = { records: 0, predicted: 0, rejected: 0, cancelled: true };
    if (await cancelled(data)) return none;
    const model = await modelAt(data.model);
    const fields = [...(data.fields ?? model.outputFields)];
    const entries = await readShard(data);
    let text = '';
    let predicted = 0;
    let rejected = 0;
    for (let at = 0; at < entries.length; at += data.batchSize) {
      const slice = entries.slice(at, at + data.batchSize);
      const records = slice.filter((e): e is { record: DataRecord } => 'record' in e).map((e) => e.record);
      const answers = await model.predictEach(records, { batchSize: data.batchSize });
      let next = 0;
      slice.forEach((entry, k) => {
        const position = data.first + at + k;
        let row: DataRecord;
        if ('problem' in entry) {
          rejected++;
          row = { [data.idField]: position, error: { code: entry.problem.code, message: entry.problem.message, stage: 'input' } };
        } else {
          const answer = answers[next++]!;
          row = { [data.idField]: entry.record[data.idField] ?? position };
          if (answer.record) {
            predicted++;
            for (const field of fields) row[field] = answer.record[field] ?? null;
          } else {
            rejected++;
            row.error = { ...answer.error };
          }
        }
        text += `${JSON.stringify(row, recordJsonReplacer)}\n`;
      });
      const progress: ShardProgress = { done: Math.min(at + data.batchSize, entries.length), count: entries.length };
      await job.updateProgress(progress as never);
      if (await cancelled(data)) return none;
      // Lets BullMQ renew the shard's lock between batches, so a long shard is not taken for a dead one.
      await nextTurn();
    }
    await commitPart(data, text);
    return { records: entries.length, predicted, rejected };
  };

  /** Segments rebuilt here, most recently used last; the least recently used are dropped past a few. */
  const segments = new Map<string, Promise<LocalSegment>>();
  const segmentOf = async (id: string): Promise<LocalSegment> => {
    const open = segments.get(id);
    if (open) {
      segments.delete(id);
      segments.set(id, open);
      return open;
    }
    const opening = (async () => {
      const bytes = await redis.getBuffer(segmentKey(queue, id));
      if (!bytes) throw new TributaryError('STAGE_FAILED', { message: `The description of segment ${id.slice(0, 12)} is not in Redis (expired, or another Redis): run the pipeline again.` });
      return openLocalSegment(v8.deserialize(bytes) as SegmentSpec, options.plugins);
    })();
    opening.catch(() => segments.delete(id));
    segments.set(id, opening);
    while (segments.size > 4) {
      const [oldest, dropped] = segments.entries().next().value!;
      segments.delete(oldest);
      dropped.then((s) => s.dispose(), () => undefined);
    }
    return opening;
  };
  // A batch's failure that another run would repeat (a plugin missing here, a stage that throws) is its
  // answer, not a retry; a worker that dies mid-batch leaves it to BullMQ's stall handling.
  const batchProcessor = async (job: Job<BatchJob, BatchAnswer>): Promise<BatchAnswer> => {
    try {
      const segment = await segmentOf(job.data.segment);
      const work = decode<{ batch: DataRecord[] } | { shard: Parameters<LocalSegment['runShard']>[0] }>(job.data.task);
      return encode({ result: 'shard' in work ? await segment.runShard(work.shard) : await segment.run(work.batch) });
    } catch (error) {
      return encode({ error: { code: isTributaryError(error) ? error.code : 'STAGE_FAILED', message: error instanceof Error ? error.message : String(error) } });
    }
  };
  // Shards and batches are taken on the same terms: concurrency, and how long a dead worker holds its job.
  const workerSettings = {
    connection: { ...connection, maxRetriesPerRequest: null } as never,
    concurrency: options.concurrency ?? 1,
    ...(options.lockDuration === undefined ? {} : { lockDuration: options.lockDuration }),
    ...(options.stalledInterval === undefined ? {} : { stalledInterval: options.stalledInterval }),
    ...(options.maxStalledCount === undefined ? {} : { maxStalledCount: options.maxStalledCount }),
  };
  const batches = new Worker<BatchJob, BatchAnswer>(batchQueueName(queue), batchProcessor, workerSettings);
  batches.on('error', (error: Error) => logger.warn(`Batch worker on ${describeConnection(connection)}: ${error.message}`));

  const worker = new Worker<ShardJob, ShardResult>(queue, processor, workerSettings);
  worker.on('error', (error: Error) => logger.warn(`Shard worker on ${describeConnection(connection)}: ${error.message}`));
  worker.on('failed', (job, error) => logger.warn(`Shard ${job?.data.shard ?? '?'} of run ${job?.data.runId ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}): ${error.message}`));
  await Promise.all([worker.waitUntilReady(), batches.waitUntilReady()]);
  return {
    worker,
    batches,
    async close() {
      // Finishes the jobs in hand; against a Redis that is gone that would never end, so after a while it stops waiting.
      const closing = Promise.all([worker.close(), batches.close()]);
      if (await settledWithin(15_000, closing)) await closing;
      else await settledWithin(2000, Promise.all([worker.close(true), batches.close(true)]));
      for (const segment of segments.values()) await segment.then((s) => s.dispose(), () => undefined);
      await runtime.dispose();
      redis.disconnect();
    },
  };
}

type ShardEntry = { readonly record: DataRecord } | { readonly problem: TributaryError };

/** Reads a shard's byte range of the input: one entry per non-blank line, a record or why it is not one. */
async function readShard(job: ShardJob): Promise<ShardEntry[]> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(job.input, fs.constants.R_OK);
    // end is inclusive for createReadStream.
    stream = fs.createReadStream(job.input, { start: job.start, end: Math.max(job.start, job.end - 1) });
  } catch (error) {
    throw new TributaryError('SOURCE_NOT_FOUND', { message: `Shard ${job.shard} cannot read its input ${job.input}: ${(error as Error).message}. Every worker must see the input at the same path (a shared file system).`, cause: error });
  }
  const entries: ShardEntry[] = [];
  for await (const line of readLines(stream)) {
    if ('text' in line && line.text.trim() === '') continue;
    const where = `Record ${job.first + entries.length} of ${job.input}`;
    let entry: ShardEntry;
    if ('tooLong' in line) entry = { problem: new TributaryError('INVALID_DATA', { message: `${where} is ${line.tooLong} bytes long, more than a record may take. Split the record.` }) };
    else if ('undecodable' in line) entry = { problem: new TributaryError('INVALID_DATA', { message: `${where} is not valid UTF-8. JSON Lines files are UTF-8; convert the file (e.g. iconv -f windows-1252 -t utf-8).` }) };
    else {
      try {
        entry = { record: parseJsonLine(line.text, where) };
      } catch (error) {
        entry = { problem: error as TributaryError };
      }
    }
    if ('problem' in entry && job.invalidLines === 'fail') throw entry.problem;
    entries.push(entry);
  }
  if (entries.length !== job.count) {
    const { UnrecoverableError } = await import('bullmq');
    // The input changed since the run was planned: running the shard again cannot help.
    throw new UnrecoverableError(`Shard ${job.shard} expected ${job.count} records in bytes ${job.start}–${job.end} of ${job.input} and found ${entries.length}: the input changed during the run. Leave the input alone until the run ends, then run it again.`);
  }
  return entries;
}

/** Writes the part aside and renames it into place: a part file is whole or absent, and a retry replaces it. */
async function commitPart(job: ShardJob, text: string): Promise<void> {
  const target = path.join(job.partsDir, partFile(job.shard));
  // Unique per attempt: a worker that lost its shard and still finishes never writes into another's file.
  const temp = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const file = await fs.promises.open(temp, 'w');
    try {
      await file.writeFile(text);
      // On disk before it is named: a host that dies after the rename must not leave a short part behind.
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.promises.rename(temp, target);
  } catch (error) {
    await fs.promises.rm(temp, { force: true });
    throw new TributaryError('WRITE_FAILED', { message: `Shard ${job.shard} could not write its part in ${job.partsDir}: ${(error as Error).message}. Every worker must be able to write there (a shared file system).`, cause: error });
  }
}
