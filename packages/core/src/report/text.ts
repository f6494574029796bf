import type { EvaluationSummary } from '../evaluation/summary.js';
import { type Section, isNumericCell, reportSections } from './sections.js';

const BLANK = /^(-|n\/a|)$/;

/** Aligns rows (the first is the head) into columns two spaces apart; a column of numbers is right-aligned, head included. */
export function textTable(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const body = rows.slice(1);
  const right = widths.map((_, c) => body.some((r) => isNumericCell(r[c] ?? '')) && body.every((r) => isNumericCell(r[c] ?? '') || BLANK.test(r[c] ?? '')));
  return rows.map((r) => r.map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

function section(s: Section): string {
  const parts = [s.title, '-'.repeat(s.title.length)];
  for (const block of s.blocks) {
    if (block.type === 'lines') parts.push(...block.lines);
    else parts.push(...(block.caption ? [block.caption] : []), textTable([block.head, ...block.rows]));
    parts.push('');
  }
  return parts.join('\n').trimEnd();
}

/**
 * The report as terminal text: warnings first, then the per-class figures (so a minority class the
 * model never finds is seen before any average), the overall figures, the confusion matrix, stability,
 * the training history, cost, the records' fate and the gate.
 */
export function renderText(summary: EvaluationSummary): string {
  return `${reportSections(summary).map(section).join('\n\n')}\n`;
}
