import { fail } from './errors.ts';

/**
 * Resource limits for untrusted model files (see SECURITY.md). Every check runs before the memory
 * or time it guards is spent; a file over a limit fails with an `ImporterError` of code `'LIMIT'`
 * naming the limit, the value found and how to raise it. Pass any subset as
 * `loadModel(bytes, { limits: { maxFileBytes: 4 * 2 ** 30 } })`.
 */
export interface Limits {
  /** Largest model or weights file, in bytes. Default 1 GiB. */
  maxFileBytes: number;
  /** Most entries in a `.keras` zip (Keras writes 3). Default 1000. */
  maxZipEntries: number;
  /** Largest uncompressed size of one `.keras` zip entry, as declared before inflating. Default 1 GiB. */
  maxZipEntryBytes: number;
  /** Largest uncompressed size of all `.keras` zip entries together. Default 2 GiB. */
  maxZipTotalBytes: number;
  /**
   * Highest compression ratio (uncompressed / compressed) of a zip entry larger than 1 MiB
   * uncompressed; a zip bomb inflates about 1000:1. Default 200.
   */
  maxZipRatio: number;
  /** Most weight values (parameters) in a model, counted from shapes before allocating. Default 250 000 000 (1 GB as float32). */
  maxParams: number;
  /**
   * Most elements of one tensor: a weight, a layer output with known dimensions, or an input
   * batch shape, counted from shapes before allocating. Default 2^28 = 268 435 456 (1 GiB as float32).
   */
  maxTensorElements: number;
  /**
   * Most elements of one attention-weight tensor computed at predict/explain time:
   * batch × heads × query length × key length (T² per head). Default 2^28 (1 GiB as float32).
   * Split long runs into smaller batches (explain's `internalBatchSize`) rather than raising it.
   */
  maxAttentionElements: number;
  /** Deepest nesting of arrays/objects in a model config. Default 100. */
  maxConfigDepth: number;
  /** Most layers in a model config, nested models included. Default 10 000. */
  maxLayers: number;
  /** Longest time reading one HDF5 file may take before it is abandoned, in ms (Node only: reads run in a worker thread). Default 60 000. */
  maxReadMs: number;
}

/** The default limits (see `Limits` for what each bounds). */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFileBytes: 2 ** 30,
  maxZipEntries: 1000,
  maxZipEntryBytes: 2 ** 30,
  maxZipTotalBytes: 2 ** 31,
  maxZipRatio: 200,
  maxParams: 250_000_000,
  maxTensorElements: 2 ** 28,
  maxAttentionElements: 2 ** 28,
  maxConfigDepth: 100,
  maxLayers: 10_000,
  maxReadMs: 60_000,
});

/** Zip entries at most this large (uncompressed) are not held to `maxZipRatio`. */
export const ZIP_RATIO_MIN_BYTES = 2 ** 20;

/** Defaults merged with the caller's limits, each checked to be a positive number. */
export function resolveLimits(given: Partial<Limits> | undefined): Limits {
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(given ?? {})) {
    if (!(k in DEFAULT_LIMITS)) {
      fail('BAD_ARGUMENT', `Unknown limit '${k}'. Limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}.`);
    }
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v > 0))
      fail(
        'BAD_ARGUMENT',
        `limits.${k} must be a positive number (Infinity turns the check off), got ${JSON.stringify(v)}.`,
      );
    out[k as keyof Limits] = v;
  }
  return out;
}

const BYTE_LIMITS = new Set<keyof Limits>(['maxFileBytes', 'maxZipEntryBytes', 'maxZipTotalBytes']);

/** `1.5 GiB`, `268,435,456`, `30 s`: a limit's value in its unit. */
export function formatLimitValue(name: keyof Limits, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (BYTE_LIMITS.has(name)) return formatBytes(v);
  if (name === 'maxReadMs') return `${v / 1000} s`;
  return Math.round(v).toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${Number(v.toFixed(v < 10 ? 2 : 1))} ${units[u]}`;
}

/**
 * Fail with code `LIMIT`: `what` is the thing measured ("The file", "Layer 'dense' (Dense) weight
 * kernel"), `found` the value in the limit's unit. `hint` adds what else to do.
 */
export function exceedLimit(name: keyof Limits, limits: Limits, what: string, found: number, hint = ''): never {
  const example = Number.isFinite(found) ? Math.ceil(found * 1.1) : found;
  return fail(
    'LIMIT',
    `${what} is ${formatLimitValue(name, found)}, over the limit limits.${name} = ${formatLimitValue(name, limits[name])}.${hint ? ` ${hint}` : ''} ` +
      `If you trust this file, raise the limit: loadModel(bytes, { limits: { ${name}: ${Number.isFinite(example) ? example : 'Infinity'} } }).`,
  );
}
