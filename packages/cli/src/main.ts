import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { EXIT, exitCodeOf, formatError } from './errors.js';
import { type GlobalOptions, LOG_LEVELS } from './options.js';

// Only commander is loaded up front: each command imports what it needs (core, plugins) when it runs,
// so `tributary --help` answers at once.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const collect = (value: string, previous: string[] = []) => [...previous, value];

function program(): Command {
  const cli = new Command('tributary')
    .description('Run, evaluate, inspect, predict with and serve Tributary pipelines written as YAML or JSON specs.')
    .version(version, '-V, --version')
    .option('--json', 'print results as JSON on stdout (progress and logs stay on stderr)')
    .addOption(new Option('--log-level <level>', 'structured (pino) logs on stderr at this level').choices(LOG_LEVELS).default('warn'))
    .option('--verbose', 'print stack traces with errors')
    .option('-q, --quiet', 'no progress output')
    .showSuggestionAfterError()
    .showHelpAfterError('(tributary --help lists the commands; tributary <command> --help explains one)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.startsWith('error:') ? `tributary: ${text}` : text) })
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 the run failed (or missed its gate), 2 bad usage, spec or input.

Examples:
  tributary run examples/spam-filter/pipeline.yaml
  tributary run pipeline.yaml --set source.limit=500 --set stages.5.params.epochs=2
  tributary inspect artifacts/spam-filter --mermaid
  echo '{"id":"m1","raw":"Subject: hello"}' | tributary predict artifacts/spam-filter`,
    );

  const globals = (command: Command) => command.optsWithGlobals<GlobalOptions & Record<string, unknown>>();

  cli
    .command('run')
    .description('fit the pipeline of a spec, evaluate it on the held-out part, check its gate and save it')
    .argument('<spec>', 'a pipeline spec (.yaml, .yml or .json)')
    .option('--set <path=value>', 'override a value of the spec (repeatable), e.g. --set source.limit=300', collect)
    .option('--out <dir>', "save the model here instead of the spec's save folder")
    .option('--no-save', 'fit and evaluate, but save nothing')
    .option('--report <file>', 'also write the HTML report here (a saved model keeps one as report.html)')
    .option('--threads <n>', "run the stages that can (e.g. natural's) on a pool of n worker threads (needs @tributary/plugin-workers); same results")
    .option('--executor <kind>', 'where those stages run: threads, processes (@tributary/plugin-workers) or bullmq (`tributary worker` processes on any host, @tributary/plugin-bullmq)')
    .option('--processes <n>', 'with --executor processes: worker processes, default one per core')
    .option('--redis <url>', 'with --executor bullmq: redis://[:password@]host:6379 (rediss:// for TLS); default TRIBUTARY_REDIS_URL')
    .option('--queue <name>', 'with --executor bullmq: the queue the workers listen on, default tributary')
    .action(async (spec: string, _options, command: Command) => (await import('./commands/run.js')).runCommand(spec, globals(command)));

  cli
    .command('check')
    .description('check a spec (format, plugins, stage kinds and params, data paths) without running it')
    .argument('<spec>', 'a pipeline spec')
    .option('--set <path=value>', 'override a value of the spec (repeatable)', collect)
    .action(async (spec: string, _options, command: Command) => (await import('./commands/check.js')).checkCommand(spec, globals(command)));

  cli
    .command('eval')
    .description('score a saved model on data')
    .argument('<artifact>', 'the folder a model was saved to')
    .requiredOption('--data <source>', "a folder of files, a .jsonl or .csv file, or a spec (its source's test part)")
    .option('--part <part>', 'with a spec: test, train or all', 'test')
    .option('--set <path=value>', 'with a spec: override a value of it, as given to run (repeatable)', collect)
    .option('--label <field>', 'the field holding the true class (default label)')
    .option('--score <field>', 'the field the model writes its probability to (default score)')
    .option('--threshold <p>', 'the score from which a record counts as class 1 (default 0.5)')
    .option('--task <task>', 'binary-classification or classification (default: the task the model was evaluated on when saved)')
    .option('--prediction <field>', 'for classification: the field the model writes its class to (default prediction)')
    .option('--report <file>', 'also write the HTML report of this evaluation here')
    .action(async (artifact: string, _options, command: Command) => (await import('./commands/eval.js')).evalCommand(artifact, globals(command) as never));

  cli
    .command('predict')
    .description('run records through a saved model: JSON Lines in (stdin or --input), one JSON line out per record')
    .argument('<artifact>', 'the folder a model was saved to')
    .option('--input <path>', 'read records from a .jsonl or .csv file or a folder of files instead of stdin')
    .option('--fields <list>', "comma-separated fields to print with each id (default: what the last stage writes)")
    .option('--batch-size <n>', 'records per batch', '64')
    .action(async (artifact: string, _options, command: Command) => (await import('./commands/predict.js')).predictCommand(artifact, globals(command)));

  cli
    .command('inspect')
    .description("show a saved model: manifest, versions, metrics, and the pipeline as a Mermaid diagram")
    .argument('<artifact>', 'the folder a model was saved to')
    .option('--mermaid', 'print only the Mermaid diagram')
    .action(async (artifact: string, _options, command: Command) => (await import('./commands/inspect.js')).inspectCommand(artifact, globals(command)));

  cli
    .command('report')
    .description("show a saved model's evaluation report: per-class figures, curves, stability, history and cost")
    .argument('<artifact>', 'the folder a model was saved to')
    .option('--html <file>', 'write the report as one self-contained HTML page with its plots')
    .action(async (artifact: string, _options, command: Command) => (await import('./commands/report.js')).reportCommand(artifact, globals(command)));

  cli
    .command('plugins')
    .description('list the installed plugins: versions, the core range each needs, and their stage kinds')
    .option('--no-load', 'read package.json files only (do not import the plugins)')
    .action(async (_options, command: Command) => (await import('./commands/plugins.js')).pluginsCommand(globals(command)));

  cli
    .command('describe')
    .description("show a stage kind's params (types, defaults, descriptions) and the fields it reads and writes")
    .argument('<kind>', 'a stage kind, e.g. natural:tokenize (tributary plugins lists them)')
    .action(async (kind: string, _options, command: Command) => (await import('./commands/describe.js')).describeCommand(kind, globals(command)));

  cli
    .command('serve')
    .description('serve saved models over HTTP: POST /v1/models/{name}:predict, metrics, health, OpenAPI (needs @tributary/serve)')
    .argument('<dir>', 'a saved model, a folder of them, or models with numbered versions (name/1, name/2)')
    .option('--port <port>', 'port to listen on (0: any free one)', '8501')
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--name <name>', "the model's name when <dir> is one model (default: the folder's name)")
    .option('--max-batch-size <n>', 'records per model call (micro-batching), default 32')
    .option('--max-wait-ms <ms>', 'how long a request waits for others to share its batch, default 0 (the requests already received)')
    .option('--max-queue <n>', 'records waiting per model before requests get 503, default 2048')
    .option('--timeout-ms <ms>', 'answer 503 to a request not done in this time, default 10000')
    .option('--body-limit <bytes>', 'largest request body (413 above), default 1048576')
    .option('--poll-ms <ms>', 'how often to look for new or removed versions, default 2000 (0: never)')
    .option('--token-file <file>', 'bearer tokens, one per line (also TRIBUTARY_TOKENS, comma-separated)')
    .option('--shutdown-timeout-ms <ms>', 'on SIGTERM, how long requests in flight may take before the rest are refused, default 10000')
    .option('--allow-unapproved', 'serve models whose recorded gate has no approval')
    .option('--workers <n>', 'server processes sharing the port, each with the models (use the cores), default 1')
    .action(async (artifact: string, _options, command: Command) => (await import('./commands/serve.js')).serveCommand(artifact, globals(command)));

  cli
    .command('worker')
    .description('take shards of `tributary distribute` runs and batches of `tributary run --executor bullmq` from a Redis queue until SIGTERM (needs @tributary/plugin-bullmq)')
    .option('--redis <url>', 'redis://[:password@]host:6379 (rediss:// for TLS); default TRIBUTARY_REDIS_URL')
    .option('--queue <name>', 'the queue to take shards from, default tributary')
    .option('--concurrency <n>', 'shards worked on at once by this process, default 1')
    .option('--plugin <name>', 'a plugin the models need (repeat it); default every plugin installed in the project', collect)
    .option('--lock-ms <ms>', "how long a shard stays claimed without a sign of life from its worker before another takes it, default 30000")
    .action(async (_options, command: Command) => (await import('./commands/worker.js')).workerCommand(globals(command)));

  cli
    .command('distribute')
    .description('score a JSON Lines file with a saved model in shards on Redis, taken by `tributary worker` processes; each record once')
    .argument('<model>', 'a saved model folder, at the same path for every worker')
    .requiredOption('--input <file>', 'the JSON Lines records to score')
    .requiredOption('--output <file>', 'the JSON Lines file to write: one line per input, in order (id and outputs, or the error)')
    .option('--redis <url>', 'redis://[:password@]host:6379 (rediss:// for TLS); default TRIBUTARY_REDIS_URL')
    .option('--queue <name>', 'the queue the workers listen on, default tributary')
    .option('--shard-size <n>', 'records per shard, default 1000')
    .option('--attempts <n>', 'runs of a failing shard before it is dead-lettered, default 3')
    .option('--run-id <id>', 'name the run; started again under the same id, it keeps the shards already committed')
    .action(async (model: string, _options, command: Command) => (await import('./commands/distribute.js')).distributeCommand(model, globals(command)));

  const jobs = cli.command('jobs').description('the runs of `tributary distribute` on a Redis queue: status, cancel, dead letters (needs @tributary/plugin-bullmq)');
  const redisOptions = (command: Command) =>
    command
      .option('--redis <url>', 'redis://[:password@]host:6379 (rediss:// for TLS); default TRIBUTARY_REDIS_URL')
      .option('--queue <name>', 'the queue of the runs, default tributary');
  redisOptions(jobs.command('status').description("how many of a run's shards wait, are in hand, committed or dead-lettered").argument('<runId>', 'the run, as distribute printed it or --run-id named it')).action(
    async (runId: string, _options, command: Command) => (await import('./commands/jobs.js')).jobsStatusCommand(runId, globals(command)),
  );
  redisOptions(jobs.command('cancel').description("cancel a run: its waiting shards leave the queue, its shards in hand stop without writing").argument('<runId>', 'the run to cancel')).action(
    async (runId: string, _options, command: Command) => (await import('./commands/jobs.js')).jobsCancelCommand(runId, globals(command)),
  );
  redisOptions(jobs.command('dead-letters').description('the shards that failed all their attempts, newest first, with the reason').option('--run-id <id>', 'only this run')).action(
    async (_options, command: Command) => (await import('./commands/jobs.js')).jobsDeadLettersCommand(globals(command)),
  );

  cli
    .command('schema')
    .description('print the JSON Schema of pipeline specs (for editor completion)')
    .action(async () => (await import('./commands/schema.js')).schemaCommand());

  return cli;
}

async function main(argv: readonly string[]): Promise<void> {
  // A reader that stops early (`| head`) closes the pipe: that ends the command, quietly and successfully.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });
  const cli = program();
  try {
    await cli.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answers, not failures; anything else commander rejects is bad usage.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(formatError(error, argv.includes('--verbose')));
    process.exitCode = exitCodeOf(error);
  }
}

await main(process.argv.slice(2));
