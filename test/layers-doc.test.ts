import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layersMarkdown } from '../scripts/lib/layers-doc.ts';
import { repoRoot } from './support/fixtures.ts';

describe('docs/layers.md', () => {
  it('is what the layer and op tables generate (run `npx pnpm@10 docs:layers` after changing them)', () => {
    expect(readFileSync(join(repoRoot, 'docs', 'layers.md'), 'utf8')).toBe(layersMarkdown());
  });

  it("is what README's 'What loads' points to", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme.split('## What loads')[1].split('\n## ')[0]).toContain('[docs/layers.md](docs/layers.md)');
  });
});
