/** The typed arrays an {@link NdArray} may hold. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

/**
 * A plain n-dimensional array: row-major (C order) `data` and its `shape`, outermost axis first
 * (`[]` for a scalar). What `tensor.dataSync()` plus `tensor.shape` give, and what numpy's
 * `arr.ravel()` plus `arr.shape` mean. Batch-first arrays call axis 0 the rows.
 */
export interface NdArray<D = Float32Array | Int32Array> {
  data: D;
  shape: number[];
}

/** The error of `@keraspect/array`: a helper was called with arrays that do not fit together. */
export class ArrayError extends Error {
  override readonly name = 'ArrayError';
  /** `SHAPE`: data and shapes do not fit; `RANGE`: a row index outside the array. */
  readonly code: 'SHAPE' | 'RANGE';

  constructor(code: 'SHAPE' | 'RANGE', message: string) {
    super(message);
    this.code = code;
  }
}

/** Number of values of an array of this shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Values per row: the size of one entry of axis 0 (`shape[1:]`). */
export function rowSize(shape: readonly number[]): number {
  return sizeOf(shape.slice(1));
}

/** Flat element `k` of an array of `shape` as its index on every axis and its flat index: `[0, 3, 0] (flat index 9)`. */
export function formatIndex(shape: readonly number[], k: number): string {
  const at: number[] = [];
  let rest = k;
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${at.join(', ')}] (flat index ${k})`;
}

/** The flat index of the first NaN or ±Infinity in `data`, or -1 when every value is finite. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let k = 0; k < data.length; k++) if (!Number.isFinite(data[k])) return k;
  return -1;
}

function checkRow(a: NdArray<ArrayLike<number>>, i: number, what: string): void {
  if (a.shape.length === 0) throw new ArrayError('SHAPE', `${what}: a scalar has no rows.`);
  if (!Number.isInteger(i) || i < 0 || i >= a.shape[0])
    throw new ArrayError(
      'RANGE',
      `${what}: row ${i} is out of range for an array of shape [${a.shape.join(', ')}] (rows 0…${a.shape[0] - 1}).`,
    );
}

/** Row `i` of a batch-first array, shaped `shape[1:]`: a view of the same data, not a copy. */
export function row<D extends TypedArray>(a: NdArray<D>, i: number): NdArray<D> {
  checkRow(a, i, 'row');
  const n = rowSize(a.shape);
  return { data: a.data.subarray(i * n, (i + 1) * n) as D, shape: a.shape.slice(1) };
}

/** Rows `start` to `end` (exclusive) of a batch-first array: a view, shaped `[end − start, …]`. */
export function rowRange<D extends TypedArray>(a: NdArray<D>, start: number, end: number): NdArray<D> {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= (a.shape[0] ?? 0)))
    throw new ArrayError(
      'RANGE',
      `rowRange: rows ${start}…${end} do not fit an array of shape [${a.shape.join(', ')}].`,
    );
  const n = rowSize(a.shape);
  return { data: a.data.subarray(start * n, end * n) as D, shape: [end - start, ...a.shape.slice(1)] };
}

/**
 * Rows `start` to `end` (exclusive) as a copy with its own buffer: what to post to a worker thread
 * (structured clone copies a view's whole underlying buffer, not just the view).
 */
export function copyRows<D extends TypedArray>(a: NdArray<D>, start: number, end: number): NdArray<D> {
  const r = rowRange(a, start, end);
  return { data: r.data.slice() as D, shape: r.shape };
}

/**
 * The given rows (indices into axis 0, repeats allowed) gathered into a new array of the same
 * type, or of `out`'s type when given (e.g. `Int32Array` for token ids).
 */
export function takeRows<D extends TypedArray>(
  a: NdArray<TypedArray>,
  rows: ArrayLike<number>,
  out?: new (length: number) => D,
): NdArray<D> {
  const n = rowSize(a.shape);
  const Ctor = out ?? (a.data.constructor as new (length: number) => D);
  const data = new Ctor(rows.length * n);
  for (let r = 0; r < rows.length; r++) {
    checkRow(a, rows[r], 'takeRows');
    data.set(a.data.subarray(rows[r] * n, rows[r] * n + n), r * n);
  }
  return { data, shape: [rows.length, ...a.shape.slice(1)] };
}

/** Batch-first arrays stacked along axis 0 (same type and row shape); one part is returned as is. */
export function concatRows<D extends TypedArray>(parts: readonly NdArray<D>[]): NdArray<D> {
  if (parts.length === 0) throw new ArrayError('SHAPE', 'concatRows: no arrays to concatenate.');
  if (parts.length === 1) return parts[0];
  const rest = parts[0].shape.slice(1);
  let rows = 0;
  for (const p of parts) {
    if (p.shape.length !== rest.length + 1 || p.shape.slice(1).some((d, i) => d !== rest[i]))
      throw new ArrayError(
        'SHAPE',
        `concatRows: shapes [${parts[0].shape.join(', ')}] and [${p.shape.join(', ')}] differ beyond axis 0.`,
      );
    rows += p.shape[0];
  }
  const data = new (parts[0].data.constructor as new (length: number) => D)(rows * sizeOf(rest));
  let k = 0;
  for (const p of parts) {
    data.set(p.data, k);
    k += p.data.length;
  }
  return { data, shape: [rows, ...rest] };
}

/** `[start, end)` row ranges of at most `size` rows covering `n` rows: batches of a long run. */
export function batches(n: number, size: number): [number, number][] {
  if (!(Number.isInteger(size) && size >= 1))
    throw new ArrayError('RANGE', `batches: the batch size must be a positive integer; got ${size}.`);
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}
