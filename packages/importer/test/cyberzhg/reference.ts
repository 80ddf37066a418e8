/**
 * Plain-JS loop implementations of the CyberZHG formulas as the fixtures README and the Python
 * sources state them, written independently of the TF.js layers under test.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { BuildContext, KerasVersion, SelfAttentionVariant } from '../../src/layers/port.ts';
import { activationFor } from '../../src/layers/activations.ts';
import type { KerasLayerJson } from '../../src/keras-format/types.ts';

export type Mat = number[][];

export const K2: KerasVersion = { raw: '2.3.1', major: 2, minor: 3, patch: 1 };

/** A BuildContext for port tests; inner layers come from `inner`. */
export function context(
  variant: SelfAttentionVariant,
  inner: (json: KerasLayerJson) => tf.layers.Layer = () => {
    throw new Error('no inner layers');
  },
): BuildContext {
  return {
    kerasVersion: K2,
    semantics: { selfAttentionVariant: variant },
    buildLayer: inner,
    activation: (k) => activationFor(k, K2),
    lambdas: {},
  };
}

/** Deterministic pseudo-random numbers in [-1, 1). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

export function randMat(rows: number, cols: number, rnd: () => number, scale = 1): Mat {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rnd() * scale));
}

export function randVec(n: number, rnd: () => number, scale = 1): number[] {
  return Array.from({ length: n }, () => rnd() * scale);
}

export function matmul(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0].map((_, j) => row.reduce((acc, v, k) => acc + v * b[k][j], 0)));
}

export function softmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const ex = row.map((v) => Math.exp(v - m));
  const s = ex.reduce((a, b) => a + b, 0);
  return ex.map((v) => v / s);
}

export function inWindow(t: number, s: number, width: number | null, historyOnly: boolean): boolean {
  if (width === null) return true;
  const lower = historyOnly ? t - (width - 1) : t - Math.floor(width / 2);
  return lower <= s && s < lower + width;
}

export interface SelfAttentionRef {
  type: 'additive' | 'multiplicative';
  Wt?: Mat;
  Wx?: Mat;
  bh?: number[] | null;
  Wa: Mat;
  ba?: number | null;
  width?: number | null;
  historyOnly?: boolean;
  variant: SelfAttentionVariant;
  activation?: 'linear' | 'softmax' | 'tanh';
}

/** SeqSelfAttention on one sequence x (T, F) with an optional 0/1 mask; returns { v, A }. */
export function refSelfAttention(x: Mat, o: SelfAttentionRef, mask?: number[]): { v: Mat; A: Mat } {
  const T = x.length;
  const F = x[0].length;
  const m = mask ?? x.map(() => 1);
  const historyOnly = o.historyOnly ?? false;
  const width = o.width ?? (historyOnly ? 1e9 : null);
  let e: Mat = [];
  for (let t = 0; t < T; t++) {
    e.push([]);
    for (let s = 0; s < T; s++) {
      let score = 0;
      if (o.type === 'additive') {
        const U = o.Wa.length;
        for (let u = 0; u < U; u++) {
          let h = o.bh ? o.bh[u] : 0;
          for (let f = 0; f < F; f++) h += x[t][f] * o.Wt![f][u] + x[s][f] * o.Wx![f][u];
          score += Math.tanh(h) * o.Wa[u][0];
        }
      } else {
        for (let f = 0; f < F; f++) for (let g = 0; g < F; g++) score += x[t][f] * o.Wa[f][g] * x[s][g];
      }
      e[t].push(score + (o.ba ?? 0));
    }
  }
  if (o.activation === 'softmax') e = e.map(softmaxRow);
  if (o.activation === 'tanh') e = e.map((row) => row.map(Math.tanh));
  const A: Mat = [];
  for (let t = 0; t < T; t++) {
    if (o.variant === 'legacy') {
      const mx = Math.max(...e[t]);
      const p = e[t].map((v, s) => Math.exp(v - mx) * (inWindow(t, s, width, historyOnly) ? 1 : 0) * m[t] * m[s]);
      const sum = p.reduce((a, b) => a + b, 0);
      A.push(p.map((v) => v / (sum + 1e-7)));
    } else {
      const logits = e[t].map((v, s) => {
        let l = v;
        if (o.variant === 'current' && !inWindow(t, s, width, historyOnly)) l -= 1e4;
        l -= 1e4 * (1 - m[t]) * (1 - m[s]);
        return l;
      });
      A.push(softmaxRow(logits));
    }
  }
  return { v: matmul(A, x), A };
}

/** softmax(QKᵀ/√d + penalties)·V for one sequence; `keyMask` hides keys, `historyOnly` the future. */
export function refScaledDot(q: Mat, k: Mat, v: Mat, historyOnly = false, keyMask?: number[]): { v: Mat; A: Mat } {
  const d = q[0].length;
  const A = q.map((qt, t) =>
    softmaxRow(
      k.map((ks, s) => {
        let e = qt.reduce((acc, val, i) => acc + val * ks[i], 0) / Math.sqrt(d);
        if (historyOnly && s > t) e -= 1e4;
        if (keyMask) e -= 1e4 * (1 - keyMask[s]);
        return e;
      }),
    ),
  );
  return { v: matmul(A, v), A };
}

/** Compare a tensor to nested arrays within `|Δ| ≤ atol + rtol·|expected|`, printing the first mismatch. */
export function expectClose(
  actual: tf.Tensor | number[] | Mat | Mat[],
  expected: unknown,
  atol = 1e-5,
  rtol = 1e-4,
): void {
  const a = (actual instanceof tf.Tensor ? Array.from(actual.dataSync()) : (actual as unknown[]).flat(3)) as number[];
  const e = (expected as unknown[]).flat(3) as number[];
  expect(a.length).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]))) {
      throw new Error(`mismatch at flat index ${i}: actual ${a[i]}, expected ${e[i]}`);
    }
  }
}

export const t3 = (x: Mat[]): tf.Tensor3D => tf.tensor3d(x);
export const t2 = (x: Mat): tf.Tensor2D => tf.tensor2d(x);
export const t1 = (x: number[]): tf.Tensor1D => tf.tensor1d(x);

/**
 * keras-pos-embd `TrigPosEmbedding` table for positions `pos` and width `d` (even): column `2i` is
 * `sin(p / 10000^(2i/d))`, column `2i+1` is `cos(p / 10000^(2i/d))`.
 */
export function refTrigTable(pos: number[], d: number): Mat {
  return pos.map((p) => {
    const row: number[] = [];
    for (let i = 0; i < Math.floor(d / 2); i++) {
      const freq = 1 / 10000 ** ((2 * i) / d);
      row.push(Math.sin(p * freq), Math.cos(p * freq));
    }
    return row;
  });
}

/** keras-pos-embd `PositionEmbedding` in `expand` mode: row `clip(p, −n, n) + n` of `E` (2n+1, d). */
export function refPositionExpand(pos: number[], E: Mat, n: number): Mat {
  return pos.map((p) => E[Math.min(Math.max(Math.trunc(p), -n), n) + n]);
}

/**
 * ScaledDotProductAttention as keras-self-attention 0.37–0.43 computes it (and MultiHeadAttention
 * through it): `e = exp(QKᵀ/√d − max over all keys)`, then multiplied by the history window and the
 * key mask, `A = e / (Σ e + epsilon)` (`K.epsilon()` in 0.38–0.41, the config's in 0.42–0.43).
 */
export function refScaledDotLegacy(
  q: Mat,
  k: Mat,
  v: Mat,
  historyOnly = false,
  keyMask?: number[],
  epsilon = 1e-7,
): { v: Mat; A: Mat } {
  const d = q[0].length;
  const A = q.map((qt, t) => {
    const raw = k.map((ks) => qt.reduce((acc, val, i) => acc + val * ks[i], 0) / Math.sqrt(d));
    const mx = Math.max(...raw);
    let e = raw.map((x) => Math.exp(x - mx));
    if (historyOnly) e = e.map((x, s) => (s <= t ? x : 0));
    if (keyMask) e = e.map((x, s) => x * keyMask[s]);
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / (sum + epsilon));
  });
  return { v: matmul(A, v), A };
}
