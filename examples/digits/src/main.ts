import path from 'node:path';
import { parseArgs } from 'node:util';
import { isTributaryError, streamLogger } from '@tributary/core';
import { writeDigitImages } from './collect.js';
import { classifyDigits, trainDigits } from './digits.js';

const HELP = `Writes the mnist package's digits as PNG files, trains a convolutional network on them through the
image stages (decode → greyscale → resize → normalize → toTensor → convClassifier), evaluates it on the
test split, saves it, and classifies PNG files given with --predict.

  --images DIR     where the PNG files are written (default: artifacts/digits/images)
  --out DIR        where the fitted pipeline is saved (default: artifacts/digits/model)
  --epochs N       training epochs (default 10)
  --predict FILE   an image to classify with the saved model (repeatable; white digit on black)
  --no-train       only classify, with the model already saved at --out
  --collect        only write the PNG files (for: tributary run examples/digits/pipeline.yaml)
  --help`;

class UsageError extends Error {}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        images: { type: 'string', default: path.join('artifacts', 'digits', 'images') },
        out: { type: 'string', default: path.join('artifacts', 'digits', 'model') },
        epochs: { type: 'string', default: '10' },
        predict: { type: 'string', multiple: true },
        'no-train': { type: 'boolean', default: false },
        collect: { type: 'boolean', default: false },
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
  const epochs = Number(values.epochs);
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new UsageError(`--epochs takes a whole number ≥ 1, got ${values.epochs}`);
  // npm runs workspace scripts in the package folder; paths given by the user are relative to where they ran npm.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const out = path.resolve(cwd, values.out!);
  const predict = (values.predict ?? []).map((file) => path.resolve(cwd, file));
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let summary: Record<string, unknown> = {};
  if (values.collect) {
    const images = path.resolve(cwd, values.images!);
    const counts = await writeDigitImages(images);
    say(`wrote ${counts.train} training and ${counts.test} test PNGs to ${images}`);
    process.stdout.write(`${JSON.stringify({ ...counts, images })}\n`);
    return;
  }
  if (!values['no-train']) {
    const result = await trainDigits({ images: path.resolve(cwd, values.images!), out, epochs, logger: streamLogger('warn'), progress: say });
    await result.model.dispose();
    summary = { train: result.train, test: result.test, accuracy: result.accuracy, seconds: result.seconds, confusion: result.confusion.matrix, model: out };
  } else if (predict.length === 0) {
    throw new UsageError('--no-train only classifies: give at least one --predict FILE');
  }
  if (predict.length > 0) {
    const { predictions, skipped } = await classifyDigits(out, predict);
    for (const p of predictions) say(`${p.digit}  (p = ${p.probability.toFixed(3)})  ${p.file}`);
    for (const s of skipped) say(`skipped ${s.file}: ${s.code} ${s.message}`);
    summary = { ...summary, predictions, skipped };
    if (predictions.length === 0) process.exitCode = 1;
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${HELP}\n`);
    process.exitCode = 2;
  } else if (isTributaryError(error)) {
    process.stderr.write(`${error.code}: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
});
