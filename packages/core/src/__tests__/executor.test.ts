import { type Batch, type Executor, type Plugin, RunReport, type SegmentSpec, type Stage, Type, createRuntime, definePlugin, defineStage, injectable, isTributaryError, openLocalSegment, stageSpec } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { center, scale, toyPlugin } from './fixtures/toy-plugin.js';

/** Counts the thread a batch ran in: stays in the calling thread (no `worker` in its definition). */
@injectable()
class TagStage implements Stage {
  readonly kind = 'local:tag';
  transform(batch: Batch): Batch {
    return batch.map((r) => ({ ...r, tagged: true }));
  }
}
const localPlugin = definePlugin({ name: 'local', version: '1.0.0', core: '^0.1.0', stages: [defineStage({ kind: 'local:tag', description: 'tags', params: Type.Object({}, { additionalProperties: false }), fields: () => ({ reads: [], writes: ['tagged'] }), implementation: TagStage })] });
const tag = stageSpec<Record<string, never>>('local:tag');

/** Writes y only for a positive x; rebuilds each record from its entries (which drops symbol-keyed marks). */
@injectable()
class SometimesStage implements Stage {
  readonly kind = 'maybe:double';
  transform(batch: Batch): Batch {
    return batch.map((r) => Object.fromEntries(Object.entries(typeof r.x === 'number' && r.x > 0 ? { ...r, y: r.x * 2 } : r)));
  }
}
const maybePlugin = definePlugin({
  name: 'maybe',
  version: '1.0.0',
  core: '^0.1.0',
  module: 'maybe-plugin',
  stages: [defineStage({ kind: 'maybe:double', description: 'doubles positive x', params: Type.Object({}, { additionalProperties: false }), fields: () => ({ reads: ['x'], writes: ['y'] }), implementation: SometimesStage, worker: true })],
});
const maybeDouble = stageSpec<Record<string, never>>('maybe:double');

/**
 * An executor that runs segments in this thread but passes everything through structuredClone, as a
 * worker thread or another process would receive it: specs, state, batches and results are copies.
 */
function cloningExecutor(plugins: readonly Plugin[]) {
  const log = { opened: [] as SegmentSpec[], closed: 0, batches: 0, sent: [] as Batch[] };
  const executor: Executor = {
    name: 'cloning',
    concurrency: 3,
    async open(segment) {
      log.opened.push(segment);
      const local = await openLocalSegment(structuredClone(segment), plugins);
      return {
        run: async (batch) => {
          log.batches++;
          log.sent.push(batch);
          return structuredClone(await local.run(structuredClone(batch)));
        },
        close: async () => {
          log.closed++;
          await local.dispose();
        },
      };
    },
  };
  return { executor, log };
}

const records = [
  { id: 'a', x: 1 },
  { id: 'b', x: 2 },
  { id: 'c', x: 'two' },
  { id: 'd', x: 4 },
  { id: 'e', x: 6 },
];

describe('an executor runs the worker stages as data, with the same results as in-process', () => {
  it('fits and transforms with the same output; opens each segment once per pass and closes it', async () => {
    const plugins = [toyPlugin(), localPlugin];
    const { executor, log } = cloningExecutor(plugins);
    const specs = [scale({ input: 'x', output: 'y', factor: 10 }), center({ input: 'y', output: 'centered' }), tag({})];
    const remote = await createRuntime({ plugins, executor }).pipeline(specs).fit(records, { errorPolicy: 'skip', batchSize: 2 });
    // Good x: 1, 2, 4, 6 → y: 10, 20, 40, 60; mean 32.5 → centered: −22.5, −12.5, 7.5, 27.5.
    const out = await remote.transform(records, { errorPolicy: 'skip', batchSize: 2 }).collect();
    expect(out).toEqual([
      { id: 'a', x: 1, y: 10, centered: -22.5, tagged: true },
      { id: 'b', x: 2, y: 20, centered: -12.5, tagged: true },
      { id: 'd', x: 4, y: 40, centered: 7.5, tagged: true },
      { id: 'e', x: 6, y: 60, centered: 27.5, tagged: true },
    ]);
    // The fit opened [scale] (before the estimator), the transform [scale, center] with center's state; tag stayed here.
    expect(log.opened.map((s) => s.stages.map((t) => t.kind))).toEqual([['toy:scale'], ['toy:scale', 'toy:center']]);
    expect(log.opened[1]!.stages[1]!.state?.meta).toEqual({ records: 1 });
    expect(log.opened[1]!.plugins).toEqual([{ name: 'toy-plugin', version: '1.0.0', module: expect.stringMatching(/toy-plugin\.ts$/) }]);
    expect(log.closed).toBe(2);
    expect(log.batches).toBe(3 + 3);
  });

  it('applies the calling run policy to rejections made in the worker: skip counts them, fail names the stage and record', async () => {
    const plugins = [toyPlugin()];
    const { executor } = cloningExecutor(plugins);
    const model = await createRuntime({ plugins, executor }).pipeline([scale({ input: 'x', output: 'y' })]).fit([]);
    const report = new RunReport();
    const rejected: unknown[] = [];
    const out = await model.transform(records, { errorPolicy: 'skip', report, onReject: (record) => rejected.push(record) }).collect();
    expect(out.map((r) => r.y)).toEqual([2, 4, 8, 12]);
    expect([report.input, report.output, report.skipped]).toEqual([5, 4, 1]);
    expect(rejected).toEqual([{ id: 'c', x: 'two' }]);
    const error = await model.transform(records).collect().then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(error, 'INVALID_RECORD')).toBe(true);
    expect(error).toMatchObject({ stage: 'toy:scale', recordId: 'c' });
  });

  it('sends only the fields the segment reads (and id), and keeps the others here, untouched', async () => {
    const plugins = [toyPlugin()];
    const { executor, log } = cloningExecutor(plugins);
    const model = await createRuntime({ plugins, executor }).pipeline([scale({ input: 'x', output: 'y', factor: 2 }), scale({ input: 'y', output: 'z', factor: 5 })]).fit([]);
    const blob = new Uint8Array(1 << 16);
    const [out] = await model.predict([{ id: 'a', x: 3, y: 'stale', blob, note: 'kept' }]);
    // x is read; y is written (so its old value goes too, for a stage that writes it only sometimes); blob and note stay here.
    expect(log.sent.map((batch) => batch.map((r) => Object.keys(r)))).toEqual([[['id', 'x', 'y']]]);
    expect(out).toEqual({ id: 'a', x: 3, y: 6, z: 30, blob, note: 'kept' });
    expect(out!.blob).toBe(blob);
  });

  it('a field the stage writes only sometimes keeps its old value, and records rebuilt without their mark keep their other fields', async () => {
    const plugins = [maybePlugin];
    const { executor } = cloningExecutor(plugins);
    const model = await createRuntime({ plugins, executor }).pipeline([maybeDouble({})]).fit([]);
    const out = await model.predict([{ id: 'a', x: 2, y: 'old', label: 1 }, { id: 'b', x: -1, y: 'old', label: 0 }]);
    expect(out).toEqual([{ id: 'a', x: 2, y: 4, label: 1 }, { id: 'b', x: -1, y: 'old', label: 0 }]);
  });

  it('predictEach answers each input in order through the executor, the bad one with its error', async () => {
    const plugins = [toyPlugin()];
    const { executor } = cloningExecutor(plugins);
    const model = await createRuntime({ plugins, executor }).pipeline([scale({ input: 'x', output: 'y', factor: 3 })]).fit([]);
    const answers = await model.predictEach([{ x: 1 }, { x: 'no' }, { x: 5 }]);
    expect(answers.map((a) => a.record?.y ?? a.error?.code)).toEqual([3, 'INVALID_RECORD', 15]);
  });
});
