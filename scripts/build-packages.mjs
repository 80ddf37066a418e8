#!/usr/bin/env node
// Builds every workspace package (packages/*/tsconfig.build.json) to ESM JavaScript + .d.ts in its
// dist/, in dependency order (tsc project references), then copies the plain-JS modules the sources
// keep beside the TypeScript (.mjs workers and their .d.mts types) into dist/ at the same paths, and
// a package's "buildAssets".
// Usage: node scripts/build-packages.mjs [--clean]
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(root, 'packages');
const packages = readdirSync(packagesDir)
  .map((name) => join(packagesDir, name))
  .filter((dir) => existsSync(join(dir, 'tsconfig.build.json')));

if (process.argv.includes('--clean')) {
  for (const dir of packages) {
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    rmSync(join(dir, 'node_modules/.cache/tsconfig.build.tsbuildinfo'), { force: true });
  }
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', ...packages.map((dir) => join(dir, 'tsconfig.build.json'))], {
  stdio: 'inherit',
  cwd: root,
});

const ASSET = /\.(mjs|d\.mts)$/;
function copyAssets(src, dist) {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, entry.name);
    if (entry.isDirectory()) copyAssets(from, join(dist, entry.name));
    else if (ASSET.test(entry.name)) {
      mkdirSync(dist, { recursive: true });
      copyFileSync(from, join(dist, entry.name));
    }
  }
}
for (const dir of packages) {
  copyAssets(join(dir, 'src'), join(dir, 'dist'));
  // "buildAssets": { "dist/examples": "../../examples" } in a package.json copies files from outside
  // src/ (the CLI's bundled example model) into the package.
  const { buildAssets = {} } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const [to, from] of Object.entries(buildAssets)) cpSync(join(dir, from), join(dir, to), { recursive: true });
}
console.log(`built ${packages.map((dir) => relative(root, dir)).join(', ')}`);
