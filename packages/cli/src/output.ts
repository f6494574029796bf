import cliProgress from 'cli-progress';
import pino from 'pino';
import type { Events, LogLevel, Logger } from '@tributary/core';

import type { GlobalOptions } from './options.js';

export type { GlobalOptions } from './options.js';

/** One task on the progress display. */
export interface Task {
  /** Sets how much is done (and the figures shown after it). */
  update(done: number, info?: string): void;
  /** Sets the total, once it is known. */
  total(total: number): void;
  stop(): void;
}

/**
 * Progress for long work, on stderr: bars on a terminal (cli-progress), plain lines every few seconds
 * otherwise, nothing with --quiet. stdout stays for results.
 */
export class Progress {
  private readonly bars: cliProgress.MultiBar | undefined;
  private readonly plain: boolean;
  private stopped = false;

  constructor(
    enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.plain = enabled && !stream.isTTY;
    this.bars =
      enabled && stream.isTTY
        ? new cliProgress.MultiBar({ stream, hideCursor: false, clearOnComplete: false, stopOnComplete: false, fps: 8, format: ' {label} {bar} {value}/{total} {info}', barsize: 24, autopadding: true }, cliProgress.Presets.shades_classic)
        : undefined;
  }

  task(label: string, total?: number): Task {
    if (this.bars) {
      const format = total === undefined ? ' {label} {value} {info}' : ' {label} {bar} {value}/{total} {info}';
      const bar = this.bars.create(total ?? 0, 0, { label: label.padEnd(10), info: '' }, { format });
      return {
        update: (done, info) => bar.update(done, { info: info ?? '' }),
        total: (n) => bar.setTotal(n),
        stop: () => bar.stop(),
      };
    }
    if (!this.plain) return { update() {}, total() {}, stop() {} };
    // The first line comes after the first interval: a task that ends sooner prints once, at its end.
    let last = Date.now();
    let printed = -1;
    let of = total;
    let state = { done: 0, info: '' };
    const line = () => {
      printed = state.done;
      this.stream.write(`${label}: ${state.done}${of === undefined ? '' : `/${of}`}${state.info ? ` ${state.info}` : ''}\n`);
    };
    return {
      update: (done, info) => {
        state = { done, info: info ?? state.info };
        const now = Date.now();
        if (now - last >= 2000 || (of !== undefined && done >= of)) {
          last = now;
          line();
        }
      },
      total: (n) => (of = n),
      stop: () => {
        if (printed !== state.done) line();
      },
    };
  }

  /** A line above the bars (or on its own when there are none). */
  log(text: string): void {
    if (this.bars) this.bars.log(text.endsWith('\n') ? text : `${text}\n`);
    else this.stream.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Stops the bars (once: stopping again would redraw them over what was printed since). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bars?.stop();
  }
}

/** pino, writing JSON lines to stderr (above the progress bars), adapted to core's Logger. */
export function createLogger(level: string, progress: Progress): Logger {
  const log = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, { write: (line: string) => progress.log(line) });
  const at = (method: Exclude<LogLevel, never>) => (message: string, fields?: Record<string, unknown>) => log[method](fields ?? {}, message);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Turns a runtime's events into progress: one bar per stage fitted, epochs with their loss and accuracy. */
export function showEvents(events: Events, progress: Progress, logger: Logger): () => void {
  const epochs = new Map<string, Task>();
  const offs = [
    events.on('epoch:end', (e) => {
      let task = epochs.get(e.stage);
      if (!task) epochs.set(e.stage, (task = progress.task(`epochs`, e.epochs)));
      const figures = Object.entries(e.logs)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join('  ');
      task.update(e.epoch, figures);
      if (e.epoch === e.epochs) task.stop();
    }),
    events.on('stage:end', (e) => logger.info('stage done', { stage: e.stage, phase: e.phase, records: e.records, ms: Math.round(e.ms) })),
    // Per-record events are counted in the run report (printed at the end); each one is a log line only at info.
    events.on('warning', (e) => logger.info(e.message, { stage: e.stage, code: e.code, ...(e.recordId === undefined ? {} : { recordId: e.recordId }) })),
    events.on('record:rejected', (e) => logger.info('record rejected', { stage: e.stage, recordId: e.recordId, code: e.code, policy: e.policy, reason: e.message })),
  ];
  return () => offs.forEach((off) => off());
}

/** Writes a result to stdout: the JSON document with --json, else the text for a person. */
export function emit(options: GlobalOptions, json: unknown, text: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);
}

/** A plain text table. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}
