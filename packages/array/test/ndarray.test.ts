import { describe, expect, it } from 'vitest';
import {
  ArrayError,
  batches,
  concatRows,
  copyRows,
  firstNonFinite,
  formatIndex,
  mulberry32,
  type NdArray,
  row,
  rowRange,
  rowSize,
  seededRng,
  sizeOf,
  takeRows,
} from '../src/index.ts';

const a: NdArray<Float32Array> = { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [3, 2, 2] };

describe('rows of a batch-first array', () => {
  it('sizes: values in all, values per row', () => {
    expect(sizeOf([3, 2, 2])).toBe(12);
    expect(sizeOf([])).toBe(1);
    expect(rowSize([3, 2, 2])).toBe(4);
    expect(rowSize([5])).toBe(1);
  });

  it('row i is a view shaped like one row', () => {
    const r = row(a, 1);
    expect(Array.from(r.data)).toEqual([4, 5, 6, 7]);
    expect(r.shape).toEqual([2, 2]);
    expect(r.data.buffer).toBe(a.data.buffer);
  });

  it('rowRange is a view of consecutive rows', () => {
    const r = rowRange(a, 1, 3);
    expect(Array.from(r.data)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(r.shape).toEqual([2, 2, 2]);
    expect(rowRange(a, 2, 2).shape).toEqual([0, 2, 2]);
  });

  it('copyRows copies consecutive rows into a buffer of their own', () => {
    const r = copyRows(a, 1, 3);
    expect(Array.from(r.data)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(r.shape).toEqual([2, 2, 2]);
    expect(r.data.buffer).not.toBe(a.data.buffer);
    expect(r.data.buffer.byteLength).toBe(8 * 4);
    expect(() => copyRows(a, 2, 4)).toThrow(ArrayError);
  });

  it('takeRows gathers rows (repeats allowed) into a copy, optionally of another type', () => {
    const r = takeRows(a, [2, 0, 2]);
    expect(Array.from(r.data)).toEqual([8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
    expect(r.shape).toEqual([3, 2, 2]);
    expect(r.data).toBeInstanceOf(Float32Array);
    const ints = takeRows(a, [1], Int32Array);
    expect(ints.data).toBeInstanceOf(Int32Array);
    expect(Array.from(ints.data)).toEqual([4, 5, 6, 7]);
  });

  it('concatRows undoes splitting into batches', () => {
    const parts = batches(3, 2).map(([s, e]) => rowRange(a, s, e));
    expect(batches(3, 2)).toEqual([
      [0, 2],
      [2, 3],
    ]);
    const back = concatRows(parts);
    expect(back.shape).toEqual([3, 2, 2]);
    expect(Array.from(back.data)).toEqual(Array.from(a.data));
    expect(concatRows([a])).toBe(a);
    expect(batches(0, 4)).toEqual([]);
  });

  it('fails with an ArrayError naming the row or the shapes', () => {
    expect(() => row(a, 3)).toThrow(ArrayError);
    expect(() => row(a, 3)).toThrow('row: row 3 is out of range for an array of shape [3, 2, 2] (rows 0…2).');
    expect(() => takeRows(a, [0, -1])).toThrow(/row -1 is out of range/);
    expect(() => rowRange(a, 2, 4)).toThrow(/rows 2…4 do not fit an array of shape \[3, 2, 2\]/);
    expect(() => concatRows([a, { data: new Float32Array(3), shape: [1, 3] }])).toThrow(
      'concatRows: shapes [3, 2, 2] and [1, 3] differ beyond axis 0.',
    );
    expect(() => batches(4, 0)).toThrow(/batch size must be a positive integer; got 0/);
  });
});

describe('naming an element', () => {
  it('formatIndex gives the index on every axis and the flat index', () => {
    expect(formatIndex([4, 48, 3], 250)).toBe('[1, 35, 1] (flat index 250)');
    expect(formatIndex([5], 0)).toBe('[0] (flat index 0)');
    expect(formatIndex([2, 1, 3], 5)).toBe('[1, 0, 2] (flat index 5)');
  });

  it('firstNonFinite finds the first NaN or ±Infinity, or -1', () => {
    expect(firstNonFinite(Float32Array.of(1, 2, 3))).toBe(-1);
    expect(firstNonFinite(Float32Array.of(1, Number.NEGATIVE_INFINITY, Number.NaN))).toBe(1);
    expect(firstNonFinite([0, 0, Number.NaN])).toBe(2);
    expect(firstNonFinite(new Float32Array(0))).toBe(-1);
  });
});

describe('seeded random numbers', () => {
  // Values recorded from the four copies this replaces (explain's seededRng, viz's prng and the
  // scripts' mulberry32): the streams must not change, so seeded results stay identical.
  it('seededRng keeps the stream of explain’s former PRNG (uniform and Box–Muller normal)', () => {
    const r = seededRng(0);
    expect([r.uniform(), r.uniform(), r.uniform()]).toEqual([
      0.3588899802416563, 0.10590326134115458, 0.675290479324758,
    ]);
    expect([r.normal(), r.normal(), r.normal()]).toEqual([0.33237167392858896, 0.2465510607403373, 1.5305398688624077]);
    expect(Array.from(seededRng(42).normals(3))).toEqual([
      -0.9561622142791748, 0.32207024097442627, -0.27302610874176025,
    ]);
  });

  it('mulberry32 keeps the stream of viz’s and the scripts’ copies (state used as given, 0 included)', () => {
    const u = mulberry32(1);
    expect([u(), u()]).toEqual([0.6270739405881613, 0.002735721180215478]);
    const z = mulberry32(0);
    expect([z(), z()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });

  it('same seed, same stream; another seed, another stream', () => {
    expect(Array.from(seededRng(7).normals(5))).toEqual(Array.from(seededRng(7).normals(5)));
    expect(Array.from(seededRng(7).normals(5))).not.toEqual(Array.from(seededRng(8).normals(5)));
  });

  it('uniform is in [0, 1) and normal has mean ≈ 0 and variance ≈ 1', () => {
    const r = seededRng(3);
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = r.uniform();
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    const n = r.normals(20_000);
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const variance = n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});
