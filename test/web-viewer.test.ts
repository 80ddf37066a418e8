/**
 * The browser build, tested in a real browser: `pnpm build:web` makes the static viewer
 * (examples/web → dist/web), a loopback static server serves it beside a real-Keras fixture and
 * that model converted by `keraspect convert --to tfjs`, and headless Chromium (Debian's, driven by
 * playwright-core) opens `?model=…&input=…&tfjs=…`. Checked: the page's prediction equals Node's
 * within 1e-5, every chart drew on its canvas, the controls redraw them, hovering reads values out,
 * the TF.js-format model loads with plain `tf.loadLayersModel` (Keraspect's layer classes
 * registered) and predicts the same, and the console stays free of errors. The screenshot in the
 * README comes from this test (test/output/web/viewer.png). Also: the HDF5 file is read in the
 * importer's Web Worker, whose time bound stops a file that loops HDF5 without hanging the page;
 * picked `.csv`/`.json` inputs; and the TF.js conversions of models with Keraspect's own layer
 * classes — CyberZHG's SeqSelfAttention (above), Keras 3 MultiHeadAttention, keras-tcn's TCN.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeIo, run } from '../packages/cli/src/index.ts';
import { loadModel, predict, readNpy } from '../packages/importer/src/index.ts';
import { fixturesDir, repoRoot } from './support/fixtures.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!haveChromium && !inCi)
  console.warn(`[skip] web viewer test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`);
const dir = fixturesDir();
const FIXTURE = 'dsrna_3fold_cnn_bilstm_seqselfatt_softmax_k2.3.1';
const MINUTE = 60_000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ttf': 'font/ttf',
};

/** Serve `roots` (URL prefix → folder) on 127.0.0.1; files only, no listing, no path escapes. */
function serve(roots: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const prefix = Object.keys(roots)
      .sort((a, b) => b.length - a.length)
      .find((p) => path.startsWith(p));
    const root = prefix === undefined ? undefined : roots[prefix];
    const file = root && normalize(join(root, path.slice(prefix!.length) || 'index.html'));
    if (!file || !file.startsWith(root + sep) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Wait until the viewer is done (`data-ready`, or the element `selector` exists) or shows an error;
 * fail with the error's text.
 */
async function settled(page: import('playwright-core').Page, selector?: string): Promise<void> {
  await page.waitForFunction(
    (sel) =>
      (sel ? document.querySelector(sel) !== null : document.body.dataset.ready === 'true') ||
      !document.getElementById('error')?.hidden,
    selector,
    { timeout: 3 * MINUTE },
  );
  expect(await page.locator('#error').isHidden(), (await page.locator('#error').textContent()) ?? '').toBe(true);
}

/** Node's prediction of `model` on `x` (batch first), one array per output. */
async function nodePredict(model: Uint8Array, x: { data: Float32Array; shape: number[] }): Promise<number[][]> {
  const km = await loadModel(model);
  try {
    return predict(km, x).map((o) => Array.from(o.data as Float32Array));
  } finally {
    km.dispose();
  }
}

describe.skipIf(!dir || (!haveChromium && !inCi))('the browser viewer (examples/web) in headless Chromium', () => {
  let work = '';
  let server: Server | undefined;

  beforeAll(async () => {
    if (!haveChromium)
      throw new Error(`CI needs Chromium at ${CHROMIUM}: .ci/install-extras installs it (apt-get install chromium).`);
    work = mkdtempSync(join(tmpdir(), 'keraspect-web-'));
    await promisify(execFile)(
      process.execPath,
      [
        join(repoRoot, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'examples/web/vite.config.ts',
        '--logLevel',
        'error',
      ],
      {
        cwd: repoRoot,
      },
    );
    const io = { ...nodeIo, stdout: () => {}, stderr: () => {}, isTTY: false };
    const model = join(dir!, 'models', `${FIXTURE}.h5`);
    expect(await run(['convert', model, '--to', 'tfjs', '--out', join(work, 'tfjs')], io)).toBe(0);
    mkdirSync(join(work, 'hostile'));
    server = await serve({
      '/': join(repoRoot, 'dist/web'),
      '/fixtures/': dir!,
      '/tfjs/': join(work, 'tfjs'),
      '/hostile/': join(work, 'hostile'),
    });
  }, 10 * MINUTE);

  afterAll(async () => {
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(
    'predicts like Node, draws every chart, reacts to its controls, and loads the TF.js conversion',
    async () => {
      const model = new Uint8Array(readFileSync(join(dir!, 'models', `${FIXTURE}.h5`)));
      const x = readNpy(new Uint8Array(readFileSync(join(dir!, FIXTURE, 'input.npy'))));
      const km = await loadModel(model);
      const node = predict(km, { data: Float32Array.from(x.data as Float32Array), shape: x.shape }).map((o) =>
        Array.from(o.data as Float32Array),
      );
      km.dispose();

      const browser = await launch();
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const errors: string[] = [];
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        page.on('pageerror', (e) => errors.push(String(e)));
        const requests: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        const workers: string[] = [];
        page.on('worker', (w) => workers.push(w.url()));
        page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
        const origin = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
        const q = `model=/fixtures/models/${FIXTURE}.h5&input=/fixtures/${FIXTURE}/input.npy&tfjs=/tfjs/model.json`;
        await page.goto(`${origin}/index.html?${q}`);
        await page.waitForFunction(
          () => document.body.dataset.ready === 'true' || !document.getElementById('error')?.hidden,
          null,
          {
            timeout: 6 * MINUTE,
          },
        );
        expect(await page.locator('#error').textContent()).toBe('');
        expect(errors).toEqual([]);

        // The prediction equals Node's.
        const web = JSON.parse((await page.locator('#prediction').textContent())!) as {
          shape: number[];
          data: number[];
        }[];
        expect(web.map((o) => o.shape)).toEqual([[2, 1]]);
        web.forEach((o, i) => o.data.forEach((v, j) => expect(Math.abs(v - node[i][j])).toBeLessThanOrEqual(1e-5)));
        expect(await page.locator('#model-info').textContent()).toMatch(/backend wasm/);
        // The HDF5 file was read in the importer's module Web Worker (its time bound), not in the page.
        expect(workers.filter((u) => /h5-worker-web/.test(u)).length, workers.join(' ')).toBeGreaterThan(0);

        // Every chart drew: each canvas holds a figure with non-background pixels.
        const drawn = async () =>
          page.evaluate(() =>
            Array.from(document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')).map((c) => {
              const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
              let ink = 0;
              for (let i = 0; i < d.length; i += 4)
                if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) ink++;
              return { id: c.id, kind: c.dataset.drawn ?? null, ink, width: c.width };
            }),
          );
        const charts = await drawn();
        expect(
          charts.map((c) => [c.id, c.kind]),
          (await page.locator('main').textContent()) ?? '',
        ).toEqual([
          ['chart-input', 'features1D'],
          ['chart-attention', 'attention'],
          ['chart-attribution', 'attribution'],
          ['chart-layer', 'features1D'],
          ['chart-layer-histogram', 'histogram'],
        ]);
        for (const c of charts) expect(c.ink, c.id).toBeGreaterThan(500);
        expect(await page.locator('#summary tr').count()).toBeGreaterThan(5);
        mkdirSync(join(repoRoot, 'test/output/web'), { recursive: true });
        await page.screenshot({ path: join(repoRoot, 'test/output/web/viewer.png'), fullPage: true });

        // The controls: another method, layer and sample redraw their charts.
        const pixels = (id: string) =>
          page.evaluate((i) => {
            const c = document.getElementById(i) as HTMLCanvasElement;
            return c.toDataURL();
          }, id);
        const before = await pixels('chart-attribution');
        await page.selectOption('#method', 'gradient');
        await page.waitForFunction(
          (b) => (document.getElementById('chart-attribution') as HTMLCanvasElement).toDataURL() !== b,
          before,
        );
        const layers = await page.locator('#layer option').allTextContents();
        expect(layers.length).toBeGreaterThan(3);
        const layerBefore = await pixels('chart-layer-histogram');
        await page.selectOption('#layer', layers[layers.length - 1]);
        await page.waitForFunction(
          (b) => (document.getElementById('chart-layer-histogram') as HTMLCanvasElement).toDataURL() !== b,
          layerBefore,
        );
        const attBefore = await pixels('chart-attention');
        await page.selectOption('#sample', '1');
        await page.waitForFunction(
          (b) => (document.getElementById('chart-attention') as HTMLCanvasElement).toDataURL() !== b,
          attBefore,
        );

        // Hover: a heatmap cell's value.
        await page.locator('#chart-attention').scrollIntoViewIfNeeded();
        const box = (await page.locator('#chart-attention').boundingBox())!;
        let tip = '';
        const seen: string[] = [];
        for (let k = 0; k < 100 && !/\] = /.test(tip); k++) {
          await page.mouse.move(
            box.x + (box.width * (1 + (k % 10))) / 11,
            box.y + (box.height * (1 + Math.floor(k / 10))) / 11,
          );
          tip = (await page.locator('#tooltip').isVisible())
            ? ((await page.locator('#tooltip').textContent()) ?? '')
            : '';
          seen.push(tip);
        }
        expect(tip, seen.join(' | ')).toMatch(/\[\d+, \d+\] = -?\d/);

        // The TF.js-format conversion: plain tf.loadLayersModel, same prediction.
        await settled(page, '#tfjs-prediction');
        const viaTfjs = JSON.parse((await page.locator('#tfjs-prediction').textContent())!) as { data: number[] }[];
        viaTfjs.forEach((o, i) => o.data.forEach((v, j) => expect(Math.abs(v - node[i][j])).toBeLessThanOrEqual(1e-5)));

        // Nothing left the machine: every request went to the page's own server.
        expect(
          requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')),
        ).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    15 * MINUTE,
  );

  it(
    'a file that loops HDF5 is stopped in the Web Worker at maxReadMs; then picked files (.csv, .json) predict like Node',
    async () => {
      // Found by the fuzzer (see limits.test.ts): 47 bytes of the superblock area copied over an
      // attribute message make reading the 'backend' attribute loop forever inside HDF5.
      const name = 'vk_new_transformer_mha_k3.9.2';
      const good = new Uint8Array(readFileSync(join(dir!, 'models', `${name}.h5`)));
      const looping = good.slice();
      looping.set(good.subarray(177, 224), 2120);
      writeFileSync(join(work, 'hostile', 'looping.h5'), looping);
      const x = readNpy(new Uint8Array(readFileSync(join(dir!, name, 'input.npy'))));
      const xs = { data: Float32Array.from(x.data as Float32Array), shape: [...x.shape] };
      const [, T, F] = xs.shape;
      // One sample as CSV (a header row, one row per time step), the whole batch as nested JSON.
      const csvPath = join(work, 'sample0.csv');
      const rows = Array.from({ length: T }, (_, t) => Array.from(xs.data.subarray(t * F, (t + 1) * F)).join(','));
      writeFileSync(csvPath, `${Array.from({ length: F }, (_, f) => `f${f}`).join(',')}\n${rows.join('\n')}\n`);
      const nested = Array.from({ length: xs.shape[0] }, (_, b) =>
        Array.from({ length: T }, (_, t) => Array.from(xs.data.subarray((b * T + t) * F, (b * T + t + 1) * F))),
      );
      const jsonPath = join(work, 'batch.json');
      writeFileSync(jsonPath, JSON.stringify(nested));
      const modelPath = join(work, `${name}.h5`);
      writeFileSync(modelPath, good);
      const csvValues = Float32Array.from(rows.flatMap((r) => r.split(',').map(Number)));
      const nodeOne = await nodePredict(good, { data: csvValues, shape: [1, T, F] });
      const nodeAll = await nodePredict(good, xs);

      const browser = await launch();
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        page.on('pageerror', (e) => errors.push(String(e)));
        const origin = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
        await page.goto(
          `${origin}/index.html?model=/hostile/looping.h5&input=/fixtures/${name}/input.npy&maxReadMs=1000`,
        );
        await page.waitForSelector('#error:not([hidden])', { timeout: 2 * MINUTE });
        expect(await page.locator('#error').textContent()).toMatch(
          /ImporterError: Reading the file as HDF5 did not finish within limits\.maxReadMs = 1 s and was stopped/,
        );
        // Only the error the page reported itself: nothing uncaught, and the page still works.
        expect(errors.filter((e) => !/maxReadMs/.test(e))).toEqual([]);
        errors.length = 0;

        // Picked files: the model and a one-sample CSV (the batch axis is added) …
        await page.setInputFiles('#model-file', modelPath);
        await page.setInputFiles('#input-file', csvPath);
        await settled(page);
        const one = JSON.parse((await page.locator('#prediction').textContent())!) as { data: number[] }[];
        one.forEach((o, i) => o.data.forEach((v, j) => expect(Math.abs(v - nodeOne[i][j])).toBeLessThanOrEqual(1e-5)));
        expect(await page.locator('#model-info').textContent()).toMatch(new RegExp(`input \\[1,${T},${F}\\]`));

        // … then the whole batch as JSON.
        await page.setInputFiles('#input-file', jsonPath);
        await settled(page);
        const all = JSON.parse((await page.locator('#prediction').textContent())!) as { data: number[] }[];
        all.forEach((o, i) => o.data.forEach((v, j) => expect(Math.abs(v - nodeAll[i][j])).toBeLessThanOrEqual(1e-5)));
        expect(await page.locator('#error').isHidden()).toBe(true);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    10 * MINUTE,
  );

  // `keraspect convert --to tfjs` of models with Keraspect's own layer classes: the page loads the
  // Keras file (Keraspect) and the conversion (plain tf.loadLayersModel), and both predict like Node.
  const conversions: { label: string; fixture: string; root: string }[] = [
    { label: 'Keras 3 MultiHeadAttention', fixture: 'vk_new_transformer_mha_k3.9.2', root: '' },
    { label: 'keras-tcn TCN, tf.keras 2.4', fixture: 'wl_tcn_tfk2.4.0', root: 'wild' },
    { label: 'keras-tcn TCN, Keras 3.9', fixture: 'mm_tcn_custom_registered_k3.9.2', root: 'wild' },
  ];
  for (const c of conversions)
    it(
      `the TF.js conversion of ${c.fixture} (${c.label}) loads in the browser and predicts like Node`,
      async () => {
        const modelFile = join(dir!, c.root, 'models', `${c.fixture}.h5`);
        const io = { ...nodeIo, stdout: () => {}, stderr: () => {}, isTTY: false };
        const out = join(work, 'tfjs', c.fixture);
        expect(await run(['convert', modelFile, '--to', 'tfjs', '--out', out], io)).toBe(0);
        const x = readNpy(new Uint8Array(readFileSync(join(dir!, c.root, c.fixture, 'input.npy'))));
        const node = await nodePredict(new Uint8Array(readFileSync(modelFile)), {
          data: Float32Array.from(x.data as Float32Array),
          shape: [...x.shape],
        });
        const browser = await launch();
        try {
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
          page.on('pageerror', (e) => errors.push(String(e)));
          const origin = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
          const at = c.root ? `${c.root}/` : '';
          await page.goto(
            `${origin}/index.html?model=/fixtures/${at}models/${c.fixture}.h5&input=/fixtures/${at}${c.fixture}/input.npy&tfjs=/tfjs/${c.fixture}/model.json`,
          );
          await settled(page);
          const web = JSON.parse((await page.locator('#prediction').textContent())!) as { data: number[] }[];
          web.forEach((o, i) => o.data.forEach((v, j) => expect(Math.abs(v - node[i][j])).toBeLessThanOrEqual(1e-5)));
          await settled(page, '#tfjs-prediction');
          const viaTfjs = JSON.parse((await page.locator('#tfjs-prediction').textContent())!) as { data: number[] }[];
          expect(viaTfjs.length).toBe(node.length);
          viaTfjs.forEach((o, i) =>
            o.data.forEach((v, j) => expect(Math.abs(v - node[i][j])).toBeLessThanOrEqual(1e-5)),
          );
          expect(errors).toEqual([]);
        } finally {
          await browser.close();
        }
      },
      10 * MINUTE,
    );
});
