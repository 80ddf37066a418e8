/**
 * The packages as a user gets them: build, `pnpm pack` every workspace package (pnpm swaps in the
 * `publishConfig` entry points and replaces `workspace:*` by versions), install the tarballs with plain
 * npm into a temp project outside the workspace, then (a) plain `node` imports every package and
 * predicts on a real-Keras fixture, (b) `tsc --noEmit` with `moduleResolution: nodenext` type-checks a
 * consumer of the public API, (c) the installed `keraspect` bin runs `inspect`, `predict`, `report`
 * and `demo`.
 *
 * It needs the npm registry (the tarballs' own dependencies come from it) and takes minutes on a busy
 * machine; npm's cache makes later runs quicker.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, toFloat32 } from '../packages/importer/src/index.ts';
import { fixturesDir, repoRoot } from './support/fixtures.ts';

const dir = fixturesDir();
const FIXTURE = 'dsrna_3fold_cnn_bilstm_seqselfatt_softmax_k2.3.1';
const MINUTE = 60_000;

/** Every package the workspace publishes (no `private`), as `{ dir, name }`. */
function publishedPackages(): { dir: string; name: string }[] {
  const root = join(repoRoot, 'packages');
  return readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'package.json')))
    .map((d) => ({ dir: join(root, d), pkg: JSON.parse(readFileSync(join(root, d, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => !pkg.private)
    .map(({ dir, pkg }) => ({ dir, name: pkg.name as string }));
}

/** The environment without pnpm's and npm's `npm_*` settings: the consumer is a plain npm user. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_|^pnpm_/i.test(k)));

/** pnpm as the test was started with (`pnpm test` sets npm_execpath), else pnpm 10 through npx. */
function pnpm(args: string[], cwd: string): Promise<string> {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) return run(process.execPath, [execPath, ...args], cwd);
  return run('npx', ['-y', 'pnpm@10', ...args], cwd);
}

/** Run a command (asynchronously: a long synchronous wait would starve vitest's worker RPC). */
async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await promisify(execFile)(cmd, args, { cwd, env: cleanEnv, encoding: 'utf8', maxBuffer: 1 << 26 })).stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${err.stdout ?? ''}\n${err.stderr ?? err.message}`);
  }
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1e-5 + 1e-4 * Math.abs(expected[i])));
  }
  return worst;
}

const CONSUMER_JS = `
import { readFileSync } from 'node:fs';
import { row, sizeOf } from '@keraspect/array';
import { loadModel, predict, readNpy } from '@keraspect/importer';
import { layerOutputs, attentionMaps, createExplainer } from '@keraspect/explain';
import { boxDataset } from '@keraspect/explain/benchmark';
import { render } from '@keraspect/viz';
import { run } from '@keraspect/cli';
import { importer, explain, viz } from 'keraspect';
import { loadModel as umbrellaLoad } from 'keraspect/importer';

const [model, input] = process.argv.slice(2);
const km = await loadModel(new Uint8Array(readFileSync(model)));
const x = readNpy(new Uint8Array(readFileSync(input)));
const [y] = predict(km, { data: x.data, shape: x.shape });
const outputs = layerOutputs(km, { data: x.data, shape: x.shape }, 'all');
const maps = attentionMaps(km, { data: x.data, shape: x.shape });
const grad = await createExplainer('gradient', km, { target: 'max' }).attribute({ data: x.data, shape: x.shape });
const png = render('attention', { data: maps[0].array.data, shape: maps[0].array.shape }).png();
const box = boxDataset({ variant: 'middle', samples: 2, seed: 1 });
console.log(JSON.stringify({
  predict: Array.from(y.data),
  shape: y.shape,
  row1: Array.from(row(y, 1).data),
  size: sizeOf(y.shape),
  layers: outputs.length,
  attention: maps.map((m) => m.layer),
  gradShape: grad.attributions[0].shape,
  png: Array.from(png.subarray(0, 8)),
  box: box.x.shape,
  run: typeof run,
  umbrella: [typeof importer.loadModel, typeof explain.createExplainer, typeof viz.render, umbrellaLoad === loadModel],
}));
`;

const CONSUMER_TS = `
import { readFileSync } from 'node:fs';
import { type NdArray, row } from '@keraspect/array';
import { type KerasModel, ImporterError, loadModel, predict } from '@keraspect/importer';
import { type Attribution, attentionMaps, createExplainer } from '@keraspect/explain';
import { boxDataset } from '@keraspect/explain/benchmark';
import { type Rendered, render } from '@keraspect/viz';
import { run } from '@keraspect/cli';
import { importer, explain } from 'keraspect';

export async function main(path: string): Promise<number> {
  const km: KerasModel = await loadModel(new Uint8Array(readFileSync(path)));
  const [y] = predict(km, { data: new Float32Array(100), shape: [1, 100, 1] });
  const first: NdArray = row(y, 0);
  const maps = attentionMaps(km, { data: new Float32Array(100), shape: [1, 100, 1] });
  const a: Attribution = await createExplainer('integratedGradients', km, { steps: 8 }).attribute({
    data: new Float32Array(100),
    shape: [1, 100, 1],
  });
  const chart: Rendered = render('attention', { data: maps[0].array.data, shape: maps[0].array.shape });
  const err: ImporterError | null = null;
  const code: number = await run(['--help'], { stdout: () => {}, stderr: () => {} } as never);
  const again: typeof importer.loadModel = loadModel;
  void [err, again, explain.methodNames, boxDataset, first];
  return y.data.length + a.attributions[0].data.length + chart.svg().length + code;
}
`;

describe.skipIf(!dir)('installed from the packed tarballs with npm', () => {
  let work = '';
  let project = '';

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'keraspect-packaging-'));
    const packDir = join(work, 'tarballs');
    project = join(work, 'project');
    await run(process.execPath, [join(repoRoot, 'scripts/build-packages.mjs')], repoRoot);
    const packages = publishedPackages();
    const tarballs: Record<string, string> = {};
    for (const p of packages) {
      const before = new Set(existsSync(packDir) ? readdirSync(packDir) : []);
      await pnpm(['pack', '--pack-destination', packDir], p.dir);
      const made = readdirSync(packDir).find((f) => !before.has(f));
      if (!made) throw new Error(`pnpm pack made no tarball for ${p.name}`);
      tarballs[p.name] = `file:${join(packDir, made)}`;
    }
    // The tarballs depend on each other by version; `overrides` points those at the local files.
    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify(
        {
          name: 'keraspect-consumer',
          private: true,
          type: 'module',
          dependencies: tarballs,
          devDependencies: { typescript: '~5.9.0', '@types/node': '^20.19.0' },
          overrides: tarballs,
        },
        null,
        2,
      ),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project);
  }, 20 * MINUTE);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const fixture = () => ({
    model: join(dir!, 'models', `${FIXTURE}.h5`),
    input: join(dir!, FIXTURE, 'input.npy'),
    expected: toFloat32(readNpy(new Uint8Array(readFileSync(join(dir!, FIXTURE, 'predict.npy'))))),
  });

  it('the tarballs hold compiled JavaScript and types, no TypeScript sources and no workspace: ranges', () => {
    for (const name of readdirSync(join(project, 'node_modules/@keraspect')).map((n) => `@keraspect/${n}`)) {
      const root = join(project, 'node_modules', name);
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
      expect(pkg.private, name).toBeUndefined();
      expect(JSON.stringify(pkg.dependencies ?? {}), name).not.toMatch(/workspace:/);
      expect(pkg.exports['.'].types, name).toBe('./dist/index.d.ts');
      expect(existsSync(join(root, 'dist/index.js')), name).toBe(true);
      expect(existsSync(join(root, 'src')), name).toBe(false);
      for (const k of ['license', 'repository', 'engines', 'version']) expect(pkg[k], `${name} ${k}`).toBeTruthy();
    }
  });

  it('installing reaches nothing but the npm registry: no install scripts, tfjs-node (an optional peer) left out', () => {
    // An install/preinstall/postinstall script is how a package fetches from elsewhere (tfjs-node downloads
    // libtensorflow); native code here comes as platform packages from the registry (@napi-rs/canvas).
    // core-js (under TF.js) only prints a banner from a file it ships: allowed by its exact script.
    const harmless: Record<string, string> = {
      'core-js postinstall': 'node -e "try{require(\'./postinstall\')}catch(e){}"',
    };
    const withScripts: string[] = [];
    const visit = (nm: string) => {
      if (!existsSync(nm)) return;
      for (const entry of readdirSync(nm)) {
        if (entry.startsWith('.')) continue;
        const names = entry.startsWith('@') ? readdirSync(join(nm, entry)).map((n) => `${entry}/${n}`) : [entry];
        for (const name of names) {
          const manifest = join(nm, name, 'package.json');
          if (!existsSync(manifest)) continue;
          const scripts = JSON.parse(readFileSync(manifest, 'utf8')).scripts ?? {};
          for (const k of ['preinstall', 'install', 'postinstall'])
            if (scripts[k] && harmless[`${name} ${k}`] !== scripts[k]) withScripts.push(`${name} ${k}: ${scripts[k]}`);
          visit(join(nm, name, 'node_modules'));
        }
      }
    };
    visit(join(project, 'node_modules'));
    expect(withScripts).toEqual([]);
    expect(existsSync(join(project, 'node_modules/@tensorflow/tfjs-node'))).toBe(false);
  });

  it(
    '(a) plain node imports every package and predicts like Keras',
    async () => {
      const f = fixture();
      writeFileSync(join(project, 'consumer.mjs'), CONSUMER_JS);
      const out = JSON.parse(
        (await run(process.execPath, ['consumer.mjs', f.model, f.input], project)).trim().split('\n').pop()!,
      );
      expect(out.shape).toEqual([2, 1]);
      expect(out.row1).toEqual([out.predict[1]]);
      expect(out.size).toBe(2);
      expect(close(out.predict, f.expected)).toBeLessThanOrEqual(1);
      expect(out.layers).toBeGreaterThan(3);
      expect(out.attention.length).toBeGreaterThan(0);
      expect(out.gradShape).toEqual([2, 100, 1]);
      expect(out.png).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(out.box[0]).toBe(2);
      expect(out.run).toBe('function');
      expect(out.umbrella).toEqual(['function', 'function', 'function', true]);
    },
    5 * MINUTE,
  );

  it(
    '(b) tsc with moduleResolution nodenext type-checks a consumer of the public API',
    async () => {
      writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            strict: true,
            noEmit: true,
            types: ['node'],
            skipLibCheck: false,
          },
          files: ['consumer.ts'],
        }),
      );
      // A type error elsewhere in @keraspect's .d.ts would show here too (skipLibCheck is off for them):
      // only errors under node_modules/@tensorflow (TF.js' own typings) are tolerated.
      let output = '';
      try {
        output = await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
      } catch (e) {
        output = (e as Error).message;
      }
      const errors = output.split('\n').filter((l) => /error TS\d+/.test(l) && !/node_modules\/@tensorflow\//.test(l));
      expect(errors).toEqual([]);
    },
    10 * MINUTE,
  );

  it(
    '(c) the installed keraspect bin runs inspect and predict (compiled JS, no tsx)',
    async () => {
      const f = fixture();
      const bin = join(project, 'node_modules/.bin/keraspect');
      const inspect = JSON.parse(await run(bin, ['inspect', f.model, '--json'], project));
      expect(inspect.producer).toMatch(/Keras 2\.3\.1/);
      expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false);
      const out = join(work, 'y.npy');
      await run(bin, ['predict', f.model, '--input', f.input, '--out', out], project);
      expect(close(toFloat32(readNpy(new Uint8Array(readFileSync(out)))), f.expected)).toBeLessThanOrEqual(1);
    },
    5 * MINUTE,
  );

  it(
    '(c) `npx keraspect report` writes the HTML report, and `keraspect demo` finds its bundled example',
    async () => {
      const examples = join(project, 'node_modules/@keraspect/cli/dist/examples');
      const report = join(work, 'report');
      const args = [join(examples, 'attention-lstm.h5'), '--input', join(examples, 'series.npy'), '--out', report];
      await run('npx', ['keraspect', 'report', ...args, '--quiet'], project);
      expect(readFileSync(join(report, 'index.html'), 'utf8')).toMatch(/<html/i);
      const demo = await run('npx', ['keraspect', 'demo', '--out', join(work, 'demo'), '--quiet'], project);
      expect(demo).toMatch(/series 0: predicted/);
    },
    5 * MINUTE,
  );
});
