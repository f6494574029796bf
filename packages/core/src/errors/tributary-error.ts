/** Every failure Tributary reports has one of these codes; tools can branch on them. */
export const ERROR_CODES = [
  'PLUGIN_MISSING',
  'PLUGIN_INVALID',
  'CORE_VERSION_MISMATCH',
  'DUPLICATE_KIND',
  'UNKNOWN_KIND',
  'RUNTIME_STARTED',
  'INVALID_PARAMS',
  'INVALID_RECORD',
  'INVALID_DATA',
  'INVALID_SCORE',
  'EMPTY_DATASET',
  'SOURCE_CONSUMED',
  'NOT_FITTED',
  'TRAINING_DIVERGED',
  'BACKEND_UNAVAILABLE',
  'UNSUPPORTED_INPUT',
  'UNSUPPORTED_IMAGE',
  'WRITE_FAILED',
  'GATE_FAILED',
  'SOURCE_NOT_FOUND',
  'SOURCE_UNREADABLE',
  'ARTIFACT_NOT_FOUND',
  'ARTIFACT_CORRUPT',
  'ARTIFACT_UNSAFE_PATH',
  'ARTIFACT_VERSION',
  'STAGE_FAILED',
  'DISPOSED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const BRAND: unique symbol = Symbol.for('@tributary/core/TributaryError') as never;

export interface TributaryErrorOptions {
  /** What went wrong and what to do next, in one paragraph. */
  readonly message: string;
  /** The stage kind the failure belongs to, when there is one. */
  readonly stage?: string;
  /** The id of the record that caused it, when there is one. */
  readonly recordId?: string | number;
  /** The parameter at fault, for INVALID_PARAMS. */
  readonly param?: string;
  /** Extra machine-readable facts (the expected range, the closest known kind, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** The one error type of Tributary: a closed `code`, the stage and record at fault, and the cause. */
export class TributaryError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly stage: string | undefined;
  readonly recordId: string | number | undefined;
  readonly param: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, options: TributaryErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TributaryError';
    this.code = code;
    this.stage = options.stage;
    this.recordId = options.recordId;
    this.param = options.param;
    this.details = options.details ?? {};
  }

  /** A plain object for logs, reports and dead-letter files (no stack, no cause chain). */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.stage === undefined ? {} : { stage: this.stage }),
      ...(this.recordId === undefined ? {} : { recordId: this.recordId }),
      ...(this.param === undefined ? {} : { param: this.param }),
      ...(Object.keys(this.details).length === 0 ? {} : { details: this.details }),
    };
  }
}

/** True for a TributaryError from any copy of the core package (optionally of one code). */
export function isTributaryError(value: unknown, code?: ErrorCode): value is TributaryError {
  if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (value as TributaryError).code === code;
}

/**
 * Wraps anything thrown by library code into a TributaryError of the given code, keeping the
 * original as `cause`; an error that already is a TributaryError passes through unchanged.
 */
export function toTributaryError(
  error: unknown,
  code: ErrorCode,
  context: Omit<TributaryErrorOptions, 'message' | 'cause'> & { readonly message?: string } = {},
): TributaryError {
  if (isTributaryError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new TributaryError(code, {
    ...context,
    message: context.message ? `${context.message}: ${reason}` : reason,
    cause: error,
  });
}
