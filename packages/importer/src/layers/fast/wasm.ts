import type * as tf from '@tensorflow/tfjs';
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels-wasm.ts';

/** The exports of `assembly/kernels.ts`; every pointer is a byte offset into `memory`. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  activate(code: number, p: number, n: number): void;
  matmul(
    a: number,
    lda: number,
    ska: number,
    b: number,
    c: number,
    base: number,
    hasBase: number,
    m: number,
    k: number,
    n: number,
    ldbase: number,
  ): void;
  lstmForward(
    x: number,
    w: number,
    bias: number,
    F: number,
    r: number,
    h0: number,
    c0: number,
    hs: number,
    cs: number,
    gates: number,
    T: number,
    B: number,
    U: number,
    up: number,
    recAct: number,
    act: number,
    save: number,
  ): void;
  lstmBackward(
    dhs: number,
    dcT: number,
    gates: number,
    cs: number,
    c0: number,
    rt: number,
    dz: number,
    dh0: number,
    dc0: number,
    dhn: number,
    T: number,
    B: number,
    U: number,
    up: number,
    recAct: number,
    act: number,
  ): void;
  gruForward(
    xs: number,
    x: number,
    w: number,
    bias: number,
    F: number,
    r: number,
    rb: number,
    h0: number,
    hs: number,
    saved: number,
    inner: number,
    rh: number,
    T: number,
    B: number,
    U: number,
    up: number,
    recAct: number,
    act: number,
    resetAfter: number,
    save: number,
  ): void;
  gruBackward(
    dhs: number,
    saved: number,
    hs: number,
    h0: number,
    rt: number,
    dx: number,
    dinner: number,
    dh0: number,
    dhn: number,
    drh: number,
    T: number,
    B: number,
    U: number,
    up: number,
    recAct: number,
    act: number,
    resetAfter: number,
  ): void;
  rnnForward(
    zx: number,
    r: number,
    h0: number,
    hs: number,
    T: number,
    B: number,
    U: number,
    up: number,
    act: number,
  ): void;
  rnnBackward(
    dhs: number,
    hs: number,
    rt: number,
    dz: number,
    dh0: number,
    dhn: number,
    T: number,
    B: number,
    U: number,
    up: number,
    act: number,
  ): void;
  transpose(src: number, rows: number, cols: number, dst: number, ldd: number): void;
  additiveScores(
    q: number,
    k: number,
    wa: number,
    ba: number,
    e: number,
    B: number,
    T: number,
    up: number,
    scratch: number,
  ): void;
  additiveScoresBackward(
    q: number,
    k: number,
    wa: number,
    de: number,
    dq: number,
    dk: number,
    dwa: number,
    B: number,
    T: number,
    up: number,
    scratch: number,
  ): void;
}

/**
 * The instruction sets the kernel module is built for: `relaxed-simd` adds WebAssembly relaxed
 * SIMD's fused multiply-add (`f32x4.relaxed_madd`) to `simd128`, where matmuls and polynomials run
 * about 1.5× the arithmetic per cycle; engines without relaxed SIMD refuse to compile it.
 */
export type KernelInstructionSet = 'relaxed-simd' | 'simd128';

const SOURCES: Record<KernelInstructionSet, string> = {
  'relaxed-simd': KERNELS_RELAXED_WASM_BASE64,
  simd128: KERNELS_WASM_BASE64,
};
const instances = new Map<KernelInstructionSet, KernelExports | null>();

function decodeBase64(s: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(s, 'base64'));
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The module built for `set`, instantiated once; `null` where this engine cannot compile it. */
function kernelsFor(set: KernelInstructionSet): KernelExports | null {
  let k = instances.get(set);
  if (k !== undefined) return k;
  try {
    const module = new WebAssembly.Module(decodeBase64(SOURCES[set]) as BufferSource);
    const abort = () => {
      throw new Error('Keraspect fast kernel aborted');
    };
    k = new WebAssembly.Instance(module, { env: { abort } }).exports as unknown as KernelExports;
  } catch {
    k = null;
  }
  instances.set(set, k);
  return k;
}

let preferRelaxed = true;

/** Whether {@link kernels} may pick the relaxed-SIMD module (default true; `setFastPaths` sets it). */
export function setPreferRelaxedSimd(on: boolean): void {
  preferRelaxed = on;
}

/** The instruction set {@link kernels} runs: relaxed SIMD where allowed and compiled, else SIMD128, else none. */
export function kernelInstructionSet(): KernelInstructionSet | null {
  if (preferRelaxed && kernelsFor('relaxed-simd')) return 'relaxed-simd';
  return kernelsFor('simd128') ? 'simd128' : null;
}

/**
 * The compiled kernels; `null` where WebAssembly SIMD is unavailable. Every call lays out its own
 * buffers (`layout`), so the module may change between calls.
 */
export function kernels(): KernelExports | null {
  const set = kernelInstructionSet();
  return set ? kernelsFor(set) : null;
}

/** Floats rounded up to a multiple of 4 (one SIMD vector). */
export const pad4 = (n: number): number => (n + 3) & ~3;

/** Start of the scratch area: the first 64 KiB page is left to AssemblyScript's static data. */
const ARENA_BASE = 65536;

/**
 * Lays out buffers (sizes in floats) in the kernel module's memory for one call, growing it as
 * needed, and returns their byte offsets and Float32Array views. Every call reuses the same area,
 * so views are valid until the next `layout`. Buffers are zero-filled except those named in
 * `written`, which the caller or the kernel overwrites entirely (zeroing tens of MB per call is
 * not free).
 */
export function layout<K extends string>(
  k: KernelExports,
  sizes: Record<K, number>,
  written: readonly K[] = [],
): { ptr: Record<K, number>; view: Record<K, Float32Array> } {
  const ptr = {} as Record<K, number>;
  let top = ARENA_BASE;
  for (const name of Object.keys(sizes) as K[]) {
    ptr[name] = top;
    // one spare vector after each buffer, aligned to 16 bytes
    top += (sizes[name] * 4 + 16 + 15) & ~15;
  }
  const have = k.memory.buffer.byteLength;
  if (top > have) k.memory.grow(Math.ceil((top - have) / 65536));
  const buf = k.memory.buffer;
  const bytes = new Uint8Array(buf);
  const view = {} as Record<K, Float32Array>;
  for (const name of Object.keys(sizes) as K[]) {
    view[name] = new Float32Array(buf, ptr[name], sizes[name]);
    const end = ptr[name] + ((sizes[name] * 4 + 16 + 15) & ~15);
    // the spare vector after a written buffer is still zeroed (kernels may read it as padding)
    bytes.fill(0, written.includes(name) ? ptr[name] + sizes[name] * 4 : ptr[name], end);
  }
  return { ptr, view };
}

/**
 * Copy rows of `src` laid out (B, T, G·U) into `dst` laid out (T, B, G·up): time-major with every
 * one of the G gate blocks padded from U to up floats.
 */
export function toPaddedTimeMajor(
  src: Float32Array,
  dst: Float32Array,
  B: number,
  T: number,
  G: number,
  U: number,
  up: number,
): void {
  if (U === up && (B === 1 || T === 1)) {
    dst.set(src.length === B * T * G * U ? src : src.subarray(0, B * T * G * U));
    return;
  }
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const s = (b * T + t) * G * U;
      const d = (t * B + b) * G * up;
      if (U === up) dst.set(src.subarray(s, s + G * U), d);
      else for (let g = 0; g < G; g++) dst.set(src.subarray(s + g * U, s + (g + 1) * U), d + g * up);
    }
  }
}

/** The inverse of {@link toPaddedTimeMajor}. */
export function fromPaddedTimeMajor(
  src: Float32Array,
  dst: Float32Array,
  B: number,
  T: number,
  G: number,
  U: number,
  up: number,
): void {
  if (U === up && (B === 1 || T === 1)) {
    dst.set(src.subarray(0, B * T * G * U));
    return;
  }
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const d = (b * T + t) * G * U;
      const s = (t * B + b) * G * up;
      if (U === up) dst.set(src.subarray(s, s + G * U), d);
      else for (let g = 0; g < G; g++) dst.set(src.subarray(s + g * up, s + g * up + U), d + g * U);
    }
  }
}

/** (rows, G·U) → (rows, G·up), or (rows, U) rows with stride up when G = 1. */
export function padColumns(src: Float32Array, dst: Float32Array, rows: number, G: number, U: number, up: number): void {
  toPaddedTimeMajor(src, dst, 1, rows, G, U, up);
}

/** The inverse of {@link padColumns}: (rows, G·up) → (rows, G·U). */
export function unpadColumns(
  src: Float32Array,
  dst: Float32Array,
  rows: number,
  G: number,
  U: number,
  up: number,
): void {
  fromPaddedTimeMajor(src, dst, 1, rows, G, U, up);
}

/** Recurrent kernel R (U, G·U) → its transpose, padded: (G·up, up). */
export function transposePadded(src: Float32Array, dst: Float32Array, G: number, U: number, up: number): void {
  for (let k = 0; k < U; k++) {
    for (let g = 0; g < G; g++) {
      for (let j = 0; j < U; j++) dst[(g * up + j) * up + k] = src[k * G * U + g * U + j];
    }
  }
}

type Backend = tf.KernelBackend & {
  readSync(dataId: object): unknown;
  makeTensorInfo?(shape: number[], dtype: string, values?: Float32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap?(info: tf.TensorInfo): Float32Array;
  data?: { get(dataId: object): { values: unknown } };
};

/** Float32 contents of a kernel input, without a copy where the backend allows it. */
export function readInput(backend: tf.KernelBackend, t: tf.TensorInfo): Float32Array {
  const b = backend as Backend;
  if (t.dtype !== 'float32') return Float32Array.from(b.readSync(t.dataId) as ArrayLike<number>);
  if (b.typedArrayFromHeap) return b.typedArrayFromHeap(t);
  if (b.data) return b.data.get(t.dataId).values as Float32Array;
  return b.readSync(t.dataId) as Float32Array;
}

/** A new float32 kernel output of `shape`, filled by `fill`, which must write every element. */
export function writeOutput(
  backend: tf.KernelBackend,
  shape: number[],
  fill: (dst: Float32Array) => void,
): tf.TensorInfo {
  const info = emptyOutput(backend, shape);
  // the tensor's own memory: the wasm heap, or the array the cpu backend keeps
  fill(readInput(backend, info));
  return info;
}

/** A new float32 kernel output of `shape` whose contents are left to its first writer (zeros off the wasm backend). */
export function emptyOutput(backend: tf.KernelBackend, shape: number[]): tf.TensorInfo {
  const b = backend as Backend;
  // the wasm backend's makeOutput(shape, dtype); the cpu backend has one with another signature
  if (b.makeOutput && b.typedArrayFromHeap) return b.makeOutput(shape, 'float32');
  return b.makeTensorInfo!(shape, 'float32', new Float32Array(shape.reduce((a, c) => a * c, 1)));
}
