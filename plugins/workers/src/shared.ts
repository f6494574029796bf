import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { ERROR_CODES, type ErrorCode, type SegmentSpec, TributaryError } from '@tributary/core';

export type Answer<R> = { result: R; error?: undefined } | { result?: undefined; error: { code: string; message: string } };

/** A worker's answer, or its failure as a TributaryError with the code it had there. */
export function answered<R>(answer: Answer<R>): R {
  if (answer.error) {
    const code = (ERROR_CODES as readonly string[]).includes(answer.error.code) ? (answer.error.code as ErrorCode) : 'STAGE_FAILED';
    throw new TributaryError(code, { message: answer.error.message });
  }
  return answer.result;
}

/**
 * A segment serialised, and named by its content: a later run of the same model finds the segment already
 * built in each worker, with whatever its stages keep warm (a stemmer's memo, a loaded vocabulary).
 */
export function segmentId(segment: SegmentSpec): { bytes: Buffer; id: string } {
  const bytes = v8.serialize(segment);
  return { bytes, id: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The process's Node flags for the workers, less the workspace's source condition: a worker runs plain
 * Node, which loads the packages' built JavaScript, never their TypeScript sources.
 */
export function workerExecArgv(): string[] | undefined {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if ((flag === '--conditions' || flag === '-C') && argv[i + 1] === SOURCE_CONDITION) {
      i++;
      continue;
    }
    if (flag === `--conditions=${SOURCE_CONDITION}` || flag === `-C=${SOURCE_CONDITION}`) continue;
    out.push(flag);
  }
  // Unchanged, the threads inherit the flags as Node passes them (it leaves out the process-wide V8 ones).
  return out.length === argv.length ? undefined : out;
}
const SOURCE_CONDITION = '@tributary/source';
export const threadFlags = (): { execArgv?: string[] } => {
  const execArgv = workerExecArgv();
  return execArgv ? { execArgv } : {};
};

