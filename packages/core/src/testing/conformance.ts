import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { ERROR_CODES, type TributaryError, isTributaryError } from '../errors/tributary-error.js';
import type { PipelineModel } from '../pipeline/pipeline-model.js';
import { RunReport } from '../pipeline/run-report.js';
import type { Plugin } from '../plugin/define-plugin.js';
import type { DataRecord } from '../record/record.js';
import type { Executor } from '../pipeline/executor.js';
import { createRuntime } from '../runtime/runtime.js';
import { openLocalSegment } from '../runtime/segment-runner.js';
import type { StageSpec } from '../stage/stage.js';

/** One stage under test: its spec and the records it is tried on. */
export interface ConformanceCase {
  /** The test's name; default the spec's kind. */
  readonly name?: string;
  readonly spec: StageSpec<object>;
  /** Good records: the fit data of an estimator, and the input every check transforms. At least two. */
  readonly records: readonly DataRecord[];
  /** Records the stage must reject with a TributaryError of a known code (through `ctx.reject` or a throw), never crash on. */
  readonly bad?: readonly DataRecord[];
  /** Params objects (each whole, not merged with the spec's) that must be refused with INVALID_PARAMS when the stage is built. */
  readonly badParams?: ReadonlyArray<Record<string, unknown>>;
  /** The runtime seed of the determinism check (default 42). */
  readonly seed?: number;
  /**
   * A count of what the stage holds outside the JavaScript heap, e.g. `() => tf.memory().numTensors`:
   * it must be back where it started once the models are disposed, and must not grow from one pass to the next.
   */
  readonly resources?: () => number | Promise<number>;
  /** Records per batch for the checks (default 2, so that more than one batch runs). */
  readonly batchSize?: number;
}

export interface ConformanceOptions {
  /** The plugin under test. */
  readonly plugin: Plugin;
  /** Other plugins the runtime needs beside it (none for a self-contained plugin). */
  readonly plugins?: readonly Plugin[];
  readonly cases: readonly ConformanceCase[];
}

/** One check of the contract: a name and a function that throws, saying what is wrong, when the stage breaks it. */
export interface ConformanceCheck {
  readonly name: string;
  run(): Promise<void>;
}

/** Thrown by a check: which part of the contract the stage broke, and what to change. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

/** Marks a record with its position, through stages that spread records (a symbol: never a field, never written). */
const POSITION = Symbol('tributary.conformance.position');

const fail = (message: string): never => {
  throw new ConformanceError(message);
};

const show = (value: unknown): string => {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
};

/** Deep equality for records: typed arrays by their elements, NaN equal to NaN, key order ignored. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== typeof b || typeof a !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  // A class instance that came back as a plain object (through cloning or JSON) is not the same value.
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Map || a instanceof Set) {
    const x = [...(a as Map<unknown, unknown>).entries()];
    const y = [...(b as Map<unknown, unknown>).entries()];
    return x.length === y.length && x.every((entry, i) => sameValue(entry, y[i]));
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const key of ka) {
    if (!Object.hasOwn(b as object, key) || !sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** The first output that differs, described; undefined when the two runs agree. */
function difference(what: string, expected: readonly DataRecord[], actual: readonly DataRecord[]): string | undefined {
  if (expected.length !== actual.length) return `${what}: ${actual.length} records came out instead of ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      if (!sameValue(e[key], a[key])) return `${what}: record #${i} differs in '${key}': ${show(e[key])} then ${show(a[key])}`;
    }
  }
  return undefined;
}

/** A raw error that a stage let escape (wrapped as STAGE_FAILED by the pipeline), rather than a code of its own. */
function rawCause(error: TributaryError): unknown {
  return error.code === 'STAGE_FAILED' && error.cause !== undefined && !isTributaryError(error.cause) ? error.cause : undefined;
}

/**
 * The checks of the stage contract for each case, as functions, for any test runner: params refused with
 * typed errors; fit → transform → save → load gives identical output, and the saved folder holds no code;
 * dispose frees what the stage holds; the same seed gives the same output; bad records are rejected with a
 * code, never a crash; the fields a stage changes are the ones it declares, and its output does not depend
 * on fields it does not declare.
 */
export function conformanceChecks(options: ConformanceOptions): ConformanceCheck[] {
  const plugins = [...(options.plugins ?? []), options.plugin];
  const checks: ConformanceCheck[] = [];
  for (const c of options.cases) {
    const label = c.name ?? c.spec.kind;
    const batchSize = c.batchSize ?? 2;
    const seed = c.seed ?? 42;
    const records = c.records;
    const runtime = (s = seed) => createRuntime({ plugins, seed: s });
    const fitted = async (s = seed): Promise<PipelineModel> => runtime(s).pipeline([c.spec as StageSpec]).fit(records.map((r) => ({ ...r })), { batchSize });
    const transform = (model: PipelineModel, input: readonly DataRecord[] = records) => model.transform(input.map((r) => ({ ...r })), { batchSize }).collect();
    const check = (name: string, run: () => Promise<void>) => checks.push({ name: `${label}: ${name}`, run });

    check('belongs to the plugin, and its params schema refuses bad and unknown params with INVALID_PARAMS', async () => {
      if (!options.plugin.stages.some((s) => s.kind === c.spec.kind)) fail(`${options.plugin.name} has no stage of kind '${c.spec.kind}'; add it to definePlugin({ stages }).`);
      if (records.length < 2) fail('Give the case at least two good records.');
      const r = runtime();
      r.resolve(c.spec as StageSpec);
      const misspelt = { ...c.spec.params, conformanceNoSuchParam: 1 };
      // Each entry is a whole params object (a bad combination may need a good param left out).
      for (const params of [misspelt, ...(c.badParams ?? [])]) {
        let error: unknown;
        try {
          r.resolve({ kind: c.spec.kind, params });
        } catch (e) {
          error = e;
        }
        if (!isTributaryError(error, 'INVALID_PARAMS')) {
          fail(`params ${show(params)} were ${error === undefined ? 'accepted' : `refused with ${String(error)}`}; they must fail with INVALID_PARAMS. Close the params schema ({ additionalProperties: false }) and constrain each param's type and range.`);
        }
      }
    });

    check('fit → transform → save → load → transform gives identical output; the saved folder holds data, not code', async () => {
      const model = await fitted();
      const before = await transform(model);
      if (before.length !== records.length) fail(`${before.length} of the ${records.length} good records came out; a good record must not be rejected or dropped.`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-conformance-'));
      try {
        const manifest = await model.save(path.join(dir, 'model'));
        const entry = manifest.stages.find((s) => s.kind === c.spec.kind);
        if (!entry || entry.plugin !== options.plugin.name || entry.pluginVersion !== options.plugin.version) {
          fail(`the manifest does not name ${options.plugin.name}@${options.plugin.version} for '${c.spec.kind}' (it has ${show(entry)}).`);
        }
        const code = listFiles(path.join(dir, 'model')).filter((f) => /\.(c|m)?(j|t)sx?$/.test(f));
        if (code.length > 0) fail(`the saved model holds code (${code.join(', ')}); save state as data (JSON, binary weights), never as code.`);
        const loaded = await runtime().load(path.join(dir, 'model'));
        const after = await transform(loaded);
        const diff = difference('after load', before, after);
        if (diff) fail(`${diff}. save() must keep everything transform() depends on, and load() must rebuild it exactly.`);
        await loaded.dispose();
      } finally {
        await model.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    check('the same seed gives the same output, in two runtimes', async () => {
      const [a, b] = [await fitted(seed), await fitted(seed)];
      try {
        const diff = difference(`two fits with seed ${seed}`, await transform(a), await transform(b));
        if (diff) fail(`${diff}. Draw every random choice from ctx.random (seeded by the runtime), not Math.random.`);
      } finally {
        await a.dispose();
        await b.dispose();
      }
    });

    check('dispose() frees what the stage holds, and a second pass holds no more than the first', async () => {
      const start = c.resources ? await c.resources() : 0;
      const model = await fitted();
      try {
        await transform(model);
        const afterOne = c.resources ? await c.resources() : 0;
        await transform(model);
        const afterTwo = c.resources ? await c.resources() : 0;
        if (afterTwo > afterOne) fail(`resources grew from ${afterOne} to ${afterTwo} between two passes over the same records: something made per batch is not freed.`);
      } finally {
        await model.dispose();
      }
      const end = c.resources ? await c.resources() : 0;
      if (end !== start) fail(`resources were ${start} before and ${end} after dispose(): dispose() must free everything fit() and transform() made.`);
    });

    check('rejects bad records with a TributaryError code, never a crash, and keeps the good ones', async () => {
      const model = await fitted();
      try {
        const empty: DataRecord = { id: 'conformance-empty' };
        const probes = [...(c.bad ?? []), empty];
        for (const [i, bad] of probes.entries()) {
          const report = new RunReport();
          let error: unknown;
          let out: DataRecord[] = [];
          try {
            out = await model.transform([{ ...records[0]! }, { ...bad }, { ...records[1]! }], { batchSize: 3, errorPolicy: 'skip', report, onReject: (_r, e) => (error ??= e) }).collect();
          } catch (e) {
            fail(`bad record ${show(bad)} stopped a run under errorPolicy 'skip' (${String(e)}); reject it with ctx.reject(record, new TributaryError(...)).`);
          }
          const isProbe = bad === empty;
          if (error === undefined) {
            // A record with no fields may be fine for some stages (defaults); a declared bad record must be rejected.
            if (!isProbe) fail(`bad record ${show(bad)} was not rejected; the stage must reject it with ctx.reject and a TributaryError.`);
            continue;
          }
          if (!isTributaryError(error) || !(ERROR_CODES as readonly string[]).includes(error.code)) fail(`bad record #${i} was rejected with ${String(error)}, not a TributaryError of a known code.`);
          const raw = rawCause(error as TributaryError);
          if (raw !== undefined) fail(`bad record ${show(bad)} made the stage throw ${String(raw)}; check the input and reject it with a code (INVALID_RECORD, UNSUPPORTED_INPUT, …) that says what to fix.`);
          if (out.length !== 2) fail(`a bad record cost the good ones their output: ${out.length} of 2 came out.`);
        }
      } finally {
        await model.dispose();
      }
    });

    check('declared worker: gives the same output rebuilt from data, as on an executor', async () => {
      const definition = options.plugin.stages.find((s) => s.kind === c.spec.kind);
      if (!definition?.worker) return;
      if (!options.plugin.module) fail(`'${c.spec.kind}' declares worker: true, but ${options.plugin.name} names no module for workers to import; set definePlugin({ module }) to its package name or import.meta.url.`);
      const executor: Executor = {
        name: 'conformance-clone',
        concurrency: 2,
        async open(segment) {
          // As a worker thread or process receives it: every value copied by structured cloning.
          const local = await openLocalSegment(structuredClone(segment), plugins);
          return { run: async (batch) => structuredClone(await local.run(structuredClone(batch))), close: () => local.dispose() };
        },
      };
      const model = await fitted();
      const remote = await createRuntime({ plugins, seed, executor }).pipeline([c.spec as StageSpec]).fit(records.map((r) => ({ ...r })), { batchSize });
      try {
        const diff = difference('rebuilt from data on an executor', await transform(model), await transform(remote));
        if (diff) fail(`${diff}. A worker stage must be rebuilt exactly from its params and saved state, and read and write only values that survive structured cloning.`);
      } finally {
        await model.dispose();
        await remote.dispose();
      }
    });

    check('changes only the fields it declares, and its output does not depend on fields it does not read', async () => {
      const r = runtime();
      const resolved = r.resolve(c.spec as StageSpec);
      const declared = resolved.definition.fields(resolved.spec.params as never);
      const writes = new Set(declared.writes);
      const reads = new Set(declared.reads);
      const model = await fitted();
      try {
        const marked: DataRecord[] = records.map((record) => ({ ...record, conformanceUntouched: 'kept as it is' }));
        const out = await transform(model, marked);
        if (out.length !== marked.length) fail(`${out.length} of the ${marked.length} good records came out.`);
        for (const [i, output] of out.entries()) {
          const input = marked[i]!;
          for (const key of new Set([...Object.keys(input), ...Object.keys(output)])) {
            if (!writes.has(key) && !sameValue(input[key], output[key])) {
              fail(`record #${i}: the field '${key}' changed (${show(input[key])} → ${show(output[key])}) but the stage declares writes [${[...writes].join(', ')}]. Declare it in fields(), or leave it untouched.`);
            }
          }
        }
        // Each field the stage does not declare reading, removed in turn, must leave what it writes unchanged.
        const undeclared = new Set(records.flatMap((record) => Object.keys(record)).filter((key) => !reads.has(key) && !writes.has(key)));
        for (const key of undeclared) {
          const rejected: number[] = [];
          const input = records.map(({ [key]: _dropped, ...rest }, i) => ({ ...rest, [POSITION]: i }));
          const without = await model.transform(input, { batchSize, errorPolicy: 'skip', onReject: (record) => rejected.push((record as Record<symbol, number>)[POSITION] ?? -1) }).collect();
          if (rejected.length > 0) fail(`removing the field '${key}' made the stage reject record #${rejected[0]}: it reads '${key}' but declares reads [${[...reads].join(', ')}]. Declare it in fields().`);
          if (without.length !== records.length) fail(`removing the field '${key}' made the stage drop ${records.length - without.length} of ${records.length} records without rejecting them: it reads '${key}' but declares reads [${[...reads].join(', ')}]. Declare it in fields().`);
          for (const output of without) {
            const i = (output as Record<symbol, number>)[POSITION] ?? -1;
            for (const written of writes) {
              if (!sameValue(out[i]?.[written], output[written])) {
                fail(`removing the field '${key}' changed '${written}' of record #${i}: the stage reads '${key}' but declares reads [${[...reads].join(', ')}]. Declare it in fields().`);
              }
            }
          }
        }
      } finally {
        await model.dispose();
      }
    });
  }
  return checks;
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    return entry.isDirectory() ? listFiles(path.join(dir, entry.name), relative) : [relative];
  });
}

/**
 * Registers the conformance checks of a plugin's stages as vitest tests, one per check and case: call it
 * at the top level of a test file.
 *
 * @example
 * describeConformance({
 *   plugin: geo,
 *   cases: [{ spec: upperCase({ input: 'text' }), records: [{ id: 'a', text: 'hi' }, { id: 'b', text: 'yo' }], bad: [{ id: 'x', text: 42 }], badParams: [{ input: 7 }] }],
 * });
 */
export function describeConformance(options: ConformanceOptions): void {
  describe(`${options.plugin.name} conforms to the stage contract`, () => {
    for (const check of conformanceChecks(options)) it(check.name, () => check.run());
  });
}
