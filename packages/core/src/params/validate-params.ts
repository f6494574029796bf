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

/** Every problem with `params` against `schema`, with a suggestion for misspelt names. */
export function paramProblems(schema: TSchema, params: unknown): ParamProblem[] {
  const known = schema.type === 'object' ? Object.keys((schema as TObject).properties ?? {}) : [];
  const problems: ParamProblem[] = [];
  for (const error of Value.Errors(schema, params)) {
    const param = paramName(error.path);
    const isUnknown = known.length > 0 && !known.includes(param.split('.')[0]!) && param !== '(params)';
    if (isUnknown) {
      const suggestion = closest(param, known);
      problems.push({
        param,
        message: `unknown param '${param}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; known params: ${known.join(', ')}`,
      });
      continue;
    }
    const got = error.value === undefined ? 'nothing' : JSON.stringify(error.value);
    const choices = literalChoices(error.schema);
    if (choices) {
      const suggestion = typeof error.value === 'string' ? closest(error.value, choices.filter((c): c is string => typeof c === 'string')) : undefined;
      problems.push({
        param,
        message: `param '${param}' must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')} (got ${got}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''})`,
      });
      continue;
    }
    problems.push({ param, message: `param '${param}' ${error.message.toLowerCase()} (got ${got})` });
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
