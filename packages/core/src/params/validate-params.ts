import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { TributaryError } from '../errors/tributary-error.js';
import { closest } from './closest.js';

/** One problem with one param, as reported to the user. */
export interface ParamProblem {
  readonly param: string;
  readonly message: string;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The path of a key that could reach Object.prototype (possible in params parsed from JSON). */
function findPrototypeKey(value: unknown, at = ''): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    const here = at ? `${at}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return here;
    const inner = findPrototypeKey((value as Record<string, unknown>)[key], here);
    if (inner) return inner;
  }
  return undefined;
}

/** The allowed values when a schema is a union of literals (an enumeration). */
function literalChoices(schema: TSchema): unknown[] | undefined {
  const options = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!options || !options.every((s) => 'const' in s)) return undefined;
  return options.map((s) => (s as unknown as { const: unknown }).const);
}

function paramName(path: string): string {
  return path.replace(/^\//, '').replaceAll('/', '.') || '(params)';
}

type ValueError = ReturnType<typeof Value.Errors> extends Iterable<infer E> ? E : never;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The values a schema allows when it is a literal or a union of literals. */
function literalValues(schema: TSchema | undefined): unknown[] | undefined {
  if (!schema) return undefined;
  if ('const' in schema) return [(schema as unknown as { const: unknown }).const];
  return literalChoices(schema);
}

/**
 * A union of object schemas told apart by one literal property (`{ type: 'conv2d', … } | { type:
 * 'dense', … }`): the property and, per member, the values it takes.
 */
function discriminator(schema: TSchema): { key: string; members: Array<{ schema: TSchema; values: unknown[] }> } | undefined {
  const options = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!options || options.length < 2 || !options.every((o) => o.type === 'object')) return undefined;
  const first = Object.keys((options[0] as TObject).properties ?? {});
  for (const key of first) {
    const members = options.map((o) => ({ schema: o, values: literalValues((o as TObject).properties?.[key]) }));
    if (members.every((m) => m.values)) return { key, members: members as Array<{ schema: TSchema; values: unknown[] }> };
  }
  return undefined;
}

/** A value as the user wrote it: JSON, except that numbers JSON cannot hold (1e400, NaN) keep their name. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** One TypeBox error as a problem the user can act on. */
function describe(error: ValueError, param: string, what: 'param' | 'field'): ParamProblem[] {
  const union = discriminator(error.schema);
  if (union && isObject(error.value)) {
    const tag = error.value[union.key];
    const member = union.members.find((m) => m.values.includes(tag));
    if (member) return nestedProblems(member.schema, error.value, param);
    const choices = union.members.flatMap((m) => m.values);
    const suggestion = typeof tag === 'string' ? closest(tag, choices.filter((c): c is string => typeof c === 'string')) : undefined;
    return [{
      param: `${param}.${union.key}`,
      message: `field '${param}.${union.key}' must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')} (got ${tag === undefined ? 'nothing' : JSON.stringify(tag)}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''})`,
    }];
  }
  const got = show(error.value);
  const choices = literalChoices(error.schema);
  if (choices) {
    const suggestion = typeof error.value === 'string' ? closest(error.value, choices.filter((c): c is string => typeof c === 'string')) : undefined;
    return [{ param, message: `${what} '${param}' must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')} (got ${got}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''})` }];
  }
  if (error.value === undefined && /required property/i.test(error.message)) return [{ param, message: `${what} '${param}' is missing` }];
  return [{ param, message: `${what} '${param}' ${error.message.toLowerCase()} (got ${got})` }];
}

/** The problems of a value inside a discriminated union, against the member its tag names. */
function nestedProblems(schema: TSchema, value: unknown, prefix: string): ParamProblem[] {
  const known = Object.keys((schema as TObject).properties ?? {});
  const withDefaults = Value.Default(schema, Value.Clone(value));
  const problems: ParamProblem[] = [];
  for (const error of Value.Errors(schema, withDefaults)) {
    const field = paramName(error.path);
    const param = error.path === '' ? prefix : `${prefix}.${field}`;
    if (error.path !== '' && !known.includes(field.split('.')[0]!)) {
      const suggestion = closest(field, known);
      problems.push({ param, message: `unknown field '${param}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; known fields: ${known.join(', ')}` });
      continue;
    }
    // One problem per field: a missing field also fails its type check.
    if (!problems.some((q) => q.param === param)) problems.push(...describe(error, param, 'field'));
  }
  return problems;
}

/** The names an object schema allows, when `error` is about a key that schema does not have. */
function unknownKeyOf(error: ValueError): { key: string; known: string[] } | undefined {
  if (error.path === '' || error.schema.type !== 'object') return undefined;
  const known = Object.keys((error.schema as TObject).properties ?? {});
  const key = error.path.split('/').pop()!;
  return known.length > 0 && !known.includes(key) ? { key, known } : undefined;
}

/** Every problem with `params` against `schema`, with a suggestion for misspelt names. */
export function paramProblems(schema: TSchema, params: unknown): ParamProblem[] {
  const problems: ParamProblem[] = [];
  for (const error of Value.Errors(schema, params)) {
    const param = paramName(error.path);
    const unknown = unknownKeyOf(error);
    if (unknown) {
      const suggestion = closest(unknown.key, unknown.known);
      const [what, list] = param.includes('.') ? ['field', 'known fields'] : ['param', 'known params'];
      problems.push({
        param,
        message: `unknown ${what} '${param}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; ${list}: ${unknown.known.join(', ')}`,
      });
      continue;
    }
    // One problem per param: a missing param also fails its type check.
    if (problems.some((q) => q.param === param && / is missing$/.test(q.message))) continue;
    problems.push(...describe(error, param, 'param'));
  }
  // TypeBox reports an unknown key once per failing keyword; keep one line per problem.
  return problems.filter((p, i) => problems.findIndex((q) => q.message === p.message) === i);
}

/**
 * Fills defaults and checks `params` against the stage's schema, throwing one INVALID_PARAMS error
 * that lists every problem at once (the first one's param in `error.param`).
 */
export function validateParams<S extends TSchema>(kind: string, schema: S, params: unknown): Static<S> {
  const polluted = findPrototypeKey(params);
  if (polluted) {
    throw new TributaryError('INVALID_PARAMS', { stage: kind, param: polluted, message: `Stage '${kind}' has a param named '${polluted}', which is never a valid param name. Remove it.` });
  }
  const withDefaults = Value.Default(schema, Value.Clone(params ?? {}));
  const problems = paramProblems(schema, withDefaults);
  if (problems.length > 0) {
    throw new TributaryError('INVALID_PARAMS', {
      stage: kind,
      param: problems[0]!.param,
      message: `Stage '${kind}' has invalid params: ${problems.map((p) => p.message).join('; ')}. Fix the stage's params and run again.`,
      details: { problems },
    });
  }
  return withDefaults as Static<S>;
}

/** The params a schema gives when none are passed: every default filled in (required params without one stay absent). */
export function paramDefaults(schema: TSchema): Record<string, unknown> {
  return Value.Default(schema, {}) as Record<string, unknown>;
}
