/**
 * Speed suite (issue 6): Keraspect against PyTorch on the same CPU, same architecture, same weights.
 *
 * Models: the seed model Input(240, 4) → LSTM(60, return_sequences) → SeqSelfAttention(additive,
 * units 32, return_attention) → Concatenate([rnn, attention]) → Flatten → Dense(1), written as a
 * Keras 2.3.1 functional config, with seeded random weights; the same with GRU(64); and the
 * EQTransformer fixture for load time. The peer is bench/peer/torch_peer.py (a child process that
 * loads the same weights from .npy files); its outputs are compared with ours before timing.
 * Timings are medians of `runs` runs, ours and the peer's interleaved. Peak RSS is measured in a
 * fresh child process per workload (build the model, run the workload once, read maxRSS).
 *
 * `pnpm bench speed` (through bench/run.ts) or standalone: `pnpm tsx bench/speed.ts [--runs N]
 * [--json] [--no-rss]`. `KERASPECT_BENCH_PYTHON=/path/python3` picks the peer's interpreter
 * (`none` skips the peer); `KERASPECT_BENCH_INSTALL=1` lets the bench `apt-get install
 * python3-torch` when no interpreter has torch.
 */
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  attentionMaps,
  backend,
  initBackend,
  type KerasModel,
  loadModel,
  modelFromConfig,
  readNpy,
  toFloat32,
  writeNpy,
} from '@keraspect/importer';
import { createExplainer } from '@keraspect/explain';
import { attentionLstmConfig, mulberry32 } from '../scripts/lib/attention-lstm.ts';
import { type BenchResult, machine, median } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const T = 240;
const F = 4;
const ATT_UNITS = 32;
const IG_STEPS = 50;
const IG_SEQUENCES = 8;
/** (sequence, alpha) pairs per forward/backward pass in integrated gradients, ours and the peer's. */
const IG_BATCH = 100;
const EQT = 'eqt_blockly_usgs_d_p_s_k2.3.1.h5';

/** One row of the speed table (the `--json` workload shape of issue 6). */
export interface SpeedResult extends BenchResult {
  peer_ms: number | null;
  /** Keraspect / PyTorch; below 1 means Keraspect is faster. */
  ratio: number | null;
  /** Achieved GFLOP/s of Keraspect (analytic FLOP count of the workload / median time). */
  gflops: number | null;
  /** Peak RSS (MiB) of a fresh Keraspect child process that builds the model and runs the workload once. */
  peak_rss_mb: number | null;
  /** The same for the PyTorch peer. */
  peer_peak_rss_mb: number | null;
  /** max |ours − peer| / max |peer| on the workload's result (null when not compared). */
  peer_rel_diff: number | null;
  /** Sequences per second (sequences of the workload / median time). */
  seq_per_s: number | null;
}

type Kind = 'lstm' | 'gru';
type PeerWorkload = 'forward' | 'gradxinput' | 'ig' | 'attention';
type InputName = 'b1' | 'b32' | 'ig8';

interface Workload {
  name: string;
  kind: Kind | null;
  peer: PeerWorkload | null;
  input: InputName | null;
  /** FLOPs of one run (forward = multiply-adds × 2; backward counted as 2× forward). */
  flops: number;
  ours: (km: KerasModel | null, x: tf.Tensor | null) => Float32Array | null | Promise<Float32Array | null>;
  /** Sequences one run processes (for sequences per second). */
  sequences?: number;
  /** Only its peak RSS is measured (memory scaling checks), not its time. */
  memoryOnly?: boolean;
}

const units = (kind: Kind) => (kind === 'lstm' ? 60 : 64);
const batchOf: Record<InputName, number> = { b1: 1, b32: 32, ig8: IG_SEQUENCES };

/** Forward FLOPs of one sequence through the seed model (and of its attention maps alone). */
function seedFlops(kind: Kind): { forward: number; attention: number } {
  const u = units(kind);
  const gates = kind === 'lstm' ? 4 : 3;
  const rnn = 2 * T * (F + u) * gates * u;
  const projections = 2 * 2 * T * u * ATT_UNITS;
  const scores = 4 * T * T * ATT_UNITS; // add, tanh, multiply, accumulate
  const softmax = 5 * T * T;
  const mix = 2 * T * T * u;
  const dense = 2 * T * 2 * u;
  return {
    forward: rnn + projections + scores + softmax + mix + dense,
    attention: rnn + projections + scores + softmax,
  };
}

export function seedConfig(kind: Kind) {
  return attentionLstmConfig({
    name: `seed_${kind}`,
    steps: T,
    features: F,
    rnn:
      kind === 'lstm'
        ? {
            className: 'LSTM',
            name: 'rnn',
            config: { units: 60, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true },
          }
        : {
            className: 'GRU',
            name: 'rnn',
            config: {
              units: 64,
              activation: 'tanh',
              recurrent_activation: 'sigmoid',
              use_bias: true,
              reset_after: true,
            },
          },
    attentionUnits: ATT_UNITS,
    outputName: 'dense',
  });
}

/** The seed model with seeded uniform weights (±√(3/fan-in), biases small); the weights are also written as .npy for the peer. */
async function seedModel(kind: Kind, dir: string): Promise<KerasModel> {
  const km = await modelFromConfig(seedConfig(kind) as never, { kerasVersion: '2.3.1' });
  const r = mulberry32(kind === 'lstm' ? 7 : 8);
  mkdirSync(dir, { recursive: true });
  const manifest: { key: string; file: string; shape: number[] }[] = [];
  for (const layerName of ['rnn', 'attention', 'dense']) {
    const l = km.model.getLayer(layerName);
    const vals = l.weights.map((v) => {
      const shape = v.shape as number[];
      const fanIn = shape.length > 1 ? shape[0] : 1;
      const scale = shape.length > 1 ? Math.sqrt(3 / fanIn) : 0.1;
      return tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale),
        shape,
      );
    });
    l.setWeights(vals);
    l.weights.forEach((v, i) => {
      // rnn/kernel, attention/Wt (from attention_Add_Wt), dense/bias, …
      const short = v.originalName
        .split('/')
        .pop()!
        .replace(/:\d+$/, '')
        .replace(/^.*_Add_/, '');
      const key = `${layerName}/${short}`;
      const file = `${key.replace('/', '__')}.npy`;
      writeFileSync(join(dir, file), writeNpy({ data: vals[i].dataSync() as Float32Array, shape: vals[i].shape }));
      manifest.push({ key, file, shape: vals[i].shape });
    });
    tf.dispose(vals);
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ weights: manifest }, null, 1));
  return km;
}

function seededInput(batch: number, seed: number): tf.Tensor {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return tf.tensor3d(Float32Array.from({ length: batch * T * F }, gauss), [batch, T, F]);
}

const read = (t: tf.Tensor): Float32Array => {
  const d = t.dataSync() as Float32Array;
  t.dispose();
  return d;
};

function inputGradient(km: KerasModel, x: tf.Tensor): tf.Tensor {
  return tf.grad((z: tf.Tensor) => tf.sum(km.model.apply(z) as tf.Tensor))(x);
}

/**
 * Integrated gradients as users run it: explain's `integratedGradients` (zero baseline, midpoint
 * rule, IG_BATCH (sequence, α) rows per pass, convergence delta included), explaining the single
 * output unit the peer sums.
 */
async function explainIG(km: KerasModel, x: tf.Tensor, steps = IG_STEPS): Promise<Float32Array> {
  const r = await createExplainer('integratedGradients', km, {
    steps,
    rule: 'middle',
    target: 0,
    internalBatchSize: IG_BATCH,
  }).attribute({ data: x.dataSync() as Float32Array, shape: x.shape });
  return r.attributions[0].data as Float32Array;
}

/** gradient×input as users run it (explain's `gradientXInput`, one pass of 32). */
async function explainGxI(km: KerasModel, x: tf.Tensor): Promise<Float32Array> {
  const r = await createExplainer('gradientXInput', km, { target: 0, internalBatchSize: 32 }).attribute({
    data: x.dataSync() as Float32Array,
    shape: x.shape,
  });
  return r.attributions[0].data as Float32Array;
}

/** Integrated gradients from a zero baseline, midpoint rule, all (sequence, alpha) pairs in batches of IG_BATCH. */
function integratedGradients(km: KerasModel, x: tf.Tensor): tf.Tensor {
  const [n, t, f] = x.shape as [number, number, number];
  const alphas = tf.div(tf.add(tf.range(0, IG_STEPS), 0.5), IG_STEPS);
  const path = tf.reshape(tf.mul(tf.reshape(alphas, [1, IG_STEPS, 1, 1]), tf.expandDims(x, 1)), [n * IG_STEPS, t, f]);
  const grads: tf.Tensor[] = [];
  for (let i = 0; i < n * IG_STEPS; i += IG_BATCH) {
    const chunk = tf.slice(path, [i, 0, 0], [Math.min(IG_BATCH, n * IG_STEPS - i), t, f]);
    grads.push(tf.tidy(() => inputGradient(km, chunk)));
    chunk.dispose();
  }
  const out = tf.tidy(() => tf.mul(tf.mean(tf.reshape(tf.concat(grads), [n, IG_STEPS, t, f]), 1), x));
  tf.dispose([alphas, path, ...grads]);
  return out;
}

function workloads(): Workload[] {
  const list: Workload[] = [];
  for (const kind of ['lstm', 'gru'] as const) {
    const label = kind === 'lstm' ? 'LSTM(60)' : 'GRU(64)';
    const fl = seedFlops(kind);
    list.push(
      {
        name: `${label} forward b1`,
        kind,
        peer: 'forward',
        input: 'b1',
        sequences: 1,
        flops: fl.forward,
        ours: (km, x) => read(tf.tidy(() => km!.model.predict(x!, { batchSize: 1 }) as tf.Tensor)),
      },
      {
        name: `${label} forward b32`,
        kind,
        peer: 'forward',
        input: 'b32',
        sequences: 32,
        flops: 32 * fl.forward,
        ours: (km, x) => read(tf.tidy(() => km!.model.predict(x!, { batchSize: 32 }) as tf.Tensor)),
      },
      {
        name: `${label} gradient×input b32`,
        kind,
        peer: 'gradxinput',
        input: 'b32',
        sequences: 32,
        flops: 3 * 32 * fl.forward,
        ours: (km, x) => explainGxI(km!, x!),
      },
      {
        name: `${label} IG 50 steps × 8`,
        kind,
        peer: 'ig',
        input: 'ig8',
        sequences: IG_SEQUENCES,
        flops: 3 * IG_STEPS * IG_SEQUENCES * fl.forward,
        ours: (km, x) => explainIG(km!, x!),
      },
      // Memory check: IG works in internal batches, so 4× the steps must not need more memory.
      {
        name: `${label} IG 200 steps × 8 (memory only)`,
        kind,
        peer: null,
        input: 'ig8',
        memoryOnly: true,
        flops: 0,
        ours: (km, x) => explainIG(km!, x!, 4 * IG_STEPS),
      },
      {
        name: `${label} attention maps b32`,
        kind,
        peer: 'attention',
        input: 'b32',
        sequences: 32,
        flops: 32 * fl.attention,
        ours: (km, x) =>
          toFloat32(attentionMaps(km!, { data: x!.dataSync() as Float32Array, shape: x!.shape })[0].array),
      },
    );
  }
  return list;
}

function fixturesModelsDir(): string | null {
  const d = process.env.KERASPECT_FIXTURES ?? join(here, '..', '..', 'shared', 'fixtures');
  return existsSync(join(d, 'models', EQT)) ? join(d, 'models') : null;
}

/** A python3 that has torch, installing Debian's python3-torch first when allowed. */
function findPython(): string | null {
  const forced = process.env.KERASPECT_BENCH_PYTHON;
  if (forced === 'none') return null;
  const candidates = forced ? [forced] : ['python3', '/usr/bin/python3'];
  const ok = (p: string) => spawnSync(p, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
  for (const p of candidates) if (ok(p)) return p;
  if (process.env.KERASPECT_BENCH_INSTALL === '1') {
    try {
      execFileSync('apt-get', ['install', '-y', 'python3-torch', 'python3-numpy'], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch {
      return null;
    }
    for (const p of [...candidates, '/usr/bin/python3']) if (ok(p)) return p;
  }
  return null;
}

/** The PyTorch child process, one JSON request/answer per line. */
class Peer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: ((line: string) => void)[] = [];
  constructor(readonly python: string) {
    this.proc = spawn(python, [join(here, 'peer', 'torch_peer.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d) => process.stderr.write(d));
    this.proc.stdout.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      let i: number;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
  }
  ask(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiting.push((line) => {
        const ans = JSON.parse(line) as Record<string, unknown>;
        if (ans.error) reject(new Error(`PyTorch peer: ${ans.error}`));
        else resolve(ans);
      });
      this.proc.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }
  close(): void {
    this.proc.stdin.end();
  }
}

function rss(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Peak RSS (MiB) of fresh child processes running one workload once: ours and the peer's. */
function childRss(w: Workload, dir: string, python: string | null): { ours: number | null; peer: number | null } {
  const self = fileURLToPath(import.meta.url);
  const parse = (out: string) => {
    const m = out.trim().split('\n').pop();
    try {
      return (JSON.parse(m ?? '') as { peak_mb: number }).peak_mb;
    } catch {
      return null;
    }
  };
  const env = { ...process.env, KERASPECT_BACKEND: backend() };
  const ours = spawnSync(process.execPath, ['--import', 'tsx', self, '--rss-child', w.name, '--dir', dir], {
    encoding: 'utf8',
    env,
    cwd: join(here, '..'),
    maxBuffer: 1 << 24,
  });
  let peer: number | null = null;
  if (python && w.peer && w.kind && w.input) {
    const p = spawnSync(
      python,
      [
        join(here, 'peer', 'torch_peer.py'),
        '--rss',
        w.name,
        w.kind,
        join(dir, w.kind),
        w.peer,
        join(dir, `${w.input}.npy`),
      ],
      { encoding: 'utf8' },
    );
    peer = parse(p.stdout);
  }
  return { ours: parse(ours.stdout), peer };
}

async function prepare(dir: string, kinds: Kind[]) {
  const models = new Map<Kind, KerasModel>();
  for (const kind of kinds) models.set(kind, await seedModel(kind, join(dir, kind)));
  const inputs = new Map<InputName, tf.Tensor>();
  for (const [name, seed] of [
    ['b1', 11],
    ['b32', 12],
    ['ig8', 13],
  ] as const) {
    const x = seededInput(batchOf[name], seed);
    writeFileSync(join(dir, `${name}.npy`), writeNpy({ data: x.dataSync() as Float32Array, shape: x.shape }));
    inputs.set(name, x);
  }
  return { models, inputs };
}

/** Options of {@link benchSpeed}. */
export interface SpeedOptions {
  /** Measure peak RSS in child processes (slower). Default true. */
  rss?: boolean;
  /** Only workloads whose name contains this. */
  filter?: string;
  /** Progress lines on stderr. Default false. */
  verbose?: boolean;
}

/** The machine's peak as estimated by the peer (PyTorch sgemm 2048²), if a peer is available. */
export let peakNote: string | null = null;

/** Run the speed suite; see the module comment. */
export async function benchSpeed(runs: number, options: SpeedOptions = {}): Promise<SpeedResult[]> {
  const { rss: measureRss = true, filter, verbose = false } = options;
  const log = (s: string) => verbose && process.stderr.write(`${s}\n`);
  await initBackend();
  const dir = join(tmpdir(), `keraspect-speed-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const chosen = workloads().filter((w) => !filter || w.name.includes(filter));
  const { models, inputs } = await prepare(dir, ['lstm', 'gru']);
  const python = findPython();
  const peer = python ? new Peer(python) : null;
  const results: SpeedResult[] = [];
  try {
    if (peer) {
      const p = await peer.ask({ cmd: 'peak' });
      peakNote = `machine peak ≈ ${(p.gflops as number).toFixed(0)} GFLOP/s (PyTorch ${p.torch} sgemm 2048², ${p.threads} thread${p.threads === 1 ? '' : 's'}, measured once)`;
      for (const kind of models.keys()) await peer.ask({ cmd: 'load', name: kind, kind, dir: join(dir, kind) });
    }
    for (const w of chosen) {
      const km = w.kind ? models.get(w.kind)! : null;
      const x = w.input ? inputs.get(w.input)! : null;
      if (w.memoryOnly) {
        if (measureRss)
          results.push({
            name: w.name,
            ms: Number.NaN,
            peer_ms: null,
            ratio: null,
            gflops: null,
            peak_rss_mb: childRss(w, dir, null).ours,
            peer_peak_rss_mb: null,
            peer_rel_diff: null,
            seq_per_s: null,
          });
        continue;
      }
      const ours = await w.ours(km, x); // warm-up, and the result to compare
      let rel: number | null = null;
      const peerReq = peer && w.peer ? { name: w.kind, workload: w.peer, input: join(dir, `${w.input}.npy`) } : null;
      if (peer && peerReq && ours) {
        const out = join(dir, 'peer-out.npy');
        await peer.ask({ cmd: 'save', ...peerReq, out });
        const theirs = toFloat32(readNpy(new Uint8Array(readFileSync(out))));
        let maxAbs = 0;
        let maxRef = 0;
        for (let i = 0; i < theirs.length; i++) {
          maxAbs = Math.max(maxAbs, Math.abs(ours[i] - theirs[i]));
          maxRef = Math.max(maxRef, Math.abs(theirs[i]));
        }
        rel = theirs.length === ours.length ? maxAbs / (maxRef || 1) : Number.POSITIVE_INFINITY;
        if (!(rel < 1e-3))
          throw new Error(
            `Workload '${w.name}': Keraspect and PyTorch disagree (max |Δ| / max |peer| = ${rel}); not timing a different computation.`,
          );
      }
      const oursMs: number[] = [];
      const peerMs: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        await w.ours(km, x);
        oursMs.push(performance.now() - t0);
        if (peer && peerReq) peerMs.push((await peer.ask({ cmd: 'run', ...peerReq })).ms as number);
      }
      if (w.kind === null) {
        // load: not a tensor workload
      }
      const ms = median(oursMs);
      const peerMedian = peerMs.length ? median(peerMs) : null;
      const mem = measureRss ? childRss(w, dir, peer ? python : null) : { ours: null, peer: null };
      results.push({
        name: w.name,
        ms,
        peer_ms: peerMedian,
        ratio: peerMedian ? ms / peerMedian : null,
        gflops: w.flops ? w.flops / (ms * 1e6) : null,
        peak_rss_mb: mem.ours,
        peer_peak_rss_mb: mem.peer,
        peer_rel_diff: rel,
        seq_per_s: w.sequences ? w.sequences / (ms / 1000) : null,
      });
      log(`${w.name}: ${ms.toFixed(1)} ms vs ${peerMedian?.toFixed(1) ?? '—'} ms`);
    }
    const eqtDir = fixturesModelsDir();
    if (eqtDir && (!filter || 'load EQTransformer'.includes(filter))) {
      const bytes = new Uint8Array(readFileSync(join(eqtDir, EQT)));
      const once = async () => (await loadModel(bytes, { selfAttentionVariant: 'legacy' })).dispose();
      await once();
      const ts: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        await once();
        ts.push(performance.now() - t0);
      }
      const name = 'load EQTransformer (151 layers)';
      const mem = measureRss
        ? childRss({ name, kind: null, peer: null, input: null, flops: 0, ours: () => null }, dir, null)
        : { ours: null };
      results.push({
        name,
        ms: median(ts),
        peer_ms: null,
        ratio: null,
        gflops: null,
        peak_rss_mb: mem.ours,
        peer_peak_rss_mb: null,
        peer_rel_diff: null,
        seq_per_s: null,
      });
    }
  } finally {
    peer?.close();
    for (const km of models.values()) km.dispose();
    tf.dispose([...inputs.values()]);
  }
  return results;
}

/** Child mode: build what one workload needs, run it once, print peak RSS as JSON. */
async function rssChild(name: string, dir: string): Promise<void> {
  await initBackend();
  if (name.startsWith('load ')) {
    const bytes = new Uint8Array(readFileSync(join(fixturesModelsDir()!, EQT)));
    const base = rss();
    (await loadModel(bytes, { selfAttentionVariant: 'legacy' })).dispose();
    console.log(JSON.stringify({ base_mb: base, peak_mb: rss() }));
    return;
  }
  const w = workloads().find((v) => v.name === name)!;
  const km = await modelFromConfig(seedConfig(w.kind!) as never, { kerasVersion: '2.3.1' });
  const nd = readNpy(new Uint8Array(readFileSync(join(dir, `${w.input}.npy`))));
  const x = tf.tensor(toFloat32(nd), nd.shape);
  const base = rss();
  await w.ours(km, x);
  console.log(JSON.stringify({ base_mb: base, peak_mb: rss() }));
}

/** Markdown table of the results. */
export function speedTable(results: SpeedResult[]): string {
  const f = (v: number | null, d = 1) => (v === null ? '—' : v.toFixed(d));
  const ms = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(1));
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${ms(r.ms)} | ${f(r.seq_per_s, 1)} | ${f(r.peer_ms)} | ${f(r.ratio, 2)} | ${f(r.gflops, 2)} | ${f(r.peak_rss_mb, 0)} | ${f(r.peer_peak_rss_mb, 0)} |`,
  );
  return [
    '| workload | Keraspect (ms) | sequences/s | PyTorch (ms) | ratio | GFLOP/s | peak RSS (MiB) | PyTorch peak RSS (MiB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      runs: { type: 'string', default: '5' },
      'no-rss': { type: 'boolean' },
      'rss-child': { type: 'string' },
      dir: { type: 'string' },
      filter: { type: 'string' },
    },
  });
  const quiet = console.log;
  console.log = (...a: unknown[]) =>
    typeof a[0] === 'string' && /tfjs-node|^=+$|^\s*$/.test(a[0]) ? undefined : quiet(...a);
  if (values['rss-child']) {
    await rssChild(values['rss-child'], values.dir!);
  } else {
    const results = await benchSpeed(Math.max(1, Number(values.runs)), {
      rss: !values['no-rss'],
      filter: values.filter,
      verbose: !values.json,
    });
    const m = `${machine()}; backend ${backend()}${peakNote ? `; ${peakNote}` : ''}`;
    if (values.json)
      console.log(
        JSON.stringify({
          machine: m,
          workloads: results.map(({ ms, ...r }) => ({
            name: r.name,
            keraspect_ms: Number.isNaN(ms) ? null : ms,
            peer_ms: r.peer_ms,
            ratio: r.ratio,
            gflops: r.gflops,
            peak_rss_mb: r.peak_rss_mb,
            peer_peak_rss_mb: r.peer_peak_rss_mb,
            peer_rel_diff: r.peer_rel_diff,
            sequences_per_s: r.seq_per_s,
          })),
        }),
      );
    else console.log(`${m}\n\n${speedTable(results)}`);
  }
}
