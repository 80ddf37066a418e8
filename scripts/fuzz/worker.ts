/**
 * One fuzz worker (a child process of scripts/fuzz.ts): makes input `index` of the seeded stream,
 * loads it with the importer and, when it loads, predicts (and reads attention maps) on a small
 * random input. Reports the outcome to the parent over IPC. Each input is a pure function of
 * `(seed, index)`, so a crash or hang is reproduced with `pnpm fuzz --seed S --only INDEX`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attentionMaps, ExplainError } from '@keraspect/explain';
import {
  type ImportOptions,
  initBackend,
  type KerasModelJson,
  ImporterError,
  loadModel,
  type NdArray,
  predict,
  readKerasFile,
} from '@keraspect/importer';
import { h5 } from '../../packages/importer/src/read/h5wasm.ts';
import { type FixtureEntry, fixturesDir, loadManifest } from '../../test/support/fixtures.ts';
import { fixtureLambdas, registerFixtureClasses } from '../../test/support/user-layers.ts';
import { mutate, rng, type Seed } from './mutate.ts';
import { configureFromEnv } from '@keraspect/cli';

/** What happened to one input. */
export type Outcome = 'ok' | 'typed' | 'crash' | 'hang';

export interface InputResult {
  index: number;
  fixture: string;
  mutation: string;
  outcome: Outcome;
  /** ImporterError code for `typed`. */
  code?: string;
  message?: string;
  ms: number;
}

interface Prepared {
  entry: FixtureEntry;
  seed: Seed;
  /** Clean architecture bytes for weights-only fixtures. */
  architectureBytes?: Uint8Array;
  /** Clean architecture text for weights-only fixtures whose architecture is `model.to_json()`. */
  architectureText?: string;
  /** Relative probability of picking this fixture (small files mutate and load faster). */
  weight: number;
}

let prepared: Prepared[] = [];

/** Decode every fixture once. */
export async function prepare(): Promise<Prepared[]> {
  await configureFromEnv(process.env);
  await initBackend();
  await h5();
  const dir = fixturesDir();
  if (!dir) throw new Error('The fuzzer needs the Keras fixtures (set KERASPECT_FIXTURES).');
  const out: Prepared[] = [];
  for (const entry of loadManifest(dir)) {
    const read = (f: string) => new Uint8Array(readFileSync(join(entry.root, 'models', f)));
    const bytes = read(entry.file);
    const kind = entry.file.endsWith('.keras') ? 'keras-zip' : 'h5';
    let architectureBytes: Uint8Array | undefined;
    let architectureText: string | undefined;
    let artifact = null;
    let config: KerasModelJson | null = null;
    const decoded = await readKerasFile(bytes);
    if (kind === 'h5') artifact = decoded;
    config = decoded.modelConfig;
    if (entry.architecture_from?.endsWith('.json')) {
      architectureText = new TextDecoder().decode(read(entry.architecture_from));
      config = JSON.parse(architectureText) as KerasModelJson;
    } else if (entry.architecture_from) {
      const arch = ARCHITECTURE_SUBSTITUTES[entry.architecture_from] ?? entry.architecture_from;
      architectureBytes = read(arch);
      config = (await readKerasFile(architectureBytes)).modelConfig;
    }
    // Big fixtures (disazi, EQTransformer: 1-3 MB, 6000-step inputs) are picked less often.
    const weight = 1 / Math.max(1, bytes.length / 100_000);
    out.push({
      entry,
      seed: { file: entry.file, bytes, kind, artifact, config },
      architectureBytes,
      architectureText,
      weight,
    });
  }
  prepared = out;
  return out;
}

const ARCHITECTURE_SUBSTITUTES: Record<string, string> = {
  'eqt_blockly_final_model_k2.3.1.h5': 'eqt_blockly_usgs_d_p_s_k2.3.1.h5',
};

function pickFixture(u: number): Prepared {
  const total = prepared.reduce((n, p) => n + p.weight, 0);
  let x = u * total;
  for (const p of prepared) {
    x -= p.weight;
    if (x < 0) return p;
  }
  return prepared[prepared.length - 1];
}

/** Make input `index` of the stream for `seed`, load it, predict, and classify the outcome. */
export async function runOne(
  seedValue: number,
  index: number,
  onStart?: (fixture: string, mutation: string, bytes: number) => void,
  readMs = 2500,
): Promise<InputResult> {
  const r = rng(seedValue, index);
  const p = pickFixture(r.next());
  const m = mutate(p.seed, r);
  onStart?.(p.entry.file, m.mutation, p.seed.bytes.length);
  const started = performance.now();
  const needs = p.entry.needs_custom_layers;
  const cleanup = registerFixtureClasses(needs);
  const base: Omit<InputResult, 'outcome' | 'ms'> = { index, fixture: p.entry.file, mutation: m.mutation };
  try {
    const options: ImportOptions = {
      // HDF5 reads that loop forever are stopped by the importer well inside the fuzzer's time bound.
      limits: { maxReadMs: readMs },
      lambdas: fixtureLambdas(p.entry.needs_lambdas),
      selfAttentionVariant: needs.includes('eqt') ? 'legacy' : p.entry.file.startsWith('dsrna') ? '0.46' : undefined,
    };
    let main = m.bytes;
    if (p.architectureBytes) {
      // Weights-only fixture: the mutated bytes are the weights, the architecture file stays clean.
      options.weights = m.bytes;
      main = p.architectureBytes;
    } else if (p.architectureText !== undefined) {
      // Weights-only fixture with a model.to_json() architecture: the bytes are the weights file.
      options.architecture = p.architectureText;
    }
    if (m.architecture !== undefined) options.architecture = m.architecture;
    const km = await loadModel(main, options);
    try {
      const x = randomInputs(
        km.inputShapes,
        km.model.inputs.map((t) => t.dtype),
        r,
      );
      if (x) {
        predict(km, x);
        if (km.attentionLayers.length) attentionMaps(km, x);
      }
    } finally {
      km.dispose();
    }
    return { ...base, outcome: 'ok', ms: performance.now() - started };
  } catch (e) {
    const ms = performance.now() - started;
    if (e instanceof ImporterError || e instanceof ExplainError)
      return { ...base, outcome: 'typed', code: e.code, message: e.message.slice(0, 300), ms };
    const err = e as Error;
    return {
      ...base,
      outcome: 'crash',
      message: `${err?.name}: ${err?.message}\n${(err?.stack ?? '').split('\n').slice(1, 8).join('\n')}`.slice(0, 2000),
      ms,
    };
  } finally {
    cleanup();
  }
}

/** A small random input batch for the model (batch 1, unknown lengths 1-8), or null when huge. */
function randomInputs(shapes: (number | null)[][], dtypes: string[], r: ReturnType<typeof rng>): NdArray[] | null {
  const out: NdArray[] = [];
  for (const [i, s] of shapes.entries()) {
    const shape = s.map((d, j) => (d === null ? (j === 0 ? 1 : 1 + r.int(8)) : d));
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(size <= 1_000_000)) return null;
    const data =
      dtypes[i] === 'int32'
        ? Int32Array.from({ length: size }, () => r.int(2))
        : Float32Array.from({ length: size }, () => r.next() * 2 - 1);
    out.push({ data, shape });
  }
  return out;
}

// Run as a child process: answer { index } messages from the parent.
if (process.send) {
  const quiet = () => {};
  console.warn = quiet;
  console.log = quiet;
  let seedValue = 0;
  let readMs = 2500;
  process.on(
    'message',
    async (msg: { type: 'init'; seed: number; readMs: number } | { type: 'run'; index: number }) => {
      if (msg.type === 'init') {
        seedValue = msg.seed;
        readMs = msg.readMs;
        await prepare();
        process.send!({ type: 'ready' });
        return;
      }
      const res = await runOne(
        seedValue,
        msg.index,
        (fixture, mutation, bytes) => process.send!({ type: 'start', index: msg.index, fixture, mutation, bytes }),
        readMs,
      );
      process.send!({ type: 'result', result: res });
    },
  );
}
