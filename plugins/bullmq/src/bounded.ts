/**
 * Time bounds for calls to Redis: ioredis queues commands while disconnected, for ever, and BullMQ's
 * close() waits for them, so every wait on Redis that a user's run depends on has an end.
 */

/** Rejects with `error()` when `work` has not settled within `ms`. */
export function within<T>(ms: number, work: Promise<T>, error: () => Error = () => new Error(`no answer from Redis within ${ms} ms`)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Waits for `work` (a close) at most `ms`, its failure ignored; true when it ended in time. The timer keeps no process alive. */
export function settledWithin(ms: number, work: Promise<unknown>): Promise<boolean> {
  return Promise.race([work.then(() => true, () => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
}
