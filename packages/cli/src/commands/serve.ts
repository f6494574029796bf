import cluster from 'node:cluster';
import fs from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE, createRuntime } from '@tributary/core';
import { UsageError } from '../errors.js';
import { wholeOption } from '../options.js';
import { type GlobalOptions, createLogger, Progress } from '../output.js';
import { loadPlugins } from '../plugins.js';
import { importFromProject } from '../project.js';

export interface ServeOptions extends GlobalOptions {
  readonly port?: string;
  readonly host?: string;
  readonly name?: string;
  readonly maxBatchSize?: string;
  readonly maxWaitMs?: string;
  readonly maxQueue?: string;
  readonly timeoutMs?: string;
  readonly bodyLimit?: string;
  readonly pollMs?: string;
  readonly shutdownTimeoutMs?: string;
  readonly tokenFile?: string;
  readonly allowUnapproved?: boolean;
  readonly workers?: string;
}

type ServeModule = typeof import('@tributary/serve');

/**
 * `tributary serve <dir>`: the models under a folder behind @tributary/serve's HTTP API, with the
 * plugins their manifests name; stops cleanly on SIGTERM or SIGINT (requests in flight finish).
 */
export async function serveCommand(dir: string, options: ServeOptions): Promise<void> {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`There is no folder at ${dir}. Give a saved model's folder (e.g. artifacts/spam-filter), or a folder of models.`);
  const port = wholeOption(options.port, '--port', 0, 65535);
  const settings = {
    ...(options.host ? { host: options.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(options.name ? { name: options.name } : {}),
    maxBatchSize: wholeOption(options.maxBatchSize, '--max-batch-size', 1, 65536),
    maxWaitMs: wholeOption(options.maxWaitMs, '--max-wait-ms', 0, 10_000),
    maxQueue: wholeOption(options.maxQueue, '--max-queue', 1),
    timeoutMs: wholeOption(options.timeoutMs, '--timeout-ms', 1),
    bodyLimit: wholeOption(options.bodyLimit, '--body-limit', 1),
    pollMs: wholeOption(options.pollMs, '--poll-ms', 0),
    shutdownTimeoutMs: wholeOption(options.shutdownTimeoutMs, '--shutdown-timeout-ms', 0),
    ...(options.tokenFile ? { tokenFile: options.tokenFile } : {}),
    allowUnapproved: options.allowUnapproved === true,
  };
  const workers = wholeOption(options.workers, '--workers', 1, 64) ?? 1;
  const serveModule = (await importFromProject('@tributary/serve', process.cwd(), 'tributary serve')) as ServeModule;
  // The folders the server will load, found by its own reading of the layouts.
  const manifests = serveModule.findModels(root).map((c) => path.join(c.dir, MANIFEST_FILE));
  if (manifests.length === 0) throw new UsageError(`${dir} holds no saved model: no ${MANIFEST_FILE} in it, in its folders, or in numbered versions (name/1, name/2).`);
  const names = new Set<string>();
  for (const file of manifests) {
    try {
      for (const p of (JSON.parse(fs.readFileSync(file, 'utf8')) as { plugins?: Array<{ name?: unknown }> }).plugins ?? []) if (typeof p.name === 'string') names.add(p.name);
    } catch {
      // An unreadable manifest is reported by the server's own load, with the reason.
    }
  }
  if (workers > 1 && cluster.isPrimary) return primary(workers);
  const worker = cluster.isWorker ? cluster.worker!.id : undefined;
  const { plugins, problems } = await loadPlugins([...names], process.cwd(), `The models in ${dir}`);
  if (problems.length > 0) throw new UsageError(`The models in ${dir} were built with plugins that cannot be loaded here:`, problems);
  const progress = new Progress(false);
  const logger = createLogger(options.logLevel ?? 'info', progress);
  const runtime = createRuntime({ plugins, logger });
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const server = await serveModule.serve(root, { ...defined, runtime, logger, ...(worker !== undefined ? { metricLabels: { worker: String(worker) } } : {}) });
  const models = server.registry.names().map((n) => `${n} (versions ${server.registry.versions(n).map((s) => s.version).join(', ')})`);
  const auth = serveModule.readTokens(defined).length > 0 ? 'bearer tokens required on /v1, /metrics and /openapi.json' : 'no auth (give --token-file or TRIBUTARY_TOKENS to require tokens)';
  const banner = `serving ${models.join(', ')} at ${server.url}\n  ${auth}\n  POST ${server.url}/v1/models/${server.registry.names()[0]}:predict  {"instances": [...]}\n`;
  // A worker tells the primary, which says it once for all of them.
  if (worker !== undefined) process.send?.({ type: 'listening', banner });
  else process.stderr.write(banner);
  if (worker === undefined || worker === 1) for (const problem of server.registry.problems) process.stderr.write(`tributary: warning: not served: ${problem.message}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (worker === undefined) process.stderr.write(`${signal}: finishing the requests in flight, then stopping\n`);
      void server.close().then(() => {
        runtime.dispose();
        // A worker's channel to the primary would keep it alive.
        if (worker !== undefined) process.disconnect?.();
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/**
 * `--workers N`: N server processes sharing the port (node:cluster), each with its own copy of the
 * models, so a CPU-bound model uses N cores. A worker that dies is replaced; SIGTERM or SIGINT is passed
 * to every worker, which drains its requests, and the primary exits when all have.
 */
async function primary(count: number): Promise<void> {
  let stopping = false;
  let ready = 0;
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: { type?: string; banner?: string }) => {
      if (message?.type === 'listening' && ++ready === count) process.stderr.write(`${message.banner!.replace(/^serving /, `serving with ${count} workers: `)}`);
    });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`tributary: worker ${worker.id} exited (${signal ?? `code ${code}`}); starting another\n`);
      fork();
    });
  };
  for (let i = 0; i < count; i++) fork();
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      stopping = true;
      process.stderr.write(`${signal}: finishing the requests in flight, then stopping\n`);
      const alive = Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead());
      let left = alive.length;
      if (left === 0) resolve();
      for (const w of alive) {
        w!.once('exit', () => --left === 0 && resolve());
        w!.process.kill(signal);
      }
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
