import type { Connection } from './connection.js';
import { type QueueClient, withQueue } from './queue-client.js';
import { TributaryError } from '@tributary/core';
import { checkRunId, runKey, shardJobId } from './shard-job.js';

/** How long Redis keeps a finished or cancelled run's hash, so late workers still see that it was cancelled. */
export const RUN_KEY_TTL_SECONDS = 7 * 24 * 3600;

const WAITING = new Set(['waiting', 'wait', 'delayed', 'prioritized', 'paused']);

/** Marks a run cancelled and takes its waiting shards off the queue; returns how many it removed. */
export async function cancelOn(client: QueueClient, runId: string): Promise<number> {
  const key = runKey(client.name, runId);
  await client.redis.hset(key, 'cancelled', '1');
  await client.redis.expire(key, RUN_KEY_TTL_SECONDS);
  const shards = Number(await client.redis.hget(key, 'shards')) || 0;
  let removed = 0;
  for (let shard = 0; shard < shards; shard++) {
    const id = shardJobId(runId, shard);
    const state = await client.queue.getJobState(id);
    // A shard in a worker's hands cannot be removed; its worker sees the mark and stops without writing.
    if (WAITING.has(state) && (await client.queue.remove(id)) === 1) removed++;
  }
  return removed;
}

/**
 * Cancels a run of `runDistributed` from any process: its waiting shards leave the queue, workers skip
 * (or stop) its shards, and `runDistributed` rejects with a cancelled error. Resolves to the number of
 * waiting shards removed.
 */
export async function cancel(options: { runId: string; connection?: Connection; queue?: string }): Promise<{ removed: number }> {
  checkRunId(options.runId);
  return withQueue(options, `Cancelling run ${options.runId}`, async (client) => {
    // A run Redis does not know is not marked: a mistyped id would otherwise bar that id for a week.
    if (!(await client.redis.hexists(runKey(client.name, options.runId), 'shards'))) {
      throw new TributaryError('INVALID_PARAMS', { param: 'runId', message: `Redis knows no run ${options.runId} on queue ${client.name}; nothing was cancelled. Check the run id and the queue.` });
    }
    return { removed: await cancelOn(client, options.runId) };
  });
}
