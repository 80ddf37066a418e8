/**
 * Cold start of the compiled `keraspect` command: a fresh `node` process running
 * `packages/cli/dist/main.js inspect examples/attention-lstm.h5` (the bundled example, 23 KiB),
 * as an installed package runs it — compiled JavaScript, no tsx. The packages are built first
 * (scripts/build-packages.mjs); `--conditions=keraspect-dist` makes the workspace's packages resolve
 * to their dist/ as the published ones do. Figure: median wall-clock ms of N runs (after one that
 * warms the file cache).
 * `pnpm bench cold`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, median } from './harness.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function benchColdStart(runs: number): Promise<BenchResult[]> {
  execFileSync(process.execPath, [join(root, 'scripts/build-packages.mjs')], { cwd: root, stdio: 'pipe' });
  const args = [
    '--conditions=keraspect-dist',
    join(root, 'packages/cli/dist/main.js'),
    'inspect',
    join(root, 'examples/attention-lstm.h5'),
  ];
  const wall: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`keraspect inspect failed (${r.status}): ${r.stderr}`);
    // The first run warms the OS file cache, as the second command after an install finds it.
    if (i > 0) wall.push(ms);
  }
  return [{ name: 'cold keraspect inspect (compiled bin, 23 KiB model)', ms: median(wall) }];
}
