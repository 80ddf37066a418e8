import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/fixtures.ts';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
/** The shell blocks of the README's "Try it" section: the two commands a newcomer runs. */
const commands = [
  ...readme
    .split('## Try it')[1]
    .split('\n## ')[0]
    .matchAll(/```sh\n([^`]+?)\n```/g),
].map((m) => m[1].trim());

describe("the README's two commands", () => {
  it('are exactly two: install + demo, install + test, with pnpm brought by npx', () => {
    expect(commands).toEqual([
      'npx -y pnpm@10 install && npx -y pnpm@10 demo',
      'npx -y pnpm@10 install && npx -y pnpm@10 test',
    ]);
    expect(pkg.scripts.demo).toBe('tsx packages/cli/src/main.ts demo');
    expect(pkg.scripts.test).toBe('vitest run');
  });

  it('the demo script runs as written and writes the report', () => {
    const out = join(repoRoot, 'keraspect-report');
    rmSync(out, { recursive: true, force: true });
    const demo = commands[0].split(' && ')[1];
    const r = spawnSync('bash', ['-c', demo], { cwd: repoRoot, encoding: 'utf8', timeout: 170_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Backend: (wasm|cpu|tensorflow)/);
    expect(r.stdout).toMatch(/series 0: predicted/);
    expect(r.stdout).toMatch(/Open .*keraspect-report\/index\.html/);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(existsSync(join(out, 'img', 'attention.png'))).toBe(true);
  }, 180_000);

  it('the test script runs as written (on one test file, to avoid recursion)', () => {
    const test = commands[1].split(' && ')[1];
    const r = spawnSync('bash', ['-c', `${test} packages/importer/test/activations.test.ts`], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 passed/);
  }, 180_000);
});
