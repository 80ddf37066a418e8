/**
 * Datasets larger than memory: a big `.npy` read in chunks of samples, or a folder of `.npy` files
 * taken in name order; each chunk is evaluated (on a pool of worker threads, one model per thread),
 * and the results are appended chunk by chunk to `.npy` files, so memory stays bounded by a few
 * chunks whatever the dataset's size. `--shard K/N` takes the K-th (0-based) of N contiguous runs of
 * whole chunks, so that N jobs of a batch scheduler cover the dataset and their outputs, concatenated
 * in K order, equal one run over all of it.
 */
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
// explain is imported where a stream starts: `keraspect predict`/`inspect` without a dataset never load it.
import type { ExplainerOptions, MethodName } from '@keraspect/explain';
import type { KerasModel, ModelPool, ModelSource, NdArray } from '@keraspect/importer';
import { CliError } from './errors.ts';
import type { Io } from './io.ts';
import { importOptionsOf, type ModelFlagValues } from './model-args.ts';

/** Flags of the commands that stream. */
export const streamOptions = {
  shard: { type: 'string' },
  'chunk-size': { type: 'string' },
  threads: { type: 'string' },
  stream: { type: 'boolean' },
} as const;

export const STREAM_USAGE = `  --stream           read the input in chunks and write the output chunk by chunk (automatic for a
                     folder of .npy files or a .npy over 256 MiB)
  --chunk-size N     samples per chunk when streaming (default 256)
  --threads N        worker threads when streaming, each holding the model (default: all cores)
  --shard K/N        only the K-th (0-based) of N equal runs of chunks, e.g. from a Kubernetes
                     Indexed Job (JOB_COMPLETION_INDEX) or a Slurm array (SLURM_ARRAY_TASK_ID)`;

/** Above this size an `.npy` input streams without `--stream`. */
export const STREAM_THRESHOLD_BYTES = 256 * 2 ** 20;

interface NpyHeader {
  dtype: 'f4' | 'f8' | 'i4' | 'i8';
  shape: number[];
  dataOffset: number;
}

const DTYPE_BYTES = { f4: 4, f8: 8, i4: 4, i8: 8 } as const;

/** Parse the header of a `.npy` file (little-endian f4/f8/i4/i8, C order). */
function readNpyHeader(fd: number, path: string): NpyHeader {
  const head = Buffer.alloc(12);
  readSync(fd, head, 0, 12, 0);
  if (head.toString('latin1', 0, 6) !== '\x93NUMPY')
    throw new CliError(`'${path}' is not a .npy file (no \\x93NUMPY magic); save it with numpy.save.`);
  const major = head[6];
  const len = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const text = Buffer.alloc(len);
  readSync(fd, text, 0, len, start);
  const dict = text.toString('latin1');
  const descr = /'descr':\s*'([<|=]?)([fi][48])'/.exec(dict);
  if (!descr)
    throw new CliError(
      `'${path}' holds ${/'descr':\s*'([^']*)'/.exec(dict)?.[1] ?? 'an unknown dtype'}; streaming reads little-endian float32/float64/int32/int64 .npy files.`,
    );
  if (/'fortran_order':\s*True/.test(dict))
    throw new CliError(`'${path}' is in Fortran order; save it in C order (numpy.ascontiguousarray) to stream it.`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1] ?? '';
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  return { dtype: descr[2] as NpyHeader['dtype'], shape, dataOffset: start + len };
}

/** One `.npy` file of a dataset: where its samples start and how many it holds. */
interface DatasetFile {
  path: string;
  header: NpyHeader;
  /** Samples in the file (1 when the file is one sample without a batch axis). */
  count: number;
  first: number;
}

/** A dataset of samples of one shape, read a range at a time. */
export interface Dataset {
  /** Number of samples. */
  total: number;
  /** Shape of one sample (without the batch axis). */
  sampleShape: number[];
  /** Samples [start, start + count) as float32, batch first. */
  read(start: number, count: number): InputArray32;
}

type InputArray32 = { data: Float32Array; shape: number[] };

/**
 * Open `path` as a dataset for a model whose sample shape is `want` (null = any): a `.npy` with a
 * batch axis (or a single sample), or a folder of such files in name order.
 */
export function openDataset(path: string, want: (number | null)[]): Dataset {
  const isDir = statSync(path).isDirectory();
  const names = isDir
    ? readdirSync(path)
        .filter((n) => n.toLowerCase().endsWith('.npy'))
        .sort()
    : [''];
  if (isDir && !names.length)
    throw new CliError(`The input folder '${path}' holds no .npy files; put one sample or batch per .npy file there.`);
  const files: DatasetFile[] = [];
  let total = 0;
  let sampleShape: number[] | null = null;
  for (const n of names) {
    const p = isDir ? join(path, n) : path;
    const fd = openSync(p, 'r');
    try {
      const header = readNpyHeader(fd, p);
      const single = header.shape.length === want.length;
      const shape = single ? header.shape : header.shape.slice(1);
      if (shape.length !== want.length || !want.every((d, i) => d === null || d === shape[i]))
        throw new CliError(
          `'${p}' has shape (${header.shape.join(', ')}); the model takes samples of shape (${want.map((d) => d ?? 'any').join(', ')}), batch first.`,
        );
      if (sampleShape && sampleShape.join() !== shape.join())
        throw new CliError(
          `'${p}' holds samples of shape (${shape.join(', ')}) but earlier files hold (${sampleShape.join(', ')}); give one shape per dataset.`,
        );
      sampleShape = shape;
      const count = single ? 1 : header.shape[0];
      const per = shape.reduce((a, b) => a * b, 1);
      const need = header.dataOffset + count * per * DTYPE_BYTES[header.dtype];
      if (fstatSync(fd).size < need)
        throw new CliError(
          `'${p}' is truncated: its header promises ${need} bytes, the file has ${fstatSync(fd).size}.`,
        );
      files.push({ path: p, header, count, first: total });
      total += count;
    } finally {
      closeSync(fd);
    }
  }
  const shape = sampleShape!;
  const per = shape.reduce((a, b) => a * b, 1);
  return {
    total,
    sampleShape: shape,
    read(start, count) {
      const out = new Float32Array(count * per);
      for (const f of files) {
        const a = Math.max(start, f.first);
        const b = Math.min(start + count, f.first + f.count);
        if (a >= b) continue;
        const size = DTYPE_BYTES[f.header.dtype];
        const buf = Buffer.alloc((b - a) * per * size);
        const fd = openSync(f.path, 'r');
        try {
          readSync(fd, buf, 0, buf.length, f.header.dataOffset + (a - f.first) * per * size);
        } finally {
          closeSync(fd);
        }
        const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
        const at = (a - start) * per;
        const n = (b - a) * per;
        for (let i = 0; i < n; i++) {
          const o = i * size;
          out[at + i] =
            f.header.dtype === 'f4'
              ? view.getFloat32(o, true)
              : f.header.dtype === 'f8'
                ? view.getFloat64(o, true)
                : f.header.dtype === 'i4'
                  ? view.getInt32(o, true)
                  : Number(view.getBigInt64(o, true));
        }
      }
      return { data: out, shape: [count, ...shape] };
    },
  };
}

/** `--shard K/N` → K and N, checked. */
export function parseShard(flag: string | undefined): { k: number; n: number } {
  if (flag === undefined) return { k: 0, n: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
  const k = m ? Number(m[1]) : Number.NaN;
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || !(n >= 1) || !(k < n))
    throw new CliError(
      `--shard ${flag}: give K/N with 0 ≤ K < N, e.g. --shard 0/4 … --shard 3/4 (K is 0-based, as JOB_COMPLETION_INDEX).`,
    );
  return { k, n };
}

/** The samples of shard k of n: whole chunks, the chunk list cut into n contiguous runs. */
export function shardRange(total: number, chunkSize: number, k: number, n: number): { start: number; end: number } {
  const chunks = Math.ceil(total / chunkSize);
  const c0 = Math.floor((k * chunks) / n);
  const c1 = Math.floor(((k + 1) * chunks) / n);
  return { start: Math.min(total, c0 * chunkSize), end: Math.min(total, c1 * chunkSize) };
}

function npyHeader(shape: number[]): Buffer {
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  dict = `${dict}${' '.repeat(pad % 64)}\n`;
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1')]);
}

/** A float32 `.npy` written chunk by chunk to a temporary file, renamed into place when complete. */
export class NpyChunkWriter {
  private fd: number | null = null;
  private rows = 0;
  private readonly tmp: string;
  constructor(
    readonly path: string,
    private readonly totalRows: number,
  ) {
    this.tmp = `${path}.partial-${process.pid}`;
  }
  /** Append rows (batch first); the first call fixes the per-row shape. */
  append(a: NdArray): void {
    if (this.fd === null) {
      mkdirSync(dirname(this.tmp), { recursive: true });
      this.fd = openSync(this.tmp, 'w');
      writeSync(this.fd, npyHeader([this.totalRows, ...a.shape.slice(1)]));
    }
    const data = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
    writeSync(this.fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.rows += a.shape[0];
  }
  /** Write the header of a file with no rows (an empty shard), rows of shape `rowShape`. */
  empty(rowShape: number[]): void {
    if (this.totalRows !== 0 || this.fd !== null) throw new Error(`${this.path}: empty() is for a file of 0 rows.`);
    mkdirSync(dirname(this.tmp), { recursive: true });
    this.fd = openSync(this.tmp, 'w');
    writeSync(this.fd, npyHeader([0, ...rowShape]));
  }
  /** Finish: the file appears under its name only now. */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    if (this.rows !== this.totalRows) throw new Error(`${this.path}: wrote ${this.rows} of ${this.totalRows} rows.`);
    renameSync(this.tmp, this.path);
  }
  /** Give up: remove the temporary file. */
  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.tmp, { force: true });
  }
}

/** What a streamed command evaluates per chunk: named output arrays (each batch first). */
export type ChunkResult = { name: string; array: NdArray }[];

/** Options of {@link runStreamed}. */
export interface StreamRun {
  io: Io;
  dataset: Dataset;
  chunkSize: number;
  shard: { k: number; n: number };
  /** Evaluate one chunk (samples [start, start + n) of the dataset). */
  compute(chunk: InputArray32, start: number): Promise<ChunkResult>;
  /** The output path of each result name. */
  pathOf(name: string): string;
  label: string;
  quiet?: boolean;
  /** Chunks evaluated at once (the pool's threads). */
  inFlight: number;
}

/**
 * Evaluate the shard's chunks, `inFlight` at a time, and append each chunk's results in order.
 * Returns the files written and the throughput.
 */
export async function runStreamed(
  r: StreamRun,
): Promise<{ files: Map<string, string>; sequences: number; seconds: number }> {
  const { start, end } = shardRange(r.dataset.total, r.chunkSize, r.shard.k, r.shard.n);
  const rows = end - start;
  const writers = new Map<string, NpyChunkWriter>();
  const t0 = performance.now();
  let done = 0;
  const showProgress = r.io.isTTY && !r.quiet;
  const progress = () => {
    if (!showProgress) return;
    const s = (performance.now() - t0) / 1000;
    const rate = s > 0 ? done / s : 0;
    const width = 30;
    const filled = rows ? Math.round((width * done) / rows) : width;
    r.io.stderr(
      `\r${r.label.padEnd(12).slice(0, 12)} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${rows} ${rate.toFixed(1)} sequences/s`,
    );
  };
  const starts: number[] = [];
  for (let s = start; s < end; s += r.chunkSize) starts.push(s);
  const pending = new Map<number, Promise<ChunkResult>>();
  let next = 0;
  const launch = () => {
    while (pending.size < r.inFlight && next < starts.length) {
      const s = starts[next++];
      const n = Math.min(r.chunkSize, end - s);
      pending.set(s, r.compute(r.dataset.read(s, n), s));
    }
  };
  try {
    launch();
    for (const s of starts) {
      const result = await pending.get(s)!;
      pending.delete(s);
      launch();
      for (const { name, array } of result) {
        let w = writers.get(name);
        if (!w) {
          w = new NpyChunkWriter(r.pathOf(name), rows);
          writers.set(name, w);
        }
        w.append(array);
      }
      done += Math.min(r.chunkSize, end - s);
      progress();
    }
    if (!starts.length) {
      // An empty shard (more shards than chunks) still writes its files, with 0 rows, so that the
      // shards' outputs concatenate; one sample tells the row shapes.
      for (const { name, array } of await r.compute(r.dataset.read(0, 1), 0)) {
        const w = new NpyChunkWriter(r.pathOf(name), 0);
        writers.set(name, w);
        w.empty(array.shape.slice(1));
      }
    }
    for (const w of writers.values()) w.close();
  } catch (e) {
    for (const w of writers.values()) w.abort();
    await Promise.allSettled(pending.values());
    throw e;
  } finally {
    if (showProgress) r.io.stderr('\n');
  }
  const seconds = (performance.now() - t0) / 1000;
  return { files: new Map([...writers].map(([k, w]) => [k, w.path])), sequences: rows, seconds };
}

/** Flag values of a streamed run, checked. */
export function streamSettings(values: { shard?: string; 'chunk-size'?: string; threads?: string }) {
  const chunkSize = values['chunk-size'] === undefined ? 256 : Number(values['chunk-size']);
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new CliError(`--chunk-size must be a positive integer (samples per chunk), got '${values['chunk-size']}'.`);
  const threads = values.threads === undefined ? availableParallelism() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1)
    throw new CliError(`--threads must be a positive integer, got '${values.threads}'.`);
  return { chunkSize, threads, shard: parseShard(values.shard) };
}

/** Whether `--input` should stream: asked for, sharded, a folder, or a big `.npy`. */
export function wantsStream(
  inputs: string[] | undefined,
  values: { stream?: boolean; shard?: string; 'chunk-size'?: string },
): boolean {
  if (inputs?.length !== 1 || inputs[0].includes('=')) return false;
  if (values.stream || values.shard !== undefined || values['chunk-size'] !== undefined) return true;
  try {
    const st = statSync(inputs[0]);
    return st.isDirectory() || (inputs[0].toLowerCase().endsWith('.npy') && st.size > STREAM_THRESHOLD_BYTES);
  } catch {
    return false;
  }
}

/**
 * What the pool's workers load: the same files and options as `openModel`, without plugins
 * (their functions cannot cross threads; with `--plugin` the stream runs in this thread).
 */
export async function poolSource(
  io: Io,
  model: string,
  values: ModelFlagValues & { weights?: string },
): Promise<ModelSource> {
  const bytes = await io.readFile(model);
  const weights = values.weights ? await io.readFile(values.weights) : undefined;
  const options = importOptionsOf(values);
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  const text = bytes[i] === 0x7b;
  if (text && weights)
    return { bytes: weights, options: { ...options, architecture: new TextDecoder().decode(bytes) } };
  return { bytes, options: { ...options, weights } };
}

/** The model's sample shape for its single input (streaming takes single-input models). */
export function sampleShapeOf(km: KerasModel): (number | null)[] {
  if (km.inputShapes.length !== 1)
    throw new CliError(
      `Streaming reads one input; model '${km.name}' takes ${km.inputShapes.length} (${km.inputNames.join(', ')}). Give the inputs as files instead.`,
    );
  return km.inputShapes[0].slice(1);
}

/** Flag values every streamed command reads. */
export interface StreamValues {
  input?: string[];
  quiet?: boolean;
  json?: boolean;
  plugin?: string[];
  shard?: string;
  'chunk-size'?: string;
  threads?: string;
  weights?: string;
  'self-attention-variant'?: string;
  'gelu-variant'?: string;
  limit?: string[];
}

/**
 * Stream a dataset through `compute` (given the chunk and, with several threads, a pool of workers
 * holding the model: `createPool`, by default explain's pool, which also runs layer outputs,
 * attention and attribution) and write each named result to `pathOf(name)`. Prints the files and
 * the throughput (as JSON with `--json`).
 */
export async function streamWith(a: {
  io: Io;
  km: KerasModel;
  modelPath: string;
  values: StreamValues;
  label: string;
  pathOf(name: string): string;
  compute(chunk: InputArray32, pool: ModelPool | null): Promise<ChunkResult>;
  createPool?: (source: ModelSource, options: { threads: number }) => Promise<ModelPool>;
}): Promise<number> {
  const { io, km, values } = a;
  const { chunkSize, threads, shard } = streamSettings(values);
  const dataset = openDataset((values.input as string[])[0], sampleShapeOf(km));
  const inThread = threads === 1 || values.plugin?.length;
  const createPool = a.createPool ?? (await import('@keraspect/explain')).createExplainPool;
  const pool = inThread ? null : await createPool(await poolSource(io, a.modelPath, values), { threads });
  try {
    const res = await runStreamed({
      io,
      dataset,
      chunkSize,
      shard,
      inFlight: pool ? threads : 1,
      label: a.label,
      quiet: values.quiet,
      pathOf: a.pathOf,
      compute: (chunk) => a.compute(chunk, pool),
    });
    const used = pool ? threads : 1;
    const rate = res.sequences / res.seconds;
    if (values.json)
      io.stdout(
        `${JSON.stringify({ files: [...res.files.values()], sequences: res.sequences, seconds: res.seconds, sequences_per_s: rate, threads: used })}\n`,
      );
    else {
      for (const path of res.files.values()) io.stdout(`wrote ${path}\n`);
      io.stdout(
        `${res.sequences} sequences in ${res.seconds.toFixed(1)} s (${rate.toFixed(1)} sequences/s, ${used} thread${used > 1 ? 's' : ''})\n`,
      );
    }
    return 0;
  } finally {
    await pool?.close();
  }
}

/**
 * `keraspect attribute` on a streamed dataset: every chunk attributed as one unit (on a worker when
 * there are several threads), so that the result is the same for any `--threads` and `--shard`
 * split. Writes the attributions (and IG's per-sample convergence delta as `<out>.delta.npy`).
 */
export async function streamAttribution(a: {
  io: Io;
  km: KerasModel;
  modelPath: string;
  values: StreamValues & { out?: string };
  method: MethodName;
  options: Record<string, unknown>;
}): Promise<number> {
  const { km, method } = a;
  const out = a.values.out as string;
  if (out.toLowerCase().endsWith('.json'))
    throw new CliError('Streamed attributions are written as .npy; give --out A.npy.');
  const { onProgress: _bar, ...options } = a.options;
  const opts = options as ExplainerOptions<typeof method>;
  const { attributeInPool, createExplainer } = await import('@keraspect/explain');
  let count = 0;
  return streamWith({
    io: a.io,
    km,
    modelPath: a.modelPath,
    values: { ...a.values, json: false },
    label: method,
    pathOf: (name) =>
      name === 'delta'
        ? out.replace(/(\.npy)?$/, '.delta.npy')
        : count === 1
          ? out
          : out.replace(/(\.npy)?$/, `.${name}.npy`),
    async compute(chunk, pool) {
      const r = pool
        ? await attributeInPool(pool, method, chunk, opts, { chunkSize: chunk.shape[0] })
        : await createExplainer(method, km, opts).attribute(chunk);
      count = r.attributions.length;
      const arrays: ChunkResult = r.attributions.map((array, i) => ({ name: String(i), array }));
      if (r.delta) arrays.push({ name: 'delta', array: { data: r.delta, shape: [r.delta.length] } });
      return arrays;
    },
  });
}
