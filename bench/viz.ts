/**
 * Viz bench: time each chart kind (spec + PNG) against matplotlib drawing the
 * same figure. The peer runs only when a python3 with matplotlib is already
 * there (Debian's python3-matplotlib); this bench installs nothing.
 *
 * Both sides time one figure at a time in a warm process, after one untimed draw: here
 * `render(kind, data, options).png()` (spec, painting, PNG encoding) on typed arrays made
 * beforehand; in bench/viz.py the figure, `savefig` to PNG in memory and `close`, on numpy arrays
 * made beforehand (the JSON lists, and the large cases' random data, are converted outside the
 * timing). Same pixel size (`figsize · dpi = width·scale × height·scale`) and font size (8 pt at
 * 100·scale dpi = 11 px).
 *
 * Usage: npx tsx bench/viz.ts [--repeat N]
 * Env: KERASPECT_BENCH_PYTHON=/path/to/python3 to choose the interpreter, `none` to skip the peer.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ChartKind, chartKinds, examples, render } from '@keraspect/viz';

/** One timed figure. */
export interface VizBenchRow {
  name: string;
  kind: ChartKind;
  keraspectMs: number;
  matplotlibMs?: number;
  /** Median CPU time (user + system, whole process) of the same renders: steadier than wall time on a busy machine. */
  keraspectCpuMs: number;
  matplotlibCpuMs?: number;
}

interface Case {
  name: string;
  kind: ChartKind;
  data: unknown;
  options: Record<string, unknown>;
}

function randn(seed: number, n: number): Float32Array {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u()));
}

/** The figures: every chart kind's README example plus the two large inputs the brief names. */
function cases(): { ts: Case[]; py: Case[] } {
  const ex = examples();
  const ts: Case[] = chartKinds.map((kind) => ({
    name: kind,
    kind,
    data: ex[kind].data,
    options: ex[kind].options as Record<string, unknown>,
  }));
  const py: Case[] = ts.map((c) => ({ ...c, data: plain(c.data) }));
  // Large inputs: random data of the same shape on both sides (the peer makes its own).
  ts.push({
    name: 'features1D 60×10k',
    kind: 'features1D',
    data: { data: randn(1, 10_000 * 60), shape: [1, 10_000, 60] },
    options: { width: 900, height: 900 },
  });
  py.push({ name: 'features1D 60×10k', kind: 'features1D', data: { random: 1, shape: [1, 10_000, 60] }, options: {} });
  ts.push({
    name: 'features2D 2000²',
    kind: 'features2D',
    data: { data: randn(2, 2000 * 2000), shape: [2000, 2000] },
    options: { width: 800, height: 700, colormap: 'viridis' },
  });
  py.push({
    name: 'features2D 2000²',
    kind: 'features2D',
    data: { random: 2, shape: [2000, 2000] },
    options: { colormap: 'viridis' },
  });
  return { ts, py };
}

/** Typed arrays → plain arrays, for JSON. */
function plain(x: unknown): unknown {
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A python3 that can import matplotlib, or undefined. */
export function findMatplotlib(): string | undefined {
  if (process.env.KERASPECT_BENCH_PYTHON === 'none') return undefined;
  const candidates = [process.env.KERASPECT_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (c): c is string => !!c,
  );
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import matplotlib'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** One turn of the event loop (see below). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Run the bench and return one row per figure. Each timed render starts on a fresh turn of the event
 * loop, as in a program that renders between other work: @napi-rs/canvas frees the pixel copies the
 * PNG encoder reads only when the loop turns, so a long synchronous burst of renders is bounded by
 * a slower path once it has read 16 MB of pixels (packages/viz/src/render/canvas-napi.ts).
 */
export async function runVizBench(repeat = 5): Promise<{ rows: VizBenchRow[]; python?: string }> {
  const { ts, py } = cases();
  const rows: VizBenchRow[] = [];
  const sizes = new Map<string, { width: number; height: number; scale: number }>();
  for (const c of ts) {
    await turn();
    render(c.kind, c.data as never, c.options as never).png(); // warm up
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < repeat; i++) {
      await turn();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = render(c.kind, c.data as never, c.options as never);
      r.png();
      times.push(performance.now() - t0);
      const cu = process.cpuUsage(c0);
      cpu.push((cu.user + cu.system) / 1000);
      sizes.set(c.name, { width: r.spec.width, height: r.spec.height, scale: r.spec.scale });
    }
    rows.push({ name: c.name, kind: c.kind, keraspectMs: median(times), keraspectCpuMs: median(cpu) });
  }
  const python = findMatplotlib();
  if (!python) return { rows };
  const job = { repeat, cases: py.map((c) => ({ ...c, ...sizes.get(c.name)! })) };
  const script = join(import.meta.dirname, 'viz.py');
  const r = spawnSync(python, [script], { input: JSON.stringify(job), maxBuffer: 64 << 20, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`matplotlib peer failed (${python} ${script}):\n${r.stderr}`);
    return { rows, python };
  }
  const peer = JSON.parse(r.stdout) as Record<string, { wall: number; cpu: number }>;
  for (const row of rows) {
    const p = peer[row.name];
    if (p) {
      row.matplotlibMs = p.wall;
      row.matplotlibCpuMs = p.cpu;
    }
  }
  return { rows, python };
}

/**
 * Adapter for bench/run.ts suites (`{ name, ms }` results): keraspect medians
 * as `viz <figure>`, matplotlib medians as `viz <figure> [matplotlib]`.
 */
export async function benchViz(runs: number): Promise<{ name: string; ms: number }[]> {
  const { rows } = await runVizBench(runs);
  return rows.flatMap((r) => [
    { name: `viz ${r.name}`, ms: r.keraspectMs },
    ...(r.matplotlibMs === undefined ? [] : [{ name: `viz ${r.name} [matplotlib]`, ms: r.matplotlibMs }]),
  ]);
}

/** Format rows as an aligned text table: wall and CPU medians of both sides and their ratios (Keraspect / matplotlib). */
export function formatTable(rows: VizBenchRow[]): string {
  const head = ['figure', 'keraspect ms', 'matplotlib ms', 'ratio', 'keraspect cpu', 'matplotlib cpu', 'cpu ratio'];
  const ratio = (a: number, b: number | undefined) => (b === undefined ? '–' : (a / b).toFixed(2));
  const body = rows.map((r) => [
    r.name,
    r.keraspectMs.toFixed(1),
    r.matplotlibMs === undefined ? 'skipped' : r.matplotlibMs.toFixed(1),
    ratio(r.keraspectMs, r.matplotlibMs),
    r.keraspectCpuMs.toFixed(1),
    r.matplotlibCpuMs === undefined ? 'skipped' : r.matplotlibCpuMs.toFixed(1),
    ratio(r.keraspectCpuMs, r.matplotlibCpuMs),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const i = process.argv.indexOf('--repeat');
  const repeat = i > 0 ? Number(process.argv[i + 1]) : 5;
  const { rows, python } = await runVizBench(repeat);
  console.log(`viz bench: median of ${repeat} renders (spec + PNG encode), same figures and pixel sizes on both sides`);
  console.log(
    python
      ? `matplotlib peer: ${python}`
      : 'matplotlib peer: skipped (no python3 with matplotlib; apt-get install python3-matplotlib to compare)',
  );
  console.log(formatTable(rows));
}
