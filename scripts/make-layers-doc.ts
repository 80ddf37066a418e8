import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layersMarkdown } from './lib/layers-doc.ts';

/** Write docs/layers.md from the importer's layer and op tables. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(join(repoRoot, 'docs', 'layers.md'), layersMarkdown());
console.log('wrote docs/layers.md');
