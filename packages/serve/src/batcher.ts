import type { DataRecord, Prediction } from '@tributary/core';

export interface BatcherOptions {
  /** Records per model call: requests arriving together are joined up to this many. */
  readonly maxBatchSize: number;
  /**
   * How long the first request of a batch waits for others to join it, in milliseconds. 0: none beyond
   * the requests already read in the same turn of the event loop (the batch starts right after them).
   */
  readonly maxWaitMs: number;
  /** Records waiting at most; beyond it a request is refused (`QueueFull`) instead of memory growing. */
  readonly maxQueue: number;
}

/** The queue is full: the caller should answer 503 with Retry-After. */
export class QueueFull extends Error {
  constructor(readonly depth: number) {
    super(`the queue holds ${depth} records, its limit`);
  }
}

/** A request gave up waiting before its batch ran: it is dropped from the queue, not run for nobody. */
export class Abandoned extends Error {}

interface Job {
  readonly records: readonly DataRecord[];
  readonly resolve: (answers: Prediction[]) => void;
  readonly reject: (error: unknown) => void;
  abandoned: boolean;
}

/**
 * Micro-batching: concurrent requests are queued and the model runs on batches of up to
 * `maxBatchSize` records — one batch at a time, as the model's work is CPU-bound on this thread —
 * so its per-call cost is shared. A batch starts when enough records are waiting, or when the first
 * of them has waited `maxWaitMs` (with 0, as soon as the requests already received are queued).
 * While a batch runs, the next one fills.
 */
export class MicroBatcher {
  private readonly queue: Job[] = [];
  private queued = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private idle: Array<() => void> = [];

  constructor(
    private readonly run: (records: DataRecord[]) => Promise<Prediction[]>,
    private readonly options: BatcherOptions,
    private readonly onBatch: (size: number, ms: number) => void = () => {},
  ) {}

  /** Records waiting, not counting the batch running now. */
  get depth(): number {
    return this.queued;
  }

  /** Queues a request's records; resolves with one answer per record, in order. */
  submit(records: readonly DataRecord[]): { readonly answers: Promise<Prediction[]>; abandon(): void } {
    if (this.queued + records.length > this.options.maxQueue && this.queued > 0) throw new QueueFull(this.queued);
    let job!: Job;
    const answers = new Promise<Prediction[]>((resolve, reject) => {
      job = { records, resolve, reject, abandoned: false };
    });
    this.queue.push(job);
    this.queued += records.length;
    this.schedule();
    return {
      answers,
      abandon: () => {
        if (job.abandoned || !this.queue.includes(job)) return;
        job.abandoned = true;
        this.queued -= job.records.length;
        this.queue.splice(this.queue.indexOf(job), 1);
        job.reject(new Abandoned('abandoned'));
      },
    };
  }

  /** Refuses every request still waiting (at a shutdown deadline): each gets `Abandoned`. The running batch finishes. */
  abandonAll(): void {
    for (const job of this.queue.splice(0)) {
      job.abandoned = true;
      job.reject(new Abandoned('shutting down'));
    }
    this.queued = 0;
    this.cancelStart();
    if (!this.running) for (const done of this.idle.splice(0)) done();
  }

  /** Resolves once nothing is queued or running. */
  drained(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queued >= this.options.maxBatchSize) {
      this.flush();
      return;
    }
    // With no wait, the batch still takes every request that arrived in this turn of the event loop:
    // it starts after the pending I/O has been read (setImmediate), not at the first request.
    if (this.options.maxWaitMs <= 0) this.immediate ??= setImmediate(() => this.flush());
    else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
  }

  /** Drops a scheduled start of the next batch (its timer or its setImmediate). */
  private cancelStart(): void {
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private flush(): void {
    this.cancelStart();
    if (this.running || this.queue.length === 0) return;
    // Whole requests, up to the batch size (a request larger than a batch runs alone).
    const jobs: Job[] = [];
    let size = 0;
    while (this.queue.length > 0 && (jobs.length === 0 || size + this.queue[0]!.records.length <= this.options.maxBatchSize)) {
      const job = this.queue.shift()!;
      jobs.push(job);
      size += job.records.length;
    }
    this.queued -= size;
    this.running = true;
    const started = performance.now();
    this.run(jobs.flatMap((j) => j.records))
      .then((answers) => {
        this.onBatch(size, performance.now() - started);
        let at = 0;
        for (const job of jobs) {
          job.resolve(answers.slice(at, at + job.records.length));
          at += job.records.length;
        }
      })
      .catch((error: unknown) => {
        for (const job of jobs) job.reject(error);
      })
      .finally(() => {
        this.running = false;
        // Requests that queued while this batch ran go next, together with those still being read.
        if (this.queue.length > 0) this.schedule();
        else for (const done of this.idle.splice(0)) done();
      });
  }
}
