import { describe, expect, it } from 'vitest';
import { denseTensor, featureLength, isDenseTensor, stackTensors, writeDense } from '../index.js';

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

describe('stackTensors', () => {
  it('stacks tensors of one shape into [n, …shape], in order', () => {
    const a = denseTensor(Float32Array.from([1, 2, 3, 4]), [2, 2, 1]);
    const b = denseTensor(Float32Array.from([5, 6, 7, 8]), [2, 2, 1]);
    const batch = stackTensors([a, b]);
    expect(batch.shape).toEqual([2, 2, 2, 1]);
    expect(Array.from(batch.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => stackTensors([a, denseTensor(new Float32Array(4), [4, 1, 1])])).toThrow(/Tensor #1 has shape \[4, 1, 1\]/);
    expect(() => stackTensors([])).toThrow(/at least one/);
  });
});
