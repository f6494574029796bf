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
  /** `pipeline.yaml:12:7` for a path into the spec (`['stages', 2, 'params', 'maxLength']`). */
  where(at: ReadonlyArray<string | number>): string;
}

/** Splits `stages.2.params.maxLength` into path segments (numbers for array indexes). */
export function pathSegments(dotted: string): Array<string | number> {
  return dotted === '' || dotted === '(params)' ? [] : dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `--set stages.5.params.epochs=2`: a value (parsed as YAML) at a dotted path. */
export function parseOverride(text: string): { at: Array<string | number>; value: unknown } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set takes path=value, e.g. --set source.limit=300 or --set stages.5.params.epochs=2; got '${text}'.`);
  const at = pathSegments(text.slice(0, eq).trim());
  if (at.some((s) => s === '__proto__' || s === 'constructor' || s === 'prototype')) throw new UsageError(`--set cannot write '${text.slice(0, eq)}'.`);
  return { at, value: parseYaml(text.slice(eq + 1)) as unknown };
}

function setAt(target: Record<string, unknown>, at: ReadonlyArray<string | number>, value: unknown, text: string): void {
  let node: Record<string | number, unknown> = target;
  for (const [i, key] of at.entries()) {
    if (i === at.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (next === undefined) node[key] = typeof at[i + 1] === 'number' ? [] : {};
    else if (typeof next !== 'object' || next === null) throw new UsageError(`--set ${text}: '${at.slice(0, i + 1).join('.')}' is ${JSON.stringify(next)}, not an object or list, so nothing can be set inside it.`);
    node = node[key] as Record<string | number, unknown>;
  }
}

/** Core's wording is about stage params; in a spec these are keys. */
function describeProblem(message: string): string {
  return message.replace(/^unknown param /, 'unknown key ').replace('; known params: ', '; allowed keys: ').replace(/^param '/, "'");
}

/** Reads, parses and checks a spec file against the spec schema, reporting every problem at once with its line. */
export function loadSpec(file: string, overrides: readonly string[] = []): LoadedSpec {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`Cannot read the spec ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder (give the .yaml or .json file in it)' : (error as Error).message}. Check the path.`);
  }
  const name = path.relative(process.cwd(), absolute) || absolute;
  const lines = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new UsageError(
      `${name} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}; fix these and run again:`,
      doc.errors.map((e) => `${name}:${e.linePos?.[0] ? `${e.linePos[0].line}:${e.linePos[0].col}` : '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`${name} must hold one mapping (plugins, source, stages, ...), not ${Array.isArray(data) ? 'a list' : JSON.stringify(data)}. See tributary schema for the format.`);
  }
  const set = new Set<string>();
  for (const text of overrides) {
    const { at, value } = parseOverride(text);
    setAt(data as Record<string, unknown>, at, value, text);
    set.add(at.join('.'));
  }
  const where = (at: ReadonlyArray<string | number>): string => {
    for (let n = at.length; n >= 0; n--) {
      if (set.has(at.slice(0, n).join('.')) && n > 0) return `${name} (--set ${at.slice(0, n).join('.')})`;
      const node = doc.getIn(at.slice(0, n), true) as unknown;
      if (isNode(node) && (node as Node).range) {
        const pos = lines.linePos((node as Node).range![0]);
        return `${name}:${pos.line}:${pos.col}`;
      }
    }
    return name;
  };
  const problems = paramProblems(PipelineSpecSchema, data).map((p) => `${where(pathSegments(p.param))}: ${describeProblem(p.message)}`);
  if (problems.length > 0) {
    throw new UsageError(`${name} does not match the pipeline spec format (${problems.length} problem${problems.length > 1 ? 's' : ''}); fix ${problems.length > 1 ? 'them' : 'it'} and run again (tributary schema prints the format):`, problems);
  }
  return { spec: data as PipelineSpec, file: absolute, dir: path.dirname(absolute), name, where };
}
