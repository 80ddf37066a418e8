import { type KerasModel, readNpy, toFloat32, writeNpy } from '@keraspect/importer';
import { CliError } from './errors.ts';
import type { Io } from './io.ts';

/** An input array as read from a file, before it is matched to a model. */
export interface InputArray {
  data: Float32Array | Int32Array;
  shape: number[];
}

/** How to read a CSV: one sample with rows = time steps, or one sample per row (`sampleAxis`). */
export interface InputReadOptions {
  /** CSV only: rows are samples, each row the flattened (C order) sample. */
  sampleAxis?: boolean;
}

/**
 * Read an input array from `.npy` (float32/float64/int, C order), `.csv` (one sample: rows = time
 * steps, columns = features; a non-numeric first row is a header) or `.json` (nested arrays).
 */
export async function readArrayFile(
  io: Io,
  path: string,
  what = 'input',
  options: InputReadOptions = {},
): Promise<InputArray> {
  const bytes = await readInputFile(io, path, what);
  const lower = path.toLowerCase();
  if (lower.endsWith('.npy')) {
    const nd = readNpy(bytes);
    const data =
      nd.data instanceof Int32Array
        ? nd.data
        : nd.dtype.startsWith('int') || nd.dtype.startsWith('uint')
          ? Int32Array.from(nd.data as ArrayLike<number>, Number)
          : toFloat32(nd);
    return { data, shape: nd.shape };
  }
  const text = new TextDecoder().decode(bytes);
  if (lower.endsWith('.json')) return fromJson(text, path);
  if (lower.endsWith('.csv')) return fromCsv(text, path, options);
  throw new CliError(
    `The ${what} file '${path}' has an unknown type: use .npy (numpy.save), .csv (rows = time steps) or .json (nested arrays).`,
  );
}

function fromJson(text: string, path: string): InputArray {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`'${path}' is not valid JSON (${(e as Error).message}).`);
  }
  const shape: number[] = [];
  for (let cur = v; Array.isArray(cur); cur = cur[0]) shape.push(cur.length);
  const flat = (Array.isArray(v) ? (v as unknown[]).flat(Infinity) : [v]) as unknown[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== size || flat.some((x) => typeof x !== 'number' && x !== null)) {
    throw new CliError(
      `'${path}' must hold a rectangular nested array of numbers (shape ${JSON.stringify(shape)} needs ${size} numbers, found ${flat.length} values).`,
    );
  }
  return { data: Float32Array.from(flat as (number | null)[], (x) => (x === null ? Number.NaN : x)), shape };
}

function fromCsv(text: string, path: string, options: InputReadOptions): InputArray {
  const rows = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length && !l.startsWith('#'))
    .map((l) => l.split(/[,;\t]/).map((c) => c.trim()));
  if (rows.length && rows[0].some((c) => c !== '' && Number.isNaN(Number(c)))) rows.shift();
  if (!rows.length) throw new CliError(`'${path}' has no data rows.`);
  const width = rows[0].length;
  const bad = rows.findIndex((r) => r.length !== width);
  if (bad >= 0)
    throw new CliError(
      `'${path}' row ${bad + 1} has ${rows[bad].length} columns, the first row ${width}; every row needs the same number.`,
    );
  const data = new Float32Array(rows.length * width);
  rows.forEach((r, i) =>
    r.forEach((c, j) => {
      const n = c === '' ? Number.NaN : Number(c);
      if (Number.isNaN(n) && c !== '' && c.toLowerCase() !== 'nan')
        throw new CliError(`'${path}' row ${i + 1}, column ${j + 1}: '${c}' is not a number.`);
      data[i * width + j] = n;
    }),
  );
  return options.sampleAxis ? { data, shape: [rows.length, width] } : { data, shape: [1, rows.length, width] };
}

/**
 * Match an array to the model's input shape: a single sample without the batch axis gets one, and
 * a `--sample-axis` CSV's flat rows are reshaped to the per-sample shape. Fails naming both shapes.
 */
export function fitToModel(km: KerasModel, a: InputArray, path: string): InputArray {
  const want = km.inputShapes[0];
  const per = want.slice(1);
  const fmt = (s: (number | null)[]) => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;
  const matches = (shape: number[]) =>
    shape.length === want.length && want.every((d, i) => d === null || d === shape[i]);
  if (matches(a.shape))
    return km.model.inputs[0].dtype === 'int32' && a.data instanceof Float32Array
      ? { data: Int32Array.from(a.data), shape: a.shape }
      : a;
  if (a.shape.length === want.length - 1 && matches([1, ...a.shape])) return { ...a, shape: [1, ...a.shape] };
  const perSize = per.every((d) => d !== null) ? (per as number[]).reduce((x, y) => x * y, 1) : null;
  if (a.shape.length === 2 && perSize !== null && a.shape[1] === perSize && want.length > 2)
    return { ...a, shape: [a.shape[0], ...(per as number[])] };
  throw new CliError(
    `Input '${path}' has shape ${fmt(a.shape)} but model '${km.name}' takes ${fmt(want)} (batch first). Reshape it, or for a CSV with one sample per row pass --sample-axis.`,
  );
}

/** Read a file the user named, failing with a usage error that names it when it is missing. */
export async function readInputFile(io: Io, path: string, what: string): Promise<Uint8Array> {
  try {
    return await io.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `The ${what} file '${path}' does not exist.`
        : `The ${what} file '${path}' cannot be read: ${(e as Error).message}`,
    );
  }
}

/** Nested arrays of `data` in `shape` (C order), for `.json` output. */
export function toNested(data: ArrayLike<number>, shape: number[]): unknown {
  if (shape.length === 0) return data[0];
  const [n, ...rest] = shape;
  const per = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => toNested(Array.prototype.slice.call(data, i * per, (i + 1) * per), rest));
}

/**
 * Write an array as `.json` (nested arrays) when the path ends in `.json`, else as float32 `.npy`.
 * Non-finite values become `null` in JSON.
 */
export async function writeArrayFile(
  io: Io,
  path: string,
  a: { data: Float32Array | Int32Array; shape: number[] },
): Promise<void> {
  if (path.toLowerCase().endsWith('.json')) {
    await io.writeFile(path, `${JSON.stringify(toNested(a.data, a.shape))}\n`);
    return;
  }
  await io.writeFile(path, writeNpy(a));
}
