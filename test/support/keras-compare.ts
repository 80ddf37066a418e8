import type { NdArray } from '@keraspect/importer';
import { expect } from 'vitest';

/**
 * Fixtures whose intermediate layers amplify float32 rounding beyond the README's elementwise
 * tolerance, and why. Their predictions are still held to the README tolerance; their inner layers
 * to |Δ| ≤ 1e-3·max|expected| of that layer (the README's own rule for gradients).
 */
export const FLOAT32_AMPLIFIED: Record<string, string> = {
  // Measured: the 6000-step Bidirectional LSTM matches Keras to 4.5e-7, but it feeds Dense kernels
  // with |w| up to 41 and BatchNorms of near-constant channels. numpy's float32 and float64 results
  // for time_distributed_1 differ by 4.6e-6 themselves; that gap grows ×10³ through the ResNet.
  'disazi_in_azinet_timedistributed_k2.2.4': 'float32 rounding amplified by large weights',
};

/**
 * Compare with the fixtures README's tolerance (`|Δ| ≤ 1e-5 + 1e-4·|expected|`; `big` for the
 * 151-layer EQTransformer files: `1e-4 + 1e-3·|expected|`; `scaleAware`: `1e-5 + 1e-3·max|expected|`);
 * on failure report the first mismatching indices.
 */
export function expectCloseToKeras(
  actual: NdArray,
  expected: NdArray,
  what: string,
  big: boolean,
  scaleAware = false,
): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  let scale = 0;
  if (scaleAware) for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  const [atol, rtol] = scaleAware ? [1e-5 + 1e-3 * scale, 0] : big ? [1e-4, 1e-3] : [1e-5, 1e-4];
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i];
    const a = actual.data[i];
    const d = Math.abs(a - e);
    if (!(d <= atol + rtol * Math.abs(e))) {
      worst = Math.max(worst, d);
      if (bad.length < 5) bad.push(`[${unravel(i, expected.shape).join(',')}] got ${a} want ${e}`);
    }
  }
  expect(bad, `${what}: ${bad.length ? `max |Δ| ${worst}; first mismatches ${bad.join('; ')}` : ''}`).toEqual([]);
}

function unravel(i: number, shape: number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
