#!/usr/bin/env node
// Builds every workspace package (packages/*/tsconfig.build.json) to ESM JavaScript + .d.ts in its
// dist/, in dependency order (tsc project references), then copies the plain-JS modules the sources
// keep beside the TypeScript (.mjs workers and their .d.mts types) into dist/ at the same paths, and
// a package's "buildAssets", and finally gives the compiled code ES-module entry points to TF.js
// (see "CommonJS dependencies" below).
// Usage: node scripts/build-packages.mjs [--clean]
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
// CommonJS dependencies. TF.js ships as CommonJS. When an ES module imports it, Node runs its
// CommonJS export lexer over every file behind the re-exports to find the named exports: half a
// second of every `keraspect` command's start. So each package that imports one of these gets, in
// dist/commonjs/, an ES module that `require`s it and re-exports its names (listed here from the
// installed version, which the packages pin exactly), and its compiled code imports that module
// through the package's "imports" entry (`#tfjs`; the non-Node target is a plain re-export, for
// bundlers). The .d.ts files keep importing the packages themselves.
// `parts`: the umbrella `@tensorflow/tfjs` is served in Node from the three packages Keraspect uses
// (core, layers, the cpu backend), resolved from the umbrella so they are the very instances it would
// give; its converter, data and WebGL packages (2.4 MB, never used in Node) stay unloaded. A name of
// the umbrella that the compiled code reads from `tf.` but no part serves fails the build here.
const COMMONJS = {
  '@tensorflow/tfjs': {
    alias: '#tfjs',
    parts: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu'],
  },
  '@tensorflow/tfjs-backend-wasm': { alias: '#tfjs-backend-wasm' },
};
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(['default', 'delete', 'function', 'import', 'export', 'class', 'new', 'in', 'do', 'if']);
const exportNames = (m) => Object.keys(m).filter((n) => IDENTIFIER.test(n) && !RESERVED.has(n));
function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : /\.m?js$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** The Node ES module serving CommonJS package `id` (its named exports taken from `parts` when given). */
function nodeShim(from, id, parts) {
  const whole = from(id);
  const lines = ["import { createRequire } from 'node:module';"];
  if (!parts) {
    lines.push(`const m = createRequire(import.meta.url)(${JSON.stringify(id)});`, 'export default m;');
    lines.push(`export const { ${exportNames(whole).join(', ')} } = m;`);
    return { code: lines.join('\n'), names: new Set(exportNames(whole)), whole };
  }
  const fromWhole = createRequire(from.resolve(id));
  lines.push(`const require = createRequire(createRequire(import.meta.url).resolve(${JSON.stringify(id)}));`);
  const names = new Set();
  parts.forEach((part, i) => {
    const m = fromWhole(part);
    // The umbrella re-exports its parts first-come (core before layers before the backends).
    const own = exportNames(m).filter((n) => n in whole && !names.has(n));
    for (const n of own) {
      if (whole[n] !== m[n]) throw new Error(`${id}.${n} is not ${part}.${n}: the shim would serve another object`);
      names.add(n);
    }
    lines.push(`const p${i} = require(${JSON.stringify(part)});`, `export const { ${own.join(', ')} } = p${i};`);
  });
  return { code: lines.join('\n'), names, whole };
}

for (const dir of packages) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const used = Object.entries(COMMONJS).filter(([id]) => pkg.dependencies?.[id]);
  if (used.length === 0) continue;
  const out = join(dir, 'dist/commonjs');
  mkdirSync(out, { recursive: true });
  const from = createRequire(join(dir, 'package.json'));
  const served = {};
  for (const [id, { alias, parts }] of used) {
    const file = alias.slice(1);
    const wanted = { node: `./dist/commonjs/${file}.node.js`, default: `./dist/commonjs/${file}.js` };
    for (const imports of [pkg.imports, pkg.publishConfig?.imports])
      if (JSON.stringify(imports?.[alias]) !== JSON.stringify(wanted))
        throw new Error(
          `${relative(root, dir)}/package.json: "imports" and publishConfig.imports need "${alias}": ${JSON.stringify(wanted)}`,
        );
    const shim = nodeShim(from, id, parts);
    served[id] = shim;
    writeFileSync(join(out, `${file}.node.js`), `${shim.code}\n`);
    writeFileSync(join(out, `${file}.js`), `export * from ${JSON.stringify(id)};\n`);
  }
  const ids = used.map(([id]) => id.replace(/[/.-]/g, '\\$&')).join('|');
  const specifier = new RegExp(`(\\bfrom\\s*|\\bimport\\s*\\(\\s*|\\bimport\\s+)(['"])(${ids})\\2`, 'g');
  for (const file of jsFiles(join(dir, 'dist'))) {
    if (file.startsWith(out)) continue;
    const code = readFileSync(file, 'utf8');
    const rewritten = code.replace(specifier, (_, lead, q, id) => `${lead}${q}${COMMONJS[id].alias}${q}`);
    if (rewritten === code) continue;
    // `import * as tf from '@tensorflow/tfjs'` is how the sources use it: check what they read.
    const tfjs = served['@tensorflow/tfjs'];
    if (tfjs && /import \* as tf from ['"]#tfjs['"]/.test(rewritten))
      for (const [, name] of rewritten.matchAll(/\btf\.([A-Za-z_$][\w$]*)/g))
        if (name in tfjs.whole && !tfjs.names.has(name))
          throw new Error(
            `${relative(root, file)} uses tf.${name}, which the Node shim of @tensorflow/tfjs does not serve`,
          );
    writeFileSync(file, rewritten);
  }
}
console.log(`built ${packages.map((dir) => relative(root, dir)).join(', ')}`);
