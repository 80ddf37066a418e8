/**
 * `keraspect inspect` and `keraspect predict` start without loading explain or viz (the cold start
 * of the command, docs/performance.md): nothing they import statically, from the entry point down,
 * may import those packages. Dynamic imports (`await import(…)`) and type-only imports are fine.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '../src');

/** Static value imports of a module: `import … from 'x'`, `import 'x'`, `export … from 'x'` (not `import type`). */
function staticImports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of code.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm))
    if (!m[1]) found.push(m[2]);
  return found;
}

/** Every package a module reaches through static imports of the CLI's own files. */
function reachedPackages(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else if (!packages.has(spec)) packages.set(spec, file.slice(src.length + 1));
    }
  };
  visit(join(src, entry));
  return packages;
}

describe('the commands that must start fast load neither explain nor viz', () => {
  for (const entry of ['main.ts', 'run.ts', 'commands/index.ts', 'commands/inspect.ts', 'commands/predict.ts']) {
    it(entry, () => {
      const reached = reachedPackages(entry);
      // The walk works: it reaches what these modules do use.
      if (entry === 'commands/inspect.ts' || entry === 'commands/predict.ts')
        expect(reached.has('@keraspect/importer')).toBe(true);
      for (const heavy of ['@keraspect/explain', '@keraspect/viz'])
        expect(reached.get(heavy), `${heavy}, imported by src/${reached.get(heavy)}`).toBeUndefined();
    });
  }
  it('the walk sees a static import of explain where there is one', () => {
    expect(reachedPackages('commands/attribute.ts').has('@keraspect/explain')).toBe(true);
  });
});
