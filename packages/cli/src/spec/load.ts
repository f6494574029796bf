import fs from 'node:fs';
import path from 'node:path';
import { paramProblems } from '@tributary/core';
import { LineCounter, type Node, isNode, parseDocument, parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';
import { type PipelineSpec, PipelineSpecSchema } from './schema.js';

/** A spec as read from disk: the data, where it came from, and a way to point at a place in it. */
export interface LoadedSpec {
  readonly spec: PipelineSpec;
  readonly file: string;
  readonly dir: string;
  /** The file as the user named it (relative to the working folder). */
  readonly name: string;
  /** Problems of the spec's format, when the caller asked to have them with the others (`deferFormat`). */
  readonly formatProblems: readonly string[];
  /** `pipeline.yaml:12:7` for a path into the spec (`['stages', 2, 'params', 'maxLength']`). */
  where(at: ReadonlyArray<string | number>): string;
}

/** Splits `stages.2.params.maxLength` into path segments (numbers for array indexes). */
export function pathSegments(dotted: string): Array<string | number> {
  return dotted === '' || dotted === '(params)' ? [] : dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `--set stages.5.params.epochs=2`: a value (parsed as YAML; text when it is not YAML) at a dotted path. */
export function parseOverride(text: string): { at: Array<string | number>; value: unknown } {
  const eq = text.indexOf('=');
  const dotted = eq < 0 ? '' : text.slice(0, eq).trim();
  if (eq <= 0 || dotted === '') throw new UsageError(`--set takes path=value, e.g. --set source.limit=300 or --set stages.5.params.epochs=2; got '${text}'.`);
  const at = dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  if (at.some((s) => s === '')) throw new UsageError(`--set ${text}: the path '${dotted}' has an empty part; write it as dotted keys and list indexes, e.g. stages.5.params.epochs.`);
  if (at.some((s) => s === '__proto__' || s === 'constructor' || s === 'prototype')) throw new UsageError(`--set cannot write '${dotted}'.`);
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = parseYaml(raw, { uniqueKeys: true, maxAliasCount: 100 });
  } catch {
    // `@tributary/plugin-natural` or `[draft` is not YAML; the user meant the text.
    value = raw;
  }
  return { at, value };
}

function setAt(target: Record<string, unknown>, at: ReadonlyArray<string | number>, value: unknown, text: string): void {
  let node: unknown = target;
  for (const [i, key] of at.entries()) {
    const here = at.slice(0, i + 1).join('.');
    if (Array.isArray(node)) {
      if (typeof key !== 'number') throw new UsageError(`--set ${text}: '${at.slice(0, i).join('.')}' is a list, so the next part must be an index (0, 1, …), not '${key}'.`);
      if (key > node.length) throw new UsageError(`--set ${text}: '${at.slice(0, i).join('.')}' has ${node.length} items, so index ${key} is past its end (${node.length} adds one).`);
    }
    const container = node as Record<string | number, unknown>;
    if (i === at.length - 1) {
      container[key] = value;
      return;
    }
    if (container[key] === undefined) container[key] = typeof at[i + 1] === 'number' ? [] : {};
    else if (typeof container[key] !== 'object' || container[key] === null) throw new UsageError(`--set ${text}: '${here}' is ${JSON.stringify(container[key])}, not a mapping or list, so nothing can be set inside it.`);
    node = container[key];
  }
}

/** Core's wording is about stage params; in a spec these are keys. */
function describeProblem(message: string): string {
  return message.replace(/^unknown param /, 'unknown key ').replace('; known params: ', '; allowed keys: ').replace(/^param '/, "'");
}

/** Reads, parses and checks a spec file against the spec schema, reporting every problem at once with its line. */
export function loadSpec(file: string, overrides: readonly string[] = [], options: { readonly deferFormat?: boolean } = {}): LoadedSpec {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`Cannot read the spec ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder (give the .yaml or .json file in it)' : (error as Error).message}. Check the path.`);
  }
  const name = path.relative(process.cwd(), absolute) || absolute;
  const isJson = /\.json$/i.test(file);
  const source = text.replace(/^\uFEFF/, '');
  if (isJson) {
    try {
      JSON.parse(source);
    } catch (error) {
      throw new UsageError(`${name} is not valid JSON: ${(error as Error).message}. Fix it and run again (or write the spec as YAML, which allows comments).`);
    }
  }
  const lines = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  let data: unknown;
  try {
    doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new UsageError(
        `${name} is not valid YAML; fix these and run again:`,
        doc.errors.map((e) => `${name}:${e.linePos?.[0] ? `${e.linePos[0].line}:${e.linePos[0].col}` : '?'}: ${e.code === 'MULTIPLE_DOCS' ? 'the file holds several YAML documents (separated by ---); a spec is one document' : e.message.split('\n')[0]}`),
      );
    }
    data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // yaml refuses alias expansions that would explode in size ("billion laughs").
    throw new UsageError(`${name} cannot be read as a spec: ${(error as Error).message}. Use fewer YAML aliases (* references), or write the values out.`);
  }
  if (data === null || data === undefined) throw new UsageError(`${name} is empty. A spec names at least plugins, a source and stages; tributary schema prints the format.`);
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`${name} must hold one mapping (plugins, source, stages, ...), not ${Array.isArray(data) ? 'a list' : JSON.stringify(data)}. See tributary schema for the format.`);
  }
  const set: string[] = [];
  for (const text of overrides) {
    const { at, value } = parseOverride(text);
    setAt(data as Record<string, unknown>, at, value, text);
    set.push(at.join('.'));
  }
  const where = (at: ReadonlyArray<string | number>): string => {
    // A problem at or under a --set belongs to the --set, even where the file also has the key.
    const dotted = at.join('.');
    const override = set.filter((s) => dotted === s || dotted.startsWith(`${s}.`)).sort((a, b) => b.length - a.length)[0];
    if (override !== undefined) return `${name} (--set ${override})`;
    for (let n = at.length; n >= 0; n--) {
      const node = doc.getIn(at.slice(0, n), true) as unknown;
      if (isNode(node) && (node as Node).range) {
        const pos = lines.linePos((node as Node).range![0]);
        return `${name}:${pos.line}:${pos.col}`;
      }
    }
    return name;
  };
  const problems = paramProblems(PipelineSpecSchema, data).map((p) => `${where(pathSegments(p.param))}: ${describeProblem(p.message)}`);
  if (problems.length > 0 && !options.deferFormat) {
    throw new UsageError(`${name} does not match the pipeline spec format (${problems.length} problem${problems.length > 1 ? 's' : ''}); fix ${problems.length > 1 ? 'them' : 'it'} and run again (tributary schema prints the format):`, problems);
  }
  return { spec: data as PipelineSpec, file: absolute, dir: path.dirname(absolute), name, where, formatProblems: problems };
}
