// @ts-nocheck — AssemblyScript source (compiled by build.ts into peak-wasm.ts), not TS.
//
// The most f32 arithmetic WebAssembly SIMD does on this CPU: 12 independent f32x4 accumulators,
// each a ← a·m + c per iteration (one multiply and one add per lane), all in registers. Twelve
// chains hide the multiply and add latencies; more would spill (x64 has 16 vector registers).
// Built twice (build.ts): SIMD128, multiply then add; and relaxed SIMD, one fused multiply-add.

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

export function run(n: i32): f32 {
  const m = f32x4.splat(0.9999999);
  const c = f32x4.splat(0.0000001);
  let a0 = f32x4.splat(1.0);
  let a1 = f32x4.splat(1.1);
  let a2 = f32x4.splat(1.2);
  let a3 = f32x4.splat(1.3);
  let a4 = f32x4.splat(1.4);
  let a5 = f32x4.splat(1.5);
  let a6 = f32x4.splat(1.6);
  let a7 = f32x4.splat(1.7);
  let a8 = f32x4.splat(1.8);
  let a9 = f32x4.splat(1.9);
  let a10 = f32x4.splat(2.0);
  let a11 = f32x4.splat(2.1);
  for (let i = 0; i < n; i++) {
    a0 = madd(a0, m, c);
    a1 = madd(a1, m, c);
    a2 = madd(a2, m, c);
    a3 = madd(a3, m, c);
    a4 = madd(a4, m, c);
    a5 = madd(a5, m, c);
    a6 = madd(a6, m, c);
    a7 = madd(a7, m, c);
    a8 = madd(a8, m, c);
    a9 = madd(a9, m, c);
    a10 = madd(a10, m, c);
    a11 = madd(a11, m, c);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/** Floating-point operations per iteration of `run`: 12 accumulators × 4 lanes × (multiply + add). */
export const FLOPS_PER_ITERATION: i32 = 96;
