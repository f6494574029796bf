/** The options every command shares. Kept apart from output.ts so that parsing them loads no logger. */
export interface GlobalOptions {
  readonly json?: boolean;
  readonly logLevel?: string;
  readonly verbose?: boolean;
  readonly quiet?: boolean;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
