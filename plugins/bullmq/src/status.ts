import type { Connection } from './connection.js';
import { withQueue } from './queue-client.js';
import { type ShardJob, type ShardProgress, runKey, shardJobId } from './shard-job.js';

/** Where a run of `runDistributed` stands, as the queue sees it. */
export interface RunStatus {
  readonly runId: string;
  /** False when Redis knows no such run (never started, or expired a week after it ended). */
  readonly known: boolean;
  readonly cancelled: boolean;
  /** When the run joined its output (ms since the epoch), and where it wrote it. */
  readonly finished?: number;
  readonly output?: string;
  readonly shards: number;
  /** Shards by state: waiting (or delayed before a retry), active (in a worker's hands), completed (committed, not yet joined), failed (dead-lettered), gone (joined into the output, or removed). */
  readonly states: Readonly<Record<'waiting' | 'active' | 'completed' | 'failed' | 'gone', number>>;
  /** Records of the shards in workers' hands done so far, and the records of all shards. */
  readonly recordsInHand: number;
  readonly records: number;
}

const WAITING = new Set(['waiting', 'wait', 'delayed', 'prioritized', 'paused', 'waiting-children']);

/**
 * The state of a run from any process (`tributary jobs status <runId>`): how many of its shards wait, are
 * in hand, are committed or dead-lettered, and the progress of those in hand.
 */
export async function runStatus(options: { runId: string; connection?: Connection; queue?: string }): Promise<RunStatus> {
  return withQueue(options, `The status of run ${options.runId}`, async (client) => {
    const hash = await client.redis.hgetall(runKey(client.name, options.runId));
    const shards = Number(hash.shards) || 0;
    const states = { waiting: 0, active: 0, completed: 0, failed: 0, gone: 0 };
    let recordsInHand = 0;
    let records = 0;
    for (let shard = 0; shard < shards; shard++) {
      const job = await client.queue.getJob(shardJobId(options.runId, shard));
      if (!job) {
        states.gone++;
        continue;
      }
      records += (job.data as ShardJob).count;
      const state = await job.getState();
      if (state === 'active') {
        states.active++;
        const progress = job.progress as ShardProgress | number | undefined;
        if (typeof progress === 'object' && progress !== null) recordsInHand += progress.done;
      } else if (state === 'completed') states.completed++;
      else if (state === 'failed') states.failed++;
      else if (WAITING.has(state)) states.waiting++;
      else states.gone++;
    }
    if (shards > 0) {
      const plan = hash.plan ? (JSON.parse(hash.plan) as { shards?: number[] }) : undefined;
      if (plan?.shards) records = plan.shards.reduce((a, b) => a + b, 0);
    }
    return {
      runId: options.runId,
      known: shards > 0,
      cancelled: hash.cancelled === '1',
      ...(hash.finished ? { finished: Number(hash.finished), ...(hash.output ? { output: hash.output } : {}) } : {}),
      shards,
      states,
      recordsInHand,
      records,
    };
  });
}
