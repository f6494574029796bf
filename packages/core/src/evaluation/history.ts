import type { Events } from '../services/events.js';

/** Loss and metrics per epoch (train, and validation as `val_*`), by stage kind. */
export type TrainingHistory = Record<string, Array<{ readonly epoch: number } & Readonly<Record<string, number>>>>;

/**
 * Collects the `epoch:end` events of a runtime while it fits: `const h = recordHistory(runtime.events);
 * await pipeline.fit(...); report.history = h.stop()`. Estimators that train in epochs (the tfjs
 * networks) announce each one through core events, so the history needs no plugin code.
 */
export function recordHistory(events: Events): { stop(): TrainingHistory } {
  const history: TrainingHistory = {};
  const off = events.on('epoch:end', (e) => {
    (history[e.stage] ??= []).push({ epoch: e.epoch, ...e.logs });
  });
  return {
    stop() {
      off();
      return history;
    },
  };
}
