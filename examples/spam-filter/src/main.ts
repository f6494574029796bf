import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isTributaryError, streamLogger } from '@tributary/core';
import { renderText } from '@tributary/core/report';
import { classify, trainSpamFilter } from './spam-filter.js';

const HELP = `Trains the spam filter on the SpamAssassin corpus, evaluates it, saves it and classifies two messages.

  --out DIR        where to save the model (default: artifacts/spam-filter)
  --limit N        use about N messages of the corpus (default: all 6,046)
  --folds K        cross-validate on the training part first, K folds (default 5; 0 for none)
  --message FILE   a message to classify afterwards (repeatable; default: two built-in ones)
  --no-train       classify with the model already saved at --out instead of training a new one
  --help`;

class UsageError extends Error {}

const HAM = `From: Alice <alice@example.org>
To: team@example.org
Subject: Minutes of Tuesday's build meeting

Hi all, attached are the notes from the meeting. We agreed to move the release
branch cut to Thursday and to look again at the flaky test in the parser module.
Cheers, Alice`;

const SPAM = `From: "Best Deals" <offers@cheap-meds.example>
To: you@example.org
Subject: FREE!!! Claim your $1000 prize now - limited time offer
Content-Type: text/html; charset="iso-8859-1"

<html><body><p>Congratulations! You have been selected to receive a <b>FREE</b> gift card.
Click <a href="http://claim-prize.example/now">here</a> to claim your money now.
No credit card needed! Order today and save 90% on viagra. Unsubscribe here.</p></body></html>`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        out: { type: 'string', default: path.join('artifacts', 'spam-filter') },
        limit: { type: 'string' },
        folds: { type: 'string', default: '5' },
        message: { type: 'string', multiple: true },
        'no-train': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 20)) throw new UsageError(`--limit takes a whole number of at least 20, got ${values.limit}`);
  const folds = Number(values.folds);
  if (!(Number.isInteger(folds) && (folds === 0 || folds >= 2))) throw new UsageError(`--folds takes 0 (no cross-validation) or a whole number of at least 2, got ${values.folds}`);
  // npm runs workspace scripts in the package folder; paths given by the user are relative to where they ran npm.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const out = path.resolve(cwd, values.out!);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  // Read the messages to classify first, so a wrong path fails now rather than after training.
  const messages = values.message?.length
    ? values.message.map((file) => {
        try {
          return { id: file, raw: fs.readFileSync(path.resolve(cwd, file)) };
        } catch (error) {
          throw new UsageError(`cannot read --message ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
      })
    : [
        { id: 'built-in ham', raw: HAM },
        { id: 'built-in spam', raw: SPAM },
      ];
  if (values['no-train']) {
    for (const r of await classify(out, messages)) say(`${r.spam ? 'SPAM' : 'ham '}  ${r.score.toFixed(4)}  ${r.id}`);
    return;
  }
  const started = performance.now();
  const result = await trainSpamFilter({ out, ...(limit ? { limit } : {}), folds, logger: streamLogger('info'), progress: say });
  const { evaluation: e, model } = result;
  const run = model.fitReport!.toJSON();
  say(`\n${renderText(result.summary)}`);
  say(`saved to ${out}; the report page is ${path.join(out, 'report.html')}`);
  await model.dispose();

  for (const r of await classify(out, messages)) say(`${r.spam ? 'SPAM' : 'ham '}  ${r.score.toFixed(4)}  ${r.id}`);
  const summary = {
    messages: result.messages,
    accuracy: e.accuracy,
    precision: e.precision,
    recall: e.recall,
    f1: e.f1,
    rocAuc: e.rocAuc,
    testRecords: e.testRecords,
    ...(result.summary.stability ? { f1AcrossFolds: result.summary.stability.spread.f1 } : {}),
    recordLatencyMs: e.efficiency.recordLatencyMs,
    seconds: (performance.now() - started) / 1000,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    stages: run.stages,
    artifact: out,
    report: path.join(out, 'report.html'),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`spam-filter: ${error.message}\n\n${HELP}\n`);
    process.exitCode = 2;
    return;
  }
  const message = isTributaryError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`spam-filter failed: ${message}\n`);
  process.exitCode = 1;
});
