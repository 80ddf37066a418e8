/**
 * Speed suite: Keraspect against PyTorch and ONNX Runtime on the same CPU, same architecture, same
 * weights, same inputs, same thread counts.
 *
 * Models: the seed model Input(240, 4) → LSTM(60, return_sequences) → SeqSelfAttention(additive,
 * units 32, return_attention) → Concatenate([rnn, attention]) → Flatten → Dense(1), written as a
 * Keras 2.3.1 functional config, with seeded random weights; the same with GRU(64); and the
 * EQTransformer fixture for load time. Peers: bench/peer/torch_peer.py (a child process per thread
 * count that loads the same weights from .npy files) and ONNX Runtime (`onnxruntime-node`, in this
 * process) running the ONNX file that the PyTorch peer exports from its twin with
 * `torch.onnx.export`. Every peer's output is compared with ours before timing. Timings are medians
 * of `runs` runs (8× for batch 1), ours and the peers' interleaved, wall and CPU time. Peak RSS is
 * measured in a fresh child process per workload (build the model, run the workload once, read
 * maxRSS).
 *
 * `pnpm bench speed` (through bench/run.ts) or standalone: `pnpm tsx bench/speed.ts [--runs N]
 * [--json] [--no-rss] [--settle-ms N]`. `KERASPECT_BENCH_PYTHON=/path/python3` picks the peer's interpreter
 * (`none` skips the peer); `KERASPECT_BENCH_INSTALL=1` lets the bench `apt-get install
 * python3-torch` when no interpreter has torch.
 */
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  backend,
  initBackend,
  type KernelInstructionSet,
  kernelInstructionSet,
  type KerasModel,
  loadModel,
  type ModelPool,
  type ModelSource,
  modelFromConfig,
  predict,
  readNpy,
  toFloat32,
  toKerasH5,
  writeNpy,
} from '@keraspect/importer';
import {
  attentionMaps,
  attentionMapsInPool,
  attributeInPool,
  createExplainPool,
  createExplainer,
} from '@keraspect/explain';
import { attentionLstmConfig, mulberry32 } from '../scripts/lib/attention-lstm.ts';
import { type BenchResult, machine, median } from './harness.ts';
import { wasmSimdPeak } from './wasm-peak/measure.ts';
import { loadOrt, OrtPeer, ortVersion } from './peer/onnx-peer.ts';
import { configureFromEnv } from '@keraspect/cli';

const here = dirname(fileURLToPath(import.meta.url));
const T = 240;
const F = 4;
const ATT_UNITS = 32;
const IG_STEPS = 50;
const IG_SEQUENCES = 8;
/** (sequence, alpha) pairs per forward/backward pass in integrated gradients, ours and the peer's. */
const IG_BATCH = 100;
/** Calls of each kind a new pool runs before it is timed (see poolFor). */
const POOL_WARMUP = 20;
const EQT = 'eqt_blockly_usgs_d_p_s_k2.3.1.h5';

/** One row of the speed table; the field names are those of `pnpm bench --json`. */
export interface SpeedResult extends BenchResult {
  /** Threads every side ran with (Keraspect workers, torch/OpenBLAS threads, ONNX Runtime intra-op threads). */
  threads: number;
  pytorch_ms: number | null;
  onnxruntime_ms: number | null;
  /** Keraspect / PyTorch; below 1 means Keraspect is faster. */
  ratio_pytorch: number | null;
  /** Keraspect / ONNX Runtime. */
  ratio_onnxruntime: number | null;
  /** Achieved GFLOP/s of Keraspect (analytic FLOP count of the workload / median time). */
  gflops: number | null;
  /** The machine's peak (PyTorch sgemm 2048² on all cores), measured in this run. */
  machine_peak_gflops: number | null;
  /** The same sgemm's GFLOP/s at this row's thread count (a 1-thread row against one core's peak). */
  threads_peak_gflops: number | null;
  /** WebAssembly SIMD128's arithmetic peak at this row's thread count (bench/wasm-peak), measured in this run. */
  wasm_peak_gflops?: number | null;
  /** Peak RSS (MiB) of a fresh Keraspect child process that builds the model and runs the workload once. */
  peak_rss_mb: number | null;
  /** The same for the PyTorch peer. */
  pytorch_peak_rss_mb: number | null;
  /** max |ours − peer| / max |peer| on the workload's result (null when not compared). */
  pytorch_rel_diff: number | null;
  onnxruntime_rel_diff: number | null;
  /** Sequences per second (sequences of the workload / median time). */
  sequences_per_s: number | null;
  /**
   * Median CPU time of one run (all threads of the process: Keraspect's workers, ORT's intra-op
   * threads, PyTorch's OpenBLAS threads), which load on a shared machine inflates far less than
   * wall time; for 2-thread rows it measures work, not latency.
   */
  keraspect_cpu_ms: number | null;
  /**
   * Median CPU time of Keraspect's busiest thread in a run (Linux: /proc/self/task): the main
   * thread at 1 thread, the busier pool worker at 2. On an idle machine a 2-thread run's wall time
   * approaches it; on a shared one it shows how evenly the work split whatever the load.
   */
  keraspect_busiest_thread_cpu_ms: number | null;
  pytorch_cpu_ms: number | null;
  onnxruntime_cpu_ms: number | null;
  /** Keraspect CPU time / the peer's CPU time, run for run in the same interleaved loop. */
  cpu_ratio_pytorch: number | null;
  cpu_ratio_onnxruntime: number | null;
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
  /** Keraspect's run; `pool` (2-thread rows) is a model pool of that many workers holding the same model. */
  ours: (
    km: KerasModel | null,
    x: tf.Tensor | null,
    pool: ModelPool | null,
  ) => Float32Array | null | Promise<Float32Array | null>;
  /** Threads on every side. */
  threads: number;
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

/** The seed model as a pool loads it in each worker: its config and the weights of this instance. */
function poolSource(km: KerasModel, kind: Kind): ModelSource {
  const weights: Record<string, { data: Float32Array; shape: number[] }[]> = {};
  for (const l of km.model.layers)
    weights[l.name] = l.getWeights().map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
  return { config: seedConfig(kind) as never, weights, options: { kerasVersion: '2.3.1' } };
}

function seededInput(batch: number, seed: number): tf.Tensor {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return tf.tensor3d(Float32Array.from({ length: batch * T * F }, gauss), [batch, T, F]);
}

const ndOf = (x: tf.Tensor) => ({ data: x.dataSync() as Float32Array, shape: x.shape });

/** The model's prediction as users get it: the importer's `predict` on a plain array. */
function forward(km: KerasModel, x: tf.Tensor): Float32Array {
  return predict(km, ndOf(x))[0].data as Float32Array;
}

/**
 * Integrated gradients as users run it: explain's `integratedGradients` (zero baseline, midpoint
 * rule, IG_BATCH (sequence, α) rows per pass, convergence delta included), explaining the single
 * output unit the peer sums.
 */
async function explainIG(km: KerasModel, x: tf.Tensor, steps = IG_STEPS): Promise<Float32Array> {
  const r = await createExplainer('integratedGradients', km, { ...IG_OPTIONS, steps }).attribute(ndOf(x));
  return r.attributions[0].data as Float32Array;
}

/** gradient×input as users run it (explain's `gradientXInput`, one pass of 32). */
async function explainGxI(km: KerasModel, x: tf.Tensor): Promise<Float32Array> {
  const r = await createExplainer('gradientXInput', km, GXI_OPTIONS).attribute(ndOf(x));
  return r.attributions[0].data as Float32Array;
}

const GXI_OPTIONS = { target: 0, internalBatchSize: 32 };
const IG_OPTIONS = { steps: IG_STEPS, rule: 'middle', target: 0, internalBatchSize: IG_BATCH } as const;

/** The same runs on a pool's workers (samples split evenly between them). */
const pooled = {
  forward: async (pool: ModelPool, x: tf.Tensor) => (await pool.predict(ndOf(x)))[0].data as Float32Array,
  gxi: async (pool: ModelPool, x: tf.Tensor) =>
    (await attributeInPool(pool, 'gradientXInput', ndOf(x), GXI_OPTIONS)).attributions[0].data as Float32Array,
  ig: async (pool: ModelPool, x: tf.Tensor) =>
    (await attributeInPool(pool, 'integratedGradients', ndOf(x), IG_OPTIONS)).attributions[0].data as Float32Array,
  attention: async (pool: ModelPool, x: tf.Tensor) => toFloat32((await attentionMapsInPool(pool, ndOf(x)))[0].array),
};

function workloads(): Workload[] {
  const list: Omit<Workload, 'threads'>[] = [];
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
        ours: (km, x) => forward(km!, x!),
      },
      {
        name: `${label} forward b32`,
        kind,
        peer: 'forward',
        input: 'b32',
        sequences: 32,
        flops: 32 * fl.forward,
        ours: (km, x) => forward(km!, x!),
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
        ours: (km, x) => toFloat32(attentionMaps(km!, ndOf(x!))[0].array),
      },
    );
  }
  const one = list.map((w) => ({ ...w, threads: 1 }));
  // Both cores: the batch workloads split over a 2-worker pool. At batch 1 there is no parallel work,
  // so Keraspect runs its one-thread path while the peers get 2 threads.
  const two: Workload[] = [];
  const onPool = { forward: pooled.forward, gradxinput: pooled.gxi, ig: pooled.ig, attention: pooled.attention };
  for (const w of one) {
    if (!w.kind || w.memoryOnly || !w.peer) continue;
    const split = onPool[w.peer];
    const run =
      w.input === 'b1'
        ? w.ours
        : (_km: KerasModel | null, x: tf.Tensor | null, pool: ModelPool | null) => split(pool!, x!);
    two.push({ ...w, name: `${w.name} [2 threads]`, threads: 2, ours: run });
  }
  return [...one, ...two];
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

/** Environment that pins a child's BLAS/OpenMP pools to `threads` (torch.set_num_threads alone does not reach OpenBLAS). */
function threadEnv(threads: number): NodeJS.ProcessEnv {
  const n = String(threads);
  return { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n };
}

/** The PyTorch child process (one per thread count), one JSON request/answer per line. */
class Peer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: ((line: string) => void)[] = [];
  constructor(
    readonly python: string,
    readonly threads: number,
  ) {
    this.proc = spawn(python, [join(here, 'peer', 'torch_peer.py')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: threadEnv(threads),
    });
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

/** CPU time (ms) of each thread of this process so far, by thread id; empty where /proc/self/task is missing. */
function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const t of readdirSync('/proc/self/task'))
      try {
        out.set(t, Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
      } catch {
        // the thread ended meanwhile
      }
  } catch {
    // not Linux
  }
  return out;
}

/** The largest per-thread CPU time (ms) between two {@link threadCpuMs} readings, or null without them. */
function busiestThread(before: Map<string, number>, after: Map<string, number>): number | null {
  let top: number | null = null;
  for (const [t, v] of after) top = Math.max(top ?? 0, v - (before.get(t) ?? 0));
  return top;
}

/** CPU time of this process so far (every thread: main, pool workers, ONNX Runtime's), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Peak RSS of this process (MiB): `VmHWM` of /proc/self/status, the high-water mark of this process image
 * alone. `resourceUsage().maxRSS` is not: Linux keeps the largest RSS across execve, so a child spawned by a
 * big parent would report the parent's memory.
 */
function rss(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Peak RSS (MiB) of fresh child processes running one workload once: ours and the PyTorch peer's. */
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
        String(w.threads),
      ],
      { encoding: 'utf8', env: threadEnv(w.threads) },
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
  /** Sequences of the dataset workload (`keraspect predict` streaming a .npy); 0 skips it. Default 100 000. */
  streamSequences?: number;
  /**
   * Pause (ms) before each side's timed run in multi-thread rows, so no side's pool threads still
   * busy-wait from the previous side's run: after a 2-thread run PyTorch's OpenBLAS threads burned
   * 70–100 ms of a core in the next 150 ms and ONNX Runtime's intra-op pool 7–25 ms (measured on
   * this machine), which would run during the next side's timed run (ONNX Runtime's, in this
   * process, also counted in our CPU time). 0 times the sides back to back. Default 200.
   */
  settleMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the run measured about the machine and the peers (null fields: that peer is absent). */
export interface SpeedMachine {
  /** PyTorch sgemm 2048² GFLOP/s per thread count. */
  peakGflops: Record<number, number>;
  /** WebAssembly multiply-add loop GFLOP/s per thread count (bench/wasm-peak), of `kernels`' instruction set. */
  wasmPeakGflops: Record<number, number>;
  /** The instruction set the fused kernels ran on. */
  kernels: KernelInstructionSet | null;
  torch: string | null;
  onnxruntime: string | null;
}

/** The machine and peers of the last {@link benchSpeed} run. */
export const speedMachine: SpeedMachine = {
  peakGflops: {},
  wasmPeakGflops: {},
  kernels: null,
  torch: null,
  onnxruntime: null,
};

/** One line describing the peers and the measured peak. */
export function peakNote(): string | null {
  const list = (p: Record<number, number>) =>
    Object.keys(p)
      .map(Number)
      .map((t) => `${p[t].toFixed(0)} GFLOP/s on ${t} thread${t === 1 ? '' : 's'}`)
      .join(', ');
  const wasm = list(speedMachine.wasmPeakGflops);
  const wasmNote = wasm
    ? `WebAssembly ${speedMachine.kernels === 'relaxed-simd' ? 'relaxed SIMD (fused multiply-add)' : 'SIMD128'} peak (multiply-add loop in registers, measured in this run): ${wasm}`
    : '';
  if (!Object.keys(speedMachine.peakGflops).length) return wasmNote || null;
  return `machine peak (PyTorch ${speedMachine.torch} sgemm 2048², measured in this run): ${list(speedMachine.peakGflops)}${wasm ? `; ${wasmNote}` : ''}${speedMachine.onnxruntime ? `; ONNX Runtime ${speedMachine.onnxruntime}` : '; ONNX Runtime absent'}`;
}

/** max |ours − theirs| / max |theirs|, or +∞ on a length mismatch. */
function relDiff(ours: Float32Array, theirs: Float32Array): number {
  if (ours.length !== theirs.length) return Number.POSITIVE_INFINITY;
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < theirs.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(ours[i] - theirs[i]));
    maxRef = Math.max(maxRef, Math.abs(theirs[i]));
  }
  return maxAbs / (maxRef || 1);
}

function agree(w: Workload, peer: string, rel: number): number {
  if (!(rel < 1e-3))
    throw new Error(
      `Workload '${w.name}': Keraspect and ${peer} disagree (max |Δ| / max |peer| = ${rel}); not timing a different computation.`,
    );
  return rel;
}

const emptyRow = (name: string, threads: number): SpeedResult => ({
  name,
  ms: Number.NaN,
  threads,
  pytorch_ms: null,
  onnxruntime_ms: null,
  ratio_pytorch: null,
  ratio_onnxruntime: null,
  gflops: null,
  machine_peak_gflops: null,
  threads_peak_gflops: null,
  wasm_peak_gflops: null,
  peak_rss_mb: null,
  pytorch_peak_rss_mb: null,
  pytorch_rel_diff: null,
  onnxruntime_rel_diff: null,
  sequences_per_s: null,
  keraspect_cpu_ms: null,
  keraspect_busiest_thread_cpu_ms: null,
  pytorch_cpu_ms: null,
  onnxruntime_cpu_ms: null,
  cpu_ratio_pytorch: null,
  cpu_ratio_onnxruntime: null,
});

/** Run the speed suite; see the module comment. */
export async function benchSpeed(runs: number, options: SpeedOptions = {}): Promise<SpeedResult[]> {
  const { rss: measureRss = true, filter, verbose = false, streamSequences = 100_000, settleMs = 200 } = options;
  const log = (s: string) => verbose && process.stderr.write(`${s}\n`);
  await initBackend();
  const dir = join(tmpdir(), `keraspect-speed-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const chosen = workloads().filter((w) => !filter || w.name.includes(filter));
  const { models, inputs } = await prepare(dir, ['lstm', 'gru']);
  const python = findPython();
  const torchPeers = new Map<number, Peer>();
  const torchPeer = async (threads: number) => {
    if (!python) return null;
    let p = torchPeers.get(threads);
    if (!p) {
      p = new Peer(python, threads);
      torchPeers.set(threads, p);
      await p.ask({ cmd: 'threads', n: threads });
      for (const kind of models.keys()) await p.ask({ cmd: 'load', name: kind, kind, dir: join(dir, kind) });
    }
    return p;
  };
  const ort = python ? await loadOrt() : null;
  const ortPeers = new Map<string, OrtPeer>();
  const ortPeer = async (w: Workload) => {
    if (!ort || !w.kind || (w.peer !== 'forward' && w.peer !== 'attention')) return null;
    const key = `${w.kind}-${w.peer}-${w.threads}`;
    let o = ortPeers.get(key);
    if (!o) {
      const file = join(dir, `${w.kind}-${w.peer}.onnx`);
      if (!existsSync(file))
        await (await torchPeer(1))!.ask({
          cmd: 'export',
          name: w.kind,
          workload: w.peer,
          input: join(dir, 'b1.npy'),
          out: file,
        });
      o = await OrtPeer.open(file, w.threads);
      ortPeers.set(key, o);
    }
    return o;
  };
  const pools = new Map<Kind, ModelPool>();
  const poolFor = async (w: Workload) => {
    if (w.threads === 1 || !w.kind) return null;
    let p = pools.get(w.kind);
    if (!p) {
      p = await createExplainPool(poolSource(models.get(w.kind)!, w.kind), { threads: w.threads });
      pools.set(w.kind, p);
      // A fresh worker's V8 still optimises TF.js' functions for the first time 15–44 calls in
      // (the pool helper's --trace-opt), with its compiler threads taking the cores from the
      // workers meanwhile, while this thread's TF.js is long warm from the 1-thread rows. So the
      // pool runs every kind of call it will be timed on POOL_WARMUP times before its first row.
      const b32 = inputs.get('b32')!;
      for (let i = 0; i < POOL_WARMUP; i++)
        for (const run of [pooled.forward, pooled.gxi, pooled.attention]) await run(p, b32);
    }
    return p;
  };
  const results: SpeedResult[] = [];
  try {
    if (python) {
      speedMachine.onnxruntime = ort ? ortVersion() : null;
      for (const threads of [1, 2]) {
        const p = (await torchPeer(threads))!;
        const ans = await p.ask({ cmd: 'peak', threads });
        speedMachine.peakGflops[threads] = ans.gflops as number;
        speedMachine.torch = ans.torch as string;
      }
    }
    // What any WebAssembly code could reach at most, measured next to the native sgemm peak.
    // Of the instruction set the fused kernels run (relaxed SIMD's fused multiply-add where enabled).
    speedMachine.kernels = kernelInstructionSet();
    for (const threads of [1, 2])
      speedMachine.wasmPeakGflops[threads] = await wasmSimdPeak(threads, speedMachine.kernels ?? 'simd128');
    const machinePeak = speedMachine.peakGflops[2] ?? null;
    for (const w of chosen) {
      const km = w.kind ? models.get(w.kind)! : null;
      const x = w.input ? inputs.get(w.input)! : null;
      if (w.memoryOnly) {
        if (measureRss) results.push({ ...emptyRow(w.name, w.threads), peak_rss_mb: childRss(w, dir, null).ours });
        continue;
      }
      const pool = await poolFor(w);
      const ours = await w.ours(km, x, pool); // warm-up, and the result to compare
      const tp = w.peer ? await torchPeer(w.threads) : null;
      const op = await ortPeer(w);
      const peerReq = tp && w.peer ? { name: w.kind, workload: w.peer, input: join(dir, `${w.input}.npy`) } : null;
      let relTorch: number | null = null;
      let relOrt: number | null = null;
      if (ours && tp && peerReq) {
        const out = join(dir, 'peer-out.npy');
        await tp.ask({ cmd: 'save', ...peerReq, out });
        relTorch = agree(w, 'PyTorch', relDiff(ours, toFloat32(readNpy(new Uint8Array(readFileSync(out))))));
      }
      const xData = x ? (x.dataSync() as Float32Array) : null;
      if (ours && op && x && xData) relOrt = agree(w, 'ONNX Runtime', relDiff(ours, await op.run(xData, x.shape)));
      if (op && x && xData) await op.run(xData, x.shape); // ORT warm-up (first run allocates)
      // Each thread runs its first calls slower: a fresh pool worker's 1st call took ≈ 2–2.8× the CPU
      // time of later ones (first-touch memory, JS not yet optimised) and its 2nd ≈ 1.1–1.5× (wasm
      // still in V8's baseline tier; with --no-liftoff the 2nd call was already steady), and when
      // the cores are busy the background tier-up can lag several calls more. So warm up with at
      // least 2 more calls (5 at batch 1) and until a call's CPU time stops falling (at most 6).
      let lastCpu = Number.POSITIVE_INFINITY;
      for (let r = 0; r < 6; r++) {
        const c = cpuMs();
        await w.ours(km, x, pool);
        const used = cpuMs() - c;
        if (op && x && xData) await op.run(xData, x.shape);
        if (r + 1 >= (w.input === 'b1' ? 5 : 2) && used > 0.95 * lastCpu) break;
        lastCpu = used;
      }
      const oursMs: number[] = [];
      const torchMs: number[] = [];
      const ortMs: number[] = [];
      const oursCpu: number[] = [];
      const oursTop: number[] = [];
      const torchCpu: number[] = [];
      const ortCpu: number[] = [];
      // Batch-1 runs take milliseconds, and load on a shared machine moves them most: 8× the runs.
      const n = w.input === 'b1' ? 8 * runs : runs;
      const settle = () => (w.threads > 1 && settleMs > 0 ? sleep(settleMs) : undefined);
      for (let r = 0; r < n; r++) {
        await settle();
        const threads0 = threadCpuMs();
        const c0 = cpuMs();
        const t0 = performance.now();
        await w.ours(km, x, pool);
        oursMs.push(performance.now() - t0);
        oursCpu.push(cpuMs() - c0);
        const top = busiestThread(threads0, threadCpuMs());
        if (top !== null) oursTop.push(top);
        if (tp && peerReq) {
          await settle();
          const ans = await tp.ask({ cmd: 'run', ...peerReq });
          torchMs.push(ans.ms as number);
          if (typeof ans.cpu_ms === 'number') torchCpu.push(ans.cpu_ms);
        }
        if (op && x && xData) {
          await settle();
          const c1 = cpuMs();
          const t1 = performance.now();
          await op.run(xData, x.shape);
          ortMs.push(performance.now() - t1);
          ortCpu.push(cpuMs() - c1);
        }
      }
      const ms = median(oursMs);
      const pyMs = torchMs.length ? median(torchMs) : null;
      const onnxMs = ortMs.length ? median(ortMs) : null;
      const cpu = median(oursCpu);
      const pyCpu = torchCpu.length ? median(torchCpu) : null;
      const onnxCpu = ortCpu.length ? median(ortCpu) : null;
      const mem = measureRss ? childRss(w, dir, python) : { ours: null, peer: null };
      results.push({
        name: w.name,
        ms,
        threads: w.threads,
        pytorch_ms: pyMs,
        onnxruntime_ms: onnxMs,
        ratio_pytorch: pyMs ? ms / pyMs : null,
        ratio_onnxruntime: onnxMs ? ms / onnxMs : null,
        gflops: w.flops ? w.flops / (ms * 1e6) : null,
        machine_peak_gflops: machinePeak,
        threads_peak_gflops: speedMachine.peakGflops[w.threads] ?? null,
        wasm_peak_gflops: speedMachine.wasmPeakGflops[w.threads] ?? null,
        peak_rss_mb: mem.ours,
        pytorch_peak_rss_mb: mem.peer,
        pytorch_rel_diff: relTorch,
        onnxruntime_rel_diff: relOrt,
        sequences_per_s: w.sequences ? w.sequences / (ms / 1000) : null,
        keraspect_cpu_ms: cpu,
        keraspect_busiest_thread_cpu_ms: oursTop.length ? median(oursTop) : null,
        pytorch_cpu_ms: pyCpu,
        onnxruntime_cpu_ms: onnxCpu,
        cpu_ratio_pytorch: pyCpu ? cpu / pyCpu : null,
        cpu_ratio_onnxruntime: onnxCpu ? cpu / onnxCpu : null,
      });
      log(
        `${w.name}: ${ms.toFixed(1)} ms; PyTorch ${pyMs?.toFixed(1) ?? '—'} ms; ONNX Runtime ${onnxMs?.toFixed(1) ?? '—'} ms`,
      );
    }
    const streamName = `LSTM(60) stream ${streamSequences} sequences (keraspect predict, .npy in chunks)`;
    if (streamSequences > 0 && (!filter || streamName.includes(filter))) {
      const r = await streamRun(models.get('lstm')!, dir, streamSequences, 2);
      results.push({
        ...emptyRow(streamName, 2),
        ms: r.ms,
        sequences_per_s: streamSequences / (r.ms / 1000),
        gflops: (streamSequences * seedFlops('lstm').forward) / (r.ms * 1e6),
        machine_peak_gflops: machinePeak,
        threads_peak_gflops: speedMachine.peakGflops[2] ?? null,
        wasm_peak_gflops: speedMachine.wasmPeakGflops[2] ?? null,
        peak_rss_mb: r.peakMb,
        keraspect_cpu_ms: r.cpuMs,
      });
      log(`${streamName}: ${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.peakMb?.toFixed(0)} MiB`);
    }
    const eqtDir = fixturesModelsDir();
    const name = 'load EQTransformer (151 layers)';
    if (eqtDir && (!filter || name.includes(filter))) {
      const bytes = new Uint8Array(readFileSync(join(eqtDir, EQT)));
      const once = async () => (await loadModel(bytes, { selfAttentionVariant: 'legacy' })).dispose();
      await once();
      const ts: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        await once();
        ts.push(performance.now() - t0);
      }
      const mem = measureRss
        ? childRss({ name, kind: null, peer: null, input: null, flops: 0, threads: 1, ours: () => null }, dir, null)
        : { ours: null };
      results.push({ ...emptyRow(name, 1), ms: median(ts), peak_rss_mb: mem.ours });
    }
  } finally {
    for (const p of pools.values()) await p.close();
    for (const p of torchPeers.values()) p.close();
    for (const o of ortPeers.values()) await o.close();
    for (const km of models.values()) km.dispose();
    tf.dispose([...inputs.values()]);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/**
 * The dataset workload: `n` seeded sequences written as one float32 .npy (in pieces, never whole in
 * memory), then `keraspect predict` streaming it on `threads` workers in a fresh process whose wall
 * time and peak RSS (workers included: they are threads of it) are measured.
 */
async function streamRun(km: KerasModel, dir: string, n: number, threads: number) {
  const modelPath = join(dir, 'seed-lstm.h5');
  writeFileSync(modelPath, await toKerasH5(km));
  const data = join(dir, `stream-${n}.npy`);
  const per = T * F;
  const fd = openSync(data, 'w');
  try {
    const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${T}, ${F}), }`;
    const padded = `${dict}${' '.repeat(63 - ((10 + dict.length) % 64))}\n`;
    const head = new Uint8Array(10 + padded.length);
    head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 255, padded.length >> 8]);
    for (let i = 0; i < padded.length; i++) head[10 + i] = padded.charCodeAt(i);
    writeSync(fd, head);
    const r = mulberry32(99);
    const block = 1024;
    for (let s = 0; s < n; s += block) {
      const rows = Math.min(block, n - s);
      const chunk = Float32Array.from({ length: rows * per }, () => 2 * r() - 1);
      writeSync(fd, new Uint8Array(chunk.buffer));
    }
  } finally {
    closeSync(fd);
  }
  const self = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', self, '--stream-child', modelPath, '--dir', dir, '--threads', String(threads)],
    {
      encoding: 'utf8',
      cwd: join(here, '..'),
      maxBuffer: 1 << 24,
      env: { ...process.env, KERASPECT_BACKEND: backend() },
    },
  );
  const ms = performance.now() - t0;
  if (child.status !== 0) throw new Error(`The streaming run failed:\n${child.stderr}`);
  const last = child.stdout.trim().split('\n').pop() ?? '';
  const { peak_mb: peakMb, cpu_ms: cpuMs } = JSON.parse(last) as { peak_mb: number; cpu_ms: number };
  rmSync(data, { force: true });
  rmSync(join(dir, 'stream-out.npy'), { force: true });
  return { ms, peakMb, cpuMs };
}

/** Child mode of {@link streamRun}: `keraspect predict` in this process, then its peak RSS. */
async function streamChild(modelPath: string, dir: string, threads: string): Promise<void> {
  await configureFromEnv(process.env);
  const { run } = await import('../packages/cli/src/run.ts');
  const { nodeIo } = await import('../packages/cli/src/io.ts');
  const data = readdirSync(dir).find((f) => f.startsWith('stream-') && f.endsWith('.npy'))!;
  const code = await run(
    [
      'predict',
      modelPath,
      '--input',
      join(dir, data),
      '--out',
      join(dir, 'stream-out.npy'),
      '--stream',
      '--threads',
      threads,
    ],
    { ...nodeIo, stdout: (t) => process.stderr.write(t) },
  );
  if (code !== 0) process.exit(code);
  console.log(JSON.stringify({ peak_mb: rss(), cpu_ms: cpuMs() }));
}

/** Child mode: build what one workload needs, run it once, print peak RSS as JSON. */
async function rssChild(name: string, dir: string): Promise<void> {
  await configureFromEnv(process.env); // the parent passes its backend as KERASPECT_BACKEND
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
  const pool = w.threads > 1 ? await createExplainPool(poolSource(km, w.kind!), { threads: w.threads }) : null;
  const base = rss();
  await w.ours(km, x, pool);
  await pool?.close();
  console.log(JSON.stringify({ base_mb: base, peak_mb: rss() }));
}

/** Markdown table of the results. */
export function speedTable(results: SpeedResult[]): string {
  const f = (v: number | null, d = 1) => (v === null ? '—' : v.toFixed(d));
  const ms = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(1));
  const pct = (r: SpeedResult, peak: number | null | undefined) =>
    r.gflops !== null && peak ? `${((100 * r.gflops) / peak).toFixed(1)} %` : '—';
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.threads} | ${ms(r.ms)} | ${f(r.keraspect_busiest_thread_cpu_ms ?? null)} | ${f(r.sequences_per_s, 1)} | ${f(r.pytorch_ms)} | ${f(r.ratio_pytorch, 2)} | ${f(r.onnxruntime_ms)} | ${f(r.ratio_onnxruntime, 2)} | ${f(r.cpu_ratio_pytorch ?? null, 2)} | ${f(r.cpu_ratio_onnxruntime ?? null, 2)} | ${f(r.gflops, 2)} | ${pct(r, r.machine_peak_gflops)} | ${pct(r, r.threads_peak_gflops)} | ${pct(r, r.wasm_peak_gflops)} | ${f(r.peak_rss_mb, 0)} | ${f(r.pytorch_peak_rss_mb, 0)} |`,
  );
  return [
    '| workload | threads | Keraspect (ms) | busiest thread CPU (ms) | sequences/s | PyTorch (ms) | ratio PyTorch | ONNX Runtime (ms) | ratio ONNX Runtime | CPU-time ratio PyTorch | CPU-time ratio ONNX Runtime | GFLOP/s | of machine peak | of peak at its threads | of wasm SIMD peak at its threads | peak RSS (MiB) | PyTorch peak RSS (MiB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/** The `--json` form of one row (`keraspect_ms` is null for memory-only rows). */
export function speedJson({ ms, ...r }: SpeedResult): Record<string, unknown> {
  return { ...r, keraspect_ms: Number.isNaN(ms) ? null : ms };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      runs: { type: 'string', default: '5' },
      'no-rss': { type: 'boolean' },
      'rss-child': { type: 'string' },
      'stream-child': { type: 'string' },
      threads: { type: 'string' },
      'stream-sequences': { type: 'string' },
      'settle-ms': { type: 'string' },
      dir: { type: 'string' },
      filter: { type: 'string' },
    },
  });
  const quiet = console.log;
  console.log = (...a: unknown[]) =>
    typeof a[0] === 'string' && /tfjs-node|^=+$|^\s*$/.test(a[0]) ? undefined : quiet(...a);
  if (values['stream-child']) {
    await streamChild(values['stream-child'], values.dir!, values.threads ?? '2');
  } else if (values['rss-child']) {
    await rssChild(values['rss-child'], values.dir!);
  } else {
    await configureFromEnv(process.env);
    const results = await benchSpeed(Math.max(1, Number(values.runs)), {
      rss: !values['no-rss'],
      filter: values.filter,
      verbose: !values.json,
      streamSequences: values['stream-sequences'] === undefined ? undefined : Number(values['stream-sequences']),
      settleMs: values['settle-ms'] === undefined ? undefined : Number(values['settle-ms']),
    });
    const note = peakNote();
    const m = `${machine()}; backend ${backend()}, fused kernels on ${speedMachine.kernels ?? 'none'}${note ? `; ${note}` : ''}`;
    if (values.json) console.log(JSON.stringify({ machine: m, workloads: results.map(speedJson) }));
    else console.log(`${m}\n\n${speedTable(results)}`);
  }
}
