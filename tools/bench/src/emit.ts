/** Prints one benchmark result as a JSON line (the only thing benchmarks write to stdout). */
export function emit(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), node: process.version, ...result })}\n`);
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
