#!/usr/bin/env node
// Builds every workspace package and packs it with pnpm (dist/ entry points from publishConfig,
// workspace:* replaced by versions) into dist/packages/, ready for `npm i dist/packages/*.tgz` or
// `npm publish`. Usage: node scripts/pack-packages.mjs (or `npx pnpm@10 pack:packages`).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/packages');
execFileSync(process.execPath, [join(root, 'scripts/build-packages.mjs')], { stdio: 'inherit' });
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const pnpm =
  process.env.npm_execpath && /pnpm/.test(process.env.npm_execpath)
    ? [process.execPath, process.env.npm_execpath]
    : ['npx', '-y', 'pnpm@10'];
for (const name of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', name);
  if (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private)
    continue;
  execFileSync(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', out], { cwd: dir, stdio: 'pipe' });
}
console.log(`packed into ${relative(root, out)}/: ${readdirSync(out).join(', ')}`);
