import fs from 'node:fs';
import path from 'node:path';
import { type EvaluationSummary, FileArtifactStore, readArtifact, summaryProblems } from '@tributary/core';
import { renderHtml, renderText } from '@tributary/core/report';
import { RunFailed, UsageError } from '../errors.js';
import { type GlobalOptions, emit } from '../output.js';

export interface ReportOptions extends GlobalOptions {
  readonly html?: string;
}

/**
 * Checks where a report page is to go before any work starts: a file name (not a folder, not empty)
 * whose folder exists or can be made. Returns the absolute path.
 */
export function reportTarget(file: string, option: string): string {
  if (file.trim() === '') throw new UsageError(`${option} takes a file name, e.g. ${option} report.html`);
  const target = path.resolve(file);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(target, { throwIfNoEntry: false });
  } catch {
    // ENOTDIR: a file stands where a folder of the path should be; said below.
  }
  if (stat?.isDirectory()) throw new UsageError(`${option} takes a file name; ${file} is a folder (try ${path.join(file, 'report.html')}).`);
  // The nearest folder that exists must be a folder we can write in.
  let dir = path.dirname(target);
  while (!fs.existsSync(dir)) dir = path.dirname(dir);
  if (!fs.statSync(dir).isDirectory()) throw new UsageError(`${option} ${file}: ${dir} is a file, so no folder can be made there for the report.`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError(`${option} ${file}: cannot write in ${dir}.`);
  }
  return target;
}

/** Writes a report page (rendered first, so a drawing fault is not taken for a write fault). */
export function writeHtmlReport(target: string, summary: EvaluationSummary): string {
  const html = renderHtml(summary);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, html);
  } catch (error) {
    throw new RunFailed(`cannot write the report to ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return target;
}

/**
 * Writes the page if there is a target, keeping a failure for later: the command prints its results
 * first, then throws `failure`, so a page that cannot be written never hides the figures.
 */
export function writeHtmlReportLater(target: string | undefined, summary: EvaluationSummary | undefined): { written?: string; failure?: unknown } {
  if (!target || !summary) return {};
  try {
    return { written: writeHtmlReport(target, summary) };
  } catch (failure) {
    return { failure };
  }
}

/** `tributary report <artifact>`: a saved model's evaluation as text, JSON, or (`--html FILE`) a page. */
export async function reportCommand(dir: string, options: ReportOptions): Promise<void> {
  const target = options.html === undefined ? undefined : reportTarget(options.html, '--html');
  if (!fs.existsSync(path.resolve(dir))) throw new UsageError(`There is no model at ${dir}. Give the folder a model was saved to (the spec's save, e.g. artifacts/spam-filter).`);
  const { files } = await readArtifact(new FileArtifactStore(), path.resolve(dir));
  const stored = files.get('evaluation.json');
  if (stored === undefined) throw new RunFailed(`${dir} was saved without an evaluation, so it has no report. Evaluate it with: tributary eval ${dir} --data <spec or data> --report report.html`);
  let summary: unknown;
  try {
    summary = JSON.parse(typeof stored === 'string' ? stored : Buffer.from(stored).toString('utf8'));
  } catch (error) {
    throw new RunFailed(`${dir}/evaluation.json is not valid JSON (${(error as Error).message}): the file is damaged. Evaluate the model again: tributary eval ${dir} --data <spec or data> --report report.html`);
  }
  const problems = summaryProblems(summary);
  if (problems.length > 0) {
    throw new RunFailed(`${dir}/evaluation.json is not a report this version of tributary can draw: ${problems.join('; ')}. It was written by another version, or edited. Evaluate the model again: tributary eval ${dir} --data <spec or data> --report report.html`);
  }
  const report = summary as EvaluationSummary;
  const written = target ? writeHtmlReport(target, report) : undefined;
  emit(options, written ? { ...report, html: written } : report, () => (written ? `wrote ${written}` : renderText(report).trimEnd()));
}
