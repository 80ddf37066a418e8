import { describe, expect, it } from 'vitest';
import { toNdArray, VizError } from '../src/index.ts';
import { moveAxis, transpose } from '../src/ndarray.ts';

describe('toNdArray', () => {
  it('normalizes nested arrays, typed arrays and { data, shape }', () => {
    expect(
      toNdArray([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ).toEqual({ data: Float64Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] });
    expect(toNdArray(Int32Array.of(1, 2))).toEqual({ data: Float64Array.of(1, 2), shape: [2] });
    // float32 stays float32 (every float32 is exactly a double), in a copy of its own
    const f32 = Float32Array.of(1.1, 2);
    const t = toNdArray({ data: f32, shape: [2, 1] });
    expect(t).toEqual({ data: Float32Array.of(1.1, 2), shape: [2, 1] });
    f32[0] = 9;
    expect(t.data[0]).toBe(Math.fround(1.1));
    expect(toNdArray({ data: [1, 2, 3, 4], shape: [2, 1, 2] }).shape).toEqual([2, 1, 2]);
  });

  it('rejects empty, ragged, non-numeric and mismatched input with messages that say what to do', () => {
    expect(() => toNdArray([], 'x')).toThrow(/x is empty \(shape \[0\]\)\. Pass at least one value/);
    expect(() => toNdArray([[1], [2, 3]], 'x')).toThrow(/x is ragged: x\[1\] has length 2 where length 1 was expected/);
    expect(() => toNdArray([[1, 'a']] as never, 'x')).toThrow(/x\[0\]\[1\] is the string "a", not a number/);
    expect(() => toNdArray({ data: [1, 2], shape: [3] }, 'x')).toThrow(VizError);
    expect(() => toNdArray({ data: [1, 2], shape: [-2] }, 'x')).toThrow(/not a non-negative integer/);
  });
});

describe('axes', () => {
  it('transposes and moves axes like numpy', () => {
    const t = toNdArray([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(transpose(t, [1, 0])).toEqual({ data: Float64Array.of(1, 4, 2, 5, 3, 6), shape: [3, 2] });
    const u = toNdArray({ data: Array.from({ length: 24 }, (_, i) => i), shape: [2, 3, 4] });
    const m = moveAxis(u, 1, 2);
    expect(m.shape).toEqual([2, 4, 3]);
    // element [b=1, c=2, t=3] of the moved tensor is u[1, 3? no: u[b, c, t] -> m[b, t, c]
    expect(m.data[1 * 12 + 3 * 3 + 2]).toBe(u.data[1 * 12 + 2 * 4 + 3]);
  });
});
