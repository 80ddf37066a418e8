import type { Rng } from './rng.ts';

/**
 * Coalitions of M players for Kernel SHAP and their kernel weights: `masks[k][i] = 1` when player i
 * is present in coalition k. Neither the empty nor the full coalition is listed (Kernel SHAP
 * enforces them as constraints).
 */
export interface Coalitions {
  players: number;
  masks: Uint8Array[];
  weights: Float64Array;
  /** Every coalition was enumerated: the solution is the exact Shapley value. */
  exact: boolean;
}

/** `2·M + 2048`, the default coalition budget of the shap package. */
export function autoSamples(players: number): number {
  return 2 * players + 2048;
}

/**
 * Coalitions drawn the way the shap package's KernelExplainer (and TimeSHAP's kernel, built on it)
 * draws them: subset sizes whose every coalition (and complement) fits in the budget are
 * enumerated with their Shapley-kernel weight, the rest are sampled by the kernel's size
 * distribution with their complements, repeats adding weight. With `samples ≥ 2^M − 2` every
 * coalition is enumerated and the result is exact. Lundberg & Lee 2017, https://arxiv.org/abs/1705.07874
 */
export function kernelCoalitions(M: number, samples: number, rng: Rng): Coalitions {
  if (M < 2) return { players: M, masks: [], weights: new Float64Array(0), exact: true };
  let budget = samples;
  if (M <= 30) budget = Math.min(budget, 2 ** M - 2);
  const numSizes = Math.ceil((M - 1) / 2);
  const numPaired = Math.floor((M - 1) / 2);
  const weightVector = Array.from({ length: numSizes }, (_, i) => (M - 1) / ((i + 1) * (M - i - 1)));
  for (let i = 0; i < numPaired; i++) weightVector[i] *= 2;
  const wsum = weightVector.reduce((a, b) => a + b, 0);
  for (let i = 0; i < numSizes; i++) weightVector[i] /= wsum;

  const masks: Uint8Array[] = [];
  const weights: number[] = [];
  const add = (m: Uint8Array, w: number) => {
    masks.push(m);
    weights.push(w);
  };
  let fullSizes = 0;
  let left = budget;
  const remaining = [...weightVector];
  for (let size = 1; size <= numSizes; size++) {
    const paired = size <= numPaired;
    const nsubsets = binom(M, size) * (paired ? 2 : 1);
    if ((left * remaining[size - 1]) / nsubsets < 1 - 1e-8) break;
    fullSizes++;
    left -= nsubsets;
    if (remaining[size - 1] < 1) {
      const r = 1 - remaining[size - 1];
      for (let i = 0; i < numSizes; i++) remaining[i] /= r;
    }
    const w = weightVector[size - 1] / binom(M, size) / (paired ? 2 : 1);
    for (const combo of combinations(M, size)) {
      const m = new Uint8Array(M);
      for (const i of combo) m[i] = 1;
      add(m, w);
      if (paired) add(complement(m), w);
    }
  }
  const fixed = masks.length;
  if (fullSizes !== numSizes) {
    const rw = weightVector.map((w, i) => (i < numPaired ? w / 2 : w)).slice(fullSizes);
    const rsum = rw.reduce((a, b) => a + b, 0);
    const cdf: number[] = [];
    let acc = 0;
    for (const w of rw) cdf.push((acc += w / rsum));
    const seen = new Map<string, number>();
    const bump = (m: Uint8Array): boolean => {
      const key = m.join('');
      const at = seen.get(key);
      if (at !== undefined) {
        weights[at] += 1;
        return false;
      }
      seen.set(key, masks.length);
      add(m, 1);
      return true;
    };
    let samplesLeft = budget - masks.length;
    for (let draws = 0; samplesLeft > 0 && draws < 4 * budget; draws++) {
      const u = rng.uniform();
      let ind = cdf.findIndex((c) => u < c);
      if (ind < 0) ind = cdf.length - 1;
      const size = ind + fullSizes + 1;
      const m = new Uint8Array(M);
      for (const i of shuffled(M, rng).slice(0, size)) m[i] = 1;
      const fresh = bump(m);
      if (fresh) samplesLeft--;
      if (samplesLeft > 0 && size <= numPaired) {
        const c = complement(m);
        if (fresh) {
          add(c, 1);
          seen.set(c.join(''), masks.length - 1);
          samplesLeft--;
        } else {
          const at = seen.get(c.join(''));
          if (at !== undefined) weights[at] += 1;
        }
      }
    }
    const weightLeft = weightVector.slice(fullSizes).reduce((a, b) => a + b, 0);
    let sampled = 0;
    for (let k = fixed; k < weights.length; k++) sampled += weights[k];
    for (let k = fixed; k < weights.length; k++) weights[k] *= weightLeft / sampled;
  }
  return { players: M, masks, weights: Float64Array.from(weights), exact: fullSizes === numSizes };
}

/**
 * A solver for the Kernel SHAP regression with the efficiency constraint Σφ = v(full) − v(empty)
 * (shap's `solve` without l1 regularization): weighted least squares of v(S) − v(∅) on the
 * coalition masks, the last player eliminated through the constraint. The normal matrix depends
 * only on the coalitions, so it is factored once and reused for every sample.
 */
export function shapleySolver(c: Coalitions): (values: ArrayLike<number>, empty: number, full: number) => Float64Array {
  const M = c.players;
  if (M === 0) return () => new Float64Array(0);
  if (M === 1) return (_v, e, f) => Float64Array.of(f - e);
  const D = M - 1;
  const A = new Float64Array(D * D);
  for (let k = 0; k < c.masks.length; k++) {
    const m = c.masks[k];
    const w = c.weights[k];
    const last = m[D];
    for (let i = 0; i < D; i++) {
      const xi = m[i] - last;
      if (xi === 0) continue;
      for (let j = 0; j < D; j++) A[i * D + j] += w * xi * (m[j] - last);
    }
  }
  const L = cholesky(A, D);
  return (values, empty, full) => {
    const total = full - empty;
    const rhs = new Float64Array(D);
    for (let k = 0; k < c.masks.length; k++) {
      const m = c.masks[k];
      const y = values[k] - empty - m[D] * total;
      const w = c.weights[k] * y;
      for (let i = 0; i < D; i++) rhs[i] += w * (m[i] - m[D]);
    }
    const phi = new Float64Array(M);
    phi.set(choleskySolve(L, D, rhs));
    let s = 0;
    for (let i = 0; i < D; i++) s += phi[i];
    phi[D] = total - s;
    return phi;
  };
}

/** Exact Shapley values by enumerating every coalition (for tests and tiny games). */
export function exactShapley(M: number, value: (present: Uint8Array) => number): Float64Array {
  const phi = new Float64Array(M);
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  for (let bits = 0; bits < 2 ** M; bits++) {
    const m = Uint8Array.from({ length: M }, (_, i) => (bits >> i) & 1);
    const size = m.reduce((a, b) => a + b, 0);
    const v = value(m);
    for (let i = 0; i < M; i++) {
      // v(S) enters φ_i with + w(|S|−1) when i ∈ S and − w(|S|) when i ∉ S.
      const w = m[i] ? (fact(size - 1) * fact(M - size)) / fact(M) : -(fact(size) * fact(M - size - 1)) / fact(M);
      phi[i] += w * v;
    }
  }
  return phi;
}

function cholesky(A: Float64Array, n: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += A[i * n + i];
  // A small ridge only when the coalitions leave the system singular (too few samples for the players).
  for (let ridge = 0; ; ridge = ridge ? ridge * 100 : 1e-12 * (trace / n || 1)) {
    const L = new Float64Array(n * n);
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = A[i * n + j] + (i === j ? ridge : 0);
        for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
        if (i === j) {
          if (!(s > 1e-14 * (trace / n || 1))) {
            ok = false;
            break;
          }
          L[i * n + i] = Math.sqrt(s);
        } else L[i * n + j] = s / L[j * n + j];
      }
    }
    if (ok) return L;
  }
}

function choleskySolve(L: Float64Array, n: number, b: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

function* combinations(n: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield [...idx];
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i]++;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
  }
}

function complement(m: Uint8Array): Uint8Array {
  return m.map((v) => 1 - v);
}

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
