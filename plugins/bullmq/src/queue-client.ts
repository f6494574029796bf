import { type Logger, TributaryError, isTributaryError } from '@tributary/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { settledWithin } from './bounded.js';
import { type Connection, type RedisOptions, describeConnection, redisOptions } from './connection.js';
import { DEFAULT_QUEUE, type ShardJob, type ShardResult } from './shard-job.js';

/** The queue of shards and a plain Redis client for the run hashes, opened together and closed together. */
export interface QueueClient {
  readonly name: string;
  readonly connection: RedisOptions;
  readonly queue: Queue<ShardJob, ShardResult>;
  readonly redis: Redis;
  /** The last connection error either client saw (a refused password, a certificate that does not verify), for messages. */
  lastError(): string | undefined;
  close(): Promise<void>;
}

export async function openQueue(options: { connection?: Connection; queue?: string; logger?: Logger }): Promise<QueueClient> {
  const connection = redisOptions(options.connection);
  const name = options.queue ?? DEFAULT_QUEUE;
  const { Queue } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const where = describeConnection(connection);
  // Errors also reach the caller through the commands that failed; the listeners keep an outage from
  // becoming an unhandled 'error' event that would end the process.
  let last: string | undefined;
  const warn = (error: Error) => {
    last = error.message;
    options.logger?.warn(`Redis at ${where}: ${error.message}`);
  };
  const queue = new Queue<ShardJob, ShardResult>(name, { connection: { ...connection } as never });
  queue.on('error', warn);
  const redis: Redis = new Redis({ ...connection } as never);
  redis.on('error', warn);
  return {
    name,
    connection,
    queue,
    redis,
    lastError: () => last,
    async close() {
      // Closing waits for pending commands; against a Redis that is gone, that would be for ever.
      await settledWithin(2000, queue.close());
      redis.disconnect();
    },
  };
}

/**
 * Runs `work` on a queue client opened for it, and closes the client. A failure to reach Redis becomes
 * BACKEND_UNAVAILABLE naming the server and its last error, rather than ioredis's retry message.
 */
export async function withQueue<T>(options: { connection?: Connection; queue?: string; logger?: Logger }, what: string, work: (client: QueueClient) => Promise<T>): Promise<T> {
  const client = await openQueue(options);
  try {
    return await work(client);
  } catch (error) {
    if (isTributaryError(error)) throw error;
    const last = client.lastError();
    throw new TributaryError('BACKEND_UNAVAILABLE', { message: `${what} failed: Redis at ${describeConnection(client.connection)} ${last ? `answered ${last}` : `failed (${(error as Error).message})`}. Check the URL and password (--redis, TRIBUTARY_REDIS_URL), and that Redis is running.`, cause: error });
  } finally {
    await client.close();
  }
}
