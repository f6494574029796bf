import path from 'node:path';
import {
  type ParamProblem,
  type Runtime,
  type RuntimeOptions,
  type StageDefinition,
  type StageSpec,
  createRuntime,
  isTributaryError,
  pathParams,
  saveTargetProblem,
  validateParams,
} from '@tributary/core';
import { UsageError } from './errors.js';
import { sourceFields } from './fields.js';
import { loadPlugins } from './plugins.js';
import { resolvePathRef, sourceProblem } from './sources.js';
import { type LoadedSpec, pathSegments } from './spec/load.js';
import type { SourceSpecValue } from './spec/schema.js';

/** A spec checked end to end — plugins loaded, every stage kind and param validated, sources present — and its runtime. */
export interface Plan {
  readonly loaded: LoadedSpec;
  readonly runtime: Runtime;
  readonly stages: StageSpec[];
  /** Things that look wrong but may not be (a field the first JSON record lacks): printed, not fatal. */
  readonly warnings: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (fields: Iterable<string>) => [...fields].map((f) => `'${f}'`).join(', ') || '(none)';

/**
 * Checks everything that can be checked before the data is read — the spec's format, its plugins,
 * every stage kind and param, that each stage finds the fields it reads, the data paths, where the
 * model goes — and reports every problem at once, each with the file, line, stage and param.
 */
export async function plan(loaded: LoadedSpec, options: Omit<RuntimeOptions, 'plugins'> = {}, saveTo?: string): Promise<Plan> {
  const { where } = loaded;
  // The spec may have failed its format check: every check below looks only at parts whose shape is sound.
  const spec = loaded.spec as unknown as Record<string, unknown> & Partial<LoadedSpec['spec']>;
  const problems: string[] = [...loaded.formatProblems];
  const warnings: string[] = [];
  const names = Array.isArray(spec.plugins) ? spec.plugins.filter((p): p is string => typeof p === 'string') : [];
  const { plugins, problems: pluginProblems } = await loadPlugins(names, loaded.dir);
  problems.push(...pluginProblems.map((p) => `${where(['plugins'])}: ${p}`));
  const runtime = createRuntime({ ...options, seed: typeof spec.seed === 'number' ? spec.seed : 42 });
  for (const plugin of plugins) {
    try {
      runtime.use(plugin);
    } catch (error) {
      if (!isTributaryError(error)) throw error;
      problems.push(`${where(['plugins'])}: ${error.message}`);
    }
  }
  const pluginsFine = problems.length === loaded.formatProblems.length;

  // Each stage: its kind, its params, and the params with defaults (to know the fields it reads and writes).
  const stages = Array.isArray(spec.stages) ? spec.stages : [];
  const resolved: Array<{ index: number; kind: string; definition: StageDefinition; params: Record<string, unknown> } | undefined> = stages.map((stage, index) => {
    if (!isObject(stage) || typeof stage.kind !== 'string') return undefined;
    const at = ['stages', index];
    const name = `stages.${index} (${stage.kind})`;
    try {
      const { definition } = runtime.definition(stage.kind);
      try {
        return { index, kind: stage.kind, definition, params: validateParams(stage.kind, definition.params, isObject(stage.params) ? stage.params : {}) as Record<string, unknown> };
      } catch (error) {
        if (!isTributaryError(error, 'INVALID_PARAMS')) throw error;
        const listed = (error.details.problems as ParamProblem[] | undefined) ?? [{ param: error.param ?? '(params)', message: error.message }];
        for (const problem of listed) problems.push(`${where([...at, 'params', ...pathSegments(problem.param)])}: ${name}: ${problem.message}`);
        return undefined;
      }
    } catch (error) {
      if (!isTributaryError(error)) throw error;
      // A kind of a plugin that failed to load is already explained by that plugin's problem.
      const domain = stage.kind.split(':')[0];
      if (!pluginsFine && !runtime.kinds().some((k) => k.startsWith(`${domain}:`))) return undefined;
      problems.push(`${where([...at, 'kind'])}: stages.${index}: ${error.message}`);
      return undefined;
    }
  });

  // Data paths, and the fields the records will carry.
  const source = isObject(spec.source) && typeof spec.source.type === 'string' ? (spec.source as SourceSpecValue) : undefined;
  for (const key of ['source', 'test'] as const) {
    const s = spec[key];
    if (!isObject(s)) continue;
    let problem: string | undefined;
    try {
      problem = sourceProblem(s as SourceSpecValue, loaded.dir);
    } catch {
      problem = undefined; // a malformed source is already a format problem
    }
    if (problem) problems.push(`${where([key])}: ${key}: ${problem}`);
    if (s.type === 'csv' && s.header === false && !(Array.isArray(s.columns) && s.columns.length > 0)) {
      problems.push(`${where([key, 'header'])}: ${key}: a CSV source with header: false needs columns, the names of its columns in order.`);
    }
  }
  const known = source && problems.length === 0 ? await sourceFields(source, loaded.dir) : undefined;
  if (known && resolved.every(Boolean)) {
    // Walk the stages: each must find what it reads in the source's records or in what an earlier stage wrote.
    const available = new Set([...known.fields, 'id']);
    const origin = known.exact ? `the source's records carry ${list(known.fields)}` : `the first record of the source carries ${list(known.fields)}`;
    for (const stage of resolved as NonNullable<(typeof resolved)[number]>[]) {
      const { reads, writes } = stage.definition.fields(stage.params as never);
      for (const field of reads) {
        if (available.has(field)) continue;
        const written = [...available].filter((f) => !known.fields.has(f) && f !== 'id');
        const message = `stages.${stage.index} (${stage.kind}) reads '${field}', but ${origin}${written.length ? ` and earlier stages write ${list(written)}` : ''}. Name the field in the stage's params (input, label, …) or produce it upstream.`;
        (known.exact ? problems : warnings).push(`${where(['stages', stage.index, 'params'])}: ${message}`);
      }
      for (const field of writes) available.add(field);
    }
    const evaluation = isObject(spec.evaluation) ? spec.evaluation : undefined;
    if (evaluation) {
      const label = typeof evaluation.label === 'string' ? evaluation.label : 'label';
      if (!known.fields.has(label)) (known.exact ? problems : warnings).push(`${where(['evaluation'])}: evaluation compares the model with '${label}', but ${origin}. Set evaluation.label to the field that holds the true class.`);
      const out = evaluation.task === 'classification' ? (typeof evaluation.prediction === 'string' ? evaluation.prediction : 'prediction') : typeof evaluation.score === 'string' ? evaluation.score : 'score';
      if (!available.has(out)) problems.push(`${where(['evaluation'])}: evaluation reads the model's '${out}', which no stage writes (they write ${list([...available].filter((f) => !known.fields.has(f) && f !== 'id'))}).`);
    }
    const split = isObject(spec.split) ? spec.split : undefined;
    if (split && typeof split.stratifyBy === 'string' && !known.fields.has(split.stratifyBy)) {
      (known.exact ? problems : warnings).push(`${where(['split', 'stratifyBy'])}: split.stratifyBy is '${split.stratifyBy}', but ${origin}.`);
    }
  }

  const labelField = isObject(spec.evaluation) && typeof spec.evaluation.label === 'string' ? spec.evaluation.label : 'label';
  if (spec.evaluation && !spec.split && !spec.test) {
    problems.push(`${where(['evaluation'])}: an evaluation needs held-out data: add split: { test: 0.2, stratifyBy: ${labelField} } or a test source.`);
  }
  if (spec.split && !spec.evaluation) problems.push(`${where(['split'])}: split holds part of the data back for an evaluation, and there is none: add evaluation, or remove split to train on everything.`);
  if (spec.split && spec.test) problems.push(`${where(['split'])}: give either split (hold out part of the source) or test (a separate source), not both.`);
  if (isObject(spec.run) && spec.run.errorPolicy === 'dead-letter' && !spec.run.deadLetter) {
    problems.push(`${where(['run', 'errorPolicy'])}: errorPolicy dead-letter needs run.deadLetter, the JSON Lines file that receives the rejected records (e.g. deadLetter: rejected.jsonl).`);
  }
  let target: string | undefined = saveTo;
  try {
    target ??= spec.save ? resolvePathRef(spec.save, loaded.dir) : undefined;
  } catch (error) {
    problems.push(`${where(['save'])}: ${(error as Error).message}`);
  }
  const saveProblem = target === undefined ? undefined : saveTargetProblem(target);
  if (saveProblem) problems.push(`${saveTo === undefined ? where(['save']) : '--out'}: cannot save the model there: ${saveProblem}.`);

  if (problems.length > 0) {
    runtime.dispose();
    throw new UsageError(`${loaded.name} cannot run (${problems.length} problem${problems.length > 1 ? 's' : ''}); fix ${problems.length > 1 ? 'them' : 'it'} and run again (tributary schema prints the format):`, problems);
  }
  return { loaded, runtime, warnings, stages: loaded.spec.stages.map((s) => ({ kind: s.kind, params: withSpecPaths(runtime, s.kind, s.params ?? {}, loaded.dir) })) };
}

/** Params the stage marks as paths (pathParam), made absolute against the spec's folder like the spec's own paths. */
function withSpecPaths(runtime: Runtime, kind: string, params: Record<string, unknown>, dir: string): StageSpec['params'] {
  const out = { ...params };
  for (const name of pathParams(runtime.definition(kind).definition.params)) {
    const value = out[name];
    if (typeof value === 'string' && value !== '') out[name] = path.resolve(dir, value);
  }
  return out;
}
