import { Dataset, isTributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';

const records = (n: number, positives: number) =>
  Array.from({ length: n }, (_, i) => ({ id: i, label: i < positives ? 1 : 0 }));

describe('Dataset.split', () => {
  it('gives exact part sizes per stratum and keeps every record exactly once', async () => {
    // 1000 records, 100 positive: a 20% stratified test part holds 20 positives and 180 negatives.
    const data = Dataset.from(records(1000, 100));
    const { train, test } = data.split({ test: 0.2, seed: 42, stratifyBy: 'label' });
    const trainItems = await train.collect();
    const testItems = await test.collect();
    expect(testItems).toHaveLength(200);
    expect(trainItems).toHaveLength(800);
    expect(testItems.filter((r) => r.label === 1)).toHaveLength(20);
    expect(trainItems.filter((r) => r.label === 1)).toHaveLength(80);
    const ids = new Set([...trainItems, ...testItems].map((r) => r.id));
    expect(ids.size).toBe(1000);
  });

  it('rounds each stratum by largest remainder (7 positives × 0.2 = 1.4 → 1 in test)', async () => {
    const { test } = Dataset.from(records(50, 7)).split({ test: 0.2, seed: 1, stratifyBy: 'label' });
    const items = await test.collect();
    expect(items.filter((r) => r.label === 1)).toHaveLength(1); // 1.4 → 1
    expect(items.filter((r) => r.label === 0)).toHaveLength(9); // 43 × 0.2 = 8.6 → 9
  });

  it('is the same on every pass and for the same seed, and differs for another seed', async () => {
    const data = Dataset.from(records(500, 50));
    const a = data.split({ test: 0.2, seed: 7, stratifyBy: 'label' });
    const first = (await a.test.collect()).map((r) => r.id);
    const second = (await a.test.collect()).map((r) => r.id);
    const again = (await data.split({ test: 0.2, seed: 7, stratifyBy: 'label' }).test.collect()).map((r) => r.id);
    const other = (await data.split({ test: 0.2, seed: 8, stratifyBy: 'label' }).test.collect()).map((r) => r.id);
    expect(second).toEqual(first);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('rejects a test fraction outside (0, 1) with INVALID_PARAMS naming the param', () => {
    try {
      Dataset.from(records(10, 5)).split({ test: 1.5, seed: 1 });
      expect.unreachable();
    } catch (error) {
      expect(isTributaryError(error, 'INVALID_PARAMS')).toBe(true);
      expect((error as { param: string }).param).toBe('test');
    }
  });
});

describe('Dataset.kFold', () => {
  it('puts every record in exactly one test fold, stratified', async () => {
    const folds = Dataset.from(records(100, 30)).kFold(5, { seed: 3, stratifyBy: 'label' });
    const seen: number[] = [];
    for (const fold of folds) {
      const test = await fold.test.collect();
      const train = await fold.train.collect();
      expect(test).toHaveLength(20);
      expect(train).toHaveLength(80);
      expect(test.filter((r) => r.label === 1)).toHaveLength(6);
      seen.push(...test.map((r) => r.id));
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('Dataset laziness and memory', () => {
  it('pulls from the source only as far as the consumer needs (bounded look-ahead)', async () => {
    let produced = 0;
    const source = Dataset.from(function* () {
      for (let i = 0; i < 1_000_000; i++) {
        produced++;
        yield { id: i, value: i };
      }
    });
    const bufferSize = 100;
    const batchSize = 32;
    let consumed = 0;
    let maxLead = 0;
    const pipeline = source
      .map((r) => ({ ...r, twice: r.value * 2 }))
      .filter((r) => r.id % 3 !== 0)
      .shuffle(bufferSize, 1)
      .batch(batchSize);
    for await (const batch of pipeline) {
      consumed += batch.length;
      // Everything produced is consumed, filtered out (a third), or waiting in the shuffle buffer or the batch.
      const dropped = Math.floor((produced + 2) / 3);
      maxLead = Math.max(maxLead, produced - dropped - consumed);
      if (consumed > 200_000) break;
    }
    expect(maxLead).toBeLessThanOrEqual(bufferSize + batchSize + 1);
    expect(produced).toBeLessThan(320_000);
  });

  it('streams a long source in bounded heap', async () => {
    const source = Dataset.from(function* () {
      for (let i = 0; i < 1_000_000; i++) yield { id: i, text: `record number ${i}` };
    });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let n = 0;
    for await (const batch of source.map((r) => ({ ...r, length: r.text.length })).batch(256)) {
      n += batch.length;
      if (n % 65_536 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(n).toBe(1_000_000);
    // A million records held at once would take hundreds of MB; streaming stays far below.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a second read of a one-shot source, and cache() makes it re-readable', async () => {
    async function* once() {
      yield { id: 1 };
      yield { id: 2 };
    }
    const data = Dataset.from(once());
    expect(await data.count()).toBe(2);
    await expect(data.count()).rejects.toMatchObject({ code: 'SOURCE_CONSUMED' });
    const cached = Dataset.from(once()).cache();
    expect(await cached.count()).toBe(2);
    expect(await cached.count()).toBe(2);
  });
});

describe('Dataset.shuffle', () => {
  it('is a permutation fixed by the seed', async () => {
    const data = Dataset.from(Array.from({ length: 50 }, (_, i) => i));
    const a = await data.shuffle(50, 9).collect();
    const b = await data.shuffle(50, 9).collect();
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('draws a new order per pass when asked, still the same across runs', async () => {
    const make = () => Dataset.from([1, 2, 3, 4, 5, 6, 7, 8]).shuffle(8, 5, { reshuffleEachIteration: true });
    const first = make();
    const run1 = [await first.collect(), await first.collect()];
    const second = make();
    const run2 = [await second.collect(), await second.collect()];
    expect(run1).toEqual(run2);
    expect(run1[0]).not.toEqual(run1[1]);
  });
});

describe('Dataset basics', () => {
  it('batches with a short last batch, takes and skips', async () => {
    const data = Dataset.from([1, 2, 3, 4, 5]);
    expect(await data.batch(2).collect()).toEqual([[1, 2], [3, 4], [5]]);
    expect(await data.batch(2, { dropRemainder: true }).collect()).toEqual([[1, 2], [3, 4]]);
    expect(await data.take(2).collect()).toEqual([1, 2]);
    expect(await data.skip(3).collect()).toEqual([4, 5]);
    expect(await data.batch(2).unbatch().collect()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('mapConcurrent', () => {
  it('keeps up to n calls in flight and the results in input order', async () => {
    let active = 0;
    let peak = 0;
    const delays = [30, 5, 20, 1, 10, 2];
    const out = await Dataset.from(delays)
      .mapConcurrent(async (ms, i) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, ms));
        active--;
        return i;
      }, 3)
      .collect();
    expect(out).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(3);
  });

  it('surfaces a failure at its place in the order and refuses a bad concurrency', async () => {
    const ds = Dataset.from([1, 2, 3]).mapConcurrent(async (v) => {
      if (v === 2) throw new Error('two');
      return v;
    }, 2);
    const seen: number[] = [];
    await expect(ds.forEach((v) => void seen.push(v))).rejects.toThrow('two');
    expect(seen).toEqual([1]);
    expect(() => Dataset.from([1]).mapConcurrent(async (v) => v, 0)).toThrow(/concurrency/);
  });
});

describe('mapConcurrent when reading stops', () => {
  it('lets the calls in flight finish before a failure or an early stop reaches the reader', async () => {
    const finished: number[] = [];
    const slow = (fail: number | undefined) =>
      Dataset.from([0, 1, 2, 3, 4, 5, 6, 7]).mapConcurrent(async (v) => {
        await new Promise((resolve) => setTimeout(resolve, v === fail ? 1 : 20));
        if (v === fail) throw new Error(`failed ${v}`);
        finished.push(v);
        return v;
      }, 4);
    await expect(slow(1).collect()).rejects.toThrow('failed 1');
    // 0…3 start; when 0 is read, 4 starts; 1's failure surfaces at its turn, after 2, 3 and 4 have finished.
    expect([...finished].sort()).toEqual([0, 2, 3, 4]);
    finished.length = 0;
    expect(await slow(undefined).take(1).collect()).toEqual([0]);
    expect([...finished].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe('Dataset.fromChunks: items that arrive in arrays', () => {
  const chunked = () => Dataset.fromChunks(() => [[1, 2, 3], [], [4], [5, 6, 7, 8, 9], [10]]);

  it('batch, map, filter, take and collect give what the same items one by one give, with the same indices', async () => {
    const plain = Dataset.from(async function* () {
      for (let i = 1; i <= 10; i++) yield i;
    });
    for (const data of [chunked(), plain]) {
      expect(await data.batch(4).collect()).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
      expect(await data.map((x, i) => (i % 2 ? Promise.resolve(x * 10 + i) : x * 10 + i)).collect()).toEqual([10, 21, 32, 43, 54, 65, 76, 87, 98, 109]);
      expect(await data.filter((x, i) => x % 3 === 0 || i === 0).collect()).toEqual([1, 3, 6, 9]);
      expect(await data.take(5).collect()).toEqual([1, 2, 3, 4, 5]);
      expect(await data.count()).toBe(10);
      const items: number[] = [];
      for await (const x of data) items.push(x);
      expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
  });

  it('a chunked source that yields items instead of arrays fails clearly', async () => {
    const wrong = Dataset.fromChunks(() => [{ a: 1 }] as unknown as Array<Array<{ a: number }>>);
    await expect(wrong.collect()).rejects.toThrow(/yielded object, not an array of items/);
    await expect(wrong.count()).rejects.toThrow(/not an array/);
  });

  it('passes the source arrays on as chunks, and groups single items into chunks', async () => {
    const sizes: number[] = [];
    for await (const chunk of chunked().chunks()) sizes.push(chunk.length);
    expect(sizes).toEqual([3, 0, 1, 5, 1]);
    const grouped: number[] = [];
    for await (const chunk of Dataset.from(new Set(Array.from({ length: 600 }, (_, i) => i))).chunks()) grouped.push(chunk.length);
    expect(grouped).toEqual([256, 256, 88]);
  });
});
