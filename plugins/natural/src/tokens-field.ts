import { type DataRecord, type StageContext, TributaryError } from '@tributary/core';

/** The token list of a record, or undefined after rejecting the record when the field holds something else. */
export function readTokens(record: DataRecord, field: string, kind: string, ctx: StageContext): string[] | undefined {
  const tokens = record[field];
  if (Array.isArray(tokens) && tokens.every((t) => typeof t === 'string')) return tokens as string[];
  ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: kind, message: `Field '${field}' is not a list of tokens; put a tokenize stage before this one.` }));
  return undefined;
}
