import fs from 'node:fs';
import path from 'node:path';
import { TributaryError } from '../errors/tributary-error.js';
import type { Events } from '../services/events.js';
import type { OnSourceProblem } from '../sources/text-sources.js';
import type { ErrorPolicy } from './execution.js';
import type { RunReport } from './run-report.js';

export interface SourceProblemsOptions {
  /** The run's report: each problem counts as an input record, skipped or dead-lettered. */
  readonly report: RunReport;
  /** The run's policy; under `fail` (the default) there is no handler, so the source throws and the run stops. */
  readonly errorPolicy?: ErrorPolicy;
  /** The run's dead-letter file, for `dead-letter`. */
  readonly deadLetterPath?: string;
  /** Announces each problem as a `record:rejected` event (stage `source`), like a stage's rejections. */
  readonly events?: Events;
}

/**
 * Puts the rows, lines and files a source cannot read (a broken quote, a schema mismatch, bad JSON)
 * under a run's error policy, as `onProblem` for the source: each is counted as an input record that
 * was skipped or dead-lettered (with its file, line, reason and raw text), so the report still adds up
 * (input = output + skipped + dead-lettered). A problem met again on a later pass over the source (a
 * split reads it twice) is counted once. Undefined under `fail`: the source's own error stops the run.
 */
export function sourceProblemsTo(options: SourceProblemsOptions): OnSourceProblem | undefined {
  const policy = options.errorPolicy ?? 'fail';
  if (!['fail', 'skip', 'dead-letter'].includes(policy)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'errorPolicy', message: `errorPolicy must be one of 'fail', 'skip', 'dead-letter'; got ${JSON.stringify(policy)}.` });
  }
  if (policy === 'fail') return undefined;
  if (policy === 'dead-letter') {
    if (!options.deadLetterPath) throw new TributaryError('INVALID_PARAMS', { param: 'deadLetterPath', message: "errorPolicy 'dead-letter' needs deadLetterPath, the JSONL file that receives the rejected records." });
    try {
      fs.mkdirSync(path.dirname(path.resolve(options.deadLetterPath)), { recursive: true });
    } catch (error) {
      throw new TributaryError('INVALID_PARAMS', { param: 'deadLetterPath', message: `Cannot create the folder of the dead-letter file ${options.deadLetterPath} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, cause: error });
    }
  }
  const seen = new Set<string>();
  return (problem) => {
    const recordId = problem.line !== undefined ? `${path.basename(problem.source)}:${problem.line}` : (problem.id ?? problem.source);
    const key = `${problem.source}\0${recordId}`;
    if (seen.has(key)) return;
    seen.add(key);
    options.report.input++;
    options.report.reject('source', recordId, new TributaryError(problem.code, { message: problem.message }), policy);
    options.events?.emit({ type: 'record:rejected', stage: 'source', recordId, code: problem.code, message: problem.message, policy });
    if (policy === 'dead-letter') {
      const entry = { stage: 'source', recordId, code: problem.code, message: problem.message, source: problem.source, ...(problem.line === undefined ? {} : { line: problem.line }), ...(problem.raw === undefined ? {} : { raw: problem.raw }) };
      fs.appendFileSync(options.deadLetterPath!, `${JSON.stringify(entry)}\n`);
    }
  };
}
