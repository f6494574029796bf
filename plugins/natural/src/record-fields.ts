import { type Batch, type DataRecord, type StageContext, TributaryError } from '@tributary/core';

/** The token list of a record, or undefined after rejecting the record when the field holds something else. */
export function readTokens(record: DataRecord, field: string, kind: string, ctx: StageContext): string[] | undefined {
  const tokens = record[field];
  if (Array.isArray(tokens) && tokens.every((t) => typeof t === 'string')) return tokens as string[];
  ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: kind, message: `Field '${field}' is not a list of tokens; put a tokenize stage before this one.` }));
  return undefined;
}

/** Writes `fn(tokens)` to `output` for every record whose `input` is a token list; rejects the others. */
export function mapTokens(batch: Batch, ctx: StageContext, input: string, output: string, fn: (tokens: string[]) => unknown): Batch {
  const out: Batch = [];
  for (const record of batch) {
    const tokens = readTokens(record, input, ctx.kind, ctx);
    if (tokens) out.push({ ...record, [output]: fn(tokens) });
  }
  return out;
}

/** Calls `fn` for every record whose `input` is a string and keeps what it returns; rejects the others. */
export function mapText(batch: Batch, ctx: StageContext, input: string, fn: (text: string, record: DataRecord) => DataRecord): Batch {
  const out: Batch = [];
  for (const record of batch) {
    const text = record[input];
    if (typeof text !== 'string') {
      ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: ctx.kind, message: `Field '${input}' is not text (got ${text === null ? 'null' : typeof text}).` }));
      continue;
    }
    out.push(fn(text, record));
  }
  return out;
}
