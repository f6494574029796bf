import path from 'node:path';
import { type ParamProblem, type Runtime, type RuntimeOptions, type StageSpec, createRuntime, isTributaryError, pathParams, saveTargetProblem, validateParams } from '@tributary/core';
import { UsageError } from './errors.js';
import { loadPlugins } from './plugins.js';
import { resolvePathRef, sourceProblem } from './sources.js';
import { type LoadedSpec, pathSegments } from './spec/load.js';

/** A spec checked end to end — plugins loaded, every stage kind and param validated, sources present — and its runtime. */
export interface Plan {
  readonly loaded: LoadedSpec;
  readonly runtime: Runtime;
  readonly stages: StageSpec[];
}

/**
 * Checks everything that can be checked before any data is read, and reports every problem at once,
 * each with the file, line, stage and param it concerns.
 */
export async function plan(loaded: LoadedSpec, options: Omit<RuntimeOptions, 'plugins'> = {}, saveTo?: string): Promise<Plan> {
  const { spec, where } = loaded;
  const problems: string[] = [];
  const { plugins, problems: pluginProblems } = await loadPlugins(spec.plugins, loaded.dir);
  problems.push(...pluginProblems.map((p) => `${where(['plugins'])}: ${p}`));
  const runtime = createRuntime({ ...options, seed: spec.seed ?? 42 });
  for (const plugin of plugins) {
    try {
      runtime.use(plugin);
    } catch (error) {
      if (!isTributaryError(error)) throw error;
      problems.push(`${where(['plugins'])}: ${error.message}`);
    }
  }
  const loadedAll = problems.length === 0;
  spec.stages.forEach((stage, index) => {
    const at = ['stages', index];
    try {
      const { definition } = runtime.definition(stage.kind);
      try {
        validateParams(stage.kind, definition.params, stage.params ?? {});
      } catch (error) {
        if (!isTributaryError(error, 'INVALID_PARAMS')) throw error;
        const listed = (error.details.problems as ParamProblem[] | undefined) ?? [{ param: error.param ?? '(params)', message: error.message }];
        for (const problem of listed) {
          problems.push(`${where([...at, 'params', ...pathSegments(problem.param)])}: stage ${index + 1} (${stage.kind}): ${problem.message}`);
        }
      }
    } catch (error) {
      if (!isTributaryError(error)) throw error;
      // A kind of a plugin that failed to load is already explained by that plugin's problem.
      const domain = stage.kind.split(':')[0];
      if (!loadedAll && !runtime.kinds().some((k) => k.startsWith(`${domain}:`))) return;
      problems.push(`${where([...at, 'kind'])}: stage ${index + 1}: ${error.message}`);
    }
  });
  for (const key of ['source', 'test'] as const) {
    const source = spec[key];
    const problem = source && sourceProblem(source, loaded.dir);
    if (problem) problems.push(`${where([key])}: ${key}: ${problem}`);
  }
  if (spec.evaluation && !spec.split && !spec.test) {
    problems.push(`${where(['evaluation'])}: an evaluation needs held-out data: add split: { test: 0.2, stratifyBy: label } or a test source.`);
  }
  if (spec.split && spec.test) problems.push(`${where(['split'])}: give either split (hold out part of the source) or test (a separate source), not both.`);
  if (spec.run?.errorPolicy === 'dead-letter' && !spec.run.deadLetter) {
    problems.push(`${where(['run', 'errorPolicy'])}: errorPolicy dead-letter needs run.deadLetter, the JSON Lines file that receives the rejected records (e.g. deadLetter: rejected.jsonl).`);
  }
  const target = saveTo ?? (spec.save ? resolvePathRef(spec.save, loaded.dir) : undefined);
  const saveProblem = target === undefined ? undefined : saveTargetProblem(target);
  if (saveProblem) problems.push(`${saveTo === undefined ? where(['save']) : '--out'}: cannot save the model there: ${saveProblem}.`);
  if (problems.length > 0) {
    runtime.dispose();
    throw new UsageError(`${loaded.name} cannot run (${problems.length} problem${problems.length > 1 ? 's' : ''}); fix ${problems.length > 1 ? 'them' : 'it'} and run again:`, problems);
  }
  return { loaded, runtime, stages: spec.stages.map((s) => ({ kind: s.kind, params: withSpecPaths(runtime, s.kind, s.params ?? {}, loaded.dir) })) };
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
