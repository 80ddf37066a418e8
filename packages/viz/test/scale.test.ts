import { describe, expect, it } from 'vitest';
import { downsampleMinMax, niceTicks } from '../src/index.ts';
import { countTicks, formatNumber, indexTicks, percentile } from '../src/scale.ts';

describe('ticks', () => {
  it('picks nice steps inside the range', () => {
    expect(niceTicks(-2.7, 2.7, 5).map((t) => t.label)).toEqual(['-2', '-1', '0', '1', '2']);
    expect(niceTicks(0, 1, 4).map((t) => t.label)).toEqual(['0', '0.25', '0.50', '0.75', '1.00']);
    expect(niceTicks(0, 0.003, 3).map((t) => t.value)).toEqual([0, 0.001, 0.002, 0.003]);
    expect(indexTicks(100, 5).map((t) => t.value)).toEqual([0, 20, 40, 60, 80]);
    expect(countTicks(7.5, 3).map((t) => t.label)).toEqual(['0', '5']);
    expect(formatNumber(250000, 50000)).toBe('2.5e5');
  });
});

describe('downsampleMinMax', () => {
  it('keeps every point when there are few', () => {
    expect(downsampleMinMax([3, 1, 2], 10)).toEqual({ x: [0, 1, 2], y: [3, 1, 2] });
  });

  it('keeps each column’s min and max, in time order', () => {
    const ys = Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10));
    ys[500] = 9;
    ys[733] = -9;
    const d = downsampleMinMax(ys, 50);
    expect(d.y.length).toBeLessThanOrEqual(100);
    expect(Math.max(...d.y)).toBe(9);
    expect(Math.min(...d.y)).toBe(-9);
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]!).toBeGreaterThanOrEqual(d.x[i - 1]!);
  });

  it('leaves a gap for all-NaN columns', () => {
    const ys = Array.from({ length: 100 }, (_, i) => (i >= 40 && i < 60 ? NaN : i));
    expect(downsampleMinMax(ys, 10).y.some(Number.isNaN)).toBe(true);
  });
});

describe('percentile', () => {
  it('interpolates like numpy and ignores NaN', () => {
    expect(percentile([1, 2, 3, 4, NaN], 50)).toBe(2.5);
    expect(percentile([0, 10], 90)).toBe(9);
  });
});
