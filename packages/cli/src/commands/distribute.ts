import fs from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE } from '@tributary/core';
import { UsageError } from '../errors.js';
import { type GlobalOptions, Progress } from '../output.js';
import { importFromProject } from '../project.js';
import { wholeOption } from '../options.js';
import { redisUrl } from './worker.js';

export interface DistributeOptions extends GlobalOptions {
  readonly input?: string;
  readonly output?: string;
  readonly redis?: string;
  readonly queue?: string;
  readonly shardSize?: string;
  readonly attempts?: string;
  readonly runId?: string;
}

type BullmqModule = typeof import('@tributary/plugin-bullmq');

/**
 * `tributary distribute <model> --input FILE --output FILE`: batch inference in shards on a Redis queue, taken by
 * `tributary worker` processes on any hosts that see the same files; every record exactly once in the output.
 */
export async function distributeCommand(model: string, options: DistributeOptions): Promise<void> {
  const dir = path.resolve(model);
  if (!fs.existsSync(path.join(dir, MANIFEST_FILE))) throw new UsageError(`${model} is not a saved model (no ${MANIFEST_FILE}). Give the folder that \`tributary run\` saved.`);
  if (!options.input || !options.output) throw new UsageError('tributary distribute needs --input (a JSON Lines file) and --output (the JSON Lines file to write).');
  const connection = redisUrl(options.redis);
  const shardSize = wholeOption(options.shardSize, '--shard-size', 1);
  const attempts = wholeOption(options.attempts, '--attempts', 1);
  const bullmq = (await importFromProject('@tributary/plugin-bullmq', process.cwd(), 'tributary distribute')) as BullmqModule;
  const progress = new Progress(options.quiet !== true);
  const task = progress.task('records');
  let totalKnown = false;
  let result;
  try {
    result = await bullmq.runDistributed({
      model: dir,
      input: path.resolve(options.input),
      output: path.resolve(options.output),
      connection,
      ...(options.queue ? { queue: options.queue } : {}),
      ...(shardSize ? { shardSize } : {}),
      ...(attempts ? { attempts } : {}),
      ...(options.runId ? { runId: options.runId } : {}),
      onProgress: (p) => {
        if (!totalKnown) task.total(p.total);
        totalKnown = true;
        task.update(p.records, `${p.shardsDone}/${p.shards} shards`);
      },
    });
  } finally {
    task.stop();
    progress.stop();
  }
  const summary = { runId: result.runId, output: result.output, records: result.records, shards: result.shards, retried: result.retried, seconds: result.seconds };
  process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : `${result.records} records in ${result.shards} shards (${result.retried} run again) in ${result.seconds} s → ${result.output}\n`);
}
