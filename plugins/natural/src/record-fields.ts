import { type Batch, type DataRecord, type StageContext, TributaryError } from '@tributary/core';

/** Says what is wrong with a field: missing (with the fields the record does have) or of the wrong type. */
export function describe(record: DataRecord, field: string, expected: string): string {
  if (!(field in record)) {
    const fields = Object.keys(record);
    return `The record has no field '${field}' (it has ${fields.length ? fields.map((f) => `'${f}'`).join(', ') : 'no fields'}).`;
  }
  const value = record[field];
  return `Field '${field}' should hold ${expected} but holds ${value === null ? 'null' : Array.isArray(value) ? 'an array of something else' : typeof value}.`;
}

/** `every` skips the holes of a sparse array; a hole is not a token. */
function allStrings(values: unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'string') return false;
  return true;
}

/** The token list of a record, or undefined after rejecting the record when the field holds something else. */
export function readTokens(record: DataRecord, field: string, kind: string, ctx: StageContext): string[] | undefined {
  const tokens = record[field];
  if (Array.isArray(tokens) && allStrings(tokens)) return tokens as string[];
  ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: kind, message: `${describe(record, field, 'a list of tokens')} Put a tokenize stage before this one, or set this stage's input to the field that holds the tokens.` }));
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
      ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: ctx.kind, message: `${describe(record, input, 'text')} Set this stage's input param to the field that holds the text.` }));
      continue;
    }
    out.push(fn(text, record));
  }
  return out;
}
