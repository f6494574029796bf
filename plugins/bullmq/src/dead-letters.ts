import type { Connection } from './connection.js';
import { withQueue } from './queue-client.js';

/** A shard that failed all its attempts: which run and records it held, and why it failed. */
export interface DeadLetter {
  readonly runId: string;
  readonly shard: number;
  readonly jobId: string;
  readonly input: string;
  /** The position of its first record in the input, and how many records it holds. */
  readonly first: number;
  readonly count: number;
  readonly reason: string;
  readonly attempts: number;
  /** When it failed for the last time (ms since the epoch). */
  readonly failedAt: number | undefined;
}

/** Lists the shards that failed all their attempts (the queue's failed jobs), newest first, optionally of one run. */
export async function deadLetters(options: { connection?: Connection; queue?: string; runId?: string } = {}): Promise<DeadLetter[]> {
  return withQueue(options, 'Listing the dead letters', async (client) => {
    const failed = await client.queue.getFailed();
    return failed
      .filter((job) => job.data && typeof job.data.runId === 'string' && (options.runId === undefined || job.data.runId === options.runId))
      .map((job) => ({
        runId: job.data.runId,
        shard: job.data.shard,
        jobId: job.id ?? '',
        input: job.data.input,
        first: job.data.first,
        count: job.data.count,
        reason: job.failedReason,
        attempts: job.attemptsMade,
        failedAt: job.finishedOn,
      }));
  });
}
