/**
 * `pnpm bench [--json] [--runs N] [--stream-sequences N] [suite…]` — benchmarks, never timed assertions in tests.
 * Suites: importer (load and forward times of the fixtures), speed (the seed models beside PyTorch and ONNX
 * Runtime, docs/performance.md), viz (each chart kind beside matplotlib), cold (a fresh process of the compiled
 * `keraspect inspect`). Figures are medians of N runs, printed
 * beside the latest recorded run of the previous commit on the same machine and backend (bench/history.jsonl).
 */
import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backend, initBackend } from '@keraspect/importer';
import { benchColdStart } from './cold-start.ts';
import { benchImporter } from './importer.ts';
import { benchSpeed, peakNote, type SpeedResult, speedJson, speedTable } from './speed.ts';
import { benchViz } from './viz.ts';
import { type BenchResult, commit, machine, previousAndRecord } from './harness.ts';
import { configureFromEnv } from '@keraspect/cli';

const quiet = console.warn;
console.warn = (...a: unknown[]) =>
  typeof a[0] === 'string' && /tfjs-node|Orthogonal/.test(a[0]) ? undefined : quiet(...a);
const log = console.log;
console.log = (...a: unknown[]) =>
  typeof a[0] === 'string' && /tfjs-node|^=+$|^\s*$/.test(a[0]) ? undefined : log(...a);

const { values, positionals } = parseArgs({
  options: {
    json: { type: 'boolean' },
    runs: { type: 'string', default: '5' },
    'stream-sequences': { type: 'string' },
  },
  allowPositionals: true,
});
const runs = Math.max(1, Number(values.runs));
const suites: Record<string, (runs: number) => Promise<BenchResult[]>> = {
  importer: benchImporter,
  speed: (runs) =>
    benchSpeed(runs, {
      verbose: !values.json,
      streamSequences: values['stream-sequences'] === undefined ? undefined : Number(values['stream-sequences']),
    }),
  viz: benchViz,
  cold: benchColdStart,
};
const chosen = positionals.length ? positionals : Object.keys(suites);
for (const s of chosen)
  if (!suites[s]) throw new Error(`Unknown bench suite '${s}'. Suites: ${Object.keys(suites).join(', ')}.`);

// A program: it reads KERASPECT_BACKEND / KERASPECT_FAST and passes them to the libraries.
await configureFromEnv(process.env);
await initBackend();
const results: BenchResult[] = [];
for (const s of chosen) results.push(...(await suites[s](runs)));

const entry = { commit: commit(), date: new Date().toISOString(), machine: machine(), backend: backend(), results };
const prev = previousAndRecord(join(dirname(fileURLToPath(import.meta.url)), 'history.jsonl'), entry);
const isSpeed = (r: BenchResult): r is SpeedResult => 'threads' in r;
const note = peakNote();
if (values.json) {
  const workloads = results.map((r) => ({
    ...(isSpeed(r) ? speedJson(r) : { name: r.name, keraspect_ms: Number.isNaN(r.ms) ? null : r.ms }),
    previous_ms: prev?.results.find((p) => p.name === r.name)?.ms ?? null,
  }));
  log(
    JSON.stringify({
      machine: note ? `${entry.machine}; ${note}` : entry.machine,
      backend: entry.backend,
      commit: entry.commit,
      previous: prev?.commit ?? null,
      workloads,
    }),
  );
} else {
  log(`Machine: ${entry.machine}; backend ${entry.backend}; commit ${entry.commit}; medians of ${runs} runs`);
  const w = Math.max(...results.map((r) => r.name.length));
  log(
    `${'workload'.padEnd(w)}  ${'this (ms)'.padStart(10)}  ${`${prev ? prev.commit : 'previous'} (ms)`.padStart(16)}  ratio`,
  );
  for (const r of results) {
    const p = prev?.results.find((x) => x.name === r.name)?.ms;
    log(
      `${r.name.padEnd(w)}  ${(Number.isNaN(r.ms) ? '—' : r.ms.toFixed(1)).padStart(10)}  ${(p === undefined ? '—' : p.toFixed(1)).padStart(16)}  ${p === undefined ? '' : (r.ms / p).toFixed(2)}`,
    );
  }
  const speed = results.filter(isSpeed);
  if (speed.length) log(`\nKeraspect vs PyTorch and ONNX Runtime${note ? ` (${note})` : ''}\n${speedTable(speed)}`);
}
