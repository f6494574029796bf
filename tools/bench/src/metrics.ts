// All binary metrics (confusion, accuracy, precision, recall, F1, ROC-AUC, average precision, the
// threshold sweep, log loss) over 1,000,000 predictions, plus regression metrics over as many pairs.
import { binaryClassificationMetrics, createRandom, evaluateBinaryClassifier, regressionMetrics, summarizeEvaluation } from '@tributary/core';
import { renderHtml, renderText } from '@tributary/core/report';
import { emit, median } from './emit.js';
import { identityModel } from './identity.js';

const N = 1_000_000;
const TARGET_MS = 1000;
const random = createRandom(7);
const labels = new Uint8Array(N);
const scores = new Float64Array(N);
for (let i = 0; i < N; i++) {
  labels[i] = random.next() < 0.3 ? 1 : 0;
  // Informative but imperfect scores, rounded to 3 decimals so there are many ties.
  scores[i] = Math.round(Math.min(1, Math.max(0, (labels[i] ? 0.65 : 0.35) + 0.25 * (random.next() - 0.5) * 2)) * 1000) / 1000;
}
const actual = Float64Array.from(scores, (s) => s * 10);
const predicted = Float64Array.from(actual, (y, i) => y + (labels[i]! - 0.3));

const binaryMs: number[] = [];
const regressionMs: number[] = [];
let auc: number | null = null;
for (let round = 0; round < 5; round++) {
  let t = performance.now();
  auc = binaryClassificationMetrics(labels, scores).rocAuc;
  binaryMs.push(performance.now() - t);
  t = performance.now();
  regressionMetrics(actual, predicted);
  regressionMs.push(performance.now() - t);
}
// The evaluator end to end over the same predictions: a pipeline of no stage passes each record's
// score through, so this is the cost of the scoring loop, the metrics and the report on top of them.
const model = await identityModel();
const records = Array.from(labels, (label, i) => ({ id: i, label, score: scores[i]! }));
let t = performance.now();
const report = await evaluateBinaryClassifier(model, records, { batchSize: 4096, latencySample: 0 });
const evaluatorMs = performance.now() - t;
t = performance.now();
const summary = summarizeEvaluation(report);
const html = renderHtml(summary);
renderText(summary);
const renderMs = performance.now() - t;

emit({
  bench: 'metrics',
  evaluatorMs: Math.round(evaluatorMs),
  renderMs: Math.round(renderMs),
  reportHtmlKB: Math.round(Buffer.byteLength(html) / 1024),
  predictions: N,
  binaryAllMetricsMs: Math.round(median(binaryMs)),
  binaryRoundsMs: binaryMs.map(Math.round),
  regressionMs: Math.round(median(regressionMs)),
  rocAuc: auc,
  targetMs: TARGET_MS,
  pass: median(binaryMs) < TARGET_MS,
});
