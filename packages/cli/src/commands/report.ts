import fs from 'node:fs';
import path from 'node:path';
import { type EvaluationSummary, FileArtifactStore, readArtifact } from '@tributary/core';
import { renderHtml, renderText } from '@tributary/core/report';
import { RunFailed, UsageError } from '../errors.js';
import { type GlobalOptions, emit } from '../output.js';

export interface ReportOptions extends GlobalOptions {
  readonly html?: string;
}

/** Writes a report page, saying where; a folder or an unwritable place is a usage error with the reason. */
export function writeHtmlReport(file: string, summary: EvaluationSummary): string {
  const target = path.resolve(file);
  if (fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--report/--html takes a file name; ${file} is a folder (try ${path.join(file, 'report.html')}).`);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, renderHtml(summary));
  } catch (error) {
    throw new UsageError(`cannot write the report to ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return target;
}

/** `tributary report <artifact>`: a saved model's evaluation as text, JSON, or (`--html FILE`) a page. */
export async function reportCommand(dir: string, options: ReportOptions): Promise<void> {
  if (!fs.existsSync(path.resolve(dir))) throw new UsageError(`There is no model at ${dir}. Give the folder a model was saved to (the spec's save, e.g. artifacts/spam-filter).`);
  const { files } = await readArtifact(new FileArtifactStore(), path.resolve(dir));
  const stored = files.get('evaluation.json');
  if (stored === undefined) throw new RunFailed(`${dir} was saved without an evaluation, so it has no report. Evaluate it with: tributary eval ${dir} --data <spec or data> --report report.html`);
  const summary = JSON.parse(typeof stored === 'string' ? stored : Buffer.from(stored).toString('utf8')) as EvaluationSummary;
  if (summary.format !== 1) throw new RunFailed(`${dir}/evaluation.json is not a report this version of tributary can draw (format ${String(summary.format)}); it was written by an older or newer one. Re-run the evaluation to rewrite it.`);
  const written = options.html ? writeHtmlReport(options.html, summary) : undefined;
  emit(options, written ? { ...summary, html: written } : summary, () => (written ? `wrote ${written}` : renderText(summary).trimEnd()));
}
