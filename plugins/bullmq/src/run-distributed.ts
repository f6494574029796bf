import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, TributaryError, isTributaryError } from '@tributary/core';
import { within } from './bounded.js';
import { RUN_KEY_TTL_SECONDS, cancelOn } from './cancel.js';
import { type Connection, describeConnection } from './connection.js';
import { type QueueClient, openQueue } from './queue-client.js';
import { type InvalidLines, type ShardJob, type ShardProgress, type ShardRange, checkRunId, partFile, planShards, runKey, shardJobId } from './shard-job.js';

export interface RunOptions {
  /** The saved model's folder (with `tributary.json`); workers load it from the same path. */
  readonly model: string;
  /** A JSON Lines file of records; workers read it from the same path. */
  readonly input: string;
  /** The JSON Lines file to write: one line per input record, in input order (as core's `writePredictions`). */
  readonly output: string;
  /** Where Redis is; default `TRIBUTARY_REDIS_URL`. */
  readonly connection?: Connection;
  /** The queue the workers take shards from; default `tributary`. */
  readonly queue?: string;
  /** Records per shard; default 1000. */
  readonly shardSize?: number;
  /** Runs of a shard before it is dead-lettered; default 3. */
  readonly attempts?: number;
  /** Wait before the first retry of a failed shard (ms, doubling after each failure); default 1000. */
  readonly backoffMs?: number;
  /** Records per call of the model inside a shard; default 256. */
  readonly batchSize?: number;
  /** The field that names each record; one without it is named by its position (0-based). Default `id`. */
  readonly id?: string;
  /** The model's fields to write; default what its last stage writes. */
  readonly fields?: readonly string[];
  /** A line that is not a JSON object: `answer` it with an error line (default), or `fail` its shard. */
  readonly invalidLines?: InvalidLines;
  /** Names the run (letters, digits, `_.-`); a run started again with the same id keeps the shards already committed. */
  readonly runId?: string;
  /** How often the run looks at its shards (ms); default 500. */
  readonly pollMs?: number;
  /** How long Redis may stay unreachable before the run gives up (ms); default 30 000. */
  readonly redisTimeoutMs?: number;
  readonly onProgress?: (progress: RunProgress) => void;
  /** Aborting cancels the run (as `cancel`). */
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
}

export interface RunProgress {
  /** Records answered so far (committed shards plus the progress of shards in hand). */
  readonly records: number;
  readonly total: number;
  readonly shardsDone: number;
  readonly shards: number;
}

export interface RunResult {
  readonly runId: string;
  readonly output: string;
  /** Input records, each with exactly one line in the output. */
  readonly records: number;
  readonly shards: number;
  /** Shards that ran more than once (a worker died, an attempt failed, Redis lost the shard). */
  readonly retried: number;
  readonly seconds: number;
}

function wholeNumber(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new TributaryError('INVALID_PARAMS', { param: name, message: `${name} must be a whole number ≥ ${min}; got ${String(value)}.` });
  return value;
}

async function exists(file: string): Promise<boolean> {
  return fs.promises.access(file).then(
    () => true,
    () => false,
  );
}

interface Failure {
  readonly shard: number;
  readonly reason: string;
}

/**
 * Runs a saved model over a JSON Lines file on any number of `startWorker` processes: the input is split
 * into shards on a BullMQ queue, each shard's answers are committed by one worker as a part file, and the
 * parts are joined, in order, into `output` (written aside, then renamed). Every input record gets exactly
 * one line, however often its shard ran. Rejects with a TributaryError naming the shards when a shard
 * failed all its attempts or was lost, when Redis stays unreachable, or when the run is cancelled.
 *
 * @example
 * const result = await runDistributed({ model: '/shared/models/spam', input: '/shared/mail.jsonl', output: '/shared/scores.jsonl', connection: 'redis://queue-host:6379' });
 */
export async function runDistributed(options: RunOptions): Promise<RunResult> {
  const began = performance.now();
  const shardSize = wholeNumber('shardSize', options.shardSize, 1000, 1);
  const attempts = wholeNumber('attempts', options.attempts, 3, 1);
  const backoffMs = wholeNumber('backoffMs', options.backoffMs, 1000, 0);
  const batchSize = wholeNumber('batchSize', options.batchSize, 256, 1);
  const pollMs = wholeNumber('pollMs', options.pollMs, 500, 1);
  const redisTimeoutMs = wholeNumber('redisTimeoutMs', options.redisTimeoutMs, 30_000, 1);
  const invalidLines = options.invalidLines ?? 'answer';
  if (invalidLines !== 'answer' && invalidLines !== 'fail') throw new TributaryError('INVALID_PARAMS', { param: 'invalidLines', message: `invalidLines is 'answer' or 'fail'; got ${JSON.stringify(invalidLines)}.` });
  // Workers on other hosts, in other folders, read these paths: they must not depend on this process's cwd.
  const model = path.resolve(options.model);
  const input = path.resolve(options.input);
  const output = path.resolve(options.output);
  if (!(await exists(path.join(model, 'tributary.json')))) {
    throw new TributaryError('ARTIFACT_NOT_FOUND', { message: `No saved model at ${model} (no tributary.json there). Save the model with model.save(dir) and pass that folder.` });
  }
  if (!(await exists(input))) throw new TributaryError('SOURCE_NOT_FOUND', { message: `The input ${input} does not exist. Pass a JSON Lines file that every worker can read at this path.` });
  const runId = options.runId ?? `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  checkRunId(runId);
  const plan = await planShards(input, shardSize);
  const partsDir = path.join(path.dirname(output), `.${path.basename(output)}.${runId}.parts`);
  await fs.promises.mkdir(partsDir, { recursive: true });

  const client = await openQueue(options);
  try {
    const shards = plan.shards.map((range, shard): ShardJob => ({
      runId,
      shard,
      model,
      input,
      start: range.start,
      end: range.end,
      first: range.first,
      count: range.count,
      partsDir,
      idField: options.id ?? 'id',
      ...(options.fields ? { fields: [...options.fields] } : {}),
      batchSize,
      invalidLines,
    }));
    const tracker = new RunTracker(client, shards, { runId, attempts, backoffMs, pollMs, redisTimeoutMs, partsDir, options });
    let retried: number;
    try {
      await tracker.start();
      retried = await tracker.wait();
    } catch (error) {
      // A cancelled run cannot be resumed under its id, so its parts are of no further use; other failures
      // keep committed parts for a resume, and leave no empty folder behind.
      if (isTributaryError(error, 'DISPOSED') && error.details.cancelled === true) await fs.promises.rm(partsDir, { recursive: true, force: true });
      else await fs.promises.rmdir(partsDir).catch(() => undefined);
      throw error;
    }
    await joinParts(partsDir, plan.shards, output);
    await tracker.finish();
    await fs.promises.rm(partsDir, { recursive: true, force: true });
    return { runId, output, records: plan.records, shards: shards.length, retried, seconds: (performance.now() - began) / 1000 };
  } finally {
    await client.close();
  }
}

/** Puts a run's shards on the queue and follows them until every one is committed, or the run cannot end well. */
class RunTracker {
  private readonly key: string;
  private readonly pending = new Set<number>();
  private readonly readded = new Map<number, number>();
  private readonly progressOf = new Map<number, number>();
  private retried = 0;
  private committedRecords = 0;
  private lastReport = '';

  constructor(
    private readonly client: QueueClient,
    private readonly shards: readonly ShardJob[],
    private readonly settings: { runId: string; attempts: number; backoffMs: number; pollMs: number; redisTimeoutMs: number; partsDir: string; options: RunOptions },
  ) {
    this.key = runKey(client.name, settings.runId);
  }

  private lastConnectionError(): string {
    const last = this.client.lastError();
    return last ? `; the last connection error was: ${last}` : '';
  }

  private get where(): string {
    return describeConnection(this.client.connection);
  }

  private jobOptions(shard: number) {
    return {
      jobId: shardJobId(this.settings.runId, shard),
      attempts: this.settings.attempts,
      backoff: { type: 'exponential', delay: this.settings.backoffMs },
      // The run reads each finished shard's record, then removes it itself.
      removeOnComplete: false,
      removeOnFail: false,
    };
  }

  private partPath(shard: number): string {
    return path.join(this.settings.partsDir, partFile(shard));
  }

  private redis<T>(work: Promise<T>): Promise<T> {
    return within(this.settings.redisTimeoutMs, work).catch((error: unknown) => {
      throw new TributaryError('BACKEND_UNAVAILABLE', {
        message: `Redis at ${this.where} failed: ${(error as Error).message}${this.lastConnectionError()}. Check that it runs and that the connection (host, port, password, TLS) is right.`,
        cause: error,
      });
    });
  }

  async start(): Promise<void> {
    const { redis, queue } = this.client;
    const [cancelled, plan] = await this.redis(redis.hmget(this.key, 'cancelled', 'plan'));
    if (cancelled === '1') throw this.cancelledError();
    // Parts kept from an earlier start are only valid for the same records cut the same way.
    const first = this.shards[0];
    const identity = JSON.stringify({ model: first?.model, input: first?.input, shards: this.shards.map((s) => s.count) });
    if (plan && plan !== identity) {
      throw new TributaryError('INVALID_PARAMS', {
        param: 'runId',
        message: `Run ${this.settings.runId} was started before with another model, input, record count or shardSize, so its committed parts do not fit this run. Use a new runId.`,
      });
    }
    await this.redis(redis.hset(this.key, 'shards', String(this.shards.length), 'plan', identity));
    await this.redis(redis.expire(this.key, RUN_KEY_TTL_SECONDS));
    const jobs = [];
    for (const job of this.shards) {
      // A run started again with its id keeps the parts already committed.
      if (await exists(this.partPath(job.shard))) {
        this.committedRecords += job.count;
        continue;
      }
      this.pending.add(job.shard);
      const id = shardJobId(this.settings.runId, job.shard);
      // A shard dead-lettered by an earlier start of this run gets its attempts back.
      const state = await this.redis(queue.getJobState(id));
      if (state === 'failed' || state === 'completed') await this.redis(queue.remove(id));
      jobs.push({ name: 'shard', data: job, opts: this.jobOptions(job.shard) });
    }
    if (jobs.length > 0) await this.redis(queue.addBulk(jobs as never));
  }

  /** Follows the shards until all are committed; resolves to the number that ran more than once. */
  async wait(): Promise<number> {
    const { signal } = this.settings.options;
    let lastOk = Date.now();
    while (this.pending.size > 0) {
      if (signal?.aborted) {
        await this.redis(cancelOn(this.client, this.settings.runId));
        throw this.cancelledError();
      }
      let answered = false;
      try {
        await within(Math.min(this.settings.redisTimeoutMs, 5000), this.tick());
        lastOk = Date.now();
        answered = true;
      } catch (error) {
        if (isTributaryError(error)) throw error;
        // Redis gone (restarting, a network cut): the shards are safe on Redis's disk and in the parts folder; wait for it a while.
        if (Date.now() - lastOk >= this.settings.redisTimeoutMs) {
          throw new TributaryError('BACKEND_UNAVAILABLE', {
            message: `Redis at ${this.where} has not answered for ${Math.round((Date.now() - lastOk) / 1000)} s (${(error as Error).message}${this.lastConnectionError()}); ${this.pending.size} of ${this.shards.length} shards are not done. Start Redis again, then run again with runId '${this.settings.runId}': the committed shards in ${this.settings.partsDir} are kept.`,
            details: { runId: this.settings.runId, pending: [...this.pending] },
            cause: error,
          });
        }
        this.settings.options.logger?.warn(`Waiting for Redis at ${this.where}: ${(error as Error).message}`);
      }
      // Outside the try: an error thrown by the caller's onProgress is theirs, not a Redis outage.
      if (answered) this.report();
      if (this.pending.size > 0) await sleep(this.settings.pollMs);
    }
    return this.retried;
  }

  private async tick(): Promise<void> {
    const { queue, redis } = this.client;
    if ((await redis.hget(this.key, 'cancelled')) === '1') throw this.cancelledError();
    const failures: Failure[] = [];
    await Promise.all(
      [...this.pending].map(async (shard) => {
        const id = shardJobId(this.settings.runId, shard);
        const job = await queue.getJob(id);
        if (!job) {
          if (await exists(this.partPath(shard))) return this.done(shard, 1);
          // Redis lost the shard (a restart from an older snapshot): committing is idempotent, so it is safe to put it back.
          const times = (this.readded.get(shard) ?? 0) + 1;
          this.readded.set(shard, times);
          if (times > this.settings.attempts) {
            failures.push({ shard, reason: `the queue lost it ${times - 1} times` });
            return;
          }
          this.settings.options.logger?.warn(`Shard ${shard} of run ${this.settings.runId} is no longer on the queue; putting it back.`);
          await queue.add('shard', this.shards[shard]!, this.jobOptions(shard) as never);
          return;
        }
        const state = await job.getState();
        if (state === 'completed') {
          if ((job.returnvalue as { cancelled?: boolean } | undefined)?.cancelled) throw this.cancelledError();
          if (!(await exists(this.partPath(shard)))) {
            failures.push({ shard, reason: `a worker finished it but its part is not in ${this.settings.partsDir}; every worker must see that folder at the same path` });
            return;
          }
          return this.done(shard, job.attemptsStarted);
        }
        if (state === 'failed') {
          failures.push({ shard, reason: job.failedReason });
          return;
        }
        const progress = job.progress as ShardProgress | number | undefined;
        this.progressOf.set(shard, typeof progress === 'object' && progress !== null && typeof progress.done === 'number' ? progress.done : 0);
      }),
    );
    if (failures.length > 0) throw this.failedError(failures);
  }

  private done(shard: number, runs: number): void {
    if (!this.pending.delete(shard)) return;
    this.progressOf.delete(shard);
    this.committedRecords += this.shards[shard]!.count;
    if (runs > 1 || this.readded.has(shard)) this.retried++;
  }

  private report(): void {
    const onProgress = this.settings.options.onProgress;
    if (!onProgress) return;
    let inHand = 0;
    for (const done of this.progressOf.values()) inHand += done;
    const total = this.shards.reduce((sum, s) => sum + s.count, 0);
    const progress: RunProgress = { records: this.committedRecords + inHand, total, shardsDone: this.shards.length - this.pending.size, shards: this.shards.length };
    const text = JSON.stringify(progress);
    if (text === this.lastReport) return;
    this.lastReport = text;
    onProgress(progress);
  }

  /** Takes the run's finished shards off the queue once the output is in place. */
  async finish(): Promise<void> {
    const { queue, redis } = this.client;
    try {
      for (const job of this.shards) await within(this.settings.redisTimeoutMs, queue.remove(shardJobId(this.settings.runId, job.shard)));
      // The run's hash stays for a week, saying it finished and where its output went (tributary jobs status).
      await within(this.settings.redisTimeoutMs, redis.hset(this.key, 'finished', String(Date.now()), 'output', path.resolve(this.settings.options.output)));
      await within(this.settings.redisTimeoutMs, redis.expire(this.key, RUN_KEY_TTL_SECONDS));
    } catch (error) {
      // The output is complete; shards left on the queue are only clutter, so this is worth a warning, not a failure.
      this.settings.options.logger?.warn(`Could not take run ${this.settings.runId}'s finished shards off the queue: ${(error as Error).message}`);
    }
  }

  private cancelledError(): TributaryError {
    return new TributaryError('DISPOSED', {
      message: `Run ${this.settings.runId} was cancelled, so no output was written. Start it again under a new runId to run it after all.`,
      details: { runId: this.settings.runId, cancelled: true },
    });
  }

  private failedError(failures: Failure[]): TributaryError {
    const list = failures.sort((a, b) => a.shard - b.shard);
    const named = list.map((f) => {
      const s = this.shards[f.shard]!;
      return `shard ${f.shard} (records ${s.first}–${s.first + s.count - 1}): ${f.reason}`;
    });
    return new TributaryError('STAGE_FAILED', {
      message: `Run ${this.settings.runId} cannot complete: ${list.length === 1 ? 'a shard' : `${list.length} shards`} failed all ${this.settings.attempts} attempts — ${named.join('; ')}. They are in the dead-letter list (deadLetters()). Fix the cause, then run again with runId '${this.settings.runId}': the ${this.shards.length - this.pending.size} shards already committed in ${this.settings.partsDir} are kept.`,
      details: { runId: this.settings.runId, shards: list.map((f) => f.shard), reasons: list.map((f) => f.reason) },
    });
  }
}

/** Joins the parts in shard order into the output, written aside and renamed, after checking each part has one line per record. */
async function joinParts(partsDir: string, shards: readonly ShardRange[], output: string): Promise<void> {
  const temp = `${output}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const out = fs.createWriteStream(temp);
  try {
    for (const [shard, range] of shards.entries()) {
      const part = path.join(partsDir, partFile(shard));
      let lines = 0;
      for await (const chunk of fs.createReadStream(part) as AsyncIterable<Buffer>) {
        for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines++;
        if (!out.write(chunk)) await once(out, 'drain');
      }
      if (lines !== range.count) {
        throw new TributaryError('WRITE_FAILED', { message: `Part ${part} has ${lines} lines for the ${range.count} records of shard ${shard}; the parts folder was changed during the run. Run again with a new runId.` });
      }
    }
    out.end();
    await finished(out);
    await fs.promises.rename(temp, output);
  } catch (error) {
    out.destroy();
    await fs.promises.rm(temp, { force: true });
    if (isTributaryError(error)) throw error;
    throw new TributaryError('WRITE_FAILED', { message: `Could not write ${output}: ${(error as Error).message}. Check the folder exists and is writable.`, cause: error });
  }
}
