import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Executor, type SegmentResult, type SegmentRunner, type SegmentSpec, type ShardResult, type ShardTask, TributaryError } from '@tributary/core';
import { type Answer, answered, segmentId, workerExecArgv } from './shared.js';

export interface ProcessPoolOptions {
  /** Worker processes; default one per core (`os.availableParallelism()`). */
  readonly processes?: number;
  /** Tasks (batches or shards) handed to one process at once (default 2: one running, the next waiting in its channel). */
  readonly tasksPerProcess?: number;
  /** Node flags for the processes; default this process's (less the workspace's source condition). */
  readonly execArgv?: readonly string[];
}

/** Segment descriptions a process keeps (a run opens one per pass; cross-validation makes several). */
const SEGMENTS_SENT = 8;

type Pending = { resolve: (answer: Answer<unknown>) => void; reject: (error: Error) => void };

/** One worker process, the segments it has been sent, and its tasks in flight. */
interface Child {
  readonly process: ChildProcess;
  /** The segments sent to it, least recently used first; past a few, the oldest is forgotten on both sides. */
  readonly sent: Map<string, true>;
  readonly pending: Map<number, Pending>;
}

/**
 * An executor that runs the stages which declare `worker: true` in separate Node processes:
 * `createRuntime({ plugins, executor: processPool({ processes: 2 }) })`. The same contract as
 * `workerPool` (each process imports the plugins from their modules and rebuilds the stages from their
 * params and fitted state; results in the input's order), with each worker in a process of its own: no
 * heap, collector or allocator shared with the caller or the other workers, which costs the allocation-heavy
 * text stages much less than threads of one process do. Records travel over the IPC channel by Node's
 * advanced serialisation (the structured clone of threads); a segment's description is sent once per process.
 */
export class ProcessPool implements Executor {
  readonly name = 'processes';
  readonly concurrency: number;
  readonly processes: number;
  private readonly execArgv: readonly string[] | undefined;
  private readonly children: Array<Child | undefined>;
  private nextTask = 0;
  private closed = false;

  constructor(options: ProcessPoolOptions = {}) {
    const processes = options.processes ?? os.availableParallelism();
    const tasksPerProcess = options.tasksPerProcess ?? 2;
    for (const [param, value] of [['processes', processes], ['tasksPerProcess', tasksPerProcess]] as const) {
      if (!(Number.isInteger(value) && value >= 1)) throw new TributaryError('INVALID_PARAMS', { param, message: `processPool({ ${param} }) takes a whole number ≥ 1; got ${String(value)}.` });
    }
    this.processes = processes;
    this.concurrency = processes * tasksPerProcess;
    this.execArgv = options.execArgv;
    this.children = Array.from({ length: processes }, () => undefined);
  }

  /** A process is started on its first task, and again after one exits. */
  private child(slot: number): Child {
    const existing = this.children[slot];
    // One that died since its last task (its exit not seen yet) is replaced rather than handed work.
    if (existing && existing.process.connected && existing.process.exitCode === null && existing.process.signalCode === null) return existing;
    if (existing) this.children[slot] = undefined;
    const child: Child = {
      process: fork(fileURLToPath(new URL('./process-worker.mjs', import.meta.url)), [], {
        serialization: 'advanced',
        execArgv: [...(this.execArgv ?? workerExecArgv() ?? process.execArgv)],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
      sent: new Map(),
      pending: new Map(),
    };
    child.process.on('message', (message: { task: number; answer: Answer<unknown> }) => {
      const waiting = child.pending.get(message.task);
      if (!waiting) return;
      child.pending.delete(message.task);
      this.idle(child);
      waiting.resolve(message.answer);
    });
    child.process.on('exit', (code, signal) => {
      if (this.children[slot] === child) this.children[slot] = undefined;
      const why = new TributaryError('STAGE_FAILED', {
        message: `A worker process (pid ${child.process.pid}) exited ${signal ? `on ${signal}` : `with code ${code}`} while it ran ${child.pending.size} task(s). Look at its output above; a process that runs out of memory needs smaller batches or more memory (execArgv: ['--max-old-space-size=…']).`,
      });
      for (const waiting of child.pending.values()) waiting.reject(why);
      child.pending.clear();
    });
    // A failed start (no such file, no permission) arrives as 'error', then 'exit'.
    child.process.on('error', () => undefined);
    this.children[slot] = child;
    this.idle(child);
    return child;
  }

  /** An idle process does not keep the application alive (one that forgets close() still exits). */
  private idle(child: Child): void {
    if (child.pending.size === 0) {
      child.process.unref();
      (child.process.channel as { unref?: () => void } | undefined)?.unref?.();
    } else {
      child.process.ref();
      (child.process.channel as { ref?: () => void } | undefined)?.ref?.();
    }
  }

  /** Hands a task to the process with the fewest in flight, sending the segment first where it is new. */
  private dispatch<R>(id: string, spec: Buffer, work: { batch: unknown[] } | { shard: ShardTask }): Promise<R> {
    if (this.closed) return Promise.reject(new TributaryError('DISPOSED', { message: 'The process pool was closed; create another for a new run.' }));
    let slot = 0;
    let least = Number.POSITIVE_INFINITY;
    for (let k = 0; k < this.processes; k++) {
      const load = this.children[k]?.pending.size ?? 0;
      if (load < least) {
        least = load;
        slot = k;
      }
    }
    const child = this.child(slot);
    const task = this.nextTask++;
    return new Promise<Answer<unknown>>((resolve, reject) => {
      child.pending.set(task, { resolve, reject });
      this.idle(child);
      try {
        if (child.sent.has(id)) child.sent.delete(id);
        else {
          child.process.send({ type: 'segment', id, spec });
          while (child.sent.size >= SEGMENTS_SENT) {
            const oldest = child.sent.keys().next().value!;
            child.sent.delete(oldest);
            child.process.send({ type: 'forget', id: oldest });
          }
        }
        child.sent.set(id, true);
        child.process.send({ task, id, ...work });
      } catch (error) {
        // A value that cannot be serialised (a function, a class with private state): this task fails, the process is fine.
        child.pending.delete(task);
        this.idle(child);
        reject(new TributaryError('STAGE_FAILED', { message: `A batch could not be sent to a worker process: ${error instanceof Error ? error.message : String(error)}. Records sent to workers hold plain values (text, numbers, arrays, typed arrays, Dates, plain objects).`, cause: error }));
      }
    }).then((answer) => answered(answer as Answer<R>));
  }

  async open(segment: SegmentSpec): Promise<SegmentRunner> {
    const { bytes, id } = segmentId(segment);
    return {
      run: (batch) => this.dispatch<SegmentResult>(id, bytes, { batch }),
      runShard: (shard) => this.dispatch<ShardResult>(id, bytes, { shard }),
      async close() {
        // Processes drop a segment once newer ones replace it; nothing to free here.
      },
    };
  }

  /** Ends the processes: tasks still out fail with DISPOSED, and each process exits once its channel closes. */
  async close(): Promise<void> {
    this.closed = true;
    const running = this.children.filter((c): c is Child => c !== undefined);
    this.children.fill(undefined);
    // Tasks still out end now, as DISPOSED: their answers will not be read.
    for (const child of running) {
      for (const waiting of child.pending.values()) waiting.reject(new TributaryError('DISPOSED', { message: 'The process pool was closed while tasks ran; their run cannot finish.' }));
      child.pending.clear();
    }
    await Promise.all(
      running.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.process.kill('SIGKILL'), 5000);
            child.process.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (child.process.connected) child.process.disconnect();
            else child.process.kill('SIGTERM');
          }),
      ),
    );
  }
}

/** A worker-process pool executor: `createRuntime({ plugins, executor: processPool({ processes: 2 }) })`. */
export function processPool(options: ProcessPoolOptions = {}): ProcessPool {
  return new ProcessPool(options);
}
