/**
 * The one place that loads h5wasm (HDF5 compiled to WebAssembly) and moves bytes in and out of its
 * file system. Readers and writers take and return bytes; only this module touches h5wasm's FS.
 *
 * We import the ESM build (`'h5wasm'`), not `'h5wasm/node'`: the Node build mounts the real disk
 * (NODERAWFS), so its "in-memory" paths would be files in the host's `/`. The ESM build keeps an
 * in-memory file system in Node and in browsers alike, so nothing here touches the disk.
 */
import type { File as H5WasmFile } from 'h5wasm';
import { fail, ImporterError } from '../errors.ts';

/** An open h5wasm file (h5wasm's `File`: a `Group` with `attrs`, `keys()`, `get(path)`). */
export type H5File = H5WasmFile;

/** The h5wasm namespace (`File`, `Group`, `Dataset`, …) once its WebAssembly module is loaded. */
export type H5Wasm = typeof import('h5wasm').default;

type H5Module = Awaited<H5Wasm['ready']>;

let loading: Promise<H5Wasm> | undefined;
let loaded: H5Module | undefined;
let namespace: H5Wasm | undefined;

/**
 * Load h5wasm once and return its namespace. Await this before any synchronous reader or writer
 * (`withH5File`, `writeKerasH5`, …): WebAssembly only loads asynchronously.
 *
 * It also switches HDF5 to throwing errors: by default h5wasm prints HDF5 failures to stderr and
 * carries on (a failed dataset creation silently writes nothing), which would hide corrupt files.
 */
export function h5(): Promise<H5Wasm> {
  // Imported here, not at the top: importing h5wasm compiles its WebAssembly at once, and the
  // importer reads files in a reader thread, so the caller's thread needs h5wasm only to write.
  loading ??= import('h5wasm').then(async ({ default: h5wasm }) => {
    const module = await h5wasm.ready;
    module.activate_throwing_error_handler();
    loaded = module;
    namespace = h5wasm;
    return h5wasm;
  });
  return loading;
}

/**
 * The loaded h5wasm module for synchronous code; fails with a message saying to `await h5()` when
 * it has not finished loading. `what` names the caller for that message.
 */
export function h5Module(what: string): H5Module {
  if (!loaded) {
    fail(
      'BAD_ARGUMENT',
      `${what} needs h5wasm, which loads asynchronously and is not ready yet: call \`await h5()\` (from read/h5wasm.ts) once before.`,
    );
  }
  return loaded;
}

/** The loaded h5wasm namespace (`File`, …) for synchronous code; like {@link h5Module}. */
export function h5Namespace(what: string): H5Wasm {
  h5Module(what);
  return namespace!;
}

/** The 8-byte signature that starts an HDF5 superblock: `\x89HDF\r\n\x1a\n`. */
export const HDF5_SIGNATURE = Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a);

/**
 * Where the HDF5 superblock starts, or -1. HDF5 allows a user block before it, so the signature may
 * sit at 0, 512, 1024, 2048, … (powers of two from 512).
 */
export function findHdf5Signature(bytes: Uint8Array): number {
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= bytes.length; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b)) return offset;
  }
  return -1;
}

/** The magic number ending a LevelDB table (TensorFlow's checkpoint `.index` files), little-endian. */
const TABLE_MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];

function endsWith(bytes: Uint8Array, tail: number[]): boolean {
  const at = bytes.length - tail.length;
  return at >= 0 && tail.every((b, i) => bytes[at + i] === b);
}

/**
 * A short description of what non-HDF5 bytes look like, for error messages ("a .keras zip archive",
 * "JSON text", …).
 */
export function describeBytes(bytes: Uint8Array): string {
  const starts = (...sig: number[]) => bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b);
  if (bytes.length === 0) return 'an empty file (0 bytes)';
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06))
    return 'a zip archive — it looks like a Keras 3 .keras zip, which is read as a zip, not as HDF5';
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'a NumPy .npy array, not a model';
  if (starts(0x0e, 0x03, 0x13, 0x01)) return 'an HDF4 file; Keras files are HDF5 (convert it with h4toh5)';
  if (starts(0x1f, 0x8b)) return 'a gzip-compressed file; decompress it first';
  if (starts(0x80) && bytes.length > 1 && bytes[1] >= 2 && bytes[1] <= 5)
    return 'a Python pickle, not a Keras HDF5 file';
  const save = "model.save('model.keras') or model.save('model.h5')";
  if (endsWith(bytes, TABLE_MAGIC))
    return `a TensorFlow checkpoint index (the .index file of model.save_weights() in TensorFlow's format, or of a SavedModel's variables/), not a Keras file; in Python, build the model, call model.load_weights(prefix), then ${save}`;
  if (starts(0x08, 0x01, 0x12))
    return `probably a TensorFlow SavedModel graph (saved_model.pb), not a Keras file; in Python, model = tf.keras.models.load_model(its folder), then ${save}`;
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === 'TFL3')
    return 'a TensorFlow Lite model (.tflite), which keeps no Keras layers; convert the Keras model it came from instead';
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 256)).trimStart();
  if (head.startsWith('version https://git-lfs'))
    return 'a Git LFS pointer, not the file itself; fetch the real file with `git lfs pull`';
  if (/^<(!doctype html|html|\?xml)/i.test(head))
    return 'an HTML/XML page — probably a web page saved instead of the file (e.g. a GitHub "blob" URL instead of "raw")';
  if (head.startsWith('{') || head.startsWith('['))
    return 'JSON text — perhaps a model.json or an architecture from model.to_json(), which needs its weights file beside it';
  const printable = bytes.subarray(0, 64).every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable) return `text starting with ${JSON.stringify(head.slice(0, 40))}`;
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `binary data starting with bytes ${hex}`;
}

/** Options of `withH5File`. */
export interface WithH5FileOptions {
  /** What to call the file in error messages, e.g. its path. Default `'The file'`. */
  label?: string;
}

let fileCounter = 0;

/**
 * Open HDF5 bytes read-only, run `fn` on the file and return its result; the file is always closed
 * and removed from h5wasm's in-memory file system afterwards. `fn` must be synchronous (the file is
 * closed as soon as it returns). Requires `await h5()` once before.
 *
 * Fails with `NOT_HDF5` (saying what the bytes look like instead) when there is no HDF5 signature,
 * and with `CORRUPT_FILE` when HDF5 cannot open or read the file. A `ImporterError` thrown by
 * `fn` passes through unchanged.
 */
export function withH5File<T>(bytes: Uint8Array, fn: (file: H5File) => T, options: WithH5FileOptions = {}): T {
  const { label = 'The file' } = options;
  const module = h5Module('Reading an HDF5 file');
  if (findHdf5Signature(bytes) < 0) {
    fail(
      'NOT_HDF5',
      `${label} is not an HDF5 file: it is ${describeBytes(bytes)}. Keras .h5 files start with the HDF5 signature "\\x89HDF\\r\\n\\x1a\\n".`,
    );
  }
  const path = uniquePath('read');
  module.FS.writeFile(path, bytes);
  let file: H5File | undefined;
  try {
    try {
      file = new (h5Namespace('Reading an HDF5 file').File)(path, 'r');
    } catch (e) {
      throw asCorrupt(e, label, 'could not be opened');
    }
    try {
      return fn(file);
    } catch (e) {
      throw asCorrupt(e, label, 'could not be read');
    }
  } finally {
    discardH5File(module, path, file);
  }
}

/**
 * Close `file` if it is still open and remove `path` from h5wasm's in-memory FS, ignoring errors from
 * either: it runs in a `finally`, where an error of its own would hide the one being reported.
 */
export function discardH5File(module: H5Module, path: string, file: H5File | undefined): void {
  if (file) {
    try {
      file.close();
    } catch {
      // Closing a file HDF5 already failed on may fail again; the path is unlinked below anyway.
    }
  }
  try {
    module.FS.unlink(path);
  } catch {
    // Never created, or already gone.
  }
}

/** A path in h5wasm's in-memory FS that no other open file uses. */
export function uniquePath(kind: string): string {
  fileCounter += 1;
  return `/tmp/keraspect-${kind}-${fileCounter}-${Math.random().toString(36).slice(2, 10)}.h5`;
}

/**
 * Turn an error from inside h5wasm into `CORRUPT_FILE`. `ImporterError`s and ordinary programming
 * errors (a `TypeError` in the caller's own code) pass through untouched.
 */
function asCorrupt(e: unknown, label: string, what: string): unknown {
  if (e instanceof ImporterError) return e;
  if (!isH5wasmError(e)) return e;
  const detail = h5ErrorSummary(e);
  return new ImporterError(
    'CORRUPT_FILE',
    `${label} is an HDF5 file but ${what}${detail ? ` (${detail})` : ''}: it is truncated or corrupt. Download or save it again.`,
    { cause: e },
  );
}

function isH5wasmError(e: unknown): boolean {
  if (!(e instanceof Error)) return true; // h5wasm throws strings for some dtype problems
  if (e.message.startsWith('HDF5-DIAG') || e instanceof WebAssembly.RuntimeError) return true;
  // Thrown by h5wasm's own JavaScript (e.g. for a datatype it cannot convert).
  return /hdf5_(hl|util)\.js/.test(e.stack ?? '');
}

/** The first HDF5 error lines, e.g. `H5Fopen(): unable to synchronously open file; truncated file: eof = …`. */
export function h5ErrorSummary(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  if (!text.startsWith('HDF5-DIAG')) return text.split('\n')[0].slice(0, 200);
  const calls = [...text.matchAll(/ in (\w+\(\)): ([^\n]+)/g)].map((m) => `${m[1]}: ${m[2].trim()}`);
  if (calls.length === 0) return text.split('\n')[0];
  // The first line names the API call, the last one the root cause.
  return calls.length === 1 ? calls[0] : `${calls[0]}; ${calls[calls.length - 1]}`;
}

/** A plain JS value of an HDF5 attribute: strings, numbers, or arrays of them. */
export type AttrValue = string | number | boolean | null | AttrValue[];

/**
 * Turn an h5wasm attribute value into plain JS: strings stay strings (fixed-length and
 * variable-length alike, trailing NULs dropped), arrays of strings become `string[]`, byte strings
 * (`Uint8Array` elements of an array, as vlen byte sequences come back) are decoded as UTF-8, typed
 * arrays become `number[]` (int64 via `Number`), scalars stay scalars.
 */
export function decodeAttr(value: unknown): AttrValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return stripNul(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => Number(v));
  }
  if (Array.isArray(value)) {
    return value.map((v) => (v instanceof Uint8Array ? bytesToString(v) : decodeAttr(v)));
  }
  return String(value);
}

function bytesToString(bytes: Uint8Array): string {
  return stripNul(new TextDecoder('utf-8').decode(bytes));
}

function stripNul(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}

/** Something with h5wasm attributes (a file, group or dataset). */
export interface HasH5Attrs {
  attrs: Record<string, { value: unknown }>;
}

/**
 * A list-of-strings attribute the way Keras reads one (`load_attributes_from_hdf5_group`): the
 * attribute `name`, or when Keras split a long list to stay under HDF5's 64 KiB header limit, the
 * chunks `name0`, `name1`, … concatenated. An empty numeric array (what Keras writes for a layer
 * without weights) gives `[]`; a missing attribute gives `null`.
 */
export function readAttrStrings(obj: HasH5Attrs, name: string): string[] | null {
  const attrs = obj.attrs;
  const names = Object.keys(attrs);
  const toList = (v: AttrValue): string[] =>
    Array.isArray(v) ? v.map((x) => String(x)) : v === null ? [] : [String(v)];
  if (names.includes(name)) return toList(decodeAttr(attrs[name].value));
  if (!names.includes(`${name}0`)) return null;
  const out: string[] = [];
  for (let i = 0; names.includes(`${name}${i}`); i++) out.push(...toList(decodeAttr(attrs[`${name}${i}`].value)));
  return out;
}
