/**
 * A small seeded PRNG (mulberry32) with standard-normal draws (Box–Muller). Noise is drawn in
 * JavaScript rather than with `tf.randomNormal`, so results are identical on every backend.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** `n` standard-normal values. */
  normals(n: number): Float32Array;
}

/** A PRNG seeded with `seed` (any integer; default 0). */
export function seededRng(seed = 0): Rng {
  let a = seed >>> 0 || 0x9e3779b9;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
