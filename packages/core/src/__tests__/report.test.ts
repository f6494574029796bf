import { type Batch, STAGE_PARAMS, type Stage, Type, createRuntime, crossValidate, definePlugin, defineStage, evaluateBinaryClassifier, evaluateClassifier, inject, injectable, stageSpec, summarizeEvaluation, summaryProblems } from '@tributary/core';
import { renderHtml, renderText, textTable } from '@tributary/core/report';
import { describe, expect, it } from 'vitest';
import { scale, toyPlugin } from './fixtures/toy-plugin.js';

/** Copies `guess` to `prediction` whatever it holds: a classifier of named classes. */
@injectable()
class CopyGuess implements Stage {
  readonly kind = 'report-test:copy';
  constructor(@inject(STAGE_PARAMS) readonly params: object) {}
  transform(batch: Batch): Batch {
    return batch.map((r) => ({ ...r, prediction: r.guess }));
  }
}
const copyPlugin = definePlugin({
  name: 'report-test',
  version: '1.0.0',
  core: '^0.1.0',
  stages: [defineStage({ kind: 'report-test:copy', description: 'copy guess', params: Type.Object({}), fields: () => ({ reads: ['guess'], writes: ['prediction'] }), implementation: CopyGuess })],
});

const runtime = () => createRuntime({ plugins: [toyPlugin(), copyPlugin] });
const copyTo = (output: string, input = 'x') => runtime().pipeline([scale({ input, output, factor: 1 })]);
/** The SVG charts of a page, by their data-chart name. */
const charts = (html: string) => [...html.matchAll(/<svg[^>]*data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)].map((m) => ({ name: m[1]!, body: m[2]! }));

describe('textTable', () => {
  it('pads columns two spaces apart and right-aligns a column of numbers, head included', () => {
    expect(textTable([['a', 'n'], ['x', '5'], ['yy', '10']])).toBe('a    n\nx    5\nyy  10');
    // A column with a word in it stays left-aligned; n/a and - count as blanks in a numeric column.
    expect(textTable([['k', 'v', 'w'], ['a', '1.5', 'n/a'], ['b', 'x', '2']])).toBe('k  v      w\na  1.5  n/a\nb  x      2');
  });
});

describe('the report of an imbalanced test set (95/5)', () => {
  it('shows the per-class figures and a warning before any overall figure: accuracy 0.95, minority recall 0', async () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ id: i, label: i < 95 ? 0 : 1, x: 0.2 }));
    const e = await evaluateBinaryClassifier(await copyTo('score').fit([]), records);
    const summary = summarizeEvaluation(e);
    expect(summary.warnings).toEqual([
      'Class 1 (5 of 100 test records) is never found: its recall is 0, whatever the accuracy says.',
      'Accuracy 0.9500 is no better than always answering the more frequent class (0.9500); read the per-class figures and the balanced accuracy (0.5000).',
    ]);
    const text = renderText(summary);
    const at = (s: string) => text.indexOf(s);
    expect(at('Warnings')).toBeGreaterThan(0);
    expect(at('Warnings')).toBeLessThan(at('Per class'));
    expect(at('Per class')).toBeLessThan(at('Overall'));
    // Class 1: 5 records, never predicted (precision undefined), none found.
    expect(text).toMatch(/^\s*1\s+5\s+n\/a\s+0\.0000\s+n\/a$/m);
    expect(text).toMatch(/^\s*0\s+95\s+0\.9500\s+1\.0000\s+0\.9744$/m);
    const html = renderHtml(summary);
    expect(html.indexOf('id="warnings"')).toBeLessThan(html.indexOf('id="classes"'));
    expect(html.indexOf('id="classes"')).toBeLessThan(html.indexOf('id="overall"'));
  });
});

describe('renderHtml', () => {
  const noisy = () => {
    // Scores that overlap between the classes, so every curve has many points.
    let seed = 7;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    return Array.from({ length: 300 }, (_, i) => ({ id: `r${i}`, label: i % 4 === 0 ? 1 : 0, x: Math.min(1, Math.max(0, (i % 4 === 0 ? 0.62 : 0.38) + (next() - 0.5) * 0.7)) }));
  };

  it('draws every plot of a binary report as inline SVG with both axes labelled, and needs nothing from the network', async () => {
    const records = noisy();
    const pipeline = copyTo('score');
    const e = await evaluateBinaryClassifier(await pipeline.fit([]), records, { batchSize: 10, latencySample: 40 });
    const stability = await crossValidate(pipeline, records, { folds: 3, seed: 1, stratifyBy: 'label' });
    const history = { 'toy:net': [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch, acc: 1 - 0.3 / epoch, val_loss: 1.2 / epoch })) };
    const html = renderHtml(summarizeEvaluation(e, { pipeline: 'toy', stability, history }));
    expect(charts(html).map((c) => c.name)).toEqual(['roc', 'pr', 'confusion', 'stability', 'loss-0', 'metric-1', 'latency-record', 'latency-batch']);
    for (const chart of charts(html)) {
      expect(chart.body, chart.name).toMatch(/class="axis-label x-label"[^>]*>[^<]+</);
      expect(chart.body, chart.name).toMatch(/class="axis-label y-label"[^>]*>[^<]+</);
      expect(chart.body, chart.name).toMatch(/<(path|rect|circle)\b/);
    }
    // Self-contained: no script, no fetched stylesheet, image or font.
    expect(html).not.toMatch(/<script|<link|\b(src|href)=|url\(/i);
    // The ROC curve has a point per distinct threshold kept (up to 200) and runs from (0,0) to (1,1).
    const roc = charts(html)[0]!.body.match(/<path d="([^"]+)"[^>]*class="series"/)![1]!;
    const points = roc.slice(1).split('L');
    expect(points.length).toBe(e.curve.length);
    // The 3 folds' figures are drawn as 3 dots per figure.
    expect(charts(html)[3]!.body.match(/class="run"/g)!.length % 3).toBe(0);
  });

  it('escapes every name that comes from data, and draws an n × n heat map for n classes', async () => {
    const model = await runtime().pipeline([stageSpec<Record<string, unknown>>('report-test:copy')({})]).fit([]);
    const records = [
      { id: 1, label: '<b>', guess: '<b>' },
      { id: 2, label: '<b>', guess: 'a&b' },
      { id: 3, label: 'a&b', guess: 'a&b' },
      { id: 4, label: 'c', guess: 'c' },
    ];
    const e = await evaluateClassifier(model, records);
    const html = renderHtml(summarizeEvaluation(e, { pipeline: '<script>alert(1)</script>' }));
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;b&gt;');
    const names = charts(html).map((c) => c.name);
    expect(names).toEqual(['confusion', 'latency-record', 'latency-batch']);
    expect(charts(html)[0]!.body.match(/class="cell"/g)).toHaveLength(9);
    // Rows are the true class: <b> was once right, once taken for a&b.
    expect(renderText(summarizeEvaluation(e))).toMatch(/^<b>\s+1\s+1\s+0$/m);
  });
});

describe('reportWarnings', () => {
  it("warns when the model's classes and the test set's have none in common (0/1 against names), and when a predicted class never occurs", async () => {
    const model = await runtime().pipeline([stageSpec<Record<string, unknown>>('report-test:copy')({})]).fit([]);
    const e = await evaluateClassifier(model, [{ id: 1, label: 'spam', guess: 1 }, { id: 2, label: 'ham', guess: 0 }]);
    expect(summarizeEvaluation(e).warnings).toEqual([
      'Class "ham" (1 of 2 test records) is never found: its recall is 0, whatever the accuracy says.',
      'Class "spam" (1 of 2 test records) is never found: its recall is 0, whatever the accuracy says.',
      "The test set's classes (ham, spam) and the model's predictions (0, 1) have none in common: are the labels of another kind (0/1 against names)?",
      'Class 0 is predicted but never occurs in the test set: its precision is 0 and no recall can be measured.',
      'Class 1 is predicted but never occurs in the test set: its precision is 0 and no recall can be measured.',
    ]);
  });
});

describe('summarizeEvaluation', () => {
  it('keeps the figures, moves the test counts to `test`, and reduces cross-validation runs to their figures', async () => {
    const records = Array.from({ length: 40 }, (_, i) => ({ id: i, label: i % 2, x: (i % 2) * 0.5 + (i % 7) / 20 }));
    const pipeline = copyTo('score');
    const e = await evaluateBinaryClassifier(await pipeline.fit([]), records);
    const cv = await crossValidate(pipeline, records, { folds: 4, seed: 3, stratifyBy: 'label' });
    const s = summarizeEvaluation(e, { stability: cv, seed: 3, createdAt: new Date('2026-01-02T03:04:05Z') });
    expect(s).toMatchObject({ format: 1, createdAt: '2026-01-02T03:04:05.000Z', task: 'binary-classification', accuracy: e.accuracy, test: e.run, fit: null, seed: 3 });
    expect('run' in s).toBe(false);
    expect(s.stability!.method).toBe('k-fold');
    expect(s.stability!.runs.map((r) => [r.fold, r.testRecords])).toEqual([[0, 10], [1, 10], [2, 10], [3, 10]]);
    expect(s.stability!.runs[0]!.figures.f1).toBe(cv.runs[0]!.report.f1);
    expect(Object.keys(s.stability!.runs[0]!.figures)).not.toContain('curve');
    // The mean of the folds' accuracies, worked out from the folds themselves.
    expect(s.stability!.spread.accuracy!.mean).toBeCloseTo(cv.runs.reduce((a, r) => a + r.report.accuracy, 0) / 4, 12);
  });
});

describe('the report on awkward input', () => {
  const copy = () => copyTo('score').fit([]);
  const copyGuess = () => runtime().pipeline([stageSpec<Record<string, unknown>>('report-test:copy')({})]).fit([]);

  it('scores outside [0, 1] (logits) get no log loss and a warning, not a clipped figure', async () => {
    const records = [{ id: 1, label: 1, x: 3.2 }, { id: 2, label: 0, x: -2.5 }, { id: 3, label: 1, x: 0.7 }];
    const e = await evaluateBinaryClassifier(await copy(), records);
    expect(e.logLoss).toBeNull();
    expect(e.scoreRange).toEqual({ min: -2.5, max: 3.2 });
    expect(summarizeEvaluation(e).warnings[0]).toMatch(/^Scores run from -2\.5 to 3\.2, outside \[0, 1\]: they are not probabilities/);
    expect(renderText(summarizeEvaluation(e))).toMatch(/log loss\s+n\/a\s+not given: the scores are not probabilities/);
  });

  it('a test set of one class draws no ROC or PR curve and says the ranking figures mean nothing', async () => {
    const e = await evaluateBinaryClassifier(await copy(), [{ id: 1, label: 1, x: 0.2 }, { id: 2, label: 1, x: 0.9 }]);
    const summary = summarizeEvaluation(e);
    expect(summary.warnings).toContain('The test set holds one class only: ROC-AUC is undefined, and PR-AUC and the best threshold say nothing about the model. Test on data with both classes.');
    expect(charts(renderHtml(summary)).map((c) => c.name)).toEqual(['confusion', 'latency-record', 'latency-batch']);
    expect(renderText(summary)).not.toMatch(/best F1/);
  });

  it('a loss that became NaN is shown as NaN and warned about as a diverged training', async () => {
    const e = await evaluateBinaryClassifier(await copy(), [{ id: 1, label: 1, x: 0.8 }, { id: 2, label: 0, x: 0.1 }]);
    // JSON keeps NaN as null: both mean the figure was computed and is not a number.
    const history = { 'toy:net': [{ epoch: 1, loss: 0.7 }, { epoch: 2, loss: Number.NaN }, { epoch: 3, loss: null as unknown as number }] };
    const summary = summarizeEvaluation(e, { history });
    expect(summary.warnings).toContain('Training of toy:net diverged: its loss is not a number from epoch 2. Lower the learning rate, or scale the features.');
    expect(renderText(summary)).toMatch(/^\s*2\s+NaN$/m);
  });

  it('one batch gives a latency histogram that starts at 0, never below', async () => {
    const e = await evaluateBinaryClassifier(await copy(), [{ id: 1, label: 1, x: 0.8 }, { id: 2, label: 0, x: 0.1 }]);
    expect(e.efficiency.latencyHistogram.batch).toHaveLength(1);
    const batch = charts(renderHtml(summarizeEvaluation(e))).find((c) => c.name === 'latency-batch')!.body;
    const axis = batch.match(/<g class="axis x-axis">(.*?)<line[^>]*class="domain"/)![1]!;
    const ticks = [...axis.matchAll(/text-anchor="middle">([^<]+)</g)].map((m) => Number(m[1]));
    expect(ticks.length).toBeGreaterThan(1);
    expect(Math.min(...ticks)).toBeGreaterThanOrEqual(0);
    expect(batch).not.toMatch(/width="-/);
  });

  it('labels with control characters, emoji or great length stay valid and readable; above 30 classes the matrix is a table only', async () => {
    const model = await copyGuess();
    const odd = ['bell\u0007', '😀😀😀😀😀😀😀😀😀😀😀😀', 'category_alpha_long_name', 'category_beta_long_name'];
    const e = await evaluateClassifier(model, odd.map((label, i) => ({ id: i, label, guess: label })));
    const html = renderHtml(summarizeEvaluation(e));
    expect(html).not.toContain('\u0007');
    expect(html).toContain('bell\uFFFD');
    // Shortened by whole characters: nine emoji and an ellipsis, no broken surrogate.
    expect(html).toContain(`${'😀'.repeat(9)}…`);
    expect(html).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(renderText(summarizeEvaluation(e)).split('\n').every((line) => !line.includes('\u0007'))).toBe(true);
    const many = Array.from({ length: 60 }, (_, i) => ({ id: i, label: `c${i}`, guess: `c${(i + 1) % 60}` }));
    const big = renderHtml(summarizeEvaluation(await evaluateClassifier(model, many)));
    expect(charts(big).map((c) => c.name)).not.toContain('confusion');
    expect(big).toMatch(/<section id="confusion">.*<table>/s);
  });

  it('summaryProblems names what a hand-edited or foreign evaluation.json lacks', async () => {
    const e = await evaluateBinaryClassifier(await copy(), [{ id: 1, label: 1, x: 0.8 }, { id: 2, label: 0, x: 0.1 }]);
    const good = JSON.parse(JSON.stringify(summarizeEvaluation(e)));
    expect(summaryProblems(good)).toEqual([]);
    const { efficiency: _e, classes: _c, ...broken } = good;
    expect(summaryProblems(broken)).toEqual(['classes is missing', 'efficiency is missing']);
    expect(summaryProblems({ ...good, format: '1' })).toEqual(['its format is "1", not 1']);
    expect(summaryProblems({ ...good, task: 'regression' })).toEqual(['task is "regression", not binary-classification or classification']);
    expect(summaryProblems(null)).toEqual(['it is null, not an object']);
  });
});
