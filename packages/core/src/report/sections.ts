import { describeGateMiss } from '../evaluation/gate.js';
import type { EvaluationSummary } from '../evaluation/summary.js';

/** Lines of text, or a table (strings already formatted): what both renderings are made of. */
export type Block =
  | { readonly type: 'lines'; readonly lines: readonly string[] }
  | { readonly type: 'table'; readonly caption?: string; readonly head: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> };

export interface Section {
  /** Stable name, for the HTML's anchors and for the plots that belong to the section. */
  readonly id: 'summary' | 'warnings' | 'classes' | 'overall' | 'confusion' | 'stability' | 'history' | 'efficiency' | 'records' | 'gate';
  readonly title: string;
  readonly blocks: readonly Block[];
}

/** A figure to four places; `n/a` for one that is undefined (null), with the reason given elsewhere. */
export const figure = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4));
export const ms = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x < 0.01 ? `${(x * 1000).toFixed(2)} µs` : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(1)} ms`;
const mb = (bytes: number) => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`);
const count = (n: number) => n.toLocaleString('en-US');
/** At most `max` characters (whole code points, so no emoji is cut in half), with an ellipsis when cut. */
export function shorten(text: string, max: number): string {
  const points = Array.from(text);
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : text;
}
/** A class label for a table cell: on one line, and at most 40 characters. */
export const label = (l: string | number) => shorten(String(l).replace(/\s+/g, ' ').replace(/\p{Cc}/gu, '\uFFFD'), 40);

/** A table cell that holds a number (with its unit, if any): right-aligned in both renderings. */
export const isNumericCell = (cell: string): boolean => /^[-+]?(\d[\d,]*(\.\d+)?|\.\d+)(e[-+]?\d+)?( ?(µs|ms|s|B|KB|MB|GB|%|\/s))?$/i.test(cell);
const lines = (...items: Array<string | false | null | undefined>): Block => ({ type: 'lines', lines: items.filter((l): l is string => typeof l === 'string') });
const reasons = (r: Record<string, unknown>) => (Object.keys(r).length ? ` ${JSON.stringify(r)}` : '');
/** Warning counts by stage and code, as "natural:email-text UNDECODABLE_TEXT 146, EMPTY_BODY 20". */
const notes = (w: Record<string, Record<string, number>>) => Object.entries(w).map(([stage, codes]) => `${stage} ${Object.entries(codes).map(([c, n]) => `${c} ${count(n)}`).join(', ')}`).join('; ');

export const TASK_NAMES: Record<EvaluationSummary['task'], string> = { 'binary-classification': 'binary classification', classification: 'classification' };

function overall(s: EvaluationSummary): Block {
  if (s.task === 'binary-classification') {
    const rows: string[][] = [
      ['accuracy', figure(s.accuracy), `always answering the more frequent class gives ${figure(s.baselineAccuracy)}`],
      ['balanced accuracy', figure(s.balancedAccuracy), 'mean recall of the classes present'],
      ['precision', figure(s.precision), `class 1, at threshold ${s.threshold}`],
      ['recall', figure(s.recall), `class 1, at threshold ${s.threshold}`],
      ['F1', figure(s.f1), `class 1, at threshold ${s.threshold}`],
      ['ROC-AUC', figure(s.rocAuc), s.rocAuc === null ? 'undefined with one class' : 'ties count one half'],
      ['PR-AUC', figure(s.prAuc), 'average precision'],
      ['log loss', figure(s.logLoss), s.logLoss === null ? 'not given: the scores are not probabilities' : 'mean binary cross-entropy (natural log)'],
    ];
    if (s.bestThreshold && s.rocAuc !== null) rows.push(['best F1', figure(s.bestThreshold.f1), `at threshold ${Number(s.bestThreshold.threshold.toPrecision(6))}, chosen on this test set (optimistic)`]);
    return { type: 'table', head: ['figure', 'value', 'note'], rows };
  }
  return {
    type: 'table',
    head: ['figure', 'precision', 'recall', 'F1'],
    rows: [
      ['macro (unweighted mean over classes)', figure(s.macro.precision), figure(s.macro.recall), figure(s.macro.f1)],
      ['weighted (by support)', figure(s.weighted.precision), figure(s.weighted.recall), figure(s.weighted.f1)],
      ['micro (pooled; equals accuracy)', figure(s.micro.precision), figure(s.micro.recall), figure(s.micro.f1)],
    ],
  };
}

function confusion(s: EvaluationSummary): Block {
  if (s.task === 'binary-classification') {
    const { tp, fp, tn, fn } = s.confusion;
    return { type: 'table', caption: 'rows: true class; columns: predicted class', head: ['true \\ predicted', '0', '1'], rows: [['0', count(tn), count(fp)], ['1', count(fn), count(tp)]] };
  }
  const { labels, matrix } = s.confusion;
  return { type: 'table', caption: 'rows: true class; columns: predicted class', head: ['true \\ predicted', ...labels.map(label)], rows: matrix.map((row, i) => [label(labels[i]!), ...row.map(count)]) };
}

/** The figures whose spread over folds is shown, in order. */
export const STABLE_FIGURES = ['accuracy', 'balancedAccuracy', 'precision', 'recall', 'f1', 'macroF1', 'rocAuc', 'prAuc', 'logLoss'];
/** How a figure is named for a reader (the JSON keeps its key). */
export const FIGURE_NAMES: Record<string, string> = {
  accuracy: 'accuracy',
  balancedAccuracy: 'balanced accuracy',
  precision: 'precision',
  recall: 'recall',
  f1: 'F1',
  macroF1: 'macro F1',
  rocAuc: 'ROC-AUC',
  prAuc: 'PR-AUC',
  logLoss: 'log loss',
};

function stability(s: EvaluationSummary): Block[] {
  const st = s.stability;
  if (!st) return [lines('No cross-validation in this report (evaluation.crossValidate in a spec, or crossValidate() in code, measures how stable the figures are).')];
  const shown = STABLE_FIGURES.filter((f) => st.spread[f]);
  const unit = st.method === 'k-fold' ? 'fold' : 'seed';
  return [
    {
      type: 'table',
      caption: st.method === 'k-fold' ? `${st.runs.length} folds of the training part (each fitted on the others); the test part above was not used` : `${st.runs.length} runs, one per seed`,
      head: ['figure', 'mean', 'std', 'min', 'max', 'n'],
      rows: shown.map((f) => [FIGURE_NAMES[f] ?? f, figure(st.spread[f]!.mean), figure(st.spread[f]!.std), figure(st.spread[f]!.min), figure(st.spread[f]!.max), String(st.spread[f]!.n)]),
    },
    {
      type: 'table',
      head: [unit, 'train', 'test', ...shown.map((f) => FIGURE_NAMES[f] ?? f)],
      rows: st.runs.map((r) => [String(r.fold ?? r.seed ?? ''), r.trainRecords === undefined ? '-' : count(r.trainRecords), r.testRecords === undefined ? '-' : count(r.testRecords), ...shown.map((f) => figure(r.figures[f]))]),
    },
  ];
}

function history(s: EvaluationSummary): Block[] {
  const stages = Object.entries(s.history).filter(([, epochs]) => epochs.length > 0);
  if (stages.length === 0) return [lines('No training history in this report: it is recorded while a model is fitted in epochs (tributary run keeps it in the saved evaluation.json; an evaluation of a saved model has none).')];
  return stages.map(([kind, epochs]) => {
    const keys = [...new Set(epochs.flatMap((e) => Object.keys(e).filter((k) => k !== 'epoch')))];
    // A key the epoch has but whose value is not a number (NaN, which JSON keeps as null) is a diverged figure, not a missing one.
    const cell = (e: (typeof epochs)[number], k: string) => (!(k in e) ? '-' : typeof e[k] === 'number' && Number.isFinite(e[k]) ? figure(e[k]) : 'NaN');
    return { type: 'table', caption: kind, head: ['epoch', ...keys], rows: epochs.map((e) => [String(e.epoch), ...keys.map((k) => cell(e, k))]) };
  });
}

function efficiency(s: EvaluationSummary): Block[] {
  const e = s.efficiency;
  const blocks: Block[] = [];
  const fitStages = s.fit?.stages ?? [];
  if (fitStages.length > 0) {
    const byIndex = new Map<number, { kind: string; transform: number; fit: number; records: number }>();
    for (const t of fitStages) {
      const row = byIndex.get(t.index) ?? { kind: t.kind, transform: 0, fit: 0, records: 0 };
      row[t.phase] += t.ms;
      row.records = Math.max(row.records, t.records);
      byIndex.set(t.index, row);
    }
    const rows = [...byIndex].sort((a, b) => a[0] - b[0]).map(([i, r]) => [String(i), r.kind, count(r.records), r.transform ? ms(r.transform) : '-', r.fit ? ms(r.fit) : '-', ms(r.transform + r.fit)]);
    blocks.push({ type: 'table', caption: 'fit time per stage', head: ['#', 'stage', 'records', 'transform', 'fit', 'total'], rows });
  }
  const r = e.recordLatencyMs;
  const b = e.batchLatencyMs;
  const rows = [
    ...(r ? [[`one record alone (${r.samples} timed)`, ms(r.p50), ms(r.p95), ms(r.p99), ms(r.max)]] : []),
    [`a batch of up to ${e.batchSize} (${e.latencyHistogram.batch.reduce((a, x) => a + x.count, 0)} timed)`, ms(b.p50), ms(b.p95), ms(b.p99), '-'],
  ];
  blocks.push({ type: 'table', caption: 'inference latency', head: ['latency of', 'p50', 'p95', 'p99', 'max'], rows });
  const memoryNames: Record<string, string> = { tensorBytes: 'tensors held', peakTensorBytes: 'tensors at the peak of a forward pass' };
  const memory = Object.entries(e.stageMemoryBytes).flatMap(([kind, figures]) => Object.entries(figures).map(([name, bytes]) => `${kind}, ${memoryNames[name] ?? name}: ${mb(bytes)}`));
  blocks.push(
    lines(
      `throughput ${Number.isFinite(e.recordsPerSecond) ? (e.recordsPerSecond < 10 ? e.recordsPerSecond.toFixed(2) : count(Math.round(e.recordsPerSecond))) : 'n/a'} records/s in batches (${ms(e.perRecordMs)} per record), ${(e.totalMs / 1000).toFixed(2)} s in all`,
      `peak memory while scoring: ${mb(e.peakRssBytes)} resident`,
      ...memory,
      !r && 'single records were not timed (latencySample 0)',
    ),
  );
  return blocks;
}

function records(s: EvaluationSummary): Block {
  const t = s.test;
  const f = s.fit;
  return lines(
    f && `fit: ${count(f.input)} read, ${count(f.output)} used, ${count(f.skipped)} skipped, ${count(f.deadLettered)} dead-lettered${reasons(f.rejections)}`,
    f && Object.keys(f.warnings).length > 0 && `  kept with warnings: ${notes(f.warnings)}`,
    `test: ${count(t.input)} read, ${count(s.testRecords)} scored, ${count(t.skipped + t.deadLettered)} rejected${reasons(t.rejections)}`,
    Object.keys(t.warnings ?? {}).length > 0 && `  kept with warnings: ${notes(t.warnings)}`,
    ...t.samples.slice(0, 5).map((x) => `  rejected ${JSON.stringify(x.recordId)} (${x.stage}, ${x.code}): ${x.message}`),
  );
}

function gate(s: EvaluationSummary): Block {
  const g = s.gate!;
  const bounds = Object.entries(g.gate).map(([k, v]) => `${k} ${v}`).join(', ');
  if (g.passed) return lines(`passed (${bounds})`);
  return lines(`FAILED (${bounds}):`, ...g.misses.map((m) => `  ${describeGateMiss(m)}`));
}

/** The report's sections in reading order: what a person must see first comes first. */
export function reportSections(s: EvaluationSummary): Section[] {
  const sections: Section[] = [];
  sections.push({
    id: 'summary',
    title: `Evaluation${s.pipeline ? ` of ${s.pipeline}` : ''}: ${TASK_NAMES[s.task]}`,
    blocks: [
      lines(
        `${count(s.testRecords)} test records scored; accuracy ${figure(s.accuracy)}, ${s.task === 'binary-classification' ? `F1 ${figure(s.f1)}, ROC-AUC ${figure(s.rocAuc)}` : `macro F1 ${figure(s.macroF1)} over ${s.classes.filter((c) => c.support > 0).length} classes`}`,
        `created ${s.createdAt}${s.seed !== undefined ? `, seed ${s.seed}` : ''}`,
        s.gate && `gate ${s.gate.passed ? 'passed' : 'FAILED'}`,
      ),
    ],
  });
  if (s.warnings.length > 0) sections.push({ id: 'warnings', title: 'Warnings', blocks: [lines(...s.warnings.map((w) => `! ${w}`))] });
  sections.push({
    id: 'classes',
    title: 'Per class',
    blocks: [{ type: 'table', head: ['class', 'support', 'precision', 'recall', 'F1'], rows: s.classes.map((c) => [label(c.label), count(c.support), figure(c.precision), figure(c.recall), figure(c.f1)]) }],
  });
  sections.push({ id: 'overall', title: 'Overall', blocks: [overall(s)] });
  sections.push({ id: 'confusion', title: 'Confusion matrix', blocks: [confusion(s)] });
  sections.push({ id: 'stability', title: 'Stability', blocks: stability(s) });
  sections.push({ id: 'history', title: 'Training history', blocks: history(s) });
  sections.push({ id: 'efficiency', title: 'Cost', blocks: efficiency(s) });
  sections.push({ id: 'records', title: 'Records', blocks: [records(s)] });
  if (s.gate) sections.push({ id: 'gate', title: 'Gate', blocks: [gate(s)] });
  return sections;
}
