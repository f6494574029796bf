// @tributary/core/report: the evaluation report as terminal text and as one self-contained HTML page.
export { renderText, textTable } from './text.js';
export { renderHtml } from './html.js';
export { reportSections } from './sections.js';
export type { Block, Section } from './sections.js';
export type { EvaluationSummary, StabilitySummary } from '../evaluation/summary.js';
