import { describe, expect, it } from 'vitest';
import { denseTensor, featureLength, isDenseTensor, writeDense } from '../index.js';

describe('dense tensors', () => {
  it('wraps data whose length matches the shape and refuses any other', () => {
    const t = denseTensor(new Float32Array(6), [2, 3, 1]);
    expect(t.shape).toEqual([2, 3, 1]);
    expect(isDenseTensor(t)).toBe(true);
    expect(() => denseTensor(new Float32Array(5), [2, 3])).toThrow(/holds 6 values, but 5/);
    expect(() => denseTensor(new Float32Array(0), [0])).toThrow(/positive integers/);
    expect(isDenseTensor({ kind: 'tensor', shape: [2, 2], data: new Float32Array(3) })).toBe(false);
    expect(isDenseTensor({ kind: 'tensor', shape: [4], data: [1, 2, 3, 4] })).toBe(false);
  });

  it('reads as a flat feature vector of all its values', () => {
    const t = denseTensor(Float32Array.from([1, 2, 3, 4]), [2, 2]);
    expect(featureLength(t)).toBe(4);
    const target = new Float32Array(6);
    writeDense(t, target, 1);
    expect(Array.from(target)).toEqual([0, 1, 2, 3, 4, 0]);
  });
});
