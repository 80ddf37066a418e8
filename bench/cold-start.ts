/**
 * Cold start of the compiled `keraspect` command: a fresh `node` process running
 * `packages/cli/dist/main.js inspect examples/attention-lstm.h5` (the bundled example, 23 KiB),
 * as an installed package runs it — compiled JavaScript, no tsx. The packages are built first
 * (scripts/build-packages.mjs); `--conditions=keraspect-dist` makes the workspace's packages resolve
 * to their dist/ as the published ones do. Figures: median wall-clock ms of N runs (after one that
 * warms the file cache), and the median CPU time (user + system, all threads) the process used, which
 * a machine shared with other work inflates much less than wall-clock time: on an idle machine the
 * wall time is close to it.
 * `pnpm bench cold`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, median } from './harness.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function benchColdStart(runs: number): Promise<BenchResult[]> {
  execFileSync(process.execPath, [join(root, 'scripts/build-packages.mjs')], { cwd: root, stdio: 'pipe' });
  // The child reports its own CPU time as it exits (process.cpuUsage covers every thread since start).
  const report = `process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\n@cpu-ms ' + (u.user + u.system) / 1000 + '\\n'); });`;
  const hook = ['--import', `data:text/javascript,${encodeURIComponent(report)}`];
  const inspect = [
    ...hook,
    '--conditions=keraspect-dist',
    join(root, 'packages/cli/dist/main.js'),
    'inspect',
    join(root, 'examples/attention-lstm.h5'),
  ];
  const cli = measure('keraspect inspect', inspect, runs);
  // The same for a bare `node -e 0`: what the machine's load adds to any process start.
  const bare = measure('node -e 0', [...hook, '-e', '0'], runs);
  return [
    { name: 'cold keraspect inspect (compiled bin, 23 KiB model)', ms: cli.wall },
    { name: 'cold keraspect inspect, CPU time (user + system)', ms: cli.cpu },
    { name: 'bare node -e 0 (reference for the machine)', ms: bare.wall },
    { name: 'bare node -e 0, CPU time (user + system)', ms: bare.cpu },
  ];
}

/** Median wall-clock and CPU ms of `runs` fresh `node args` processes, after one that warms the file cache. */
function measure(what: string, args: string[], runs: number): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}`);
    const used = /@cpu-ms ([\d.]+)/.exec(r.stderr);
    if (!used) throw new Error(`${what} did not report its CPU time: ${r.stderr}`);
    // The first run warms the OS file cache, as the second command after an install finds it.
    if (i > 0) {
      wall.push(ms);
      cpu.push(Number(used[1]));
    }
  }
  return { wall: median(wall), cpu: median(cpu) };
}
