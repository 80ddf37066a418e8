/**
 * The speed table of docs/performance.md from a saved `--json` run:
 * `pnpm bench speed --json > run.json && pnpm tsx bench/table.ts run.json` (or `bench/speed.ts --json`).
 */
import { readFileSync } from 'node:fs';
import { type SpeedResult, speedTable } from './speed.ts';

const path = process.argv[2];
if (!path) throw new Error('Usage: pnpm tsx bench/table.ts RUN.json (the output of pnpm bench speed --json)');
const text = readFileSync(path, 'utf8');
const run = JSON.parse(text.slice(text.indexOf('{'))) as {
  machine: string;
  workloads: (Omit<SpeedResult, 'ms'> & { keraspect_ms: number | null })[];
};
// Runs saved before rows carried threads_peak_gflops: the per-thread peaks are in the machine line.
const peaks = new Map(
  [...run.machine.split('WebAssembly')[0].matchAll(/([\d.]+) GFLOP\/s on (\d+) thread/g)].map((m) => [
    Number(m[2]),
    Number(m[1]),
  ]),
);
const rows = run.workloads
  .filter((w) => 'threads' in w)
  .map(
    ({ keraspect_ms, ...w }) =>
      ({
        ...w,
        threads_peak_gflops: w.threads_peak_gflops ?? peaks.get(w.threads) ?? null,
        ms: keraspect_ms ?? Number.NaN,
      }) as SpeedResult,
  );
console.log(`Machine: ${run.machine}\n\n${speedTable(rows)}`);
