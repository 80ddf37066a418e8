import type { NdArray } from '@keraspect/array';
import { type KerasModel, type NpyArray, readNpy, readNpz, toFloat32, writeNpy } from '@keraspect/importer';
import { CliError } from './errors.ts';
import type { Io } from './io.ts';

/** An input array as read from a file, before it is matched to a model. */
export type InputArray = NdArray;

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
  if (lower.endsWith('.npy')) return fromNpy(readNpy(bytes));
  if (lower.endsWith('.npz')) {
    const arrays = readNpzFile(bytes, path);
    if (arrays.size !== 1)
      throw new CliError(
        `The ${what} file '${path}' holds ${arrays.size} arrays (${[...arrays.keys()].join(', ')}); give a .npz with one array, or a .npy.`,
        { code: 'INPUT_FILE' },
      );
    return [...arrays.values()][0];
  }
  const text = new TextDecoder().decode(bytes);
  if (lower.endsWith('.json')) return fromJson(text, path);
  if (lower.endsWith('.csv')) return fromCsv(text, path, options);
  throw new CliError(
    `The ${what} file '${path}' has an unknown type: use .npy (numpy.save), .csv (rows = time steps) or .json (nested arrays).`,
    { code: 'INPUT_FILE' },
  );
}

function fromNpy(nd: NpyArray): InputArray {
  const data =
    nd.data instanceof Int32Array
      ? nd.data
      : nd.dtype.startsWith('int') || nd.dtype.startsWith('uint')
        ? Int32Array.from(nd.data as ArrayLike<number>, Number)
        : toFloat32(nd);
  return { data, shape: nd.shape };
}

function readNpzFile(bytes: Uint8Array, path: string): Map<string, InputArray> {
  try {
    return new Map([...readNpz(bytes)].map(([k, v]) => [k, fromNpy(v)]));
  } catch (e) {
    throw new CliError(`'${path}': ${(e as Error).message}`, { code: 'INPUT_FILE' });
  }
}

/**
 * Read the model's inputs from `--input` flags (repeatable): `NAME=FILE` feeds the input called
 * NAME; a bare `FILE` feeds a single-input model, or, as a `.npz`, every input not yet given whose
 * name (or `arr_<i>`, numpy.savez's positional name) it holds. A `NAME=FILE.npz` takes the array NAME, or the
 * only array. Each array is fitted to its input's shape (`fitToModel`). Returns one array per model
 * input, in the model's input order; fails naming any input left without data, an unknown name, an
 * input given twice, or inputs with different batch sizes.
 */
export async function readModelInputs(
  io: Io,
  flags: string[],
  km: KerasModel,
  options: InputReadOptions = {},
): Promise<InputArray[]> {
  const names = km.inputNames;
  const listing = () => names.map((n, i) => `${n} ${fmtShape(km.inputShapes[i])}`).join(', ');
  const got = new Map<number, { array: InputArray; from: string }>();
  const put = (i: number, array: InputArray, from: string) => {
    const before = got.get(i);
    if (before)
      throw new CliError(`Input '${names[i]}' is given twice (${before.from} and ${from}); give each input once.`);
    got.set(i, { array: fitToModel(km, array, from, i), from });
  };
  for (const flag of flags) {
    const named = /^([^=/\\]+)=(.+)$/.exec(flag);
    if (named && !/\.(npy|npz|csv|json)$/i.test(named[1])) {
      const [, name, path] = named;
      const i = names.indexOf(name);
      if (i < 0)
        throw new CliError(
          `Model '${km.name}' has no input named '${name}' (--input ${flag}). Its inputs: ${listing()}.`,
        );
      if (path.toLowerCase().endsWith('.npz')) {
        const arrays = readNpzFile(await readInputFile(io, path, 'input'), path);
        const a = arrays.get(name) ?? (arrays.size === 1 ? [...arrays.values()][0] : undefined);
        if (!a)
          throw new CliError(
            `'${path}' has no array named '${name}' (arrays: ${[...arrays.keys()].join(', ')}); name it like the input, or give a .npz with one array.`,
            { code: 'INPUT_FILE' },
          );
        put(i, a, `${path}:${name}`);
      } else put(i, await readArrayFile(io, path, `input '${name}'`, options), path);
      continue;
    }
    if (flag.toLowerCase().endsWith('.npz')) {
      const arrays = readNpzFile(await readInputFile(io, flag, 'input'), flag);
      let used = 0;
      names.forEach((n, i) => {
        const a =
          arrays.get(n) ??
          arrays.get(`arr_${i}`) ??
          (names.length === 1 && arrays.size === 1 ? [...arrays.values()][0] : undefined);
        if (a && !got.has(i)) {
          put(i, a, `${flag}:${arrays.has(n) ? n : `arr_${i}`}`);
          used += 1;
        }
      });
      if (!used)
        throw new CliError(
          `'${flag}' holds arrays ${[...arrays.keys()].join(', ')}, none of which names an input of model '${km.name}' (inputs: ${listing()}). Name the arrays like the inputs (numpy.savez(f, ${names.map((n) => `${n}=…`).join(', ')})).`,
        );
      continue;
    }
    if (names.length > 1)
      throw new CliError(
        `Model '${km.name}' has ${names.length} inputs (${listing()}): name each one, e.g. --input ${names[0]}=FILE --input ${names[1]}=FILE, or give one .npz whose arrays are named ${names.join(', ')}.`,
      );
    put(0, await readArrayFile(io, flag, 'input', options), flag);
  }
  const missing = names.filter((_, i) => !got.has(i));
  if (missing.length)
    throw new CliError(
      `No data for input${missing.length > 1 ? 's' : ''} ${missing.map((n) => `'${n}'`).join(', ')} of model '${km.name}' (inputs: ${listing()}). Give ${missing.length > 1 ? 'them' : 'it'} with ${missing.map((n) => `--input ${n}=FILE`).join(' ')}.`,
    );
  const arrays = names.map((_, i) => got.get(i)!);
  const batch = arrays[0].array.shape[0];
  const other = arrays.findIndex((a) => a.array.shape[0] !== batch);
  if (other >= 0)
    throw new CliError(
      `Inputs need the same number of samples: '${names[0]}' (${arrays[0].from}) has ${batch}, '${names[other]}' (${arrays[other].from}) has ${arrays[other].array.shape[0]}.`,
    );
  return arrays.map((a) => a.array);
}

const fmtShape = (s: (number | null)[]) => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;

function fromJson(text: string, path: string): InputArray {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`'${path}' is not valid JSON (${(e as Error).message}).`, { code: 'INPUT_FILE' });
  }
  const shape: number[] = [];
  for (let cur = v; Array.isArray(cur); cur = cur[0]) shape.push(cur.length);
  const flat = (Array.isArray(v) ? (v as unknown[]).flat(Infinity) : [v]) as unknown[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== size || flat.some((x) => typeof x !== 'number' && x !== null)) {
    throw new CliError(
      `'${path}' must hold a rectangular nested array of numbers (shape ${JSON.stringify(shape)} needs ${size} numbers, found ${flat.length} values).`,
      { code: 'INPUT_FILE' },
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
  if (!rows.length) throw new CliError(`'${path}' has no data rows.`, { code: 'INPUT_FILE' });
  const width = rows[0].length;
  const bad = rows.findIndex((r) => r.length !== width);
  if (bad >= 0)
    throw new CliError(
      `'${path}' row ${bad + 1} has ${rows[bad].length} columns, the first row ${width}; every row needs the same number.`,
      { code: 'INPUT_FILE' },
    );
  const data = new Float32Array(rows.length * width);
  rows.forEach((r, i) =>
    r.forEach((c, j) => {
      const n = c === '' ? Number.NaN : Number(c);
      if (Number.isNaN(n) && c !== '' && c.toLowerCase() !== 'nan')
        throw new CliError(`'${path}' row ${i + 1}, column ${j + 1}: '${c}' is not a number.`, { code: 'INPUT_FILE' });
      data[i * width + j] = n;
    }),
  );
  return options.sampleAxis ? { data, shape: [rows.length, width] } : { data, shape: [1, rows.length, width] };
}

/**
 * Match an array to the model's input shape: a single sample without the batch axis gets one, and
 * a `--sample-axis` CSV's flat rows are reshaped to the per-sample shape. Fails naming both shapes.
 */
export function fitToModel(km: KerasModel, a: InputArray, path: string, input = 0): InputArray {
  const want = km.inputShapes[input];
  const per = want.slice(1);
  const fmt = fmtShape;
  const matches = (shape: number[]) =>
    shape.length === want.length && want.every((d, i) => d === null || d === shape[i]);
  const typed = (r: InputArray): InputArray =>
    km.model.inputs[input].dtype === 'int32' && r.data instanceof Float32Array
      ? { data: Int32Array.from(r.data), shape: r.shape }
      : r;
  if (matches(a.shape)) return typed(a);
  if (a.shape.length === want.length - 1 && matches([1, ...a.shape])) return typed({ ...a, shape: [1, ...a.shape] });
  const perSize = per.every((d) => d !== null) ? (per as number[]).reduce((x, y) => x * y, 1) : null;
  if (a.shape.length === 2 && perSize !== null && a.shape[1] === perSize && want.length > 2)
    return typed({ ...a, shape: [a.shape[0], ...(per as number[])] });
  throw new CliError(
    `Input '${path}' has shape ${fmt(a.shape)} but ${km.inputNames.length > 1 ? `input '${km.inputNames[input]}' of ` : ''}model '${km.name}' takes ${fmt(want)} (batch first). Reshape it, or for a CSV with one sample per row pass --sample-axis.`,
  );
}

/** Read a file the user named, failing with a usage error that names it when it is missing. */
export async function readInputFile(io: Io, path: string, what: string): Promise<Uint8Array> {
  try {
    return await io.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new CliError(await directoryMessage(io, path, what), { code: 'INPUT_FILE' });
    throw new CliError(
      code === 'ENOENT'
        ? `The ${what} file '${path}' does not exist.`
        : `The ${what} file '${path}' cannot be read: ${(e as Error).message}`,
      { code: 'INPUT_FILE' },
    );
  }
}

/** What to say when the user named a folder: a TensorFlow SavedModel is the usual one. */
async function directoryMessage(io: Io, path: string, what: string): Promise<string> {
  const savedModel = await io.readFile(`${path.replace(/[\\/]+$/, '')}/saved_model.pb`).then(
    () => true,
    () => false,
  );
  if (savedModel)
    return (
      `'${path}' is a TensorFlow SavedModel folder (tf.keras 2's model.save() without .keras/.h5), which Keraspect does not read. ` +
      `In Python: tf.keras.models.load_model('${path}').save('model.keras') (or 'model.h5'), then pass that file.`
    );
  return `The ${what} file '${path}' is a folder; pass the file itself.`;
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
export async function writeArrayFile(io: Io, path: string, a: NdArray): Promise<void> {
  if (path.toLowerCase().endsWith('.json')) {
    await io.writeFile(path, `${JSON.stringify(toNested(a.data, a.shape))}\n`);
    return;
  }
  await io.writeFile(path, writeNpy(a));
}
