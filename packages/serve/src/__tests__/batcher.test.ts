import type { DataRecord, Prediction } from '@tributary/core';
import { MicroBatcher, QueueFull } from '@tributary/serve';
import { describe, expect, it } from 'vitest';

/** A model that answers x · 10 after a few milliseconds and records the size of every batch. */
function recorder(ms = 5) {
  const batches: number[] = [];
  const run = async (records: DataRecord[]): Promise<Prediction[]> => {
    batches.push(records.length);
    await new Promise((r) => setTimeout(r, ms));
    return records.map((r) => ({ record: { y: (r.x as number) * 10 } }));
  };
  return { batches, run };
}

describe('MicroBatcher', () => {
  it('with no wait, requests received in the same turn share one batch; those arriving while it runs share the next', async () => {
    const { batches, run } = recorder();
    const batcher = new MicroBatcher(run, { maxBatchSize: 32, maxWaitMs: 0, maxQueue: 100 });
    const first = [1, 2, 3].map((x) => batcher.submit([{ x }]).answers);
    await new Promise((r) => setTimeout(r, 1));
    const second = [4, 5].map((x) => batcher.submit([{ x }]).answers);
    const answers = await Promise.all([...first, ...second]);
    expect(answers.map((a) => a[0]!.record!.y)).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([3, 2]);
  });

  it('never exceeds the batch size, keeps each request whole, and answers each with its own records in order', async () => {
    const { batches, run } = recorder(1);
    const batcher = new MicroBatcher(run, { maxBatchSize: 4, maxWaitMs: 0, maxQueue: 100 });
    const jobs = [[1, 2], [3, 4, 5], [6], [7, 8, 9, 10, 11]].map((xs) => batcher.submit(xs.map((x) => ({ x }))).answers);
    const answers = await Promise.all(jobs);
    expect(answers.map((a) => a.map((p) => p.record!.y))).toEqual([[10, 20], [30, 40, 50], [60], [70, 80, 90, 100, 110]]);
    // [1,2] and [3,4,5] would make 5 > 4: they run apart; [6] joins [3,4,5]; the request of 5 runs alone.
    expect(batches).toEqual([2, 4, 5]);
  });

  it('refuses a request that would overflow the queue, and an abandoned request is dropped before it runs', async () => {
    const { batches, run } = recorder(20);
    const batcher = new MicroBatcher(run, { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 2 });
    const running = batcher.submit([{ x: 1 }]);
    await new Promise((r) => setImmediate(r));
    const a = batcher.submit([{ x: 2 }]);
    const b = batcher.submit([{ x: 3 }]);
    expect(batcher.depth).toBe(2);
    expect(() => batcher.submit([{ x: 4 }])).toThrow(QueueFull);
    b.abandon();
    await expect(b.answers).rejects.toThrow('abandoned');
    expect((await a.answers)[0]!.record!.y).toBe(20);
    await running.answers;
    expect(batches).toEqual([1, 1]);
    await batcher.drained();
    expect(batcher.depth).toBe(0);
  });
});
