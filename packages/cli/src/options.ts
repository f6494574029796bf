import { UsageError } from './errors.js';

/** The options every command shares. Kept apart from output.ts so that parsing them loads no logger. */
export interface GlobalOptions {
  readonly json?: boolean;
  readonly logLevel?: string;
  readonly verbose?: boolean;
  readonly quiet?: boolean;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** A whole-number option in [min, max], or a usage error naming it; undefined when it was not given. */
export function wholeOption(value: string | undefined, option: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${option} takes a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}, got '${value}'.`);
  }
  return n;
}
