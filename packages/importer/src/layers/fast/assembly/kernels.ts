// @ts-nocheck — AssemblyScript source (compiled by scripts/build-wasm.ts into ../kernels-wasm.ts), not TS.
//
// Whole-sequence recurrent kernels and the additive attention score kernel, in WebAssembly SIMD
// (f32x4). Every buffer is a byte offset into this module's memory, laid out by the TS caller
// (fast/arena.ts): time-major (T, B, …) and with every gate block padded to `up` = ⌈U/4⌉·4 floats
// (padding lanes hold zeros in and out), so that vector loops never straddle two gates.
//
// Activation codes: 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 hard_sigmoid (Keras 1/2: 0.2x + 0.5),
// 5 hard_sigmoid (Keras 3: x/6 + 0.5). Derivatives are taken from the activation's output.

// ---------- vector math ----------
//
// The constants of the vector math are read from this table: V8 builds every v128.const from
// immediates (several instructions) at each use inside a loop, a load from memory is one.
const VCONST = memory.data<f32>([
  88.3762626647949, 88.3762626647949, 88.3762626647949, 88.3762626647949,
  -87.3365478515625, -87.3365478515625, -87.3365478515625, -87.3365478515625,
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341,
  12582912.0, 12582912.0, 12582912.0, 12582912.0,
  0.693359375, 0.693359375, 0.693359375, 0.693359375,
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4,
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4,
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3,
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3,
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2,
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1,
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1,
  1.0, 1.0, 1.0, 1.0,
  7.90531110763549805, 7.90531110763549805, 7.90531110763549805, 7.90531110763549805,
  -7.90531110763549805, -7.90531110763549805, -7.90531110763549805, -7.90531110763549805,
  -2.76076847742355e-16, -2.76076847742355e-16, -2.76076847742355e-16, -2.76076847742355e-16,
  2.00018790482477e-13, 2.00018790482477e-13, 2.00018790482477e-13, 2.00018790482477e-13,
  -8.60467152213735e-11, -8.60467152213735e-11, -8.60467152213735e-11, -8.60467152213735e-11,
  5.12229709037114e-8, 5.12229709037114e-8, 5.12229709037114e-8, 5.12229709037114e-8,
  1.48572235717979e-5, 1.48572235717979e-5, 1.48572235717979e-5, 1.48572235717979e-5,
  6.37261928875436e-4, 6.37261928875436e-4, 6.37261928875436e-4, 6.37261928875436e-4,
  4.89352455891786e-3, 4.89352455891786e-3, 4.89352455891786e-3, 4.89352455891786e-3,
  1.19825839466702e-6, 1.19825839466702e-6, 1.19825839466702e-6, 1.19825839466702e-6,
  1.18534705686654e-4, 1.18534705686654e-4, 1.18534705686654e-4, 1.18534705686654e-4,
  2.26843463243900e-3, 2.26843463243900e-3, 2.26843463243900e-3, 2.26843463243900e-3,
  4.89352518554385e-3, 4.89352518554385e-3, 4.89352518554385e-3, 4.89352518554385e-3,
  0.0004, 0.0004, 0.0004, 0.0004,
], 16);
const EXP_HI = 0;
const EXP_LO = 1;
const LOG2E = 2;
const ROUND = 3;
const LN2_HI = 4;
const LN2_LO = 5;
const E0 = 6;
const E1 = 7;
const E2 = 8;
const E3 = 9;
const E4 = 10;
const E5 = 11;
const ONE = 12;
const TANH_HI = 13;
const TANH_LO = 14;
const P0 = 15;
const P1 = 16;
const P2 = 17;
const P3 = 18;
const P4 = 19;
const P5 = 20;
const P6 = 21;
const Q0 = 22;
const Q1 = 23;
const Q2 = 24;
const Q3 = 25;
const TINY = 26;
const I127 = memory.data<i32>([127, 127, 127, 127], 16);

// a·b + c: one fused multiply-add where the module is built with relaxed SIMD, else multiply then add
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// c − a·b: one fused multiply-add where the module is built with relaxed SIMD
@inline function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

@inline function vk(i: i32): v128 {
  return v128.load(VCONST + (<usize>i << 4));
}

@inline function exp4(x0: v128): v128 {
  // pmin/pmax (one minps/maxps each) rather than min/max, whose NaN and ±0 rules cost several x86
  // instructions; with a constant second operand both propagate NaN and keep the sign of zero.
  const x = f32x4.pmax(f32x4.pmin(x0, vk(EXP_HI)), vk(EXP_LO));
  // n = round-to-nearest-even(x·log2 e) by adding 1.5·2^23, whose low mantissa bits are then n itself
  const t = madd(x, vk(LOG2E), vk(ROUND));
  const n = f32x4.sub(t, vk(ROUND));
  // Cephes expf: r = x − n·ln2 in two parts, then a degree-6 polynomial. The multiply-adds are fused
  // where the build has relaxed SIMD: a shorter chain of dependent operations, which is what bounds
  // a loop of these (the same operations in the same order in the SIMD128 build).
  let r = nmadd(n, vk(LN2_HI), x);
  r = nmadd(n, vk(LN2_LO), r);
  let p = vk(E0);
  p = madd(p, r, vk(E1));
  p = madd(p, r, vk(E2));
  p = madd(p, r, vk(E3));
  p = madd(p, r, vk(E4));
  p = madd(p, r, vk(E5));
  const y = f32x4.add(madd(f32x4.mul(p, r), r, r), vk(ONE));
  // ROUND's bit pattern is 0x4b400000, so t − ROUND as integers is n
  const e = i32x4.shl(i32x4.add(i32x4.sub(t, vk(ROUND)), v128.load(I127)), 23);
  return f32x4.mul(y, e);
}

@inline function sigmoid4(x: v128): v128 {
  return f32x4.div(vk(ONE), f32x4.add(vk(ONE), exp4(f32x4.neg(x))));
}

// tanh as an odd/even rational function (Eigen's float tanh), clamped where float32 tanh is ±1.
@inline function tanh4(x0: v128): v128 {
  const x = f32x4.pmax(f32x4.pmin(x0, vk(TANH_HI)), vk(TANH_LO));
  const x2 = f32x4.mul(x, x);
  let p = vk(P0);
  p = madd(p, x2, vk(P1));
  p = madd(p, x2, vk(P2));
  p = madd(p, x2, vk(P3));
  p = madd(p, x2, vk(P4));
  p = madd(p, x2, vk(P5));
  p = madd(p, x2, vk(P6));
  p = f32x4.mul(p, x);
  let q = vk(Q0);
  q = madd(q, x2, vk(Q1));
  q = madd(q, x2, vk(Q2));
  q = madd(q, x2, vk(Q3));
  const tiny = f32x4.lt(f32x4.abs(x0), vk(TINY));
  return v128.bitselect(x0, f32x4.div(p, q), tiny);
}

@inline function act4(code: i32, x: v128): v128 {
  if (code == 2) return tanh4(x);
  if (code == 3) return sigmoid4(x);
  if (code == 0) return x;
  if (code == 1) return f32x4.max(x, f32x4.splat(0.0));
  const slope = code == 4 ? f32x4.splat(0.2) : f32x4.splat(1.0 / 6.0);
  return f32x4.max(f32x4.min(madd(x, slope, f32x4.splat(0.5)), f32x4.splat(1.0)), f32x4.splat(0.0));
}

/** d act / d x as a function of y = act(x). */
@inline function dact4(code: i32, y: v128): v128 {
  const one = f32x4.splat(1.0);
  if (code == 2) return f32x4.sub(one, f32x4.mul(y, y));
  if (code == 3) return f32x4.mul(y, f32x4.sub(one, y));
  if (code == 0) return one;
  const zero = f32x4.splat(0.0);
  if (code == 1) return v128.and(f32x4.gt(y, zero), one);
  const slope = code == 4 ? f32x4.splat(0.2) : f32x4.splat(1.0 / 6.0);
  return v128.and(v128.and(f32x4.gt(y, zero), f32x4.lt(y, one)), slope);
}

function actRange(code: i32, p: usize, n: i32): void {
  // Four independent vectors per iteration: V8 neither unrolls nor interleaves, and one exp or
  // tanh per iteration is bound by its chain of dependent operations (a loop of exp4 measured
  // 1.7× faster this way).
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const a = p + (<usize>j << 2);
    const y0 = act4(code, v128.load(a));
    const y1 = act4(code, v128.load(a, 16));
    const y2 = act4(code, v128.load(a, 32));
    const y3 = act4(code, v128.load(a, 48));
    v128.store(a, y0);
    v128.store(a, y1, 16);
    v128.store(a, y2, 32);
    v128.store(a, y3, 48);
  }
  for (; j < n; j += 4) {
    const a = p + (<usize>j << 2);
    v128.store(a, act4(code, v128.load(a)));
  }
}

/** Elementwise activation of n floats (n a multiple of 4), exported for tests. */
export function activate(code: i32, p: usize, n: i32): void {
  actRange(code, p, n);
}

// ---------- C[m, :] = (base ? Base[m, :] : 0) + Σ_k A[m, k]·Bm[k, :] ----------
// A (M, K) with row stride lda floats and column stride ska (1, or M for a transposed A stored
// (K, M)); Bm (K, N) row stride ldb; C row stride ldc; Base row stride ldbase; N % 4 == 0.
//
// Blocked for the caches: A in blocks of ≈ 128 KB (L2), B in panels of 16 columns × ≤ 256 rows
// (≤ 16 KB, L1) that a whole block of rows sweeps before the next panel; each tile keeps its R × W
// vectors of C in registers (2 rows × 16 columns; the last 4 columns 6 rows at a time, so that
// enough independent sums are in flight). Every C element is the sum over k in order, starting
// from Base, whatever the tile: results do not depend on N, its padding or the tiling.

// tileRxW: rows a, a + ldaB, … of A (element stride skaB) times W vectors of B (row stride nB)

@inline function tile2x4(a: usize, ldaB: usize, skaB: usize, bp: usize, nB: usize, c: usize, cB: usize, base: usize, baseB: usize, hasBase: bool, K: i32): void {
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  let s02 = f32x4.splat(0);
  let s03 = f32x4.splat(0);
  let s10 = f32x4.splat(0);
  let s11 = f32x4.splat(0);
  let s12 = f32x4.splat(0);
  let s13 = f32x4.splat(0);
  if (hasBase) {
    s00 = v128.load(base, 0);
    s01 = v128.load(base, 16);
    s02 = v128.load(base, 32);
    s03 = v128.load(base, 48);
    s10 = v128.load(base + 1 * baseB, 0);
    s11 = v128.load(base + 1 * baseB, 16);
    s12 = v128.load(base + 1 * baseB, 32);
    s13 = v128.load(base + 1 * baseB, 48);
  }
  let ap = a;
  let k = 0;
  for (; k < K; k++) {
    const w0 = v128.load(bp, 0);
    const w1 = v128.load(bp, 16);
    const w2 = v128.load(bp, 32);
    const w3 = v128.load(bp, 48);
    const x0 = v128.load32_splat(ap);
    s00 = madd(x0, w0, s00);
    s01 = madd(x0, w1, s01);
    s02 = madd(x0, w2, s02);
    s03 = madd(x0, w3, s03);
    const x1 = v128.load32_splat(ap + 1 * ldaB);
    s10 = madd(x1, w0, s10);
    s11 = madd(x1, w1, s11);
    s12 = madd(x1, w2, s12);
    s13 = madd(x1, w3, s13);
    ap += skaB;
    bp += nB;
  }
  v128.store(c, s00, 0);
  v128.store(c, s01, 16);
  v128.store(c, s02, 32);
  v128.store(c, s03, 48);
  v128.store(c + 1 * cB, s10, 0);
  v128.store(c + 1 * cB, s11, 16);
  v128.store(c + 1 * cB, s12, 32);
  v128.store(c + 1 * cB, s13, 48);
}

@inline function tile2x3(a: usize, ldaB: usize, skaB: usize, bp: usize, nB: usize, c: usize, cB: usize, base: usize, baseB: usize, hasBase: bool, K: i32): void {
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  let s02 = f32x4.splat(0);
  let s10 = f32x4.splat(0);
  let s11 = f32x4.splat(0);
  let s12 = f32x4.splat(0);
  if (hasBase) {
    s00 = v128.load(base, 0);
    s01 = v128.load(base, 16);
    s02 = v128.load(base, 32);
    s10 = v128.load(base + 1 * baseB, 0);
    s11 = v128.load(base + 1 * baseB, 16);
    s12 = v128.load(base + 1 * baseB, 32);
  }
  let ap = a;
  let k = 0;
  for (; k < K; k++) {
    const w0 = v128.load(bp, 0);
    const w1 = v128.load(bp, 16);
    const w2 = v128.load(bp, 32);
    const x0 = v128.load32_splat(ap);
    s00 = madd(x0, w0, s00);
    s01 = madd(x0, w1, s01);
    s02 = madd(x0, w2, s02);
    const x1 = v128.load32_splat(ap + 1 * ldaB);
    s10 = madd(x1, w0, s10);
    s11 = madd(x1, w1, s11);
    s12 = madd(x1, w2, s12);
    ap += skaB;
    bp += nB;
  }
  v128.store(c, s00, 0);
  v128.store(c, s01, 16);
  v128.store(c, s02, 32);
  v128.store(c + 1 * cB, s10, 0);
  v128.store(c + 1 * cB, s11, 16);
  v128.store(c + 1 * cB, s12, 32);
}

@inline function tile2x2(a: usize, ldaB: usize, skaB: usize, bp: usize, nB: usize, c: usize, cB: usize, base: usize, baseB: usize, hasBase: bool, K: i32): void {
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  let s10 = f32x4.splat(0);
  let s11 = f32x4.splat(0);
  if (hasBase) {
    s00 = v128.load(base, 0);
    s01 = v128.load(base, 16);
    s10 = v128.load(base + 1 * baseB, 0);
    s11 = v128.load(base + 1 * baseB, 16);
  }
  let ap = a;
  let k = 0;
  for (; k < K; k++) {
    const w0 = v128.load(bp, 0);
    const w1 = v128.load(bp, 16);
    const x0 = v128.load32_splat(ap);
    s00 = madd(x0, w0, s00);
    s01 = madd(x0, w1, s01);
    const x1 = v128.load32_splat(ap + 1 * ldaB);
    s10 = madd(x1, w0, s10);
    s11 = madd(x1, w1, s11);
    ap += skaB;
    bp += nB;
  }
  v128.store(c, s00, 0);
  v128.store(c, s01, 16);
  v128.store(c + 1 * cB, s10, 0);
  v128.store(c + 1 * cB, s11, 16);
}

@inline function tile6x1(a: usize, ldaB: usize, skaB: usize, bp: usize, nB: usize, c: usize, cB: usize, base: usize, baseB: usize, hasBase: bool, K: i32): void {
  let s00 = f32x4.splat(0);
  let s10 = f32x4.splat(0);
  let s20 = f32x4.splat(0);
  let s30 = f32x4.splat(0);
  let s40 = f32x4.splat(0);
  let s50 = f32x4.splat(0);
  if (hasBase) {
    s00 = v128.load(base, 0);
    s10 = v128.load(base + 1 * baseB, 0);
    s20 = v128.load(base + 2 * baseB, 0);
    s30 = v128.load(base + 3 * baseB, 0);
    s40 = v128.load(base + 4 * baseB, 0);
    s50 = v128.load(base + 5 * baseB, 0);
  }
  let ap = a;
  let k = 0;
  for (; k < K; k++) {
    const w0 = v128.load(bp, 0);
    const x0 = v128.load32_splat(ap);
    s00 = madd(x0, w0, s00);
    const x1 = v128.load32_splat(ap + 1 * ldaB);
    s10 = madd(x1, w0, s10);
    const x2 = v128.load32_splat(ap + 2 * ldaB);
    s20 = madd(x2, w0, s20);
    const x3 = v128.load32_splat(ap + 3 * ldaB);
    s30 = madd(x3, w0, s30);
    const x4 = v128.load32_splat(ap + 4 * ldaB);
    s40 = madd(x4, w0, s40);
    const x5 = v128.load32_splat(ap + 5 * ldaB);
    s50 = madd(x5, w0, s50);
    ap += skaB;
    bp += nB;
  }
  v128.store(c, s00, 0);
  v128.store(c + 1 * cB, s10, 0);
  v128.store(c + 2 * cB, s20, 0);
  v128.store(c + 3 * cB, s30, 0);
  v128.store(c + 4 * cB, s40, 0);
  v128.store(c + 5 * cB, s50, 0);
}

@inline function tile1x4(a: usize, ldaB: usize, skaB: usize, bp: usize, nB: usize, c: usize, cB: usize, base: usize, baseB: usize, hasBase: bool, K: i32): void {
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  let s02 = f32x4.splat(0);
  let s03 = f32x4.splat(0);
  if (hasBase) {
    s00 = v128.load(base, 0);
    s01 = v128.load(base, 16);
    s02 = v128.load(base, 32);
    s03 = v128.load(base, 48);
  }
  let ap = a;
  let k = 0;
  for (; k < K; k++) {
    const w0 = v128.load(bp, 0);
    const w1 = v128.load(bp, 16);
    const w2 = v128.load(bp, 32);
    const w3 = v128.load(bp, 48);
    const x0 = v128.load32_splat(ap);
    s00 = madd(x0, w0, s00);
    s01 = madd(x0, w1, s01);
    s02 = madd(x0, w2, s02);
    s03 = madd(x0, w3, s03);
    ap += skaB;
    bp += nB;
  }
  v128.store(c, s00, 0);
  v128.store(c, s01, 16);
  v128.store(c, s02, 32);
  v128.store(c, s03, 48);
}

@inline function tile1x3(a: usize, ldaB: usize, skaB: usize, bp: usize, nB: usize, c: usize, cB: usize, base: usize, baseB: usize, hasBase: bool, K: i32): void {
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  let s02 = f32x4.splat(0);
  if (hasBase) {
    s00 = v128.load(base, 0);
    s01 = v128.load(base, 16);
    s02 = v128.load(base, 32);
  }
  let ap = a;
  let k = 0;
  for (; k < K; k++) {
    const w0 = v128.load(bp, 0);
    const w1 = v128.load(bp, 16);
    const w2 = v128.load(bp, 32);
    const x0 = v128.load32_splat(ap);
    s00 = madd(x0, w0, s00);
    s01 = madd(x0, w1, s01);
    s02 = madd(x0, w2, s02);
    ap += skaB;
    bp += nB;
  }
  v128.store(c, s00, 0);
  v128.store(c, s01, 16);
  v128.store(c, s02, 32);
}

@inline function tile1x2(a: usize, ldaB: usize, skaB: usize, bp: usize, nB: usize, c: usize, cB: usize, base: usize, baseB: usize, hasBase: bool, K: i32): void {
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  if (hasBase) {
    s00 = v128.load(base, 0);
    s01 = v128.load(base, 16);
  }
  let ap = a;
  let k = 0;
  for (; k < K; k++) {
    const w0 = v128.load(bp, 0);
    const w1 = v128.load(bp, 16);
    const x0 = v128.load32_splat(ap);
    s00 = madd(x0, w0, s00);
    s01 = madd(x0, w1, s01);
    ap += skaB;
    bp += nB;
  }
  v128.store(c, s00, 0);
  v128.store(c, s01, 16);
}

@inline function tile1x1(a: usize, ldaB: usize, skaB: usize, bp: usize, nB: usize, c: usize, cB: usize, base: usize, baseB: usize, hasBase: bool, K: i32): void {
  let s00 = f32x4.splat(0);
  if (hasBase) {
    s00 = v128.load(base, 0);
  }
  let ap = a;
  let k = 0;
  for (; k < K; k++) {
    const w0 = v128.load(bp, 0);
    const x0 = v128.load32_splat(ap);
    s00 = madd(x0, w0, s00);
    ap += skaB;
    bp += nB;
  }
  v128.store(c, s00, 0);
}

/** One block: every panel of B swept by all M rows. */
function gemmPanels(a: usize, lda: i32, ska: i32, bm: usize, ldb: i32, c: usize, ldc: i32, base: usize, ldbase: i32, hasBase: bool, M: i32, K: i32, N: i32): void {
  const ldaB = <usize>lda << 2;
  const skaB = <usize>ska << 2;
  const nB = <usize>ldb << 2;
  const cB = <usize>ldc << 2;
  const baseB = <usize>ldbase << 2;
  let n = 0;
  while (n < N) {
    const rest = N - n;
    const o = <usize>n << 2;
    if (rest >= 16) {
      let m = 0;
      for (; m + 1 < M; m += 2) tile2x4(a + <usize>m * ldaB, ldaB, skaB, bm + o, nB, c + <usize>m * cB + o, cB, base + <usize>m * baseB + o, baseB, hasBase, K);
      for (; m < M; m++) tile1x4(a + <usize>m * ldaB, ldaB, skaB, bm + o, nB, c + <usize>m * cB + o, cB, base + <usize>m * baseB + o, baseB, hasBase, K);
      n += 16;
    } else if (rest >= 12) {
      let m = 0;
      for (; m + 1 < M; m += 2) tile2x3(a + <usize>m * ldaB, ldaB, skaB, bm + o, nB, c + <usize>m * cB + o, cB, base + <usize>m * baseB + o, baseB, hasBase, K);
      for (; m < M; m++) tile1x3(a + <usize>m * ldaB, ldaB, skaB, bm + o, nB, c + <usize>m * cB + o, cB, base + <usize>m * baseB + o, baseB, hasBase, K);
      n += 12;
    } else if (rest >= 8) {
      let m = 0;
      for (; m + 1 < M; m += 2) tile2x2(a + <usize>m * ldaB, ldaB, skaB, bm + o, nB, c + <usize>m * cB + o, cB, base + <usize>m * baseB + o, baseB, hasBase, K);
      for (; m < M; m++) tile1x2(a + <usize>m * ldaB, ldaB, skaB, bm + o, nB, c + <usize>m * cB + o, cB, base + <usize>m * baseB + o, baseB, hasBase, K);
      n += 8;
    } else {
      let m = 0;
      for (; m + 5 < M; m += 6) tile6x1(a + <usize>m * ldaB, ldaB, skaB, bm + o, nB, c + <usize>m * cB + o, cB, base + <usize>m * baseB + o, baseB, hasBase, K);
      for (; m < M; m++) tile1x1(a + <usize>m * ldaB, ldaB, skaB, bm + o, nB, c + <usize>m * cB + o, cB, base + <usize>m * baseB + o, baseB, hasBase, K);
      n += 4;
    }
  }
}

function gemmS(a: usize, lda: i32, ska: i32, bm: usize, ldb: i32, c: usize, ldc: i32, base: usize, ldbase: i32, hasBase: bool, M: i32, K: i32, N: i32): void {
  // blocks of A of ≈ 128 KB (L2) and panels of B of at most 256 rows × 16 columns (L1)
  const kc = K < 256 ? (K > 0 ? K : 1) : 256;
  let mc = (32768 / kc) & ~1;
  if (mc < 2) mc = 2;
  for (let m0 = 0; m0 < M; m0 += mc) {
    const mb = M - m0 < mc ? M - m0 : mc;
    const am = a + (<usize>(m0 * lda) << 2);
    const cm = c + (<usize>(m0 * ldc) << 2);
    // K = 0 still writes C (Base or zeros)
    for (let k0 = 0; k0 < K || k0 == 0; k0 += kc) {
      const kb = K - k0 < kc ? K - k0 : kc;
      const first = k0 == 0;
      gemmPanels(am + (<usize>(k0 * ska) << 2), lda, ska, bm + (<usize>(k0 * ldb) << 2), ldb, cm, ldc, first ? base + (<usize>(m0 * ldbase) << 2) : cm, first ? ldbase : ldc, first ? hasBase : true, mb, kb, N);
    }
  }
}

/** C = (Base) + A·Bm; A's element (m, k) at a + 4·(m·lda + k·ska); Base's row stride ldbase (0: one bias row for all). */
export function matmul(a: usize, lda: i32, ska: i32, bm: usize, c: usize, base: usize, hasBase: i32, M: i32, K: i32, N: i32, ldbase: i32): void {
  gemmS(a, lda, ska, bm, N, c, N, base, ldbase, hasBase != 0, M, K, N);
}

/** dst (cols, ldd) = srcᵀ for src (rows, cols), in 4×4 blocks; columns rows … ldd−1 of dst are left alone. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize, ldd: i32): void {
  const sB = <usize>cols << 2;
  const dB = <usize>ldd << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const s0 = src + <usize>r * sB;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const p = s0 + (<usize>c << 2);
      const a = v128.load(p);
      const b = v128.load(p + sB);
      const e = v128.load(p + 2 * sB);
      const f = v128.load(p + 3 * sB);
      const ab0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
      const ab1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
      const ef0 = v128.shuffle<i32>(e, f, 0, 4, 1, 5);
      const ef1 = v128.shuffle<i32>(e, f, 2, 6, 3, 7);
      const q = dst + <usize>c * dB + (<usize>r << 2);
      v128.store(q, v128.shuffle<i64>(ab0, ef0, 0, 2));
      v128.store(q + dB, v128.shuffle<i64>(ab0, ef0, 1, 3));
      v128.store(q + 2 * dB, v128.shuffle<i64>(ab1, ef1, 0, 2));
      v128.store(q + 3 * dB, v128.shuffle<i64>(ab1, ef1, 1, 3));
    }
    for (; c < cols; c++)
      for (let i = 0; i < 4; i++) store<f32>(dst + <usize>c * dB + (<usize>(r + i) << 2), load<f32>(s0 + <usize>i * sB + (<usize>c << 2)));
  }
  for (; r < rows; r++)
    for (let c = 0; c < cols; c++) store<f32>(dst + <usize>c * dB + (<usize>r << 2), load<f32>(src + <usize>r * sB + (<usize>c << 2)));
}

// ---------- LSTM (gate order i, f, g, o as in Keras) ----------

/**
 * x (B, T, F), w (F, 4·up), bias (4·up; 0: none): each step's x·W + b is computed straight into the
 * step's gates, where the recurrent product then adds to it (the same sums in the same order as a
 * projection of all steps first, without its B·T·4·up floats going out to memory and back with a
 * stride per row).
 * r (U, 4·up). h0, c0 (B, up).
 * Out: hs (B, T, up); cs (T, B, up) and gates (T, B, 4·up) after activation, which only the
 * backward reads. x and hs are batch-major as TF.js holds them (no reordering copies); the step's
 * rows are read and written with a stride. With save = 0 (inference: nothing will take the
 * gradient) gates is one step's scratch (B, 4·up) and cs one (B, up) holding the running and then
 * the final cell state, updated in place: 9 MB less written at batch 32 × 240 steps × 60 units, and
 * what is written stays in cache.
 */
export function lstmForward(x: usize, w: usize, bias: usize, F: i32, r: usize, h0: usize, c0: usize, hs: usize, cs: usize, gates: usize, T: i32, B: i32, U: i32, up: i32, recAct: i32, act: i32, save: i32): void {
  const G = 4 * up;
  const stepG = save ? <usize>(B * G) << 2 : 0;
  const stepH = save ? <usize>(B * up) << 2 : 0;
  const rowH = <usize>(T * up) << 2;
  for (let t = 0; t < T; t++) {
    const hPrev = t == 0 ? h0 : hs + (<usize>((t - 1) * up) << 2);
    const ldh = t == 0 ? up : T * up;
    const cPrev = t == 0 ? c0 : cs + <usize>(t - 1) * stepH;
    const g = gates + <usize>t * stepG;
    gemmS(x + (<usize>(t * F) << 2), T * F, 1, w, G, g, G, bias, 0, bias != 0, B, F, G);
    gemmS(hPrev, ldh, 1, r, G, g, G, g, G, true, B, U, G);
    const hOut = hs + (<usize>(t * up) << 2);
    const cOut = cs + <usize>t * stepH;
    for (let b = 0; b < B; b++) {
      const gb = g + (<usize>(b * G) << 2);
      const hOutB = hOut + <usize>b * rowH;
      actRange(recAct, gb, 2 * up);
      actRange(act, gb + (<usize>(2 * up) << 2), up);
      actRange(recAct, gb + (<usize>(3 * up) << 2), up);
      const hb = <usize>(b * up) << 2;
      for (let j = 0; j < up; j += 4) {
        const o = <usize>j << 2;
        const i = v128.load(gb + o);
        const f = v128.load(gb + o + (<usize>up << 2));
        const gg = v128.load(gb + o + (<usize>(2 * up) << 2));
        const og = v128.load(gb + o + (<usize>(3 * up) << 2));
        const c = f32x4.add(f32x4.mul(f, v128.load(cPrev + hb + o)), f32x4.mul(i, gg));
        v128.store(cOut + hb + o, c);
        v128.store(hOutB + o, f32x4.mul(og, act4(act, c)));
      }
    }
  }
}

/**
 * BPTT. dhs (B, T, up): gradient of the loss w.r.t. each output h (final-state gradient already
 * added at T−1). dcT (B, up). rt (4·up, up): the recurrent kernel transposed. gates, cs as saved.
 * Out: dz (B, T, 4·up) gradient w.r.t. the pre-activations (= w.r.t. x·W + b); dh0, dc0 (B, up).
 * Scratch: dhn (B, up).
 */
export function lstmBackward(dhs: usize, dcT: usize, gates: usize, cs: usize, c0: usize, rt: usize, dz: usize, dh0: usize, dc0: usize, dhn: usize, T: i32, B: i32, U: i32, up: i32, recAct: i32, act: i32): void {
  const G = 4 * up;
  const stepG = <usize>(B * G) << 2;
  const stepH = <usize>(B * up) << 2;
  const upB = <usize>up << 2;
  const rowH = <usize>(T * up) << 2;
  const rowG = <usize>(T * G) << 2;
  memory.fill(dhn, 0, stepH);
  memory.copy(dc0, dcT, stepH); // dc0 doubles as the running dc
  for (let t = T - 1; t >= 0; t--) {
    const g = gates + <usize>t * stepG;
    const d = dz + (<usize>(t * G) << 2);
    const cT = cs + <usize>t * stepH;
    const cPrev = t == 0 ? c0 : cs + <usize>(t - 1) * stepH;
    const dht = dhs + (<usize>(t * up) << 2);
    for (let b = 0; b < B; b++) {
      const gb = g + (<usize>(b * G) << 2);
      const db = d + <usize>b * rowG;
      const dhb = dht + <usize>b * rowH;
      const hb = <usize>(b * up) << 2;
      for (let j = 0; j < up; j += 4) {
        const o = <usize>j << 2;
        const i = v128.load(gb + o);
        const f = v128.load(gb + o + upB);
        const gg = v128.load(gb + o + 2 * upB);
        const og = v128.load(gb + o + 3 * upB);
        const dh = f32x4.add(v128.load(dhb + o), v128.load(dhn + hb + o));
        const tc = act4(act, v128.load(cT + hb + o));
        const dc = f32x4.add(v128.load(dc0 + hb + o), f32x4.mul(f32x4.mul(dh, og), dact4(act, tc)));
        v128.store(db + o, f32x4.mul(f32x4.mul(dc, gg), dact4(recAct, i)));
        v128.store(db + o + upB, f32x4.mul(f32x4.mul(dc, v128.load(cPrev + hb + o)), dact4(recAct, f)));
        v128.store(db + o + 2 * upB, f32x4.mul(f32x4.mul(dc, i), dact4(act, gg)));
        v128.store(db + o + 3 * upB, f32x4.mul(f32x4.mul(dh, tc), dact4(recAct, og)));
        v128.store(dc0 + hb + o, f32x4.mul(dc, f));
      }
    }
    gemmS(d, T * G, 1, rt, up, dhn, up, 0, up, false, B, G, up);
  }
  memory.copy(dh0, dhn, stepH);
}

// ---------- GRU (gate order z, r, h as in Keras) ----------

/**
 * x (B, T, F), w (F, 3·up), bias (3·up; 0: none): each step's x·W + input bias is computed into
 * xs, one step's (B, 3·up) scratch (as in lstmForward; x and hs batch-major, saved time-major).
 * r (U, 3·up). rb (3·up): recurrent bias (reset_after; zeros otherwise). h0 (B, up). Out: hs (B, T, up); saved (T, B, 4·up) = [z, r, ĥ, ih] where ih is the
 * recurrent part of the candidate (h·Uh + b'h) with reset_after, unused otherwise. With save = 0
 * (inference) saved is one step's scratch (B, 4·up).
 * Scratch: inner (B, 3·up), rh (B, up).
 */
export function gruForward(xs: usize, x: usize, w: usize, bias: usize, F: i32, r: usize, rb: usize, h0: usize, hs: usize, saved: usize, inner: usize, rh: usize, T: i32, B: i32, U: i32, up: i32, recAct: i32, act: i32, resetAfter: i32, save: i32): void {
  const G3 = 3 * up;
  const G4 = 4 * up;
  const upB = <usize>up << 2;
  const rowH = <usize>(T * up) << 2;
  const rowX = <usize>G3 << 2;
  for (let t = 0; t < T; t++) {
    const hPrev = t == 0 ? h0 : hs + (<usize>((t - 1) * up) << 2);
    const ldh = t == 0 ? up : T * up;
    const hPrevRow = <usize>ldh << 2;
    gemmS(x + (<usize>(t * F) << 2), T * F, 1, w, G3, xs, G3, bias, 0, bias != 0, B, F, G3);
    const s = save ? saved + (<usize>(t * B * G4) << 2) : saved;
    const hOut = hs + (<usize>(t * up) << 2);
    // without reset_after the h block is recomputed below from r ⊙ h
    gemmS(hPrev, ldh, 1, r, G3, inner, G3, 0, G3, false, B, U, G3);
    for (let b = 0; b < B; b++) {
      const xb = xs + <usize>b * rowX;
      const ib = inner + (<usize>(b * G3) << 2);
      const sb = s + (<usize>(b * G4) << 2);
      const hb = <usize>(b * up) << 2;
      const hpb = hPrev + <usize>b * hPrevRow;
      const hob = hOut + <usize>b * rowH;
      for (let j = 0; j < up; j += 4) {
        const o = <usize>j << 2;
        const z = act4(recAct, f32x4.add(f32x4.add(v128.load(xb + o), v128.load(ib + o)), v128.load(rb + o)));
        const rr = act4(recAct, f32x4.add(f32x4.add(v128.load(xb + o + upB), v128.load(ib + o + upB)), v128.load(rb + o + upB)));
        v128.store(sb + o, z);
        v128.store(sb + o + upB, rr);
        if (resetAfter) {
          const ih = f32x4.add(v128.load(ib + o + 2 * upB), v128.load(rb + o + 2 * upB));
          v128.store(sb + o + 3 * upB, ih);
          const hh = act4(act, f32x4.add(v128.load(xb + o + 2 * upB), f32x4.mul(rr, ih)));
          v128.store(sb + o + 2 * upB, hh);
          const hp = v128.load(hpb + o);
          v128.store(hob + o, f32x4.add(f32x4.mul(z, hp), f32x4.mul(f32x4.sub(f32x4.splat(1), z), hh)));
        } else {
          v128.store(rh + hb + o, f32x4.mul(rr, v128.load(hpb + o)));
        }
      }
    }
    if (!resetAfter) {
      // candidate: act(xh + (r ⊙ h)·Uh), Uh = columns [2up, 3up) of r (row stride 3·up)
      gemmStrided(rh, up, r + (<usize>(2 * up) << 2), G3, inner, G3, B, U, up);
      for (let b = 0; b < B; b++) {
        const xb = xs + <usize>b * rowX;
        const ib = inner + (<usize>(b * G3) << 2);
        const sb = s + (<usize>(b * G4) << 2);
        const hpb = hPrev + <usize>b * hPrevRow;
        const hob = hOut + <usize>b * rowH;
        for (let j = 0; j < up; j += 4) {
          const o = <usize>j << 2;
          const z = v128.load(sb + o);
          const hh = act4(act, f32x4.add(v128.load(xb + o + 2 * upB), v128.load(ib + o)));
          v128.store(sb + o + 2 * upB, hh);
          const hp = v128.load(hpb + o);
          v128.store(hob + o, f32x4.add(f32x4.mul(z, hp), f32x4.mul(f32x4.sub(f32x4.splat(1), z), hh)));
        }
      }
    }
  }
}

/** C (M, N; stride ldc) = A (M, K; stride lda)·Bm (K, N; stride ldb). Simple 1-row kernel. */
function gemmStrided(a: usize, lda: i32, bm: usize, ldb: i32, c: usize, ldc: i32, M: i32, K: i32, N: i32): void {
  const ldbB = <usize>ldb << 2;
  for (let m = 0; m < M; m++) {
    const a0 = a + (<usize>(m * lda) << 2);
    const c0 = c + (<usize>(m * ldc) << 2);
    let n = 0;
    for (; n + 16 <= N; n += 16) {
      const o = <usize>n << 2;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let bp = bm + o;
      for (let k = 0; k < K; k++) {
        const x = v128.load32_splat(a0 + (<usize>k << 2));
        s0 = madd(x, v128.load(bp), s0); s1 = madd(x, v128.load(bp, 16), s1);
        s2 = madd(x, v128.load(bp, 32), s2); s3 = madd(x, v128.load(bp, 48), s3);
        bp += ldbB;
      }
      v128.store(c0 + o, s0); v128.store(c0 + o, s1, 16); v128.store(c0 + o, s2, 32); v128.store(c0 + o, s3, 48);
    }
    for (; n < N; n += 4) {
      const o = <usize>n << 2;
      let s = f32x4.splat(0);
      let bp = bm + o;
      for (let k = 0; k < K; k++) {
        s = madd(v128.load32_splat(a0 + (<usize>k << 2)), v128.load(bp), s);
        bp += ldbB;
      }
      v128.store(c0 + o, s);
    }
  }
}

/**
 * GRU BPTT. dhs (B, T, up). saved, hs (B, T, up), h0 from the forward. rt (3·up, up): recurrent
 * kernel transposed. Out: dx (B, T, 3·up) gradient w.r.t. x·W + b; dinner (B, T, 3·up) gradient
 * w.r.t. the recurrent pre-activations [h·Uz + b'z, h·Ur + b'r, ih] (reset_after) or
 * [h·Uz, h·Ur, (r⊙h)·Uh]; dh0 (B, up). Scratch: dhn (B, up), drh (B, up).
 */
export function gruBackward(dhs: usize, saved: usize, hs: usize, h0: usize, rt: usize, dx: usize, dinner: usize, dh0: usize, dhn: usize, drh: usize, T: i32, B: i32, U: i32, up: i32, recAct: i32, act: i32, resetAfter: i32): void {
  const G3 = 3 * up;
  const G4 = 4 * up;
  const upB = <usize>up << 2;
  const stepH = <usize>(B * up) << 2;
  const rowH = <usize>(T * up) << 2;
  const rowX = <usize>(T * G3) << 2;
  memory.fill(dhn, 0, stepH);
  const one = f32x4.splat(1);
  for (let t = T - 1; t >= 0; t--) {
    const hPrev = t == 0 ? h0 : hs + (<usize>((t - 1) * up) << 2);
    const hPrevRow = t == 0 ? upB : rowH;
    const s = saved + (<usize>(t * B * G4) << 2);
    const dxt = dx + (<usize>(t * G3) << 2);
    const dit = dinner + (<usize>(t * G3) << 2);
    const dht = dhs + (<usize>(t * up) << 2);
    for (let b = 0; b < B; b++) {
      const sb = s + (<usize>(b * G4) << 2);
      const xb = dxt + <usize>b * rowX;
      const ib = dit + <usize>b * rowX;
      const hb = <usize>(b * up) << 2;
      const hpb = hPrev + <usize>b * hPrevRow;
      const dhb = dht + <usize>b * rowH;
      for (let j = 0; j < up; j += 4) {
        const o = <usize>j << 2;
        const z = v128.load(sb + o);
        const rr = v128.load(sb + o + upB);
        const hh = v128.load(sb + o + 2 * upB);
        const hp = v128.load(hpb + o);
        const dh = f32x4.add(v128.load(dhb + o), v128.load(dhn + hb + o));
        const dah = f32x4.mul(f32x4.mul(dh, f32x4.sub(one, z)), dact4(act, hh));
        const daz = f32x4.mul(f32x4.mul(dh, f32x4.sub(hp, hh)), dact4(recAct, z));
        v128.store(xb + o, daz);
        v128.store(xb + o + 2 * upB, dah);
        v128.store(ib + o, daz);
        // direct path h_{t−1} → h_t; the recurrent matmul part is added below
        v128.store(dhn + hb + o, f32x4.mul(dh, z));
        if (resetAfter) {
          const ih = v128.load(sb + o + 3 * upB);
          const dar = f32x4.mul(f32x4.mul(dah, ih), dact4(recAct, rr));
          v128.store(xb + o + upB, dar);
          v128.store(ib + o + upB, dar);
          v128.store(ib + o + 2 * upB, f32x4.mul(dah, rr));
        } else {
          v128.store(ib + o + 2 * upB, dah);
        }
      }
    }
    if (resetAfter) {
      gemmS(dit, T * G3, 1, rt, up, dhn, up, dhn, up, true, B, G3, up);
    } else {
      // d(r ⊙ h) = dah · Uhᵀ; rows [2up, 3up) of rt
      gemmS(dit + (<usize>(2 * up) << 2), T * G3, 1, rt + (<usize>(2 * up * up) << 2), up, drh, up, 0, up, false, B, up, up);
      for (let b = 0; b < B; b++) {
        const sb = s + (<usize>(b * G4) << 2);
        const xb = dxt + <usize>b * rowX;
        const ib = dit + <usize>b * rowX;
        const hb = <usize>(b * up) << 2;
        const hpb = hPrev + <usize>b * hPrevRow;
        for (let j = 0; j < up; j += 4) {
          const o = <usize>j << 2;
          const rr = v128.load(sb + o + upB);
          const d = v128.load(drh + hb + o);
          const dar = f32x4.mul(f32x4.mul(d, v128.load(hpb + o)), dact4(recAct, rr));
          v128.store(xb + o + upB, dar);
          v128.store(ib + o + upB, dar);
          v128.store(dhn + hb + o, f32x4.add(v128.load(dhn + hb + o), f32x4.mul(d, rr)));
        }
      }
      // + [daz, dar]·[Uz, Ur]ᵀ: rows [0, 2up) of rt
      gemmS(dit, T * G3, 1, rt, up, dhn, up, dhn, up, true, B, 2 * up, up);
    }
  }
  memory.copy(dh0, dhn, stepH);
}

// ---------- SimpleRNN ----------

/** zx (B, T, up), r (U, up), h0 (B, up). Out: hs (B, T, up). */
export function rnnForward(zx: usize, r: usize, h0: usize, hs: usize, T: i32, B: i32, U: i32, up: i32, act: i32): void {
  const rowH = <usize>(T * up) << 2;
  for (let t = 0; t < T; t++) {
    const hPrev = t == 0 ? h0 : hs + (<usize>((t - 1) * up) << 2);
    const ldh = t == 0 ? up : T * up;
    const h = hs + (<usize>(t * up) << 2);
    gemmS(hPrev, ldh, 1, r, up, h, T * up, zx + (<usize>(t * up) << 2), T * up, true, B, U, up);
    for (let b = 0; b < B; b++) actRange(act, h + <usize>b * rowH, up);
  }
}

/** dhs, hs (B, T, up). Out: dz (B, T, up) gradient w.r.t. zx; dh0 (B, up). rt (up, up) transposed kernel. Scratch dhn. */
export function rnnBackward(dhs: usize, hs: usize, rt: usize, dz: usize, dh0: usize, dhn: usize, T: i32, B: i32, U: i32, up: i32, act: i32): void {
  const stepH = <usize>(B * up) << 2;
  const rowH = <usize>(T * up) << 2;
  memory.fill(dhn, 0, stepH);
  for (let t = T - 1; t >= 0; t--) {
    const at = <usize>(t * up) << 2;
    for (let b = 0; b < B; b++) {
      const row = at + <usize>b * rowH;
      const hb = <usize>(b * up) << 2;
      for (let j = 0; j < up; j += 4) {
        const o = <usize>j << 2;
        const dh = f32x4.add(v128.load(dhs + row + o), v128.load(dhn + hb + o));
        v128.store(dz + row + o, f32x4.mul(dh, dact4(act, v128.load(hs + row + o))));
      }
    }
    gemmS(dz + at, T * up, 1, rt, up, dhn, up, 0, up, false, B, up, up);
  }
  memory.copy(dh0, dhn, stepH);
}

// ---------- additive attention scores ----------
//
// wa·tanh(q + k) = wa − 2·wa·Iq / (Iq + Ek) with Iq = exp(−2q), Ek = exp(2k) (tanh x = 1 − 2/(1 + e^{2x})):
// with the exponentials computed once per (t, u) and (s, u), each of the B·T²·U score terms costs one
// add and one divide instead of a tanh. In the forward, where the magnitudes allow, two terms share
// a divide: a/x + a'/x' = (a·x' + a'·x)/(x·x') (four terms per divide, x·y·z·w, measured slower, as
// did pairing in the backward, which has more multiplies per term). Per batch element: all |q|, |k|
// ≤ PAIR_LIMIT (products of two x stay within float32) takes the paired forward, ≤ EXP_LIMIT one
// divide per term, beyond (where e^{2x} could overflow, or |wa| is huge) the direct tanh loop.

const EXP_LIMIT: f32 = 30.0;
const PAIR_LIMIT: f32 = 15.0;
const WA_LIMIT: f32 = 1.0e6;

function maxAbs(p: usize, n: i32): f32 {
  let m = f32x4.splat(0);
  for (let j = 0; j < n; j += 4) m = f32x4.max(m, f32x4.abs(v128.load(p + (<usize>j << 2))));
  return max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
}

/** How batch element b of q, k (T, up) and wa (up) may be computed: 2 paired, 1 exponential form, 0 direct. */
function expForm(qb: usize, kb: usize, wa: usize, T: i32, up: i32): i32 {
  if (maxAbs(wa, up) > WA_LIMIT) return 0;
  const m = max(maxAbs(qb, T * up), maxAbs(kb, T * up));
  return m <= PAIR_LIMIT ? 2 : m <= EXP_LIMIT ? 1 : 0;
}

/** dst[i] = exp(scale·src[i]) · (mul ? mul[i % up] : 1) for (rows, up). */
function expRows(src: usize, dst: usize, scale: f32, mul: usize, rows: i32, up: i32): void {
  const sv = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    const row = <usize>(r * up) << 2;
    for (let u = 0; u < up; u += 4) {
      const o = <usize>u << 2;
      let v = exp4(f32x4.mul(sv, v128.load(src + row + o)));
      if (mul) v = f32x4.mul(v, v128.load(mul + o));
      v128.store(dst + row + o, v);
    }
  }
}

/** [Σ a, Σ b, Σ c, Σ d]: the lane sums of four vectors in one vector. */
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<i32>(a, b, 0, 2, 4, 6), v128.shuffle<i32>(a, b, 1, 3, 5, 7));
  const cd = f32x4.add(v128.shuffle<i32>(c, d, 0, 2, 4, 6), v128.shuffle<i32>(c, d, 1, 3, 5, 7));
  return f32x4.add(v128.shuffle<i32>(ab, cd, 0, 2, 4, 6), v128.shuffle<i32>(ab, cd, 1, 3, 5, 7));
}

/**
 * e[b, t, s] = Σ_u wa[u]·tanh(q[b, t, u] + k[b, s, u]) + ba, with bh folded into k.
 * q, k (B, T, up) (padding lanes: q = k = 0 and wa = 0). Out: e (B, T, T).
 * Scratch: 6·T·up + up floats.
 */
export function additiveScores(q: usize, k: usize, wa: usize, ba: f32, e: usize, B: i32, T: i32, up: i32, scratch: usize): void {
  const rowB = <usize>up << 2;
  const nv = up >> 2;
  const iq = scratch;
  const aq = iq + <usize>T * rowB;
  const ek = aq + <usize>T * rowB;
  const wa2 = ek + <usize>T * rowB;
  // Iq and Aq of each row interleaved per vector of u, and Ek of every four columns interleaved
  // per vector of u: the sweep's loads are then at fixed offsets from two pointers, where separate
  // rows cost V8 an address computation per row and vector (4–8 % faster, the same sums).
  const qp = wa2 + rowB; // (T, up/4, 2 vectors)
  const kp = qp + <usize>(2 * T) * rowB; // (T/4, up/4, 4 vectors)
  let waSum: f32 = 0;
  for (let u = 0; u < up; u += 4) {
    const w = v128.load(wa + (<usize>u << 2));
    v128.store(wa2 + (<usize>u << 2), f32x4.add(w, w));
    waSum += hsum(w);
  }
  const c = waSum + ba;
  const cv = f32x4.splat(c);
  const T4 = T & ~3;
  for (let b = 0; b < B; b++) {
    const qb = q + <usize>(b * T) * rowB;
    const kb = k + <usize>(b * T) * rowB;
    const eb = e + (<usize>(b * T * T) << 2);
    const form = expForm(qb, kb, wa, T, up);
    if (form == 0) {
      additiveScoresDirect(qb, kb, wa, ba, eb, T, up);
      continue;
    }
    expRows(qb, iq, -2.0, 0, T, up);
    expRows(qb, aq, -2.0, wa2, T, up);
    expRows(kb, ek, 2.0, 0, T, up);
    for (let t = 0; t < T; t++)
      for (let v = 0; v < nv; v++) {
        const src = <usize>t * rowB + (<usize>v << 4);
        const dst = qp + (<usize>(t * nv + v) << 5);
        v128.store(dst, v128.load(iq + src));
        v128.store(dst, v128.load(aq + src), 16);
      }
    for (let s = 0; s < T4; s += 4)
      for (let v = 0; v < nv; v++) {
        const dst = kp + (<usize>(s * nv + 4 * v) << 4);
        for (let j = 0; j < 4; j++) v128.store(dst + (<usize>j << 4), v128.load(ek + <usize>(s + j) * rowB + (<usize>v << 4)));
      }
    // vectors of u taken in pairs by the paired form; an odd last one alone
    const pairs = form == 2 ? nv & ~1 : 0;
    for (let t = 0; t < T; t++) {
      const qt = qp + (<usize>(t * nv) << 5);
      const it = iq + <usize>t * rowB;
      const at = aq + <usize>t * rowB;
      const et = eb + (<usize>(t * T) << 2);
      let s = 0;
      for (; s < T4; s += 4) {
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        let a2 = f32x4.splat(0);
        let a3 = f32x4.splat(0);
        let pq = qt;
        let pk = kp + (<usize>(s * nv) << 4);
        let v = 0;
        for (; v < pairs; v += 2) {
          const iv = v128.load(pq);
          const av = v128.load(pq, 16);
          const iw = v128.load(pq, 32);
          const aw = v128.load(pq, 48);
          let x = f32x4.add(iv, v128.load(pk));
          let y = f32x4.add(iw, v128.load(pk, 64));
          a0 = f32x4.add(a0, f32x4.div(madd(av, y, f32x4.mul(aw, x)), f32x4.mul(x, y)));
          x = f32x4.add(iv, v128.load(pk, 16));
          y = f32x4.add(iw, v128.load(pk, 80));
          a1 = f32x4.add(a1, f32x4.div(madd(av, y, f32x4.mul(aw, x)), f32x4.mul(x, y)));
          x = f32x4.add(iv, v128.load(pk, 32));
          y = f32x4.add(iw, v128.load(pk, 96));
          a2 = f32x4.add(a2, f32x4.div(madd(av, y, f32x4.mul(aw, x)), f32x4.mul(x, y)));
          x = f32x4.add(iv, v128.load(pk, 48));
          y = f32x4.add(iw, v128.load(pk, 112));
          a3 = f32x4.add(a3, f32x4.div(madd(av, y, f32x4.mul(aw, x)), f32x4.mul(x, y)));
          pq += 64;
          pk += 128;
        }
        for (; v < nv; v++) {
          const iv = v128.load(pq);
          const av = v128.load(pq, 16);
          a0 = f32x4.add(a0, f32x4.div(av, f32x4.add(iv, v128.load(pk))));
          a1 = f32x4.add(a1, f32x4.div(av, f32x4.add(iv, v128.load(pk, 16))));
          a2 = f32x4.add(a2, f32x4.div(av, f32x4.add(iv, v128.load(pk, 32))));
          a3 = f32x4.add(a3, f32x4.div(av, f32x4.add(iv, v128.load(pk, 48))));
          pq += 32;
          pk += 64;
        }
        v128.store(et + (<usize>s << 2), f32x4.sub(cv, hsum4(a0, a1, a2, a3)));
      }
      for (; s < T; s++) {
        const k0 = ek + <usize>s * rowB;
        let a0 = f32x4.splat(0);
        for (let u = 0; u < up; u += 4) {
          const o = <usize>u << 2;
          a0 = f32x4.add(a0, f32x4.div(v128.load(at + o), f32x4.add(v128.load(it + o), v128.load(k0 + o))));
        }
        store<f32>(et + (<usize>s << 2), c - hsum(a0));
      }
    }
  }
}

/** The scores of one batch element with a polynomial tanh per term (any magnitude), columns s four at a time. */
function additiveScoresDirect(qb: usize, kb: usize, wa: usize, ba: f32, eb: usize, T: i32, up: i32): void {
  const rowB = <usize>up << 2;
  const bv = f32x4.splat(ba);
  for (let t = 0; t < T; t++) {
    const qt = qb + <usize>t * rowB;
    const et = eb + (<usize>(t * T) << 2);
    let s = 0;
    for (; s + 3 < T; s += 4) {
      const k0 = kb + <usize>s * rowB;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      for (let u = 0; u < up; u += 4) {
        const o = <usize>u << 2;
        const qv = v128.load(qt + o);
        const w = v128.load(wa + o);
        const kp = k0 + o;
        a0 = madd(w, tanh4(f32x4.add(qv, v128.load(kp))), a0);
        a1 = madd(w, tanh4(f32x4.add(qv, v128.load(kp + rowB))), a1);
        a2 = madd(w, tanh4(f32x4.add(qv, v128.load(kp + 2 * rowB))), a2);
        a3 = madd(w, tanh4(f32x4.add(qv, v128.load(kp + 3 * rowB))), a3);
      }
      v128.store(et + (<usize>s << 2), f32x4.add(hsum4(a0, a1, a2, a3), bv));
    }
    for (; s < T; s++) {
      const k0 = kb + <usize>s * rowB;
      let a0 = f32x4.splat(0);
      for (let u = 0; u < up; u += 4) {
        const o = <usize>u << 2;
        a0 = madd(v128.load(wa + o), tanh4(f32x4.add(v128.load(qt + o), v128.load(k0 + o))), a0);
      }
      store<f32>(et + (<usize>s << 2), hsum(a0) + ba);
    }
  }
}

function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * Backward of additiveScores. de (B, T, T). Out: dq, dk (B, T, up) and dwa (up) (all overwritten).
 * With r = Iq / (Iq + Ek): tanh = 1 − 2r and 1 − tanh² = 4r(1 − r). Rows t are taken four at a time
 * (then two, then the last of an odd T alone), so that each sweep over s loads Ek[s] and updates
 * dk[s] once for all of them. Every term divides on its own: sharing a divide between two terms, as
 * the forward does, costs five multiplies per pair, and with the backward's other multiplies that
 * measured slower. The factor 4·wa of dq and dk is applied once per row (dq) and once per batch
 * element (dk) instead of per term.
 * Scratch: 2·T·up + 2·up floats.
 */
export function additiveScoresBackward(q: usize, k: usize, wa: usize, de: usize, dq: usize, dk: usize, dwa: usize, B: i32, T: i32, up: i32, scratch: usize): void {
  const rowB = <usize>up << 2;
  memory.fill(dk, 0, <usize>(B * T) * rowB);
  memory.fill(dwa, 0, rowB);
  const iq = scratch;
  const ek = iq + <usize>T * rowB;
  const dr = ek + <usize>T * rowB; // Σ de·r per u over the elements in exponential form (f64)
  memory.fill(dr, 0, <usize>up << 3);
  const four = f32x4.splat(4);
  let deSum: f64 = 0; // Σ de over the same elements
  for (let b = 0; b < B; b++) {
    const qb = q + <usize>(b * T) * rowB;
    const kb = k + <usize>(b * T) * rowB;
    const dqb = dq + <usize>(b * T) * rowB;
    const dkb = dk + <usize>(b * T) * rowB;
    const deb = de + (<usize>(b * T * T) << 2);
    const form = expForm(qb, kb, wa, T, up);
    if (form == 0) {
      additiveBackwardDirect(qb, kb, wa, deb, dqb, dkb, dwa, T, up);
      continue;
    }
    expRows(qb, iq, -2.0, 0, T, up);
    expRows(kb, ek, 2.0, 0, T, up);
    let t = 0;
    for (; t + 3 < T; t += 4) {
      const i0p = iq + <usize>t * rowB;
      const dq0 = dqb + <usize>t * rowB;
      const d0p = deb + (<usize>(t * T) << 2);
      const dT = <usize>T << 2;
      deSum += rowSum(d0p, T) + rowSum(d0p + dT, T) + rowSum(d0p + 2 * dT, T) + rowSum(d0p + 3 * dT, T);
      for (let u = 0; u < up; u += 4) {
        const o = <usize>u << 2;
        const i0 = v128.load(i0p + o);
        const i1 = v128.load(i0p + rowB + o);
        const i2 = v128.load(i0p + 2 * rowB + o);
        const i3 = v128.load(i0p + 3 * rowB + o);
        let gq0 = f32x4.splat(0);
        let gq1 = f32x4.splat(0);
        let gq2 = f32x4.splat(0);
        let gq3 = f32x4.splat(0);
        let gs = f32x4.splat(0);
        let kp = ek + o;
        let ka = dkb + o;
        let dp = d0p;
        for (let s = 0; s < T; s++) {
          const e = v128.load(kp);
          let r0 = f32x4.div(i0, f32x4.add(i0, e));
          let r1 = f32x4.div(i1, f32x4.add(i1, e));
          let dR0 = f32x4.mul(v128.load32_splat(dp), r0);
          let dR1 = f32x4.mul(v128.load32_splat(dp + dT), r1);
          // de·r(1 − r) = de·r − de·r·r
          let h0 = nmadd(dR0, r0, dR0);
          let h1 = nmadd(dR1, r1, dR1);
          gq0 = f32x4.add(gq0, h0);
          gq1 = f32x4.add(gq1, h1);
          gs = f32x4.add(gs, f32x4.add(dR0, dR1));
          let h = f32x4.add(h0, h1);
          r0 = f32x4.div(i2, f32x4.add(i2, e));
          r1 = f32x4.div(i3, f32x4.add(i3, e));
          dR0 = f32x4.mul(v128.load32_splat(dp + 2 * dT), r0);
          dR1 = f32x4.mul(v128.load32_splat(dp + 3 * dT), r1);
          h0 = nmadd(dR0, r0, dR0);
          h1 = nmadd(dR1, r1, dR1);
          gq2 = f32x4.add(gq2, h0);
          gq3 = f32x4.add(gq3, h1);
          gs = f32x4.add(gs, f32x4.add(dR0, dR1));
          v128.store(ka, f32x4.add(v128.load(ka), f32x4.add(h, f32x4.add(h0, h1))));
          kp += rowB;
          ka += rowB;
          dp += 4;
        }
        const w4 = f32x4.mul(four, v128.load(wa + o));
        v128.store(dq0 + o, f32x4.mul(w4, gq0));
        v128.store(dq0 + rowB + o, f32x4.mul(w4, gq1));
        v128.store(dq0 + 2 * rowB + o, f32x4.mul(w4, gq2));
        v128.store(dq0 + 3 * rowB + o, f32x4.mul(w4, gq3));
        addF64x4(dr + (<usize>u << 3), gs);
      }
    }
    for (; t + 1 < T; t += 2) {
      const i0p = iq + <usize>t * rowB;
      const i1p = i0p + rowB;
      const dq0 = dqb + <usize>t * rowB;
      const d0p = deb + (<usize>(t * T) << 2);
      const d1p = d0p + (<usize>T << 2);
      deSum += rowSum(d0p, T) + rowSum(d1p, T);
      for (let u = 0; u < up; u += 4) {
        const o = <usize>u << 2;
        const i0 = v128.load(i0p + o);
        const i1 = v128.load(i1p + o);
        let gq0 = f32x4.splat(0);
        let gq1 = f32x4.splat(0);
        let gs = f32x4.splat(0);
        let kp = ek + o;
        let ka = dkb + o;
        for (let s = 0; s < T; s++) {
          const e = v128.load(kp);
          const r0 = f32x4.div(i0, f32x4.add(i0, e));
          const r1 = f32x4.div(i1, f32x4.add(i1, e));
          const dR0 = f32x4.mul(v128.load32_splat(d0p + (<usize>s << 2)), r0);
          const dR1 = f32x4.mul(v128.load32_splat(d1p + (<usize>s << 2)), r1);
          const h0 = nmadd(dR0, r0, dR0);
          const h1 = nmadd(dR1, r1, dR1);
          gq0 = f32x4.add(gq0, h0);
          gq1 = f32x4.add(gq1, h1);
          gs = f32x4.add(gs, f32x4.add(dR0, dR1));
          v128.store(ka, f32x4.add(v128.load(ka), f32x4.add(h0, h1)));
          kp += rowB;
          ka += rowB;
        }
        const w4 = f32x4.mul(four, v128.load(wa + o));
        v128.store(dq0 + o, f32x4.mul(w4, gq0));
        v128.store(dq0 + rowB + o, f32x4.mul(w4, gq1));
        addF64x4(dr + (<usize>u << 3), gs);
      }
    }
    if (t < T) {
      // the last row of an odd T, alone
      const i0p = iq + <usize>t * rowB;
      const dq0 = dqb + <usize>t * rowB;
      const d0p = deb + (<usize>(t * T) << 2);
      deSum += rowSum(d0p, T);
      for (let u = 0; u < up; u += 4) {
        const o = <usize>u << 2;
        const i0 = v128.load(i0p + o);
        let gq0 = f32x4.splat(0);
        let gs0 = f32x4.splat(0);
        let kp = ek + o;
        let ka = dkb + o;
        for (let s = 0; s < T; s++) {
          const r0 = f32x4.div(i0, f32x4.add(i0, v128.load(kp)));
          const dR0 = f32x4.mul(v128.load32_splat(d0p + (<usize>s << 2)), r0);
          const h0 = nmadd(dR0, r0, dR0);
          gq0 = f32x4.add(gq0, h0);
          gs0 = f32x4.add(gs0, dR0);
          v128.store(ka, f32x4.add(v128.load(ka), h0));
          kp += rowB;
          ka += rowB;
        }
        v128.store(dq0 + o, f32x4.mul(f32x4.mul(four, v128.load(wa + o)), gq0));
        addF64x4(dr + (<usize>u << 3), gs0);
      }
    }
    scaleByWa(dkb, wa, 4, T, up);
  }
  // dwa = Σ de·tanh = Σ de − 2·Σ de·r, plus what the direct elements added
  for (let u = 0; u < up; u++) {
    const a = dwa + (<usize>u << 2);
    store<f32>(a, load<f32>(a) + <f32>(deSum - 2.0 * load<f64>(dr + (<usize>u << 3))));
  }
}

/** Σ of n floats at p (accumulated in f32, as one row of de). */
function rowSum(p: usize, n: i32): f64 {
  let v = f32x4.splat(0);
  let s = 0;
  for (; s + 3 < n; s += 4) v = f32x4.add(v, v128.load(p + (<usize>s << 2)));
  let r = hsum(v);
  for (; s < n; s++) r += load<f32>(p + (<usize>s << 2));
  return <f64>r;
}

/** Adds the four floats of v to the four f64 at p. */
@inline function addF64x4(p: usize, v: v128): void {
  v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v)));
  v128.store(p, f64x2.add(v128.load(p, 16), f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3))), 16);
}

/**
 * Backward of one batch element with a polynomial tanh per term; adds into dk (zero on entry) and
 * dwa, writes dq. Sweeps s per (t, vector of u) so that dq's and dwa's sums stay in registers; wa
 * is applied to dq per row and to dk once at the end.
 */
function additiveBackwardDirect(qb: usize, kb: usize, wa: usize, deb: usize, dqb: usize, dkb: usize, dwa: usize, T: i32, up: i32): void {
  const rowB = <usize>up << 2;
  const one = f32x4.splat(1);
  for (let t = 0; t < T; t++) {
    const qt = qb + <usize>t * rowB;
    const dqt = dqb + <usize>t * rowB;
    const det = deb + (<usize>(t * T) << 2);
    for (let u = 0; u < up; u += 4) {
      const o = <usize>u << 2;
      const qv = v128.load(qt + o);
      let gq = f32x4.splat(0);
      let gw = f32x4.splat(0);
      let kp = kb + o;
      let ka = dkb + o;
      for (let s = 0; s < T; s++) {
        const d = v128.load32_splat(det + (<usize>s << 2));
        const th = tanh4(f32x4.add(qv, v128.load(kp)));
        const g = f32x4.mul(d, nmadd(th, th, one));
        gq = f32x4.add(gq, g);
        gw = madd(d, th, gw);
        v128.store(ka, f32x4.add(v128.load(ka), g));
        kp += rowB;
        ka += rowB;
      }
      v128.store(dqt + o, f32x4.mul(v128.load(wa + o), gq));
      v128.store(dwa + o, f32x4.add(v128.load(dwa + o), gw));
    }
  }
  scaleByWa(dkb, wa, 1, T, up);
}

/** p[s, u] ·= scale·wa[u] for rows s of (rows, up): the factor the backward sums leave out per term. */
function scaleByWa(p: usize, wa: usize, scale: f32, rows: i32, up: i32): void {
  const rowB = <usize>up << 2;
  const sv = f32x4.splat(scale);
  for (let u = 0; u < up; u += 4) {
    const o = <usize>u << 2;
    const w = f32x4.mul(sv, v128.load(wa + o));
    for (let s = 0; s < rows; s++) {
      const a = p + <usize>s * rowB + o;
      v128.store(a, f32x4.mul(w, v128.load(a)));
    }
  }
}
