import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '@keraspect/importer';
import { fixturesDir, repoRoot } from '../../../test/support/fixtures.ts';

// node itself with tsx's loader (not the tsx wrapper process), so signals reach the CLI directly.
const node = (script: string, ...args: string[]) =>
  spawn(
    process.execPath,
    ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, script, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
const dir = fixturesDir();

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Every file under `root`, relative. */
function files(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() || d.isFIFO())
    .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name).slice(root.length + 1));
}

describe('Ctrl-C leaves no output file pretending to be complete', () => {
  it('during a write: the temporary file is removed and the exit code is 130', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'keraspect-int-')), 'y.npy');
    const child = node(join(repoRoot, 'packages/cli/test/fixtures/blocked-write.ts'), out);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('writing') && resolve()));
    expect(files(join(out, '..'))).toEqual([`y.npy.partial-${child.pid}-1`]); // the write is in flight
    child.kill('SIGINT');
    const { code } = await exited(child);
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\); removed 1 unfinished file/);
    expect(files(join(out, '..'))).toEqual([]);
  });

  it.skipIf(!dir)('a long predict run (disazi, 16 × 6000 steps) interrupted mid-run writes nothing', async () => {
    const work = mkdtempSync(join(tmpdir(), 'keraspect-int-'));
    const n = 16;
    const data = Float32Array.from({ length: n * 6000 * 3 }, (_, i) => Math.sin(i * 0.01));
    writeFileSync(join(work, 'x.npy'), writeNpy({ data, shape: [n, 6000, 3] }));
    const child = node(
      join(repoRoot, 'packages/cli/src/main.ts'),
      'predict',
      join(dir!, 'models', 'disazi_in_azinet_timedistributed_k2.2.4.h5'),
      '--plugin',
      join(repoRoot, 'packages/cli/test/fixtures/disazi-plugin.mjs'),
      '--input',
      join(work, 'x.npy'),
      '--out',
      join(work, 'out', 'y.npy'),
    );
    const done = exited(child);
    await new Promise((r) => setTimeout(r, 5000));
    expect(child.exitCode).toBeNull(); // still running
    child.kill('SIGINT');
    const { code, signal } = await done;
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    expect(existsSync(join(work, 'out', 'y.npy'))).toBe(false);
    expect(files(work).filter((f) => f.includes('.partial-'))).toEqual([]);
  });
});
