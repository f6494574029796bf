import type { TributaryError } from '../errors/tributary-error.js';

export interface StageTiming {
  readonly index: number;
  readonly kind: string;
  phase: 'fit' | 'transform';
  ms: number;
  records: number;
}

export interface RejectionSample {
  readonly stage: string;
  readonly recordId: string | number;
  readonly code: string;
  readonly message: string;
}

const SAMPLE_LIMIT = 20;

function bump(map: Map<string, Map<string, number>>, stage: string, code: string): void {
  let inner = map.get(stage);
  if (!inner) map.set(stage, (inner = new Map()));
  inner.set(code, (inner.get(code) ?? 0) + 1);
}

function nested(map: Map<string, Map<string, number>>): Record<string, Record<string, number>> {
  return Object.fromEntries([...map].map(([stage, codes]) => [stage, Object.fromEntries(codes)]));
}

/**
 * Accounts for every record of a run: each input record is output, skipped or dead-lettered.
 * Also keeps per-stage timings, so the slow stage is visible.
 */
export class RunReport {
  input = 0;
  output = 0;
  skipped = 0;
  deadLettered = 0;
  readonly rejections = new Map<string, Map<string, number>>();
  readonly warnings = new Map<string, Map<string, number>>();
  readonly samples: RejectionSample[] = [];
  readonly timings = new Map<string, StageTiming>();

  reject(stage: string, recordId: string | number, error: TributaryError, policy: 'skip' | 'dead-letter'): void {
    if (policy === 'skip') this.skipped++;
    else this.deadLettered++;
    bump(this.rejections, stage, error.code);
    if (this.samples.length < SAMPLE_LIMIT) this.samples.push({ stage, recordId, code: error.code, message: error.message });
  }

  warn(stage: string, code: string): void {
    bump(this.warnings, stage, code);
  }

  time(index: number, kind: string, phase: 'fit' | 'transform', ms: number, records: number): void {
    const key = `${phase}:${index}`;
    const timing = this.timings.get(key);
    if (timing) {
      timing.ms += ms;
      timing.records += records;
    } else {
      this.timings.set(key, { index, kind, phase, ms, records });
    }
  }

  /** Records that went in but are neither output nor rejected (a stage dropped them silently). */
  get unaccounted(): number {
    return this.input - this.output - this.skipped - this.deadLettered;
  }

  toJSON() {
    return {
      input: this.input,
      output: this.output,
      skipped: this.skipped,
      deadLettered: this.deadLettered,
      unaccounted: this.unaccounted,
      rejections: nested(this.rejections),
      warnings: nested(this.warnings),
      samples: this.samples,
      stages: [...this.timings.values()].map((t) => ({ ...t, ms: Math.round(t.ms * 10) / 10 })),
    };
  }
}
