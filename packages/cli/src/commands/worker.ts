import { UsageError } from '../errors.js';
import { type GlobalOptions, wholeOption } from '../options.js';
import { loadPlugins } from '../plugins.js';
import { importFromProject } from '../project.js';
import { discoverPlugins } from './plugins.js';

export interface WorkerOptions extends GlobalOptions {
  readonly redis?: string;
  readonly queue?: string;
  readonly concurrency?: string;
  readonly plugin?: string[];
  readonly lockMs?: string;
}

type BullmqModule = typeof import('@tributary/plugin-bullmq');

/** The Redis URL from --redis or TRIBUTARY_REDIS_URL, or a usage error saying how to give one. */
export function redisUrl(option: string | undefined): string {
  const url = option ?? process.env.TRIBUTARY_REDIS_URL;
  if (!url) throw new UsageError('Say where Redis is: --redis redis://[:password@]host:6379 (rediss:// for TLS), or set TRIBUTARY_REDIS_URL.');
  return url;
}

/**
 * `tributary worker`: takes shards of `tributary distribute` runs from a Redis queue until SIGTERM or SIGINT,
 * then finishes the shards in hand and exits. The plugins the models need come from --plugin, or every
 * plugin installed in the project.
 */
export async function workerCommand(options: WorkerOptions): Promise<void> {
  const connection = redisUrl(options.redis);
  const concurrency = wholeOption(options.concurrency, '--concurrency', 1);
  const lockDuration = wholeOption(options.lockMs, '--lock-ms', 1);
  const cwd = process.cwd();
  const bullmq = (await importFromProject('@tributary/plugin-bullmq', cwd, 'tributary worker')) as BullmqModule;
  const names = options.plugin?.length ? options.plugin : discoverPlugins(cwd).filter((name) => name !== '@tributary/plugin-bullmq');
  const { plugins, problems } = await loadPlugins(names, cwd, 'tributary worker');
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const worker = await bullmq.startWorker({
    connection,
    plugins,
    ...(options.queue ? { queue: options.queue } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(lockDuration ? { lockDuration, stalledInterval: lockDuration } : {}),
  });
  if (!options.quiet) {
    process.stderr.write(`tributary worker: ready on ${bullmq.describeConnection(bullmq.redisOptions(connection))}, queue ${options.queue ?? bullmq.DEFAULT_QUEUE}, plugins ${plugins.map((p) => `${p.name}@${p.version}`).join(', ') || '(none)'}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void worker.close().then(resolve, resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
