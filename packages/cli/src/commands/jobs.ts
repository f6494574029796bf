import { RunFailed, UsageError } from '../errors.js';
import { type GlobalOptions, emit } from '../output.js';
import { importFromProject } from '../project.js';
import { redisUrl } from './worker.js';

export interface JobsOptions extends GlobalOptions {
  readonly redis?: string;
  readonly queue?: string;
  readonly runId?: string;
}

type BullmqModule = typeof import('@tributary/plugin-bullmq');

async function bullmq(command: string): Promise<BullmqModule> {
  return (await importFromProject('@tributary/plugin-bullmq', process.cwd(), `tributary jobs ${command}`)) as BullmqModule;
}

const target = (options: JobsOptions) => ({ connection: redisUrl(options.redis), ...(options.queue ? { queue: options.queue } : {}) });

/** `tributary jobs status <runId>`: how many shards of a `distribute` run wait, are in hand, committed or dead-lettered. */
export async function jobsStatusCommand(runId: string, options: JobsOptions): Promise<void> {
  const status = await (await bullmq('status')).runStatus({ runId, ...target(options) });
  if (!status.known) throw new RunFailed(`Redis knows no run ${runId} on queue ${options.queue ?? 'tributary'} (never started there, or ended more than a week ago). Check --run-id, --queue and --redis.`);
  const { waiting, active, completed, failed, gone } = status.states;
  emit(options, status, () =>
    [
      `run ${runId}${status.cancelled ? ' (cancelled)' : status.finished ? ` (finished ${new Date(status.finished).toISOString()} → ${status.output ?? '?'})` : ''}: ${status.shards} shards, ${status.records} records`,
      `  waiting ${waiting}, in hand ${active} (${status.recordsInHand} records done), committed ${completed}, dead-lettered ${failed}, joined or removed ${gone}`,
    ].join('\n'),
  );
}

/** `tributary jobs cancel <runId>`: the run's waiting shards leave the queue; workers stop its shards in hand; `distribute` fails as cancelled. */
export async function jobsCancelCommand(runId: string, options: JobsOptions): Promise<void> {
  const { removed } = await (await bullmq('cancel')).cancel({ runId, ...target(options) });
  emit(options, { runId, cancelled: true, removed }, () => `run ${runId} cancelled: ${removed} waiting shard(s) taken off the queue; shards in a worker's hands stop without writing`);
}

/** `tributary jobs dead-letters [--run-id ID]`: shards that failed all their attempts, newest first, with why. */
export async function jobsDeadLettersCommand(options: JobsOptions): Promise<void> {
  if (options.runId !== undefined && options.runId.trim() === '') throw new UsageError('--run-id names a run; give its id, or leave the option out to list every run.');
  const letters = await (await bullmq('dead-letters')).deadLetters({ ...target(options), ...(options.runId ? { runId: options.runId } : {}) });
  emit(options, letters, () =>
    letters.length === 0
      ? 'no dead-lettered shards'
      : letters.map((d) => `${d.runId} shard ${d.shard} (records ${d.first}–${d.first + d.count - 1} of ${d.input}), ${d.attempts} attempt(s)${d.failedAt ? `, last ${new Date(d.failedAt).toISOString()}` : ''}: ${d.reason}`).join('\n'),
  );
}
