import { nice, ticks } from 'd3-array';
import { shorten } from './sections.js';

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeXml(text: string): string {
  // Control characters are not allowed in XML at all: they become U+FFFD rather than break the SVG.
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}


/** Okabe–Ito colours: told apart by readers with any common colour-vision deficiency. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export interface Axis {
  readonly label: string;
  /** [min, max] of the data; widened to round ticks unless `exact`. */
  readonly domain: readonly [number, number];
  readonly exact?: boolean;
  readonly format?: (value: number) => string;
  /** Where the ticks go, when not at round values (a category per whole number). */
  readonly ticks?: readonly number[];
}

export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly dashed?: boolean;
  readonly colour?: string;
}

const W = 460;
const H = 300;
const M = { top: 28, right: 16, bottom: 48, left: 62 };

const num = (x: number) => (Math.round(x * 100) / 100).toString();
const defaultFormat = (v: number) => (Math.abs(v) >= 1000 ? v.toLocaleString('en-US') : Number(v.toPrecision(4)).toString());

/** A linear scale from a domain to pixels, with its round ticks. */
function scale(axis: Axis, from: number, to: number): { at: (v: number) => number; ticks: number[]; domain: [number, number] } {
  let [lo, hi] = axis.domain;
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  if (!axis.exact) [lo, hi] = nice(lo, hi, 5);
  const at = (v: number) => from + ((v - lo) / (hi - lo)) * (to - from);
  return { at, ticks: axis.ticks ? [...axis.ticks] : ticks(lo, hi, 5), domain: [lo, hi] };
}

/** The frame of a chart: axes with ticks, grid lines and axis labels; `body` draws inside it. */
/** Where a chart's legend sits: the corner its data leaves empty. */
export type LegendCorner = 'top-right' | 'bottom-right' | 'bottom-left';

function frame(id: string, title: string, x: Axis, y: Axis, body: (sx: (v: number) => number, sy: (v: number) => number) => string, legend: readonly Series[] = [], corner: LegendCorner = 'top-right'): string {
  const sx = scale(x, M.left, W - M.right);
  const sy = scale(y, H - M.bottom, M.top);
  const fx = x.format ?? defaultFormat;
  const fy = y.format ?? defaultFormat;
  const xTicks = sx.ticks.map((t) => `<g class="tick"><line x1="${num(sx.at(t))}" x2="${num(sx.at(t))}" y1="${M.top}" y2="${H - M.bottom}" class="grid"/><text x="${num(sx.at(t))}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(fx(t))}</text></g>`).join('');
  const yTicks = sy.ticks.map((t) => `<g class="tick"><line x1="${M.left}" x2="${W - M.right}" y1="${num(sy.at(t))}" y2="${num(sy.at(t))}" class="grid"/><text x="${M.left - 6}" y="${num(sy.at(t) + 4)}" text-anchor="end">${escapeXml(fy(t))}</text></g>`).join('');
  const keys = legend
    .map((s, i) => {
      const colour = s.colour ?? PALETTE[i % PALETTE.length]!;
      const ly = corner === 'top-right' ? M.top + 6 + i * 16 : H - M.bottom - 8 - (legend.length - 1 - i) * 16;
      const lx = corner === 'bottom-left' ? M.left + 10 : W - M.right - 140;
      return `<g class="legend-item"><line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="${lx + 24}" y="${ly + 4}">${escapeXml(s.name)}</text></g>`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-title" class="chart" data-chart="${id}">`,
    `<title id="${id}-title">${escapeXml(title)}</title>`,
    `<text x="${M.left}" y="16" class="chart-title">${escapeXml(title)}</text>`,
    `<g class="axis x-axis">${xTicks}<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" class="domain"/></g>`,
    `<g class="axis y-axis">${yTicks}<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" class="domain"/></g>`,
    `<g class="plot">${body(sx.at, sy.at)}</g>`,
    `<text class="axis-label x-label" x="${num((M.left + W - M.right) / 2)}" y="${H - 10}" text-anchor="middle">${escapeXml(x.label)}</text>`,
    `<text class="axis-label y-label" transform="translate(16 ${num((M.top + H - M.bottom) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(y.label)}</text>`,
    keys ? `<g class="legend">${keys}</g>` : '',
    '</svg>',
  ].join('');
}

const extent = (values: readonly number[]): [number, number] => [Math.min(...values), Math.max(...values)];

/** Lines through points, one per series (the ROC and PR curves, loss per epoch). */
export function lineChart(id: string, title: string, x: Axis, y: Axis, series: readonly Series[], options: { readonly markers?: boolean; readonly legend?: LegendCorner; readonly alwaysLegend?: boolean } = {}): string {
  return frame(
    id,
    title,
    x,
    y,
    (sx, sy) =>
      series
        .map((s, i) => {
          const colour = s.colour ?? PALETTE[i % PALETTE.length]!;
          const d = s.points.map(([px, py], k) => `${k === 0 ? 'M' : 'L'}${num(sx(px))},${num(sy(py))}`).join('');
          const dots = options.markers ? s.points.map(([px, py]) => `<circle cx="${num(sx(px))}" cy="${num(sy(py))}" r="2.5" fill="${colour}"><title>${escapeXml(`${s.name}: ${defaultFormat(py)} at ${defaultFormat(px)}`)}</title></circle>`).join('') : '';
          return `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''} class="series"/>${dots}`;
        })
        .join(''),
    series.length > 1 || options.alwaysLegend ? series : [],
    options.legend,
  );
}

/** Bars of a histogram: each bin from `from` to `to` with its count. */
export function histogramChart(id: string, title: string, xLabel: string, bins: ReadonlyArray<{ from: number; to: number; count: number }>, yLabel = 'count'): string {
  // A single timing makes a bin of no width: give it room, and never let a latency axis run below 0.
  let [from, to] = [bins[0]!.from, bins[bins.length - 1]!.to];
  if (!(to > from)) [from, to] = [Math.max(0, from - Math.max(from * 0.1, 0.001)), to + Math.max(to * 0.1, 0.001)];
  const x: Axis = { label: xLabel, domain: [Math.max(0, from), to], exact: true };
  // Counts are whole numbers: so are the ticks.
  const top = Math.max(1, ...bins.map((b) => b.count));
  const y: Axis = { label: yLabel, domain: [0, top], ticks: ticks(0, nice(0, top, 5)[1], 5).filter(Number.isInteger) };
  return frame(id, title, x, y, (sx, sy) =>
    bins
      .map((b) => {
        const left = b.to > b.from ? sx(b.from) : sx(b.from) - 4;
        const width = b.to > b.from ? Math.max(1, sx(b.to) - left - 1) : 8;
        return `<rect x="${num(left)}" y="${num(sy(b.count))}" width="${num(width)}" height="${num(sy(0) - sy(b.count))}" fill="${PALETTE[0]}" class="bar"><title>${escapeXml(`${b.count} between ${defaultFormat(b.from)} and ${defaultFormat(b.to)}`)}</title></rect>`;
      })
      .join(''),
  );
}

/** A matrix as coloured cells with their counts: rows are the true class, columns the predicted one, shaded by the row's share. */
export function heatMap(id: string, title: string, labels: readonly string[], matrix: readonly (readonly number[])[]): string {
  const n = labels.length;
  // Cells stay large enough to read: the map grows with the classes (up to 30; the report lists more as a table only).
  const size = Math.max(18, Math.min(52, Math.floor(Math.min(W - M.left - M.right - 40, H - M.top - M.bottom) / Math.max(1, n))));
  const width = Math.max(W, M.left + 40 + n * size + M.right);
  const height = M.top + n * size + M.bottom + (labels.some((l) => Array.from(l).length * 6.5 > size) ? 50 : 0);
  const x0 = M.left + 40;
  const y0 = M.top;
  const cells: string[] = [];
  for (let r = 0; r < n; r++) {
    const total = matrix[r]!.reduce((a, b) => a + b, 0);
    for (let c = 0; c < n; c++) {
      const value = matrix[r]![c]!;
      const share = total === 0 ? 0 : value / total;
      // White to the palette's blue, by the share of the row.
      const channel = (from: number, to: number) => Math.round(from + (to - from) * share);
      const fill = `rgb(${channel(255, 0)},${channel(255, 114)},${channel(255, 178)})`;
      const ink = share > 0.5 ? '#fff' : '#111';
      const tip = `true ${labels[r]}, predicted ${labels[c]}: ${value} (${(share * 100).toFixed(1)}% of the row)`;
      cells.push(
        `<rect x="${x0 + c * size}" y="${y0 + r * size}" width="${size - 1}" height="${size - 1}" fill="${fill}" class="cell"><title>${escapeXml(tip)}</title></rect>`,
        n <= 20 ? `<text x="${x0 + c * size + size / 2}" y="${y0 + r * size + size / 2 + 4}" text-anchor="middle" fill="${ink}" class="cell-value">${value}</text>` : '',
      );
    }
  }
  // Short labels as they are; long ones shortened (the full label is in each cell's tooltip), and column labels slanted when they would touch.
  const show = (l: string) => shorten(l, 10);
  const slant = labels.some((l) => Array.from(show(l)).length * 6.5 > size);
  const rows = labels.map((l, r) => `<text x="${x0 - 6}" y="${y0 + r * size + size / 2 + 4}" text-anchor="end"><title>${escapeXml(l)}</title>${escapeXml(show(l))}</text>`).join('');
  const cols = labels
    .map((l, c) => {
      const cx = x0 + c * size + size / 2;
      const cy = y0 + n * size + 14;
      return slant
        ? `<text x="${cx}" y="${cy}" text-anchor="end" transform="rotate(-40 ${cx} ${cy})"><title>${escapeXml(l)}</title>${escapeXml(show(l))}</text>`
        : `<text x="${cx}" y="${cy}" text-anchor="middle"><title>${escapeXml(l)}</title>${escapeXml(show(l))}</text>`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title" class="chart" data-chart="${id}">`,
    `<title id="${id}-title">${escapeXml(title)}</title>`,
    `<text x="${M.left}" y="16" class="chart-title">${escapeXml(title)}</text>`,
    `<g class="axis y-axis">${rows}</g><g class="axis x-axis">${cols}</g><g class="plot">${cells.join('')}</g>`,
    `<text class="axis-label x-label" x="${x0 + (n * size) / 2}" y="${height - 10}" text-anchor="middle">predicted class</text>`,
    `<text class="axis-label y-label" transform="translate(16 ${y0 + (n * size) / 2}) rotate(-90)" text-anchor="middle">true class</text>`,
    '</svg>',
  ].join('');
}

/** Each figure's value on every fold (dots) with its mean ± one standard deviation (a bar): the spread of cross-validation. */
export function spreadChart(id: string, title: string, figures: ReadonlyArray<{ name: string; values: readonly number[]; mean: number; std: number }>, yLabel: string): string {
  const all = figures.flatMap((f) => [...f.values, f.mean - f.std, f.mean + f.std]);
  const [lo, hi] = extent(all);
  const pad = Math.max((hi - lo) * 0.1, 0.005);
  const x: Axis = { label: 'figure', domain: [-0.5, figures.length - 0.5], exact: true, ticks: figures.map((_, i) => i), format: (v) => figures[v]?.name ?? '' };
  // Rates live in [0, 1]: the axis never runs past them.
  const rates = lo >= 0 && hi <= 1;
  const [bottom, top] = nice(lo - pad, hi + pad, 5);
  const y: Axis = { label: yLabel, domain: rates ? [Math.max(0, bottom), Math.min(1, top)] : [bottom, top], exact: true };
  return frame(id, title, x, y, (sx, sy) =>
    figures
      .map((f, i) => {
        const cx = sx(i);
        const colour = PALETTE[i % PALETTE.length]!;
        const bar = `<line x1="${num(cx)}" x2="${num(cx)}" y1="${num(sy(f.mean - f.std))}" y2="${num(sy(f.mean + f.std))}" stroke="${colour}" stroke-width="6" stroke-opacity="0.35" class="std"/>`;
        const mean = `<line x1="${num(cx - 12)}" x2="${num(cx + 12)}" y1="${num(sy(f.mean))}" y2="${num(sy(f.mean))}" stroke="${colour}" stroke-width="2.5" class="mean"><title>${escapeXml(`${f.name}: mean ${f.mean.toFixed(4)} ± ${f.std.toFixed(4)}`)}</title></line>`;
        const dots = f.values.map((v, k) => `<circle cx="${num(cx + ((k % 5) - 2) * 3)}" cy="${num(sy(v))}" r="3" fill="${colour}" class="run"><title>${escapeXml(`${f.name}, fold ${k}: ${v.toFixed(4)}`)}</title></circle>`).join('');
        return bar + mean + dots;
      })
      .join(''),
  );
}
