import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { ERROR_CODES, type ErrorCode, type Executor, type Logger, type SegmentResult, type SegmentRunner, type SegmentSpec, type ShardResult, type ShardTask, TributaryError, isTributaryError } from '@tributary/core';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { settledWithin, within } from './bounded.js';
import { type Connection, describeConnection, redisOptions } from './connection.js';
import { DEFAULT_QUEUE } from './shard-job.js';

/** What travels on the batch queue: the segment (its spec is in Redis, by id) and the work, serialised. */
export interface BatchJob {
  readonly segment: string;
  /** base64 of v8.serialize({ batch } | { shard }): records keep their typed arrays and bytes. */
  readonly task: string;
}

/** What a worker answers: base64 of v8.serialize({ result } | { error: { code, message } }). */
export type BatchAnswer = string;

export type Answer<R> = { result: R; error?: undefined } | { result?: undefined; error: { code: string; message: string } };

/** The queue of a pipeline's batches, next to the queue of `runDistributed`'s shards. */
export const batchQueueName = (queue: string): string => `${queue}-batches`;

/** Where a segment's serialised spec is kept for the workers, by its content's hash. */
export const segmentKey = (queue: string, id: string): string => `bull:${batchQueueName(queue)}:tributary-segment:${id}`;

/** How long a segment's spec stays in Redis after a run last opened it. */
const SEGMENT_TTL_SECONDS = 24 * 3600;

export const encode = (value: unknown): string => v8.serialize(value).toString('base64');
export const decode = <T>(text: string): T => v8.deserialize(Buffer.from(text, 'base64')) as T;

export interface BullmqExecutorOptions {
  /** Where Redis is; default `TRIBUTARY_REDIS_URL`. */
  readonly connection?: Connection;
  /** The queue's name, the same the workers were started with (`startWorker({ queue })`, `tributary worker --queue`); default `tributary`. */
  readonly queue?: string;
  /** Batches on the queue at once for one run (default 8): enough to keep every worker busy; order is kept. */
  readonly batchesInFlight?: number;
  /** Runs of a batch whose worker died (or that failed unexpectedly) before the run fails; default 3. */
  readonly attempts?: number;
  /** How long a batch may wait for a worker and run before the run fails (ms); default 600 000. */
  readonly timeoutMs?: number;
  /** How long Redis may take to answer when the executor connects, or a call to it later (ms); default 10 000. */
  readonly redisTimeoutMs?: number;
  readonly logger?: Logger;
}

/** The longest a timer can wait (Node clamps a longer delay to 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function whole(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value >= 1 && value <= max)) throw new TributaryError('INVALID_PARAMS', { param: name, message: `bullmqExecutor({ ${name} }) takes a whole number from 1 to ${max}; got ${String(value)}.` });
  return value;
}

type Client = { queue: Queue<BatchJob, BatchAnswer>; events: QueueEvents; redis: Redis; lastError(): string | undefined };

/**
 * An executor on BullMQ and Redis: the stages that declare `worker: true` run on any number of worker
 * processes on any number of hosts (`startWorker`, `tributary worker`), by configuration alone:
 * `createRuntime({ plugins, executor: bullmqExecutor({ connection: 'redis://queue-host:6379' }) })`.
 * Each batch (or shard of a file) is a job; its segment's description (plugins, params, fitted state) is
 * stored in Redis once, by its hash, and each worker rebuilds the segment once. A batch whose worker dies is
 * taken again by another after the stall timeout, and its answer is used once, in its place: the output is
 * what the run gives in-process.
 */
export class BullmqExecutor implements Executor {
  readonly name = 'bullmq';
  readonly concurrency: number;
  private readonly queueName: string;
  private readonly attempts: number;
  private readonly timeoutMs: number;
  private readonly redisTimeoutMs: number;
  private client: Promise<Client> | undefined;
  /** The batches waiting for their answers, so close() can end them at once. */
  private readonly waiting = new Set<(error: Error) => void>();
  private closed = false;

  constructor(private readonly options: BullmqExecutorOptions = {}) {
    this.concurrency = whole('batchesInFlight', options.batchesInFlight, 8);
    this.attempts = whole('attempts', options.attempts, 3);
    this.timeoutMs = whole('timeoutMs', options.timeoutMs, 600_000, MAX_TIMER_MS);
    this.redisTimeoutMs = whole('redisTimeoutMs', options.redisTimeoutMs, 10_000, MAX_TIMER_MS);
    this.queueName = options.queue ?? DEFAULT_QUEUE;
    if (/:/.test(this.queueName) || this.queueName.trim() === '') throw new TributaryError('INVALID_PARAMS', { param: 'queue', message: `A queue name is not empty and holds no ':' (BullMQ uses it in its keys); got ${JSON.stringify(this.queueName)}.` });
    // A bad URL fails here, when the runtime is configured, not at the first batch.
    redisOptions(options.connection);
  }

  private connect(): Promise<Client> {
    if (this.closed) return Promise.reject(new TributaryError('DISPOSED', { message: 'The BullMQ executor was closed; create another for a new run.' }));
    this.client ??= (async () => {
      const connection = redisOptions(this.options.connection);
      const where = describeConnection(connection);
      const { Queue, QueueEvents } = await import('bullmq');
      const { Redis } = await import('ioredis');
      let last: string | undefined;
      const warn = (error: Error) => {
        last = error.message;
        this.options.logger?.warn(`Redis at ${where}: ${error.message}`);
      };
      const queue = new Queue<BatchJob, BatchAnswer>(batchQueueName(this.queueName), { connection: { ...connection } as never });
      queue.on('error', warn);
      const events = new QueueEvents(batchQueueName(this.queueName), { connection: { ...connection, maxRetriesPerRequest: null } as never });
      events.on('error', warn);
      const redis: Redis = new Redis({ ...connection } as never);
      redis.on('error', warn);
      const client: Client = { queue, events, redis, lastError: () => last };
      try {
        // An unreachable Redis, or one that refuses the password, would be retried for ever: bounded here.
        await within(this.redisTimeoutMs, Promise.all([events.waitUntilReady(), redis.ping()]), () => new Error('no answer'));
      } catch (error) {
        this.client = undefined;
        await this.shut(client);
        throw new TributaryError('BACKEND_UNAVAILABLE', {
          message: `Redis at ${where} did not answer within ${this.redisTimeoutMs} ms${last ? ` (${last})` : ''}. Check the URL and password (--redis, TRIBUTARY_REDIS_URL), and that Redis is running.`,
          cause: error,
        });
      }
      return client;
    })();
    return this.client;
  }

  /** Closes a client's connections, each bounded: against a Redis that is gone, closing would wait for ever. */
  private async shut(client: Client): Promise<void> {
    await Promise.all([settledWithin(2000, client.queue.close()), settledWithin(2000, client.events.close())]);
    client.redis.disconnect();
  }

  /** A call to Redis that gives up after redisTimeoutMs, saying why. */
  private call<T>(client: Client, what: string, work: Promise<T>): Promise<T> {
    return within(this.redisTimeoutMs, work, () => new TributaryError('BACKEND_UNAVAILABLE', { message: `Redis did not answer ${what} within ${this.redisTimeoutMs} ms${client.lastError() ? ` (${client.lastError()})` : ''}.` }));
  }

  async open(segment: SegmentSpec): Promise<SegmentRunner> {
    const client = await this.connect();
    const bytes = v8.serialize(segment);
    const id = createHash('sha256').update(bytes).digest('hex');
    await this.call(client, 'storing the segment', client.redis.set(segmentKey(this.queueName, id), bytes, 'EX', SEGMENT_TTL_SECONDS));
    return {
      run: (batch) => this.submit<SegmentResult>(id, { batch }),
      runShard: (shard) => this.submit<ShardResult>(id, { shard }),
      async close() {
        // The spec expires by itself; another run of the same model uses it meanwhile.
      },
    };
  }

  private async submit<R>(segment: string, work: { batch: unknown[] } | { shard: ShardTask }): Promise<R> {
    const client = await this.connect();
    const { queue, events } = client;
    // Kept once complete until its answer is read here (a job removed at once could finish before the wait
    // starts, and the wait would find no job); BullMQ drops completed jobs older than an hour in any case.
    const job = await this.call(client, 'adding a batch', queue.add('batch', { segment, task: encode(work) }, { attempts: this.attempts, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: { age: 3600 }, removeOnFail: { age: 7 * 24 * 3600 } }));
    let stop: (error: Error) => void = () => undefined;
    const stopped = new Promise<never>((_, reject) => {
      stop = reject;
    });
    this.waiting.add(stop);
    let answer: BatchAnswer;
    try {
      answer = await Promise.race([job.waitUntilFinished(events, this.timeoutMs), stopped]);
    } catch (error) {
      if (isTributaryError(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      if (/timed out/i.test(reason)) {
        await this.call(client, 'removing a batch', job.remove()).catch(() => undefined);
        throw new TributaryError('STAGE_FAILED', { message: `No worker finished batch ${job.id} of queue ${batchQueueName(this.queueName)} within ${this.timeoutMs} ms. Start workers on the same Redis and queue (tributary worker --redis … --queue ${this.queueName}), or raise timeoutMs.` });
      }
      throw new TributaryError('STAGE_FAILED', { message: `Batch ${job.id} failed on the workers: ${reason}` });
    } finally {
      this.waiting.delete(stop);
    }
    await this.call(client, 'removing a batch', job.remove()).catch(() => undefined);
    const decoded = decode<Answer<R>>(answer);
    if (decoded.error) {
      const code = (ERROR_CODES as readonly string[]).includes(decoded.error.code) ? (decoded.error.code as ErrorCode) : 'STAGE_FAILED';
      throw new TributaryError(code, { message: decoded.error.message });
    }
    return decoded.result;
  }

  /** Ends the batches still waiting (DISPOSED) and closes the connections; the workers finish what they hold. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stop of this.waiting) stop(new TributaryError('DISPOSED', { message: 'The BullMQ executor was closed while batches were on the queue; their run cannot finish.' }));
    this.waiting.clear();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    const opened = await client.catch(() => undefined);
    if (opened) await this.shut(opened);
  }
}

/** A BullMQ executor: `createRuntime({ plugins, executor: bullmqExecutor({ connection: 'redis://host:6379' }) })`. */
export function bullmqExecutor(options: BullmqExecutorOptions = {}): BullmqExecutor {
  return new BullmqExecutor(options);
}
