import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';

// The computations the op tables share, written once with TensorFlow's (and NumPy's, for Keras 3)
// semantics: how constants take the dtype of the tensor beside them, what a missing axis means, how
// an index expression slices. Each function takes decoded arguments (tensors, numbers, lists).

/** Which library's rules decide dtypes and defaults: TensorFlow (tf.keras op layers) or Keras 3 ops. */
export type Semantics = 'tf' | 'keras';

/** A decoded constant array (Keras 3 `__numpy__` / `__tensor__`). */
interface NdConstant {
  ndarray: unknown;
  dtype?: unknown;
}

function isNdConstant(v: unknown): v is NdConstant {
  return !!v && typeof v === 'object' && 'ndarray' in v;
}

/** A dtype name as Python writes it (`float64`, `int64`, `bool`, …) → the TF.js dtype that holds it. */
export function dtypeOf(name: unknown, what = 'dtype'): tf.DataType {
  if (name === null || name === undefined) return 'float32';
  const n = String(name).replace(/^tf\./, '');
  if (/^(b?float(16|32|64)|half|double)$/.test(n)) return 'float32';
  if (/^u?int(8|16|32|64)$/.test(n)) return 'int32';
  if (n === 'bool') return 'bool';
  return fail('UNSUPPORTED_CONFIG', `${what} '${n}' is not supported (float, int and bool types are).`);
}

/** A scalar: a number, or a one-element tensor read back (shapes and axes computed in the graph). */
export function scalar(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  if (v instanceof tf.Tensor && v.size === 1) return v.dataSync()[0];
  return fail('UNSUPPORTED_CONFIG', `${what} must be a number, found ${describe(v)}.`);
}

/** A list of integers (a shape, permutation or axis list), where items may be scalar tensors. */
export function intList(v: unknown, what: string): number[] {
  if (v instanceof tf.Tensor) return Array.from(v.dataSync(), Number);
  if (Array.isArray(v)) return v.map((x) => scalar(x, what));
  if (typeof v === 'number') return [v];
  return fail('UNSUPPORTED_CONFIG', `${what} must be a list of integers, found ${describe(v)}.`);
}

export function describe(v: unknown): string {
  if (v instanceof tf.Tensor) return `a ${v.dtype} tensor of shape [${v.shape}]`;
  return JSON.stringify(v)?.slice(0, 60) ?? String(v);
}

/**
 * A tensor for an operand: tensors pass through; constants become tensors with the dtype TensorFlow
 * converts them to — the dtype of `like` (the tensor operand) — or, with Keras 3 semantics, the
 * promoted dtype (a Python float beside an int tensor is float32).
 */
export function operand(v: unknown, like: tf.Tensor | null, sem: Semantics): tf.Tensor {
  if (v instanceof tf.Tensor) return v;
  if (isNdConstant(v)) return tf.tensor(v.ndarray as number[], undefined, dtypeOf(v.dtype));
  if (v === null || v === undefined) fail('UNSUPPORTED_CONFIG', 'An op operand is missing (None).');
  const flat = Array.isArray(v) ? (v as unknown[]).flat(Infinity) : [v];
  const bools = flat.every((x) => typeof x === 'boolean');
  const ints = flat.every((x) => typeof x === 'number' && Number.isInteger(x));
  let dtype: tf.DataType;
  if (like && sem === 'tf') dtype = like.dtype;
  else if (bools) dtype = like && like.dtype !== 'bool' ? like.dtype : 'bool';
  else if (like?.dtype === 'float32' || !ints) dtype = 'float32';
  else dtype = 'int32';
  return tf.tensor(v as number[], undefined, dtype);
}

/** Both operands of a binary op as tensors (at least one of them is a tensor). */
export function operands(a: unknown, b: unknown, sem: Semantics): [tf.Tensor, tf.Tensor] {
  const ta = a instanceof tf.Tensor ? a : null;
  const tb = b instanceof tf.Tensor ? b : null;
  // Mixed int/float operands: TF.js upcasts to float32, as NumPy and Keras 3 promote them.
  const x = operand(a, tb, sem);
  return [x, operand(b, ta ?? x, sem)];
}

/** `axis` (None, an int or a list) as non-negative axes of a rank-`rank` tensor; None → every axis. */
export function axes(axis: unknown, rank: number): number[] {
  if (axis === null || axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  return intList(axis, 'axis').map((a) => {
    const n = a < 0 ? a + rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= Math.max(rank, 1))
      fail('UNSUPPORTED_CONFIG', `axis ${a} is out of range for a rank-${rank} tensor.`);
    return n;
  });
}

/** One axis (`def` when None), non-negative; `extra` allows `rank + extra` positions (expand_dims, stack). */
export function oneAxis(axis: unknown, rank: number, def: number, extra = 0): number {
  const a = axis === null || axis === undefined ? def : scalar(axis, 'axis');
  const n = a < 0 ? a + rank + extra : a;
  if (!Number.isInteger(n) || n < 0 || n >= rank + extra + (rank === 0 && extra === 0 ? 1 : 0))
    fail('UNSUPPORTED_CONFIG', `axis ${a} is out of range for a rank-${rank} tensor.`);
  return n;
}

/** Softmax (or log-softmax) over any axis; TF.js' own only takes the last. */
export function softmax(x: tf.Tensor, axis: number, log = false): tf.Tensor {
  if (axis === x.rank - 1) return log ? tf.logSoftmax(x) : tf.softmax(x);
  const shifted = tf.sub(x, tf.max(x, axis, true));
  if (log) return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
  const e = tf.exp(shifted);
  return tf.div(e, tf.sum(e, axis, true));
}

/** `tf.math.l2_normalize`: x / sqrt(max(Σx², ε)) over `axis`. */
export function l2Normalize(x: tf.Tensor, axis: unknown, epsilon: number): tf.Tensor {
  const ax = axes(axis, x.rank);
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), ax, true), epsilon)));
}

/** `tf.where` / `np.where` with broadcasting of all three operands. */
export function where(condition: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const shape = broadcastShape(broadcastShape(condition.shape, a.shape), b.shape);
  const bc = (t: tf.Tensor) => (sameShape(t.shape, shape) ? t : tf.broadcastTo(t, shape));
  const [x, y] = a.dtype === b.dtype ? [a, b] : [tf.cast(a, 'float32'), tf.cast(b, 'float32')];
  return tf.where(bc(tf.cast(condition, 'bool')) as tf.Tensor, bc(x), bc(y));
}

export function broadcastShape(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      fail('UNSUPPORTED_CONFIG', `Shapes [${a}] and [${b}] cannot be broadcast together.`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `tf.repeat` / `np.repeat`: each element `repeats` times along `axis` (None: of the flattened tensor). */
export function repeat(x: tf.Tensor, repeats: unknown, axis: unknown): tf.Tensor {
  const flat = axis === null || axis === undefined;
  const t = flat ? tf.reshape(x, [-1]) : x;
  const ax = flat ? 0 : oneAxis(axis, t.rank, 0);
  const n = t.shape[ax];
  const reps = intList(repeats, 'repeats');
  const counts = reps.length === 1 ? Array(n).fill(reps[0]) : reps;
  if (counts.length !== n)
    fail('UNSUPPORTED_CONFIG', `repeats has ${counts.length} entries but axis ${ax} has ${n} elements.`);
  const idx: number[] = [];
  counts.forEach((c, i) => {
    for (let k = 0; k < c; k++) idx.push(i);
  });
  return tf.gather(t, tf.tensor1d(idx, 'int32'), ax);
}

/** `np.tile`: `repeats` is padded with leading 1s to the rank (or the tensor gains leading axes). */
export function tile(x: tf.Tensor, repeats: unknown, sem: Semantics): tf.Tensor {
  let reps = intList(repeats, sem === 'tf' ? 'multiples' : 'repeats');
  let t = x;
  if (sem === 'tf' && reps.length !== x.rank)
    fail('UNSUPPORTED_CONFIG', `tile: multiples has ${reps.length} entries for a rank-${x.rank} tensor.`);
  while (reps.length < t.rank) reps = [1, ...reps];
  while (t.rank < reps.length) t = tf.expandDims(t, 0);
  return tf.tile(t, reps);
}

/** `tf.pad` / `np.pad` in constant, reflect and symmetric modes. */
export function pad(x: tf.Tensor, paddings: unknown, mode: unknown, constant: unknown): tf.Tensor {
  let p = paddings instanceof tf.Tensor ? (p2(paddings.arraySync() as number[][]) as [number, number][]) : null;
  if (!p) {
    const raw = paddings as unknown;
    if (typeof raw === 'number') p = Array.from({ length: x.rank }, () => [raw, raw] as [number, number]);
    else if (Array.isArray(raw) && raw.length === 2 && raw.every((v) => typeof v === 'number'))
      p = Array.from({ length: x.rank }, () => [raw[0], raw[1]] as [number, number]);
    else if (Array.isArray(raw)) p = raw.map((r) => intList(r, 'paddings') as [number, number]);
    else return fail('UNSUPPORTED_CONFIG', `paddings ${describe(paddings)} is not a list of [before, after] pairs.`);
  }
  const m = String(mode ?? 'constant').toLowerCase();
  if (m === 'constant')
    return tf.pad(x, p, constant === null || constant === undefined ? 0 : scalar(constant, 'constant_values'));
  if (m === 'reflect' || m === 'symmetric') return tf.mirrorPad(x, p, m);
  return fail('UNSUPPORTED_CONFIG', `pad mode '${String(mode)}' is not supported (constant, reflect, symmetric are).`);
}

function p2(v: number[][]): [number, number][] {
  return v.map((r) => [r[0], r[1]]);
}

/** `np.matmul` / `tf.linalg.matmul`, including NumPy's 1-D cases and broadcast batch axes. */
export function matmul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  const aVec = a.rank === 1;
  const bVec = b.rank === 1;
  let x = aVec ? tf.expandDims(a, 0) : a;
  let y = bVec ? tf.expandDims(b, 1) : b;
  if (x.rank > 2 || y.rank > 2) {
    const batch = broadcastShape(x.shape.slice(0, -2), y.shape.slice(0, -2));
    if (!sameShape(x.shape.slice(0, -2), batch)) x = tf.broadcastTo(x, [...batch, ...x.shape.slice(-2)]);
    if (!sameShape(y.shape.slice(0, -2), batch)) y = tf.broadcastTo(y, [...batch, ...y.shape.slice(-2)]);
  }
  let out = tf.matMul(x, y, transposeA, transposeB);
  if (aVec) out = tf.squeeze(out, [out.rank - 2]);
  if (bVec) out = tf.squeeze(out, [out.rank - 1]);
  return out;
}

/** An index expression item after decoding: an int, a slice, `None` (new axis), `...`, or a tensor. */
interface SliceSpec {
  start: unknown;
  stop: unknown;
  step: unknown;
}

function sliceOf(v: unknown): SliceSpec | null {
  if (!v || typeof v !== 'object' || v instanceof tf.Tensor) return null;
  if ('slice' in v) return (v as { slice: SliceSpec }).slice;
  if ('start' in v && 'stop' in v && 'step' in v) return v as SliceSpec;
  return null;
}

const isEllipsis = (v: unknown) => !!v && typeof v === 'object' && 'ellipsis' in v;

/**
 * `x[key]` with NumPy/TensorFlow basic indexing: ints (negative from the end; the axis goes),
 * slices with any step, `None` (a new axis of size 1), one `...`, and (Keras 3) integer index
 * tensors along one axis. Strided slices use `gather`, which TF.js can differentiate.
 */
export function getItem(x: tf.Tensor, key: unknown): tf.Tensor {
  const items: unknown[] = Array.isArray(key) ? key : [key];
  const consumes = (v: unknown) => v !== null && !isEllipsis(v);
  const used = items.filter(consumes).length;
  if (items.filter(isEllipsis).length > 1) fail('UNSUPPORTED_CONFIG', 'An index expression may hold one `...` only.');
  if (used > x.rank)
    fail('UNSUPPORTED_CONFIG', `Too many indices (${used}) for a rank-${x.rank} tensor of shape [${x.shape}].`);
  const full = { slice: { start: null, stop: null, step: null } };
  const expanded: unknown[] = [];
  for (const v of items) {
    if (isEllipsis(v)) for (let i = 0; i < x.rank - used; i++) expanded.push(full);
    else expanded.push(v);
  }
  let y = x;
  let axis = 0;
  const drop: number[] = [];
  for (const v of expanded) {
    if (v === null) {
      y = tf.expandDims(y, axis);
      axis += 1;
      continue;
    }
    const s = sliceOf(v);
    const n = y.shape[axis];
    if (s) {
      const step = s.step === null || s.step === undefined ? 1 : scalar(s.step, 'slice step');
      if (step === 0) fail('UNSUPPORTED_CONFIG', 'A slice step cannot be zero.');
      const [start, stop] = sliceBounds(s, n, step);
      if (step === 1) {
        const size = Math.max(0, stop - start);
        const begin = y.shape.map((_, i) => (i === axis ? start : 0));
        const sizes = y.shape.map((d, i) => (i === axis ? size : d));
        y = tf.slice(y, begin, sizes);
      } else {
        const idx: number[] = [];
        for (let i = start; step > 0 ? i < stop : i > stop; i += step) idx.push(i);
        y = tf.gather(y, tf.tensor1d(idx, 'int32'), axis);
      }
      axis += 1;
      continue;
    }
    if (v instanceof tf.Tensor && v.rank > 0) {
      if (v.dtype === 'bool') fail('UNSUPPORTED_CONFIG', 'Indexing with a boolean mask is not supported.');
      const wrapped = tf.tidy(() => {
        const i = tf.cast(v, 'int32');
        return tf.where(tf.less(i, 0), tf.add(i, tf.scalar(n, 'int32')), i);
      });
      y = tf.gather(y, wrapped, axis);
      axis += v.rank;
      continue;
    }
    let i = scalar(v, 'index');
    if (i < 0) i += n;
    if (!Number.isInteger(i) || i < 0 || i >= n)
      fail('UNSUPPORTED_CONFIG', `Index ${scalar(v, 'index')} is out of range for axis ${axis} of size ${n}.`);
    const begin = y.shape.map((_, k) => (k === axis ? i : 0));
    const sizes = y.shape.map((d, k) => (k === axis ? 1 : d));
    y = tf.slice(y, begin, sizes);
    drop.push(axis);
    axis += 1;
  }
  return drop.length ? tf.squeeze(y, drop) : y;
}

/** Python's `slice.indices(n)`: start and stop for this step, clamped as Python does. */
function sliceBounds(s: SliceSpec, n: number, step: number): [number, number] {
  const val = (v: unknown) => (v === null || v === undefined ? null : scalar(v, 'slice bound'));
  let start = val(s.start);
  let stop = val(s.stop);
  if (step > 0) {
    start = start === null ? 0 : start < 0 ? Math.max(0, start + n) : Math.min(start, n);
    stop = stop === null ? n : stop < 0 ? Math.max(0, stop + n) : Math.min(stop, n);
  } else {
    start = start === null ? n - 1 : start < 0 ? Math.max(-1, start + n) : Math.min(start, n - 1);
    stop = stop === null ? -1 : stop < 0 ? Math.max(-1, stop + n) : Math.min(stop, n - 1);
  }
  return [start, stop];
}

/** GELU: exact (`x·Φ(x)`) or the tanh approximation. */
export function gelu(x: tf.Tensor, approximate: boolean): tf.Tensor {
  if (approximate) {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  }
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
}

/** Population variance over `axis`. */
export function variance(x: tf.Tensor, axis: number[], keepdims: boolean): tf.Tensor {
  const mean = tf.mean(x, axis, true);
  return tf.mean(tf.square(tf.sub(x, mean)), axis, keepdims);
}

/** `np.moveaxis`. */
export function moveAxis(x: tf.Tensor, source: unknown, destination: unknown): tf.Tensor {
  const src = axes(source, x.rank);
  const dst = axes(destination, x.rank);
  if (src.length !== dst.length) fail('UNSUPPORTED_CONFIG', 'moveaxis: source and destination differ in length.');
  const rest = Array.from({ length: x.rank }, (_, i) => i).filter((i) => !src.includes(i));
  const perm: number[] = Array(x.rank).fill(-1);
  src.forEach((s, i) => {
    perm[dst[i]] = s;
  });
  let k = 0;
  for (let i = 0; i < perm.length; i++) if (perm[i] < 0) perm[i] = rest[k++];
  return tf.transpose(x, perm);
}
