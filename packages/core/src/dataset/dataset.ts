import { TributaryError } from '../errors/tributary-error.js';
import { createRandom } from '../random/random.js';

/** What a Dataset can be built from: values, an iterable, or a function that opens the source anew. */
export type DatasetSource<T> = Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>);

/** Picks the stratum of a record: a field name, or a function of the record. */
export type StratifyBy<T> = string | ((item: T) => unknown);

export interface SplitOptions<T> {
  /** Fraction of the records that go to the test part, in (0, 1). */
  readonly test: number;
  readonly seed: number;
  /** Keep each stratum's share the same in both parts (the label, usually). */
  readonly stratifyBy?: StratifyBy<T>;
}

export interface FoldOptions<T> {
  readonly seed: number;
  readonly stratifyBy?: StratifyBy<T>;
}

export interface ShuffleOptions {
  /** Draw a new order on every pass (epochs), still determined by the seed. Default false. */
  readonly reshuffleEachIteration?: boolean;
}

type Opener<T> = () => AsyncIterator<T>;
type ChunkOpener<T> = () => AsyncIterator<readonly T[]>;

/** Items per array when a dataset that yields one item at a time is read in chunks. */
const CHUNK = 256;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A chunk of a chunked source, checked: an array (a source that yields items instead fails clearly, not with NaN counts). */
function checkChunk<T>(chunk: unknown): readonly T[] {
  if (Array.isArray(chunk)) return chunk as readonly T[];
  throw new TributaryError('INVALID_DATA', { message: `Dataset.fromChunks: the source yielded ${chunk === null ? 'null' : typeof chunk}, not an array of items. Yield arrays (a chunk of records), or use Dataset.from for a source of single items.` });
}

async function* flatten<T>(chunks: AsyncIterator<readonly T[]>): AsyncGenerator<T> {
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield* next.value;
  } finally {
    await chunks.return?.();
  }
}

/** One-shot sources (streams, generator objects) that some Dataset has already opened. */
const consumed = new WeakSet<object>();

function checkSource<T>(source: unknown): Iterable<T> | AsyncIterable<T> {
  const ok =
    typeof source === 'object' && source !== null && (Symbol.iterator in source || Symbol.asyncIterator in source);
  if (!ok || typeof source === 'string') {
    throw new TributaryError('INVALID_PARAMS', {
      message: `A dataset reads an array, an iterable, an async iterable (a stream) or a function returning one; got ${source === null ? 'null' : typeof source}.`,
    });
  }
  return source as Iterable<T> | AsyncIterable<T>;
}

function checkSeed(seed: unknown): void {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'seed', message: `A seed must be a finite number, got ${String(seed)}. Pass { seed: 42 } (any number) so the result is reproducible.` });
  }
}

function isFunction<T>(source: DatasetSource<T>): source is () => Iterable<T> | AsyncIterable<T> {
  return typeof source === 'function';
}

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function toAsyncIterator<T>(source: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (isAsyncIterable<T>(source)) return source[Symbol.asyncIterator]();
  const it = (source as Iterable<T>)[Symbol.iterator]();
  return {
    next: async () => it.next(),
    return: async (value?: unknown) => (it.return ? it.return(value) : { done: true, value: value as T }),
  };
}

/** True when iterating the value twice gives the same items (arrays, sets, maps, typed arrays). */
function isReiterable(value: unknown): boolean {
  if (Array.isArray(value) || value instanceof Set || value instanceof Map || ArrayBuffer.isView(value)) return true;
  return false;
}

function stratumOf<T>(item: T, by: StratifyBy<T> | undefined): unknown {
  if (by === undefined) return undefined;
  if (typeof by === 'function') return by(item);
  return (item as Record<string, unknown>)[by];
}

/** Splits `total` into integer parts proportional to `weights` (largest remainder), summing to `total`. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left === 0) break;
    parts[i]! += 1;
    left -= 1;
  }
  return parts;
}

/**
 * A lazy, re-iterable async sequence of records. Nothing runs until it is iterated; every pass
 * re-opens the source, and memory is bounded by batch and buffer sizes unless `cache()` or
 * `collect()` is asked for.
 *
 * @example
 * const { train, test } = Dataset.from(records).split({ test: 0.2, seed: 42, stratifyBy: 'label' });
 */
export class Dataset<T> implements AsyncIterable<T> {
  private constructor(
    private readonly open: Opener<T>,
    /** Set when the source produces items in arrays: read a chunk at a time, not one await per item. */
    private readonly openChunks?: ChunkOpener<T>,
  ) {}

  /**
   * A Dataset whose source yields arrays of items (a parser's rows per block it reads, a query's rows per
   * result chunk). `chunks()`, `batch`, `map`, `filter`, `take`, `collect` and the pipeline pass them on a
   * block at a time, so a million small records do not cost a million awaits; iterating the items one by
   * one still works.
   */
  static fromChunks<T>(source: () => Iterable<readonly T[]> | AsyncIterable<readonly T[]>): Dataset<T> {
    const openChunks = (): AsyncIterator<readonly T[]> => {
      const inner = toAsyncIterator(checkSource<readonly T[]>(source()));
      return {
        next: async () => {
          const next = await inner.next();
          return next.done ? next : { done: false, value: checkChunk<T>(next.value) };
        },
        return: async (value?: unknown) => (inner.return ? inner.return(value) : { done: true, value: value as readonly T[] }),
      };
    };
    return new Dataset(() => flatten(openChunks()), openChunks);
  }

  /** The items in arrays: as the source made them, or up to 256 at a time from a source of single items. */
  chunks(): AsyncIterable<readonly T[]> {
    if (this.openChunks) {
      const open = this.openChunks;
      return { [Symbol.asyncIterator]: open };
    }
    return this.batch(CHUNK);
  }

  /** A Dataset over values, an iterable, an async iterable (read once), or a function that opens a source. */
  static from<T>(source: DatasetSource<T>): Dataset<T> {
    if (source instanceof Dataset) return source as Dataset<T>;
    if (isFunction(source)) return new Dataset(() => toAsyncIterator(checkSource(source())));
    checkSource(source);
    if (Array.isArray(source)) {
      const items = source as readonly T[];
      // An array is read in slices, so pipelines over records in memory pass them a block at a time.
      return Dataset.fromChunks(function* () {
        for (let at = 0; at < items.length; at += CHUNK * 4) yield items.slice(at, at + CHUNK * 4);
      });
    }
    if (isReiterable(source)) return new Dataset(() => toAsyncIterator(source));
    return new Dataset(() => {
      if (consumed.has(source as object)) {
        throw new TributaryError('SOURCE_CONSUMED', {
          message:
            'This dataset reads a one-shot source (a stream, socket or generator object) that has already been read. ' +
            'Call .cache() on the dataset before reading it twice, or pass a function that opens the source anew.',
        });
      }
      consumed.add(source as object);
      return toAsyncIterator(source);
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.open();
  }

  /** Applies `fn` to every item (sequentially, in order). */
  map<U>(fn: (item: T, index: number) => U | Promise<U>): Dataset<U> {
    const self = this;
    if (this.openChunks) {
      return Dataset.fromChunks(async function* () {
        let i = 0;
        for await (const chunk of self.chunks()) {
          const out = new Array<U>(chunk.length);
          for (let k = 0; k < chunk.length; k++) {
            const result = fn(chunk[k]!, i++);
            out[k] = isPromiseLike(result) ? await result : (result as U);
          }
          yield out;
        }
      });
    }
    return Dataset.from(async function* () {
      let i = 0;
      for await (const item of self) yield await fn(item, i++);
    });
  }

  filter(predicate: (item: T, index: number) => boolean | Promise<boolean>): Dataset<T> {
    const self = this;
    if (this.openChunks) {
      return Dataset.fromChunks(async function* () {
        let i = 0;
        for await (const chunk of self.chunks()) {
          const out: T[] = [];
          for (const item of chunk) {
            const keep = predicate(item, i++);
            if (isPromiseLike(keep) ? await keep : keep) out.push(item);
          }
          if (out.length > 0) yield out;
        }
      });
    }
    return Dataset.from(async function* () {
      let i = 0;
      for await (const item of self) if (await predicate(item, i++)) yield item;
    });
  }

  flatMap<U>(fn: (item: T, index: number) => Iterable<U> | AsyncIterable<U> | Promise<Iterable<U>>): Dataset<U> {
    const self = this;
    return Dataset.from(async function* () {
      let i = 0;
      for await (const item of self) yield* await fn(item, i++);
    });
  }

  /**
   * Like `map`, with up to `concurrency` calls of an asynchronous `fn` in flight at once (each call
   * starts in input order, results come out in input order). For work that waits on I/O or on
   * native threads (image decoding), so the next items are in progress while this one is used.
   * When reading stops early or a call fails, the calls in flight are awaited before that reaches
   * the reader; no new ones start.
   */
  mapConcurrent<U>(fn: (item: T, index: number) => Promise<U>, concurrency: number): Dataset<U> {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new TributaryError('INVALID_PARAMS', { param: 'concurrency', message: `concurrency must be a whole number ≥ 1, got ${concurrency}.` });
    }
    const self = this;
    return Dataset.from(async function* () {
      const pending: Array<Promise<U>> = [];
      let i = 0;
      try {
        for await (const item of self) {
          const result = fn(item, i++);
          // Handled when its turn comes; until then a failure must not count as unhandled.
          result.catch(() => undefined);
          pending.push(result);
          if (pending.length >= concurrency) yield await pending.shift()!;
        }
        while (pending.length > 0) yield await pending.shift()!;
      } finally {
        // On a failure or an early stop (take, break), the calls already started finish before the
        // caller goes on, so nothing they do (files written, counts) happens after the run has ended.
        await Promise.allSettled(pending);
      }
    });
  }

  /** Groups items into arrays of `size` (the last one may be shorter unless `dropRemainder`). */
  batch(size: number, options: { readonly dropRemainder?: boolean } = {}): Dataset<T[]> {
    if (!Number.isInteger(size) || size < 1) {
      throw new TributaryError('INVALID_PARAMS', { param: 'size', message: `batch size must be a whole number ≥ 1, got ${size}.` });
    }
    const self = this;
    if (this.openChunks) {
      return Dataset.from(async function* () {
        let current: T[] = [];
        for await (const chunk of self.chunks()) {
          let at = 0;
          while (at < chunk.length) {
            const take = Math.min(size - current.length, chunk.length - at);
            if (take === size) current = chunk.slice(at, at + take);
            else for (let k = at; k < at + take; k++) current.push(chunk[k]!);
            at += take;
            if (current.length === size) {
              yield current;
              current = [];
            }
          }
        }
        if (current.length > 0 && !options.dropRemainder) yield current;
      });
    }
    return Dataset.from(async function* () {
      let current: T[] = [];
      for await (const item of self) {
        current.push(item);
        if (current.length === size) {
          yield current;
          current = [];
        }
      }
      if (current.length > 0 && !options.dropRemainder) yield current;
    });
  }

  /** Flattens a dataset of batches back into items. */
  unbatch<U>(this: Dataset<readonly U[]>): Dataset<U> {
    const self = this;
    return Dataset.fromChunks(() => self);
  }

  /**
   * Shuffles through a buffer of `bufferSize` items (a buffer as large as the dataset gives a uniform
   * shuffle); the order is fixed by `seed`.
   */
  shuffle(bufferSize: number, seed: number, options: ShuffleOptions = {}): Dataset<T> {
    checkSeed(seed);
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new TributaryError('INVALID_PARAMS', { param: 'bufferSize', message: `shuffle buffer must be a whole number ≥ 1, got ${bufferSize}.` });
    }
    const self = this;
    let pass = 0;
    return Dataset.from(async function* () {
      const random = options.reshuffleEachIteration ? createRandom(seed).fork(`pass:${pass++}`) : createRandom(seed);
      const buffer: T[] = [];
      for await (const item of self) {
        if (buffer.length < bufferSize) {
          buffer.push(item);
          continue;
        }
        const j = random.int(bufferSize);
        yield buffer[j]!;
        buffer[j] = item;
      }
      random.shuffle(buffer);
      yield* buffer;
    });
  }

  take(count: number): Dataset<T> {
    if (!(Number.isInteger(count) && count >= 0)) {
      throw new TributaryError('INVALID_PARAMS', { param: 'count', message: `take() needs a whole number ≥ 0, got ${count}.` });
    }
    const self = this;
    if (this.openChunks) {
      return Dataset.fromChunks(async function* () {
        let left = count;
        if (left <= 0) return;
        for await (const chunk of self.chunks()) {
          if (chunk.length >= left) {
            yield chunk.slice(0, left);
            return;
          }
          left -= chunk.length;
          yield chunk;
        }
      });
    }
    return Dataset.from(async function* () {
      if (count <= 0) return;
      let i = 0;
      for await (const item of self) {
        yield item;
        if (++i >= count) return;
      }
    });
  }

  skip(count: number): Dataset<T> {
    return this.filter((_, i) => i >= count);
  }

  concat(other: Dataset<T>): Dataset<T> {
    const self = this;
    if (this.openChunks && other.openChunks) {
      return Dataset.fromChunks(async function* () {
        yield* self.chunks();
        yield* other.chunks();
      });
    }
    return Dataset.from(async function* () {
      yield* self;
      yield* other;
    });
  }

  /** Keeps the items in memory after the first complete pass, so later passes do not re-read the source. */
  cache(): Dataset<T> {
    const self = this;
    let cached: T[] | undefined;
    return Dataset.from(async function* () {
      if (cached) {
        yield* cached;
        return;
      }
      const items: T[] = [];
      for await (const item of self) {
        items.push(item);
        yield item;
      }
      cached = items;
    });
  }

  /** Reads everything into an array. */
  async collect(): Promise<T[]> {
    const items: T[] = [];
    if (this.openChunks) for await (const chunk of this.chunks()) for (const item of chunk) items.push(item);
    else for await (const item of this) items.push(item);
    return items;
  }

  async count(): Promise<number> {
    let n = 0;
    if (this.openChunks) for await (const chunk of this.chunks()) n += chunk.length;
    else for await (const _ of this) n++;
    return n;
  }

  async forEach(fn: (item: T, index: number) => void | Promise<void>): Promise<void> {
    let i = 0;
    for await (const item of this) await fn(item, i++);
  }

  /**
   * Splits into train and test parts of exact sizes (per stratum when `stratifyBy` is given).
   * Uses one counting pass, then sequential random selection, so no index of the records is
   * held in memory; both parts re-read the source, so it must be re-iterable (or cached).
   */
  split(options: SplitOptions<T>): { train: Dataset<T>; test: Dataset<T> } {
    const { test } = options ?? ({} as SplitOptions<T>);
    checkSeed(options?.seed);
    if (!(typeof test === 'number' && test > 0 && test < 1)) {
      throw new TributaryError('INVALID_PARAMS', {
        param: 'test',
        message: `split({ test }) takes the fraction of records for the test part, strictly between 0 and 1; got ${String(test)}.`,
      });
    }
    const [train, testPart] = this.partition([1 - test, test], options.seed, options.stratifyBy);
    return { train: train!, test: testPart! };
  }

  /** `k` folds of exact (per-stratum) sizes; fold i tests on part i and trains on the rest. */
  kFold(k: number, options: FoldOptions<T>): Array<{ train: Dataset<T>; test: Dataset<T> }> {
    if (!Number.isInteger(k) || k < 2) {
      throw new TributaryError('INVALID_PARAMS', { param: 'k', message: `kFold needs a whole number of folds ≥ 2, got ${k}.` });
    }
    checkSeed(options?.seed);
    const assigned = this.assignments(new Array<number>(k).fill(1), options.seed, options.stratifyBy);
    return Array.from({ length: k }, (_, fold) => ({
      train: assigned.filter(([, part]) => part !== fold).map(([item]) => item),
      test: assigned.filter(([, part]) => part === fold).map(([item]) => item),
    }));
  }

  private partition(weights: readonly number[], seed: number, stratifyBy: StratifyBy<T> | undefined): Dataset<T>[] {
    const assigned = this.assignments(weights, seed, stratifyBy);
    return weights.map((_, index) => assigned.filter(([, part]) => part === index).map(([item]) => item));
  }

  /** Every item paired with its part, the same on every pass. */
  private assignments(weights: readonly number[], seed: number, stratifyBy: StratifyBy<T> | undefined): Dataset<[T, number]> {
    const self = this;
    let counts: Promise<Map<unknown, number>> | undefined;
    const countStrata = async (): Promise<Map<unknown, number>> => {
      const map = new Map<unknown, number>();
      for await (const item of self) {
        const key = stratumOf(item, stratifyBy);
        map.set(key, (map.get(key) ?? 0) + 1);
      }
      return map;
    };
    return Dataset.from(async function* () {
      counts ??= countStrata();
      const strata = await counts;
      if (stratifyBy !== undefined && strata.size === 1 && strata.has(undefined)) {
        throw new TributaryError('INVALID_PARAMS', {
          param: 'stratifyBy',
          message: `stratifyBy ${typeof stratifyBy === 'string' ? `'${stratifyBy}'` : '(a function)'} gave no value for any record. Name the field that holds the class (usually 'label').`,
        });
      }
      const remaining = new Map<unknown, number[]>();
      for (const [key, n] of strata) remaining.set(key, apportion(n, weights));
      const random = createRandom(seed).fork('partition');
      for await (const item of self) {
        const left = remaining.get(stratumOf(item, stratifyBy));
        if (!left) {
          throw new TributaryError('INVALID_DATA', {
            message: 'The dataset changed between passes while being split (a stratum appeared that the counting pass did not see). Cache the dataset before splitting it.',
          });
        }
        const total = left.reduce((a, b) => a + b, 0);
        if (total === 0) {
          throw new TributaryError('INVALID_DATA', {
            message: 'The dataset yielded more records on this pass than on the counting pass. Cache the dataset before splitting it.',
          });
        }
        let draw = random.int(total);
        let part = 0;
        while (draw >= left[part]!) draw -= left[part++]!;
        left[part]! -= 1;
        yield [item, part] as [T, number];
      }
    });
  }
}
