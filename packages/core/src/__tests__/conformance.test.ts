import {
  type Batch,
  type DataRecord,
  type Dataset,
  type Estimator,
  type Model,
  type ModelState,
  STAGE_PARAMS,
  type StageContext,
  TributaryError,
  Type,
  definePlugin,
  defineStage,
  inject,
  injectable,
  stageSpec,
} from '@tributary/core';
import { conformanceChecks, describeConformance, fixedRandom } from '@tributary/core/testing';
import { describe, expect, it } from 'vitest';
import { center, scale, toyPlugin } from './fixtures/toy-plugin.js';

// The suite on a plugin that keeps the contract: every check passes.
describeConformance({
  plugin: toyPlugin(),
  cases: [
    { spec: scale({ input: 'x', output: 'y', factor: 3 }), records: [{ id: 'a', x: 1, note: 'n' }, { id: 'b', x: -2.5 }, { id: 'c', x: 0 }], bad: [{ id: 'bad', x: 'seven' }], badParams: [{ factor: 'three' }, { input: 4 }] },
    { spec: center({ input: 'y', output: 'centered' }), records: [{ id: 'a', y: 1 }, { id: 'b', y: 4 }, { id: 'c', y: 10 }], bad: [{ id: 'bad', y: null }] },
  ],
});

/** Each fault breaks one part of the stage contract; the suite must name that part and pass the rest. */
type Fault = 'none' | 'open-params' | 'loses-state' | 'saves-code' | 'unseeded' | 'leaks' | 'crashes' | 'writes-undeclared' | 'reads-undeclared' | 'needs-undeclared' | 'worker-without-module';
const live = { count: 0 };

function faultyPlugin(fault: Fault) {
  const Params = Type.Object({ input: Type.String({ default: 'x' }), output: Type.String({ default: 'y' }) }, fault === 'open-params' ? {} : { additionalProperties: false });
  type Params = { input: string; output: string };

  class OffsetModel implements Model {
    readonly kind = 'faulty:offset';
    constructor(
      private readonly params: Params,
      private readonly offset: number,
    ) {
      live.count++;
    }
    transform(batch: Batch, ctx: StageContext): Batch {
      if (fault === 'leaks') live.count++;
      const out: Batch = [];
      for (const record of batch) {
        const value = record[this.params.input];
        if (fault === 'needs-undeclared' && typeof record.hint !== 'number') {
          ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: this.kind, message: "'hint' is missing" }));
          continue;
        }
        if (fault !== 'crashes' && typeof value !== 'number') {
          ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: this.kind, message: `'${this.params.input}' is not a number` }));
          continue;
        }
        // toFixed throws a TypeError on anything but a number: the crash the suite must catch.
        let y = Number((value as number).toFixed(6)) + this.offset;
        if (fault === 'reads-undeclared' && typeof record.hint === 'number') y += record.hint;
        const output: DataRecord = { ...record, [this.params.output]: y };
        if (fault === 'writes-undeclared') output.debug = true;
        out.push(output);
      }
      return out;
    }
    save(): ModelState {
      return { meta: { offset: fault === 'loses-state' ? 0 : this.offset }, files: fault === 'saves-code' ? { 'offset.js': `export default ${this.offset};` } : {} };
    }
    dispose(): void {
      live.count--;
    }
  }

  @injectable()
  class OffsetEstimator implements Estimator {
    readonly kind = 'faulty:offset';
    constructor(@inject(STAGE_PARAMS) private readonly params: Params) {}
    async fit(data: Dataset<DataRecord>, ctx: StageContext): Promise<Model> {
      let sum = 0;
      for await (const record of data) if (typeof record[this.params.input] === 'number') sum += record[this.params.input] as number;
      return new OffsetModel(this.params, sum + (fault === 'unseeded' ? Math.random() : ctx.random.next()));
    }
    async load(state: ModelState): Promise<Model> {
      return new OffsetModel(this.params, state.meta.offset as number);
    }
  }

  return definePlugin({
    name: `faulty-${fault}`,
    version: '1.0.0',
    core: '^0.1.0',
    stages: [defineStage({ kind: 'faulty:offset', description: 'adds a learned offset', params: Params, fields: (p) => ({ reads: [p.input], writes: [p.output] }), implementation: OffsetEstimator, worker: fault === 'worker-without-module' })],
  });
}

async function failedChecks(fault: Fault): Promise<string[]> {
  const offset = stageSpec<Partial<{ input: string; output: string }>>('faulty:offset');
  const checks = conformanceChecks({
    plugin: faultyPlugin(fault),
    cases: [{ spec: offset({ input: 'x', output: 'y' }), records: [{ id: 'a', x: 1, hint: 5 }, { id: 'b', x: 3, hint: 7 }], bad: [{ id: 'bad', x: 'text' }], resources: () => live.count }],
  });
  const failed: string[] = [];
  for (const check of checks) {
    try {
      await check.run();
    } catch (error) {
      expect((error as Error).name).toBe('ConformanceError');
      failed.push(check.name.replace(/^faulty:offset: /, '').split(/[,;]/)[0]!);
    }
  }
  return failed;
}

describe('the conformance suite names the part of the contract a stage breaks', () => {
  it.each<[Fault, string[]]>([
    ['none', []],
    ['open-params', ['belongs to the plugin']],
    ['loses-state', ['fit → transform → save → load → transform gives identical output']],
    ['saves-code', ['fit → transform → save → load → transform gives identical output']],
    ['unseeded', ['the same seed gives the same output']],
    ['leaks', ['dispose() frees what the stage holds']],
    ['crashes', ['rejects bad records with a TributaryError code']],
    ['writes-undeclared', ['changes only the fields it declares']],
    ['reads-undeclared', ['changes only the fields it declares']],
    ['needs-undeclared', ['changes only the fields it declares']],
    ['worker-without-module', ['declared worker: gives the same output rebuilt from data']],
  ])('%s', async (fault, expected) => {
    live.count = 0;
    expect(await failedChecks(fault)).toEqual(expected);
  });
});

describe('fixedRandom', () => {
  it('returns its values in turn, and int, shuffle and fork follow from them', () => {
    const r = fixedRandom([0.5, 0.25, 0.75]);
    expect([r.next(), r.next(), r.next(), r.next()]).toEqual([0.5, 0.25, 0.75, 0.5]);
    // int(10) of 0.25 is 2; shuffle of [a,b,c] draws 0.75 (j = floor(0.75·3) = 2: no swap at i=2) then 0.5 (j = floor(0.5·2) = 1: no swap at i=1).
    expect(r.int(10)).toBe(2);
    expect(r.shuffle(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    // Then 0.25 (j = floor(0.25·3) = 0: swap 2 and 0) and 0.75 (j = floor(0.75·2) = 1: no swap).
    expect(r.shuffle(['a', 'b', 'c'])).toEqual(['c', 'b', 'a']);
    expect(r.fork('x').next()).toBe(0.5);
    expect(() => fixedRandom([1])).toThrow(/in \[0, 1\)/);
  });
});
