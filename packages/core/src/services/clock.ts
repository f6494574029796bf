/** Time as the runtime sees it; tests substitute a fixed clock. */
export interface Clock {
  /** Milliseconds from an arbitrary origin, monotonic, for durations. */
  now(): number;
  /** Wall-clock time, for manifests. */
  date(): Date;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
};
