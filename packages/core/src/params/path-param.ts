import { type StringOptions, type TSchema, type TString, Type } from '@sinclair/typebox';

/** The schema keyword that marks a param as a file-system path. */
export const PATH_PARAM = 'x-tributary-path';

/**
 * A param that names a file or folder. Programs pass paths as they like; tools that read pipelines
 * from files (the CLI's specs) resolve a relative value against the spec's folder, as they do for
 * the spec's own paths, instead of against wherever the command happened to run.
 */
export function pathParam(options: StringOptions = {}): TString {
  return Type.String({ minLength: 1, ...options, [PATH_PARAM]: true });
}

/** The names of the top-level params of an object schema that are paths. */
export function pathParams(schema: TSchema): string[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  return Object.entries(properties)
    .filter(([, s]) => (s as Record<string, unknown>)[PATH_PARAM] === true)
    .map(([name]) => name);
}
