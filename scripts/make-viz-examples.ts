/**
 * Render one image of each chart kind for the README into docs/images/viz-<kind>.png.
 * Usage: npx tsx scripts/make-viz-examples.ts [outDir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartKinds, examples, render } from '@keraspect/viz';

const outDir = process.argv[2] ?? join(import.meta.dirname, '..', 'docs', 'images');
mkdirSync(outDir, { recursive: true });
const all = examples();
for (const kind of chartKinds) {
  const ex = all[kind];
  const png = render(kind, ex.data as never, ex.options as never).png();
  const file = join(outDir, `viz-${kind}.png`);
  writeFileSync(file, png);
  console.log(`${file}  ${(png.length / 1024).toFixed(0)} KiB`);
}
