/** A seeded source of randomness; every stochastic step of Tributary draws from one. */
export interface Random {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** Shuffles `items` (an array or typed array) in place (Fisher–Yates) and returns it. */
  shuffle<A extends { length: number; [index: number]: unknown }>(items: A): A;
  /** An independent generator derived from this seed and a label, so adding one consumer does not shift the others. */
  fork(label: string): Random;
}

/** 32-bit FNV-1a, used to turn labels into seeds. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Creates a generator (mulberry32: small state, passes the usual statistical batteries for this use). */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const initial = seed >>> 0;
  let state = initial;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return randomFrom(next, initial, (label) => createRandom((initial ^ hashString(label)) >>> 0));
}

/** A Random over any source of floats in [0, 1): `int` and `shuffle` (Fisher–Yates) are drawn from `next`. */
export function randomFrom(next: () => number, seed: number, fork: (label: string) => Random): Random {
  return {
    seed,
    next,
    int: (n) => Math.floor(next() * n),
    shuffle<A extends { length: number; [index: number]: unknown }>(items: A): A {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
    fork,
  };
}
