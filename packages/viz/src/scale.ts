/** A tick: a data value and its label. */
export interface Tick {
  /** Position in data units. */
  readonly value: number;
  /** Text drawn beside the tick. */
  readonly label: string;
}

/**
 * "Nice" tick values (1, 2, 2.5, 5 × 10^k steps) covering [min, max], at most
 * about `maxCount` of them, all inside the range.
 */
export function niceTicks(min: number, max: number, maxCount = 5): Tick[] {
  if (!(max > min)) return [{ value: min, label: formatNumber(min, 1) }];
  const step = niceStep((max - min) / Math.max(1, maxCount));
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks: Tick[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) {
    const value = Math.abs(v) < step * 1e-9 ? 0 : v;
    ticks.push({ value, label: formatNumber(value, step) });
  }
  return ticks;
}

/** Ticks for counts: nice integer steps from 0 to `max`. */
export function countTicks(max: number, maxCount = 5): Tick[] {
  const step = niceStep(max / Math.max(1, maxCount), true);
  const ticks: Tick[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) ticks.push({ value: v, label: formatNumber(v, step) });
  return ticks;
}

/** Integer ticks for index axes (time steps, channels): nice steps of at least 1. */
export function indexTicks(count: number, maxCount = 8, offset = 0): Tick[] {
  const step = Math.max(1, niceStep(count / Math.max(1, maxCount), true));
  const ticks: Tick[] = [];
  for (let v = 0; v < count; v += step) ticks.push({ value: v + offset, label: String(v) });
  return ticks;
}

/** A nice step ≥ raw: 1, 2, 2.5 (unless integer-only), 5 or 10 times a power of ten. */
export function niceStep(raw: number, integer = false): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  const candidates = integer && p < 10 ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  // Allow a step a little under the raw one: about maxCount ticks, sometimes one more.
  const m = candidates.find((c) => c >= (integer ? f : f * 0.85) - 1e-9) ?? 10;
  const s = m * p;
  return integer ? Math.max(1, Math.round(s)) : s;
}

/** Format a tick value with as many decimals as its step needs; exponents for very large/small values. */
export function formatNumber(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || (a < 1e-3 && step < 1e-3)) {
    const s = v.toExponential(1).replace('e+', 'e');
    return s.replace('.0e', 'e');
  }
  let decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  if (Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6) decimals++;
  decimals = Math.min(decimals, 6);
  const s = v.toFixed(decimals);
  return s === '-0' ? '0' : s.replace(/^-0(\.0+)?$/, '0');
}

/** Pad a [min, max] range so that it is never empty: equal ends become ±0.5 (or ±5%). */
export function padRange(min: number, max: number): [number, number] {
  if (max > min) return [min, max];
  const d = min === 0 ? 0.5 : Math.abs(min) * 0.05;
  return [min - d, max + d];
}

/**
 * The view range matplotlib's autoscale gives data spanning [lo, hi]: a degenerate range first grows
 * by 5% of |value| (±0.05 around 0), then `margin` of the span is added on each side
 * (`axes.xmargin`/`axes.ymargin`, 0.05).
 */
export function autoscaleRange(lo: number, hi: number, margin = 0.05): [number, number] {
  let a = lo;
  let b = hi;
  const big = Math.max(Math.abs(a), Math.abs(b));
  if (!(b - a > big * 1e-15)) {
    if (big < 1e-300) [a, b] = [-0.05, 0.05];
    else [a, b] = [a - 0.05 * Math.abs(a), b + 0.05 * Math.abs(b)];
  }
  const d = (b - a) * margin;
  return [a - d, b + d];
}

/**
 * Min/max-preserving downsampling of a uniformly spaced series for drawing:
 * when there are more than `2 × columns` points, each of `columns` buckets
 * keeps its minimum and maximum in time order, so peaks survive and a line
 * through the kept points looks the same as through all of them. NaN values
 * break the line: a bucket that is all NaN yields a NaN point.
 *
 * @returns x (in index units, bucket-centred) and y arrays.
 */
export function downsampleMinMax(ys: ArrayLike<number>, columns: number): { x: number[]; y: number[] } {
  const n = ys.length;
  const cols = Math.max(1, Math.floor(columns));
  if (n <= cols * 2) {
    const x = new Array<number>(n);
    const y = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      x[i] = i;
      y[i] = ys[i]!;
    }
    return { x, y };
  }
  const x: number[] = [];
  const y: number[] = [];
  for (let b = 0; b < cols; b++) {
    const start = Math.floor((b * n) / cols);
    const end = Math.floor(((b + 1) * n) / cols);
    let lo = Infinity;
    let hi = -Infinity;
    let iLo = -1;
    let iHi = -1;
    let sawNaN = false;
    for (let i = start; i < end; i++) {
      const v = ys[i]!;
      if (Number.isNaN(v)) {
        sawNaN = true;
        continue;
      }
      if (v < lo) {
        lo = v;
        iLo = i;
      }
      if (v > hi) {
        hi = v;
        iHi = i;
      }
    }
    if (iLo < 0) {
      x.push((start + end - 1) / 2);
      y.push(NaN);
      continue;
    }
    const [a, b2] = iLo <= iHi ? [iLo, iHi] : [iHi, iLo];
    x.push(a, b2);
    y.push(ys[a]!, ys[b2]!);
    if (sawNaN && end < n) {
      // Keep the gap visible when the bucket had NaN.
      x.push(end - 0.5);
      y.push(NaN);
    }
  }
  return { x, y };
}

/** Value at percentile `p` ∈ [0, 100] of the finite values (linear interpolation, like numpy). */
export function percentile(values: ArrayLike<number>, p: number): number {
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) xs.push(values[i]!);
  if (xs.length === 0) return 0;
  xs.sort((a, b) => a - b);
  const r = (p / 100) * (xs.length - 1);
  const lo = Math.floor(r);
  const hi = Math.min(xs.length - 1, lo + 1);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (r - lo);
}
