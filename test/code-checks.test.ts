import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/fixtures.ts';

const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name);

describe('the tree', () => {
  it('passes Biome (one formatter and linter: line width 120, `.ts` import suffixes)', () => {
    const r = spawnSync(bin('biome'), ['ci', '--colors=off', '.'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}\nRun \`npx pnpm@10 lint:fix\` to format.`).toBe(0);
  }, 120_000);

  it('type-checks under the strict root tsconfig', () => {
    const r = spawnSync(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stdout).toBe(0);
  }, 300_000);
});
