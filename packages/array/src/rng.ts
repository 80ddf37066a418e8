/**
 * Seeded random numbers: mulberry32 (uniform) and Box–Muller (normal). Drawn in JavaScript rather
 * than by TF.js, so a seeded result is identical on every backend and machine.
 */

/** mulberry32 (Tommy Ettinger's 32-bit generator) started at `state`, used as given: uniform in [0, 1). */
export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded stream of uniform and standard-normal draws. */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number;
  /** `n` standard-normal values. */
  normals(n: number): Float32Array;
}

/** A PRNG seeded with `seed` (any integer; default 0): same seed, same stream. */
export function seededRng(seed = 0): Rng {
  // Seed 0 would start mulberry32 at state 0; start it at the golden ratio instead.
  const uniform = mulberry32(seed >>> 0 || 0x9e3779b9);
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    uniform,
    normal,
    normals(n) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = normal();
      return out;
    },
  };
}
