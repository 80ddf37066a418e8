/**
 * NumPy `.npy` files, bytes in and out (format versions 1.0, 2.0 and 3.0, C order):
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import type { NdArray } from '@keraspect/array';
import { unzipSync, zipSync } from 'fflate';
import { fail, ImporterError } from './errors.ts';

/** Element types `readNpy` understands, by their NumPy names. */
export type NpyDtype = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

/** The typed array holding each dtype (`bool` as 0/1 bytes in a `Uint8Array`). */
export type NpyData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

/** A `.npy` array: flat `data` in C (row-major) order, its `shape` (`[]` for a 0-d array) and its dtype. */
export interface NpyArray extends NdArray<NpyData> {
  dtype: NpyDtype;
}

interface DtypeInfo {
  dtype: NpyDtype;
  /** NumPy type code after the byte-order character (`f4`, `i8`, `b1`, …). */
  code: string;
  size: number;
  make: (buffer: ArrayBuffer) => NpyData;
}

const DTYPES: DtypeInfo[] = [
  { dtype: 'float32', code: 'f4', size: 4, make: (b) => new Float32Array(b) },
  { dtype: 'float64', code: 'f8', size: 8, make: (b) => new Float64Array(b) },
  { dtype: 'int8', code: 'i1', size: 1, make: (b) => new Int8Array(b) },
  { dtype: 'uint8', code: 'u1', size: 1, make: (b) => new Uint8Array(b) },
  { dtype: 'int16', code: 'i2', size: 2, make: (b) => new Int16Array(b) },
  { dtype: 'int32', code: 'i4', size: 4, make: (b) => new Int32Array(b) },
  { dtype: 'int64', code: 'i8', size: 8, make: (b) => new BigInt64Array(b) },
  { dtype: 'bool', code: 'b1', size: 1, make: (b) => new Uint8Array(b) },
];

const SUPPORTED = DTYPES.map((d) => `${d.size === 1 ? '|' : '<'}${d.code} (${d.dtype})`).join(', ');

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Parse a `.npy` file. Big-endian data (`>f4`, …) is converted to the host's byte order. Fails with
 * `BAD_ARGUMENT` for bytes that are not `.npy`, Fortran-ordered arrays and unsupported dtypes, and
 * with `CORRUPT_FILE` for a damaged header or data that does not fit the shape.
 */
export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    fail(
      'BAD_ARGUMENT',
      `This is not a NumPy .npy file: it does not start with "\\x93NUMPY" (first bytes: ${hexHead(bytes)}). Save the array with numpy.save('x.npy', array).`,
    );
  }
  const major = bytes[6];
  const minor = bytes[7];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('CORRUPT_FILE', 'The .npy file ends inside its header: it is truncated.');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail('BAD_ARGUMENT', `.npy format version ${major}.${minor} is not supported (supported: 1.0, 2.0, 3.0).`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    fail(
      'CORRUPT_FILE',
      `The .npy header says it is ${headerLength} bytes long but the file has only ${bytes.length - headerStart} after the preamble: the file is truncated.`,
    );
  }
  // Versions 1 and 2 store the header in latin1, version 3 in UTF-8.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortranOrder, shape } = parseHeader(header);

  const order = descr[0];
  const info = DTYPES.find((d) => d.code === descr.slice(1));
  if (!info || !'<>|='.includes(order)) {
    fail(
      'BAD_ARGUMENT',
      `The .npy dtype '${descr}' is not supported. Supported dtypes: ${SUPPORTED} (big-endian '>' variants too). Convert with array.astype('float32') before numpy.save.`,
    );
  }
  if (fortranOrder && shape.length > 1) {
    fail(
      'BAD_ARGUMENT',
      'This .npy array is stored in Fortran (column-major) order, which is not supported. Save it in C order: numpy.save(path, numpy.ascontiguousarray(array)).',
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const byteCount = count * info.size;
  const available = bytes.length - dataStart;
  if (available < byteCount) {
    fail(
      'CORRUPT_FILE',
      `The .npy data is truncated: shape (${shape.join(', ')}) of ${descr} needs ${byteCount} bytes but the file has ${available}.`,
    );
  }
  if (available > byteCount) {
    fail(
      'CORRUPT_FILE',
      `The .npy file has ${available - byteCount} bytes after the data that shape (${shape.join(', ')}) of ${descr} describes: the header does not match the data.`,
    );
  }
  // Copy into a fresh, aligned buffer (the data may start at any offset of `bytes`). Uint8Array's
  // slice, not the argument's own: Node's Buffer#slice is a view of its (pooled) memory.
  const buffer = Uint8Array.prototype.slice.call(bytes, dataStart, dataStart + byteCount).buffer;
  const littleEndian = order !== '>';
  if (info.size > 1 && littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(new Uint8Array(buffer), info.size);
  return { data: info.make(buffer), shape, dtype: info.dtype };
}

/**
 * The array's values as a `Float32Array` (the array's own data when it already is float32; int64
 * through `Number`, bool as 0/1).
 */
export function toFloat32(nd: Pick<NpyArray, 'data'>): Float32Array {
  const { data } = nd;
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array) return Float32Array.from(data, (v) => Number(v));
  return Float32Array.from(data);
}

/** What `writeNpy` takes: a typed array and its shape (`[]` for a scalar). */
export interface NpyWritable {
  data: NpyData;
  shape: readonly number[];
  /** Only to write a `Uint8Array` as `bool` (`|b1`) instead of `uint8`. */
  dtype?: NpyDtype;
}

/**
 * Encode an array as a `.npy` file (format 1.0, or 2.0 for headers over 64 KiB) that `numpy.load`
 * reads: little-endian `<f4` for `Float32Array`, `<f8`, `<i4`, `<i8`, `|i1`, `|u1`, `<i2` for the other
 * typed arrays, C order, header padded so the data starts at a multiple of 64 bytes.
 */
export function writeNpy(array: NpyWritable): Uint8Array {
  const { data, shape } = array;
  const info = dtypeOf(data, array.dtype);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    fail('BAD_ARGUMENT', `writeNpy: shape ${JSON.stringify(shape)} is not a list of non-negative integers.`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    fail(
      'BAD_ARGUMENT',
      `writeNpy: shape (${shape.join(', ')}) holds ${count} values but the data has ${data.length}.`,
    );
  }
  const descr = `${info.size === 1 ? '|' : '<'}${info.code}`;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  // Byte for byte what numpy.save writes (numpy/lib/format.py `_write_array_header`): the dict, spaces
  // leaving room for the first axis to grow to 21 digits, then padding and '\n' so that the data
  // starts at a multiple of 64 bytes (a full 64 when it is already aligned, as numpy does).
  const growth = shape.length > 0 ? ' '.repeat(Math.max(0, 21 - String(shape[0]).length)) : '';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }${growth}`;
  const paddingFor = (preamble: number) => 64 - ((preamble + dict.length + 1) % 64);
  // Version 1.0 stores the header length in 16 bits; longer headers need version 2.0.
  const preamble = dict.length + 1 + paddingFor(10) <= 0xffff ? 10 : 12;
  const padding = paddingFor(preamble);
  const header = `${dict}${' '.repeat(padding)}\n`;
  const total = preamble + header.length;
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = preamble === 10 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (preamble === 10) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(body, total);
  if (info.size > 1 && !HOST_LITTLE_ENDIAN) swapBytes(out.subarray(total), info.size);
  return out;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/**
 * Parse a NumPy `.npz` file (`numpy.savez` / `numpy.savez_compressed`): a zip of `.npy` files, one
 * per array. Returns the arrays by name in file order (`np.savez(f, a=x)` → `'a'`; positional
 * arrays are `'arr_0'`, `'arr_1'`, …). Fails with `BAD_ARGUMENT` for bytes that are not a zip and
 * with the `.npy` errors of `readNpy` (naming the entry) for a damaged array.
 */
export function readNpz(bytes: Uint8Array): Map<string, NpyArray> {
  if (bytes.length < 4 || !ZIP_MAGIC.every((b, i) => bytes[i] === b)) {
    fail(
      'BAD_ARGUMENT',
      `This is not a NumPy .npz file: it does not start with a zip signature (first bytes: ${hexHead(bytes)}). Save the arrays with numpy.savez('x.npz', name=array, ...).`,
    );
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    return fail(
      'CORRUPT_FILE',
      `The .npz file could not be unpacked (${(e as Error).message}): it is truncated or corrupt.`,
      e,
    );
  }
  const out = new Map<string, NpyArray>();
  for (const [entry, data] of Object.entries(entries)) {
    if (entry.endsWith('/')) continue;
    const name = entry.replace(/\.npy$/, '');
    try {
      out.set(name, readNpy(data));
    } catch (e) {
      if (e instanceof ImporterError)
        throw new ImporterError(e.code, `Array '${name}' of the .npz file: ${e.message}`, { cause: e });
      throw e;
    }
  }
  return out;
}

/** Encode named arrays as an uncompressed `.npz` (what `numpy.savez` writes), readable by `numpy.load`. */
export function writeNpz(arrays: Record<string, NpyWritable>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, a] of Object.entries(arrays)) files[`${name}.npy`] = writeNpy(a);
  return zipSync(files, { level: 0 });
}

function dtypeOf(data: NpyData, requested: NpyDtype | undefined): DtypeInfo {
  const byArray: [new (...args: never[]) => NpyData, NpyDtype][] = [
    [Float32Array, 'float32'],
    [Float64Array, 'float64'],
    [Int8Array, 'int8'],
    [Uint8Array, 'uint8'],
    [Int16Array, 'int16'],
    [Int32Array, 'int32'],
    [BigInt64Array, 'int64'],
  ];
  const found = byArray.find(([ctor]) => data instanceof ctor);
  if (!found) {
    return fail(
      'BAD_ARGUMENT',
      `writeNpy: ${(data as object)?.constructor?.name ?? typeof data} is not supported; pass a Float32Array, Float64Array, Int32Array, BigInt64Array, Int16Array, Int8Array or Uint8Array.`,
    );
  }
  let dtype = found[1];
  if (requested !== undefined && requested !== dtype) {
    if (requested === 'bool' && dtype === 'uint8') dtype = 'bool';
    else
      fail(
        'BAD_ARGUMENT',
        `writeNpy: dtype '${requested}' does not match the data, a ${data.constructor.name} (${dtype}).`,
      );
  }
  return DTYPES.find((d) => d.dtype === dtype) as DtypeInfo;
}

/**
 * The header is a Python dict literal, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
 * Read just the three keys the format defines.
 */
function parseHeader(header: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const bad = (what: string): never =>
    fail(
      'CORRUPT_FILE',
      `The .npy header ${what}: ${JSON.stringify(header.trim().slice(0, 120))}. The file is corrupt or not written by numpy.save.`,
    );
  const descrMatch = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(header);
  if (!descrMatch) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) {
      fail(
        'BAD_ARGUMENT',
        `This .npy file holds a structured array (fields), which is not supported. Supported dtypes: ${SUPPORTED}.`,
      );
    }
    bad("has no 'descr'");
  }
  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  if (!fortranMatch) bad("has no 'fortran_order'");
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeMatch) bad("has no 'shape'");
  const shapeText = shapeMatch![1].trim();
  const shape =
    shapeText === ''
      ? []
      : shapeText
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
          .map((s) => {
            // Python 2 wrote long integers with an `L` suffix: (2L, 3L).
            const m = /^(\d+)L?$/.exec(s);
            return m ? Number(m[1]) : bad(`has an invalid shape entry '${s}'`);
          });
  return { descr: descrMatch![2], fortranOrder: fortranMatch![1] === 'True', shape };
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function hexHead(bytes: Uint8Array): string {
  return bytes.length === 0
    ? 'none, the file is empty'
    : Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
