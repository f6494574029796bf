import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { DataRecord } from '../record/record.js';

/**
 * Why a record does not match a schema, naming the first field at fault and its value (`'temperature':
 * Expected number (got "warm")`), or undefined when it matches. `what` names a missing value (a CSV's
 * empty cell).
 */
export function schemaMismatch(schema: TSchema, record: DataRecord, what = 'the field is missing'): string | undefined {
  if (Value.Check(schema, record)) return undefined;
  const first = Value.Errors(schema, record).First();
  const at = first?.path ? first.path.slice(1).replaceAll('/', '.') : '';
  const value = at && !at.includes('.') ? record[at] : undefined;
  const got = at ? (value !== undefined ? ` (got ${JSON.stringify(value)})` : ` (${what})`) : '';
  return `${at ? `'${at}': ` : ''}${first?.message ?? 'does not match the schema'}${got}`;
}
