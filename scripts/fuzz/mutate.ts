/**
 * Seeded mutations of Keras files for the fuzzer: byte-level (bit flips, truncation, chunk
 * duplication, header and attribute corruption) and config-level (the model_config JSON decoded with
 * the importer's reader, mutated, and re-encoded with `writeKerasH5` or re-zipped with fflate).
 * Every mutation is a pure function of the random stream, so `(seed, index)` reproduces an input.
 */
import { mulberry32 } from '@keraspect/array';
import { strFromU8, strToU8, unzipSync, zipSync } from './fflate.ts';
import type { KerasArtifact, KerasModelJson } from '@keraspect/importer';
import { writeKerasH5 } from '../../packages/importer/src/export/h5.ts';

/** A small deterministic PRNG (mulberry32) over a 32-bit state. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

export function rng(seed: number, index: number): Rng {
  const next = mulberry32(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

/** What the mutator knows about one fixture (decoded once per worker). */
export interface Seed {
  file: string;
  bytes: Uint8Array;
  kind: 'h5' | 'keras-zip';
  /** The decoded file (h5 only), for re-encoding mutated configs. */
  artifact: KerasArtifact | null;
  /** The architecture JSON whose mutation is tried (the file's own, or the architecture file's). */
  config: KerasModelJson | null;
}

/** A mutated input: the bytes to load and, for weights-only fixtures, an architecture override. */
export interface Mutant {
  bytes: Uint8Array;
  /** Mutated architecture JSON text (weights-only fixtures, or when re-encoding is not possible). */
  architecture?: string;
  mutation: string;
}

const BYTE_MUTATIONS = [
  'bitflip',
  'truncate',
  'duplicate-chunk',
  'header',
  'attribute',
  'zero-run',
  'random-bytes',
] as const;
const JSON_MUTATIONS = [
  'wrong-type',
  'missing-key',
  'huge-number',
  'cycle',
  'unknown-class',
  'absurd-shape',
  'deep-nesting',
  'duplicate-name',
  'lambda-bytecode',
  'swap-layers',
] as const;
const ZIP_MUTATIONS = ['zip-bomb-size', 'zip-many-entries', 'zip-entry-swap'] as const;

/** Mutate a fixture: about half byte-level, half config-level (zip tricks for `.keras`). */
export function mutate(seed: Seed, r: Rng): Mutant {
  const roll = r.next();
  if (seed.config && roll < 0.45) {
    const op = r.pick(JSON_MUTATIONS);
    let out: Mutant | null = null;
    try {
      out = mutateConfig(seed, op, r);
    } catch {
      // A mutation the encoder cannot write; fall back to a byte mutation.
    }
    if (out) return out;
  }
  if (seed.kind === 'keras-zip' && roll >= 0.45 && roll < 0.55) {
    const op = r.pick(ZIP_MUTATIONS);
    return { bytes: mutateZip(seed.bytes, op, r), mutation: op };
  }
  const op = r.pick(BYTE_MUTATIONS);
  return { bytes: mutateBytes(seed.bytes, op, r), mutation: op };
}

export function mutateBytes(src: Uint8Array, op: (typeof BYTE_MUTATIONS)[number], r: Rng): Uint8Array {
  const n = src.length;
  switch (op) {
    case 'bitflip': {
      const out = src.slice();
      const flips = 1 + r.int(r.next() < 0.5 ? 4 : 64);
      for (let i = 0; i < flips; i++) out[r.int(n)] ^= 1 << r.int(8);
      return out;
    }
    case 'truncate':
      return src.slice(0, r.next() < 0.3 ? r.int(Math.min(n, 4096)) : r.int(n));
    case 'duplicate-chunk': {
      const len = 1 + r.int(Math.min(n, r.next() < 0.5 ? 64 : 8192));
      const from = r.int(Math.max(1, n - len));
      const at = r.int(n);
      const chunk = src.subarray(from, from + len);
      if (r.next() < 0.5) {
        const out = src.slice();
        out.set(chunk.subarray(0, Math.max(0, n - at)), at);
        return out;
      }
      const out = new Uint8Array(n + chunk.length);
      out.set(src.subarray(0, at));
      out.set(chunk, at);
      out.set(src.subarray(at), at + chunk.length);
      return out;
    }
    case 'header': {
      // HDF5: the superblock and root object header sit in the first few hundred bytes; zip: the
      // local header at 0 and the central directory at the end.
      const out = src.slice();
      const atEnd = src[0] === 0x50 && r.next() < 0.6;
      const span = Math.min(n, atEnd ? 256 : r.next() < 0.5 ? 96 : 2048);
      const flips = 1 + r.int(6);
      for (let i = 0; i < flips; i++) {
        const pos = atEnd ? n - 1 - r.int(span) : r.int(span);
        out[pos] = r.next() < 0.5 ? out[pos] ^ (1 << r.int(8)) : r.pick([0x00, 0xff, 0x7f, 0x80, 0x01]);
      }
      return out;
    }
    case 'attribute': {
      // Bytes inside the model_config attribute text (or any JSON text in the file).
      const out = src.slice();
      const start = indexOf(src, strToU8('{"class_name"'));
      if (start < 0) return mutateBytes(src, 'bitflip', r);
      let end = start;
      while (end < n && src[end] !== 0) end++;
      const flips = 1 + r.int(8);
      for (let i = 0; i < flips; i++) {
        const pos = start + r.int(end - start);
        out[pos] = r.pick([
          0x22,
          0x7b,
          0x7d,
          0x5b,
          0x5d,
          0x2c,
          0x3a,
          0x30,
          0x39,
          0x2d,
          0x00,
          0xff,
          0x20,
          out[pos] ^ (1 << r.int(8)),
        ]);
      }
      return out;
    }
    case 'zero-run': {
      const out = src.slice();
      const at = r.int(n);
      out.fill(r.next() < 0.5 ? 0 : 0xff, at, at + 1 + r.int(4096));
      return out;
    }
    case 'random-bytes': {
      const out = src.slice();
      const at = r.int(n);
      const len = Math.min(n - at, 1 + r.int(512));
      for (let i = 0; i < len; i++) out[at + i] = r.int(256);
      return out;
    }
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

// ---------------------------------------------------------------- config mutations

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every (parent, key) pair in the JSON tree, for picking a random place to mutate. */
function slots(root: Json): { parent: Json[] | { [k: string]: Json }; key: string | number }[] {
  const out: { parent: Json[] | { [k: string]: Json }; key: string | number }[] = [];
  const stack: Json[] = [root];
  while (stack.length) {
    const v = stack.pop()!;
    if (Array.isArray(v)) v.forEach((c, i) => (out.push({ parent: v, key: i }), stack.push(c)));
    else if (v && typeof v === 'object')
      for (const [k, c] of Object.entries(v)) out.push({ parent: v, key: k }), stack.push(c);
  }
  return out;
}

function layersOf(cfg: Json): { [k: string]: Json }[] {
  const out: { [k: string]: Json }[] = [];
  const stack: Json[] = [cfg];
  while (stack.length) {
    const v = stack.pop()!;
    if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') {
      if (typeof v.class_name === 'string' && v.config && typeof v.config === 'object') out.push(v);
      stack.push(...Object.values(v));
    }
  }
  return out;
}

const DEEP = '__deeply_nested__';

const WRONG_VALUES: Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  'x',
  '',
  [],
  [1, 2, 3],
  {},
  { class_name: 'X' },
  [null],
  ['a', 0, 0],
];
const HUGE: Json[] = [1e308, -1e308, 2 ** 53, 2 ** 31, 2 ** 32 + 1, 1e9, 1e12, -1, -(2 ** 31), 0, 1e-300, 123456789];
const SIZE_KEYS = [
  'units',
  'filters',
  'kernel_size',
  'pool_size',
  'strides',
  'num_heads',
  'key_dim',
  'head_num',
  'n',
  'size',
  'input_dim',
  'output_dim',
  'target_shape',
  'cropping',
  'padding',
  'dilation_rate',
  'head_size',
  'feature_dim',
  'attention_width',
  'axis',
  'dims',
  'rate',
  'depth_multiplier',
  'output_shape',
];

function mutateConfig(seed: Seed, op: (typeof JSON_MUTATIONS)[number], r: Rng): Mutant | null {
  const cfg = structuredClone(seed.config) as Json;
  const layers = layersOf(cfg);
  const all = slots(cfg);
  if (!all.length) return null;
  switch (op) {
    case 'wrong-type': {
      const count = 1 + r.int(3);
      for (let i = 0; i < count; i++) {
        const s = r.pick(all);
        (s.parent as Record<string | number, Json>)[s.key] = r.pick(WRONG_VALUES);
      }
      break;
    }
    case 'missing-key': {
      const objs = all.filter((s) => !Array.isArray(s.parent));
      const count = 1 + r.int(3);
      for (let i = 0; i < count && objs.length; i++) {
        const s = r.pick(objs);
        delete (s.parent as Record<string, Json>)[s.key as string];
      }
      break;
    }
    case 'huge-number': {
      const nums = all.filter((s) => typeof (s.parent as Record<string | number, Json>)[s.key] === 'number');
      const sized = all.filter((s) => SIZE_KEYS.includes(String(s.key)));
      const pool = sized.length && r.next() < 0.6 ? sized : nums;
      if (!pool.length) return null;
      const count = 1 + r.int(3);
      for (let i = 0; i < count; i++) {
        const s = r.pick(pool);
        const old = (s.parent as Record<string | number, Json>)[s.key];
        (s.parent as Record<string | number, Json>)[s.key] = Array.isArray(old)
          ? old.map(() => r.pick(HUGE))
          : r.pick(HUGE);
      }
      break;
    }
    case 'cycle': {
      // Point a layer's input at itself or at a later layer.
      const refs = all.filter((s) => {
        const v = (s.parent as Record<string | number, Json>)[s.key];
        return (
          Array.isArray(v) &&
          typeof v[0] === 'string' &&
          typeof v[1] === 'number' &&
          (s.key === 'keras_history' || Array.isArray(s.parent))
        );
      });
      const names = layers
        .map((l) => (l.config as Record<string, Json>).name)
        .filter((n): n is string => typeof n === 'string');
      if (!refs.length || !names.length) {
        // Sequential: duplicate a layer entry so a name occurs twice.
        if (!layers.length) return null;
        const list = findList(cfg);
        if (!list) return null;
        list.splice(r.int(list.length + 1), 0, structuredClone(r.pick(list)));
        break;
      }
      const s = r.pick(refs);
      const ref = (s.parent as Record<string | number, Json>)[s.key] as Json[];
      ref[0] = r.pick(names);
      if (r.next() < 0.3) ref[1] = r.int(3);
      break;
    }
    case 'unknown-class': {
      if (!layers.length) return null;
      const l = r.pick(layers);
      l.class_name = r.pick([
        'EvilLayer',
        '__import__',
        'Function',
        'constructor',
        'toString',
        'Lambda',
        'Model',
        'Sequential',
        'InputLayer',
        '',
      ]);
      break;
    }
    case 'absurd-shape': {
      const shapes = all.filter((s) =>
        ['batch_shape', 'batch_input_shape', 'input_shape', 'shape', 'target_shape', 'build_input_shape'].includes(
          String(s.key),
        ),
      );
      if (!shapes.length) return mutateConfig(seed, 'huge-number', r);
      const s = r.pick(shapes);
      const dims = [
        null,
        ...Array.from({ length: r.int(4) + 1 }, () => r.pick([1e9, 2 ** 31, -5, 0, 1.5, 65536, 'x', null, 1e6])),
      ];
      (s.parent as Record<string | number, Json>)[s.key] = dims as Json;
      break;
    }
    case 'deep-nesting': {
      // Written as text: JSON.stringify itself would overflow the stack on 20 000 levels.
      const s = r.pick(all);
      (s.parent as Record<string | number, Json>)[s.key] = DEEP;
      const depth = r.pick([200, 2000, 20000]);
      const [open, close] = r.next() < 0.5 ? ['[', ']'] : ['{"class_name": "Sequential", "config": ', '}'];
      const text = JSON.stringify(cfg).replace(JSON.stringify(DEEP), `${open.repeat(depth)}0${close.repeat(depth)}`);
      return encodeText(seed, text, op);
    }
    case 'duplicate-name': {
      if (layers.length < 2) return null;
      const a = r.pick(layers);
      const b = r.pick(layers);
      (b.config as Record<string, Json>).name = (a.config as Record<string, Json>).name;
      break;
    }
    case 'lambda-bytecode': {
      if (!layers.length) return null;
      const l = r.pick(
        layers
          .filter((x) => x.class_name !== 'InputLayer')
          .concat(layers)
          .slice(0, layers.length),
      );
      l.class_name = 'Lambda';
      // Marshalled Python bytecode (base64) and a `function` config: must never be decoded or run.
      (l.config as Record<string, Json>).function = r.pick<Json>([
        ['4wEAAAAAAAAAAQAAAAQAAABTAAAAcwgAAAB0AKAAZAGhAVMAKQJOegVybSAtcmYp', null, null],
        { class_name: '__lambda__', config: { code: 'globalThis.process.exit(99)', defaults: null, closure: null } },
        'eval',
        { module: 'builtins', class_name: 'function', config: 'exec', registered_name: 'function' },
      ]);
      (l.config as Record<string, Json>).function_type = r.pick(['lambda', 'raw', 'function']);
      break;
    }
    case 'swap-layers': {
      const list = findList(cfg);
      if (!list || list.length < 2) return null;
      const i = r.int(list.length);
      const j = r.int(list.length);
      [list[i], list[j]] = [list[j], list[i]];
      break;
    }
  }
  return encode(seed, cfg as unknown as KerasModelJson, op);
}

function findList(cfg: Json): Json[] | null {
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) return null;
  const c = cfg.config;
  if (Array.isArray(c)) return c;
  if (c && typeof c === 'object' && Array.isArray((c as Record<string, Json>).layers))
    return (c as Record<string, Json[]>).layers;
  return null;
}

/** Config text that cannot round-trip through objects: zipped for `.keras`, else as architecture. */
function encodeText(seed: Seed, text: string, op: string): Mutant {
  if (seed.kind === 'keras-zip') {
    const entries = unzipSync(seed.bytes);
    entries['config.json'] = strToU8(text);
    return { bytes: zipSync(entries), mutation: op };
  }
  return { bytes: seed.bytes, architecture: text, mutation: `${op}(as-architecture)` };
}

/** Put a mutated config back into a file of the fixture's kind. */
function encode(seed: Seed, config: KerasModelJson, op: string): Mutant | null {
  const text = JSON.stringify(config);
  if (seed.kind === 'keras-zip') {
    const entries = unzipSync(seed.bytes);
    entries['config.json'] = strToU8(text);
    return { bytes: zipSync(entries), mutation: op };
  }
  const a = seed.artifact;
  if (!a) return null;
  if (!a.modelConfig) return { bytes: seed.bytes, architecture: text, mutation: op };
  try {
    const bytes = writeKerasH5({
      modelConfig: config,
      layers: [...a.weights].map(([name, weights]) => ({ name, weights })),
      kerasVersion: a.kerasVersion.raw ?? undefined,
      backend: a.backend ?? undefined,
    });
    return { bytes, mutation: op };
  } catch {
    // The writer refuses configs without a string class_name; hand the text over as architecture.
    return { bytes: seed.bytes, architecture: text, mutation: `${op}(as-architecture)` };
  }
}

// ---------------------------------------------------------------- zip mutations

function mutateZip(src: Uint8Array, op: (typeof ZIP_MUTATIONS)[number], r: Rng): Uint8Array {
  switch (op) {
    case 'zip-bomb-size': {
      // Declare a huge uncompressed size in central directory entries (a zip bomb's signature).
      const out = src.slice();
      const view = new DataView(out.buffer);
      for (let i = 0; i + 46 <= out.length; i++) {
        if (view.getUint32(i, true) === 0x02014b50 && r.next() < 0.7)
          view.setUint32(i + 24, r.pick([0xfffffff0, 0x7fffffff, 0x40000000, 0]), true);
      }
      return out;
    }
    case 'zip-many-entries': {
      const entries = unzipSync(src);
      const count = r.pick([100, 5000, 20000]);
      for (let i = 0; i < count; i++) entries[`assets/${i}`] = new Uint8Array(0);
      return zipSync(entries, { level: 0 });
    }
    case 'zip-entry-swap': {
      const entries = unzipSync(src);
      const names = Object.keys(entries);
      const a = r.pick(names);
      const b = r.pick(names);
      [entries[a], entries[b]] = [entries[b], entries[a]];
      if (r.next() < 0.3) delete entries[r.pick(names)];
      if (r.next() < 0.3)
        entries['config.json'] = strToU8(strFromU8(entries['config.json'] ?? new Uint8Array()).slice(0, r.int(200)));
      return zipSync(entries);
    }
  }
}

/**
 * A real zip bomb for `.keras` fixtures: `config.json` and the weights replaced by an entry that
 * inflates to `mib` MiB of zeros (about 1000:1).
 */
export function zipBomb(src: Uint8Array, mib: number): Uint8Array {
  const entries = unzipSync(src);
  entries['model.weights.h5'] = new Uint8Array(mib * 1024 * 1024);
  return zipSync(entries, { level: 9 });
}
