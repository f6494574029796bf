import type { EvaluationSummary } from '../evaluation/summary.js';
import { type Block, FIGURE_NAMES, STABLE_FIGURES, type Section, TASK_NAMES, isNumericCell, label, reportSections } from './sections.js';
import { type LegendCorner, type Series, escapeXml, heatMap, histogramChart, lineChart, spreadChart } from './svg.js';

const STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --warn: #9a3412; --warn-bg: #fff7ed; --ok: #166534; --bad: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p { margin: 4px 0; }
.muted { color: var(--muted); }
.warnings { background: var(--warn-bg); border-left: 4px solid var(--warn); padding: 8px 12px; }
.warnings p { color: var(--warn); }
.passed { color: var(--ok); font-weight: 600; }
.failed { color: var(--bad); font-weight: 600; }
table { border-collapse: collapse; margin: 6px 0 12px; }
caption { text-align: left; color: var(--muted); padding-bottom: 2px; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; }
svg.chart { font: 11px system-ui, sans-serif; background: #fff; }
svg .grid { stroke: #eaeef2; }
svg .domain { stroke: #8c959f; }
svg .chart-title { font-size: 13px; font-weight: 600; }
svg .axis-label { font-size: 12px; fill: #24292f; }
svg .tick text, svg .legend text { fill: #57606a; }
`;


function table(block: Extract<Block, { type: 'table' }>): string {
  const head = block.head.map((h) => `<th scope="col">${escapeXml(h)}</th>`).join('');
  const rows = block.rows.map((r) => `<tr>${r.map((cell, c) => (c === 0 ? `<th scope="row">${escapeXml(cell)}</th>` : `<td${isNumericCell(cell) ? ' class="num"' : ''}>${escapeXml(cell)}</td>`)).join('')}</tr>`).join('');
  return `<table>${block.caption ? `<caption>${escapeXml(block.caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function block(b: Block, id: Section['id']): string {
  if (b.type === 'table') return table(b);
  return b.lines
    .map((line) => {
      const text = escapeXml(id === 'warnings' ? line.replace(/^! /, '') : line);
      if (id === 'gate' || id === 'summary') return `<p>${text.replace(/\b(passed|FAILED)\b/, (w) => `<span class="${w === 'passed' ? 'passed' : 'failed'}">${w}</span>`)}</p>`;
      return `<p>${text}</p>`;
    })
    .join('');
}

/** Above this many classes the confusion matrix is a table only: a map of hundreds of cells is neither readable nor small. */
const MAX_HEAT_MAP = 30;

/** The spread chart's names: the report's, with the one too long for its axis abbreviated. */
const SHORT_NAMES: Record<string, string> = { ...FIGURE_NAMES, balancedAccuracy: 'bal. acc.' };

const figureOf = (svg: string, caption?: string) => `<figure>${svg}${caption ? `<figcaption class="muted">${escapeXml(caption)}</figcaption>` : ''}</figure>`;
const unit = (v: number) => Number(v.toFixed(2)).toString();

/** The plots that belong to each section. */
function charts(s: EvaluationSummary, id: Section['id']): string[] {
  switch (id) {
    case 'overall': {
      // With one class the curves are lines along an axis: nothing to read, so none is drawn (the warning says why).
      if (s.task !== 'binary-classification' || s.curve.length < 2 || s.rocAuc === null) return [];
      const roc: Series[] = [
        { name: `model (AUC ${s.rocAuc === null ? 'n/a' : s.rocAuc.toFixed(3)})`, points: s.curve.map((p) => [p.fpr, p.recall] as const) },
        { name: 'chance', points: [[0, 0], [1, 1]], dashed: true, colour: '#8c959f' },
      ];
      const positives = s.support.positive / Math.max(1, s.testRecords);
      const pr: Series[] = [
        { name: `model (AP ${s.prAuc === null ? 'n/a' : s.prAuc.toFixed(3)})`, points: s.curve.slice(1).map((p) => [p.recall, p.precision] as const) },
        { name: 'chance', points: [[0, positives], [1, positives]], dashed: true, colour: '#8c959f' },
      ];
      return [
        figureOf(lineChart('roc', 'ROC curve', { label: 'false positive rate', domain: [0, 1], exact: true, format: unit }, { label: 'true positive rate (recall)', domain: [0, 1], exact: true, format: unit }, roc, { legend: 'bottom-right' })),
        figureOf(lineChart('pr', 'Precision–recall curve', { label: 'recall', domain: [0, 1], exact: true, format: unit }, { label: 'precision', domain: [0, 1], exact: true, format: unit }, pr, { legend: 'bottom-left', markers: s.curve.length < 4 })),
      ];
    }
    case 'confusion': {
      if (s.confusion && 'labels' in s.confusion && s.confusion.labels.length > MAX_HEAT_MAP) return [];
      const m = s.task === 'binary-classification' ? { labels: ['0', '1'], matrix: [[s.confusion.tn, s.confusion.fp], [s.confusion.fn, s.confusion.tp]] } : { labels: s.confusion.labels.map(label), matrix: s.confusion.matrix };
      return [figureOf(heatMap('confusion', 'Confusion matrix', m.labels, m.matrix), 'shaded by the share of each true class (row)')];
    }
    case 'stability': {
      const st = s.stability;
      if (!st) return [];
      // Log loss is on another scale than the rates: it stays in the table.
      const shown = STABLE_FIGURES.filter((f) => f !== 'logLoss' && st.spread[f]);
      const figures = shown.map((f) => ({ name: SHORT_NAMES[f] ?? f, values: st.runs.map((r) => r.figures[f]).filter((v): v is number => v !== undefined), mean: st.spread[f]!.mean, std: st.spread[f]!.std }));
      if (figures.length === 0) return [];
      return [figureOf(spreadChart('stability', `Spread over ${st.runs.length} ${st.method === 'k-fold' ? 'folds' : 'seeds'}`, figures, 'value'), 'dots: each fold (or seed); bar: mean ± one standard deviation; log loss, on another scale, is in the table')];
    }
    case 'history': {
      const out: string[] = [];
      for (const [kind, epochs] of Object.entries(s.history)) {
        if (epochs.length === 0) continue;
        const keys = [...new Set(epochs.flatMap((e) => Object.keys(e).filter((k) => k !== 'epoch')))];
        const series = (names: string[]) =>
          names.map((k): Series => ({ name: k, points: epochs.filter((e) => Number.isFinite(e[k])).map((e) => [e.epoch, e[k]!] as const), dashed: k.startsWith('val_') }));
        const plot = (name: string, title: string, names: string[], legend: LegendCorner) => {
          const lines = series(names).filter((l) => l.points.length > 0);
          if (lines.length === 0) return;
          const values = lines.flatMap((l) => l.points.map((p) => p[1]));
          const epochsSeen = epochs.map((e) => e.epoch);
          out.push(
            figureOf(
              lineChart(`${name}-${out.length}`, `${title}: ${kind}`, { label: 'epoch', domain: [Math.min(...epochsSeen), Math.max(...epochsSeen)], exact: true, ...(epochsSeen.length <= 12 ? { ticks: epochsSeen } : {}) }, { label: title.toLowerCase(), domain: [Math.min(0, ...values), Math.max(...values)] }, lines, { markers: true, legend, alwaysLegend: true }),
            ),
          );
        };
        plot('loss', 'Loss', keys.filter((k) => /loss/.test(k)), 'top-right');
        plot('metric', 'Metrics', keys.filter((k) => !/loss/.test(k)), 'bottom-right');
      }
      return out;
    }
    case 'efficiency': {
      const { record, batch } = s.efficiency.latencyHistogram;
      const out: string[] = [];
      if (record.length > 0) out.push(figureOf(histogramChart('latency-record', 'Latency of one record', 'latency (ms)', record, 'records'), `${s.efficiency.recordLatencyMs?.samples ?? 0} records predicted one at a time`));
      if (batch.length > 0) out.push(figureOf(histogramChart('latency-batch', `Latency of a batch of up to ${s.efficiency.batchSize}`, 'latency (ms)', batch, 'batches')));
      return out;
    }
    default:
      return [];
  }
}

/**
 * The report as one self-contained HTML page: no script, no stylesheet or font to fetch; every plot
 * is inline SVG with labelled axes (ROC and precision–recall curves, the confusion matrix as a heat
 * map, loss and metrics per epoch, latency histograms, the cross-validation spread). Open it from disk.
 */
export function renderHtml(summary: EvaluationSummary, options: { readonly title?: string } = {}): string {
  const title = options.title ?? `${summary.pipeline ?? 'Model'}: ${TASK_NAMES[summary.task]} report`;
  const body = reportSections(summary)
    .map((section, i) => {
      const heading = i === 0 ? `<h1>${escapeXml(title)}</h1>` : `<h2>${escapeXml(section.title)}</h2>`;
      const plots = charts(summary, section.id);
      const content = section.blocks.map((b) => block(b, section.id)).join('');
      return `<section id="${section.id}"${section.id === 'warnings' ? ' class="warnings"' : ''}>${heading}${content}${plots.length ? `<div class="charts">${plots.join('')}</div>` : ''}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<footer class="muted"><p>Written by Tributary from the model's evaluation.json (format ${summary.format}).</p></footer>
</body>
</html>
`;
}
