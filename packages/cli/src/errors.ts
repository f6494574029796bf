/** Exit codes of the `tributary` command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * A mistake of the user's (a bad flag, a spec that does not validate, a missing file or plugin):
 * printed as a paragraph, without a stack trace, and the command exits with 2.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    /** Extra lines (one per problem) printed under the message. */
    readonly problems: readonly string[] = [],
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A run that started and did not finish: exit 1. */
export class RunFailed extends Error {
  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'RunFailed';
  }
}

/** Codes of core errors that mean the input the user gave was wrong, not that the run broke. */
const USAGE_CODES = new Set([
  'INVALID_PARAMS',
  'UNKNOWN_KIND',
  'PLUGIN_MISSING',
  'PLUGIN_INVALID',
  'CORE_VERSION_MISMATCH',
  'DUPLICATE_KIND',
  'SOURCE_NOT_FOUND',
  'ARTIFACT_NOT_FOUND',
  'ARTIFACT_VERSION',
]);

interface CodedError {
  readonly code: string;
  readonly message: string;
  readonly stage?: string | undefined;
  readonly recordId?: string | number | undefined;
}

function isCoded(error: unknown): error is CodedError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && (error as { name?: string }).name === 'TributaryError';
}

/** A Node.js system error (a failed file operation): `code` like EACCES, with the call and path. */
interface SystemError {
  readonly code: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly message: string;
}

const SYSTEM_HINTS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied; check the permissions of the file or folder',
  EPERM: 'not permitted; check the permissions of the file or folder',
  ENOENT: 'no such file or folder; check the path',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, where a file was expected',
  ENOSPC: 'the disk is full',
  EMFILE: 'too many open files; raise the limit (ulimit -n) or lower concurrency',
  EROFS: 'the file system is read-only',
};

function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && typeof (error as { syscall?: unknown }).syscall === 'string';
}

/** The exit code for an error that reached the top of a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (isCoded(error) && USAGE_CODES.has(error.code)) return EXIT.usage;
  if (isSystemError(error) && ['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EISDIR'].includes(error.code)) return EXIT.usage;
  return EXIT.failed;
}

/** One paragraph (plus one line per problem) for a person; the stack only when asked for. */
export function formatError(error: unknown, verbose: boolean): string {
  const lines: string[] = [];
  if (error instanceof UsageError) {
    lines.push(`tributary: ${error.message}`);
    for (const problem of error.problems) lines.push(`  - ${problem}`);
  } else if (isCoded(error)) {
    const where = [error.stage ? `stage ${error.stage}` : '', error.recordId !== undefined ? `record ${String(error.recordId)}` : ''].filter(Boolean).join(', ');
    lines.push(`tributary: ${error.code}${where ? ` (${where})` : ''}: ${error.message}`);
  } else if (error instanceof RunFailed) {
    lines.push(`tributary: ${error.message}`);
  } else if (isSystemError(error)) {
    lines.push(`tributary: cannot ${error.syscall}${error.path ? ` ${error.path}` : ''}: ${SYSTEM_HINTS[error.code] ?? error.code}.`);
  } else if (error instanceof RangeError && /Invalid string length|Array buffer allocation failed/.test(error.message)) {
    lines.push('tributary: a value in the input is too large to hold in memory (a line or file of hundreds of megabytes). Split it, or leave it out.');
  } else {
    lines.push(`tributary: unexpected failure: ${error instanceof Error ? error.message : String(error)}. Run again with --verbose for the stack trace, and report it if it persists.`);
  }
  if (verbose && error instanceof Error && error.stack) {
    lines.push('', error.stack);
    let cause = (error as { cause?: unknown }).cause;
    while (cause instanceof Error) {
      lines.push(`caused by: ${cause.stack ?? cause.message}`);
      cause = (cause as { cause?: unknown }).cause;
    }
  }
  return `${lines.join('\n')}\n`;
}
