import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRuntime, isTributaryError, streamLogger } from '@tributary/core';
import { renderText } from '@tributary/core/report';
import { natural } from '@tributary/plugin-natural';
import { tfjs } from '@tributary/plugin-tfjs';
import { loadMailFilter, serveMailFilter, trainMailFilter } from './mail-filter.js';
import { sampleMessages } from './sample-messages.js';

const HELP = `Trains a spam filter whose pipeline mixes official stages with a custom plugin's (@acme/plugin-mail-signals),
saves it, shows that a runtime without the custom plugin refuses it, loads it in a new runtime and serves it.

  --out DIR      where to save the model (default: artifacts/mail-filter; the folder's name is the served name)
  --limit N      use about N messages of the corpus (default: all 6,046)
  --lambda L     how many times worse a blocked legitimate mail is than a spam let through (default 9)
  --port P       the port to serve on for the demonstration (default 0: any free one)
  --help`;

class UsageError extends Error {}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        out: { type: 'string', default: path.join('artifacts', 'mail-filter') },
        limit: { type: 'string' },
        lambda: { type: 'string', default: '9' },
        port: { type: 'string', default: '0' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 20)) throw new UsageError(`--limit takes a whole number of at least 20, got ${values.limit}`);
  const lambda = Number(values.lambda);
  if (!(Number.isFinite(lambda) && lambda > 0)) throw new UsageError(`--lambda takes a number above 0, got ${values.lambda}`);
  const port = Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port takes a port number (0 for any free one), got ${values.port}`);
  // npm runs workspace scripts in the package folder; paths given by the user are relative to where they ran npm.
  const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), values.out!);
  return { help: values.help!, out, limit, lambda, port };
}

async function main(): Promise<void> {
  const { help, out, limit, lambda, port } = options();
  if (help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const say = (line: string) => process.stderr.write(`${line}\n`);

  const { model, evaluation: e, cost, summary } = await trainMailFilter({ out, lambda, ...(limit ? { limit } : {}), logger: streamLogger('info'), progress: say });
  await model.dispose();
  say(`\n${renderText(summary)}`);
  say(`spam cost (λ = ${cost.lambda}): weighted accuracy ${cost.weightedAccuracy?.toFixed(4) ?? 'n/a'}, total cost ratio ${cost.totalCostRatio?.toFixed(2) ?? 'unbounded (no mistake)'}`);
  say(`saved to ${out}`);

  // The artifact holds data only: without the plugin's code, a runtime cannot rebuild its stages.
  const refusal = await createRuntime({ plugins: [natural, tfjs] })
    .load(out)
    .then(() => undefined, (error: unknown) => error);
  if (!isTributaryError(refusal)) throw new Error(`A runtime without @acme/plugin-mail-signals should refuse the model, but it ${refusal ? `failed with ${String(refusal)}` : 'loaded it'}.`);
  // The manifest records which package (and version) built each stage, so the refusal names what to install.
  say(`\nwithout @acme/plugin-mail-signals: ${refusal.code}: ${refusal.message}`);

  const loaded = await loadMailFilter(out);
  const messages = [
    { id: 'built-in ham', raw: sampleMessages.ham },
    { id: 'built-in spam', raw: sampleMessages.spam },
  ];
  const inProcess = await loaded.predict(messages);
  await loaded.dispose();
  say('\nwith it, in a new runtime:');
  for (const r of inProcess) say(`  ${r.prediction === 1 ? 'SPAM' : 'ham '}  ${(r.score as number).toFixed(4)}  ${r.id}  signals ${JSON.stringify(r.signals)}`);

  const server = await serveMailFilter(out, { port });
  let served;
  try {
    const name = path.basename(out);
    const response = await fetch(`${server.url}/v1/models/${name}:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: messages.map((m) => ({ raw: m.raw })) }),
    });
    served = (await response.json()) as { predictions: Array<{ score: number; prediction: number } | null> };
    say(`\nserved at ${server.url}/v1/models/${name}:predict`);
    served.predictions.forEach((p, i) => say(`  ${p ? `${p.prediction === 1 ? 'SPAM' : 'ham '}  ${p.score.toFixed(4)}` : 'rejected'}  ${messages[i]!.id}`));
  } finally {
    await server.close();
  }

  const summaryLine = {
    messages: e.run.input + (model.fitReport?.input ?? 0),
    testRecords: e.testRecords,
    accuracy: e.accuracy,
    precision: e.precision,
    recall: e.recall,
    f1: e.f1,
    rocAuc: e.rocAuc,
    spamCost: cost,
    refusedWithoutPlugin: refusal.code,
    servedEqualsInProcess: served.predictions.every((p, i) => p !== null && p.score === inProcess[i]!.score && p.prediction === inProcess[i]!.prediction),
    artifact: out,
  };
  process.stdout.write(`${JSON.stringify(summaryLine)}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`custom-plugin: ${error.message}\n\n${HELP}\n`);
    process.exitCode = 2;
    return;
  }
  const message = isTributaryError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`custom-plugin failed: ${message}\n`);
  process.exitCode = 1;
});
