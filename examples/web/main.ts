/**
 * The Keraspect viewer: a Keras model and an input, dropped or picked (or `?model=URL&input=URL`),
 * all computed in the page — summary, prediction, attention maps and rollout, attributions, layer
 * outputs and histograms, drawn with @keraspect/viz's canvas painter; hover a chart for values.
 * `?tfjs=URL` (with `input`) also loads a `keraspect convert --to tfjs` model.json with plain
 * `tf.loadLayersModel` and writes its prediction into `#tfjs-prediction`.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import fontBold from 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf?url';
import fontRegular from 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf?url';
import { attentionMaps, attentionRollout, createExplainer, layerOutputs, methodNames } from '@keraspect/explain';
import { backend, initBackend, type KerasModel, loadModel, predict, readNpy } from '@keraspect/importer';
import { type ChartKind, chartSpec, drawToCanvas, type FigureSpec, type PanelSpec, registerFont } from '@keraspect/viz';

/** A dense array, batch first. */
interface Arr {
  data: Float32Array;
  shape: number[];
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const specs = new Map<HTMLCanvasElement, { spec: FigureSpec; kind: ChartKind }>();

let km: KerasModel | null = null;
let x: Arr | null = null;

// `?maxReadMs=N` lowers (or raises) the time bound on reading an HDF5 file in the reader Web Worker.
const maxReadMs = Number(new URLSearchParams(location.search).get('maxReadMs'));
const loadOptions = maxReadMs > 0 ? { limits: { maxReadMs } } : {};

// The wasm backend fetches its .wasm files by name; in a bundle they live wherever the bundler put
// them, so tell it (https://github.com/tensorflow/tfjs/tree/master/tfjs-backend-wasm#using-bundlers).
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

const ready = (async () => {
  const fonts = await Promise.all(
    [fontRegular, fontBold].map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())),
  );
  await registerFont(fonts[0]);
  await registerFont(fonts[1], { bold: true });
  await initBackend('wasm');
})();

function status(text: string): void {
  $('status').textContent = text;
}

function showError(e: unknown): void {
  const el = $('error');
  el.hidden = false;
  el.textContent = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  status('Failed.');
  console.error(e);
}

/** Parse an input file: `.npy`, `.json` (nested arrays) or `.csv` (one sample: rows = time steps). */
function parseInput(bytes: Uint8Array, name: string): Arr {
  if (/\.npy$/i.test(name)) {
    const a = readNpy(bytes);
    return { data: Float32Array.from(a.data as ArrayLike<number>, Number), shape: [...a.shape] };
  }
  const text = new TextDecoder().decode(bytes);
  if (/\.json$/i.test(name)) {
    const nested = JSON.parse(text) as unknown;
    const shape: number[] = [];
    for (let v = nested; Array.isArray(v); v = v[0]) shape.push(v.length);
    const data = Float32Array.from((nested as unknown[]).flat(Number.POSITIVE_INFINITY) as number[]);
    if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${name}: the nested arrays are ragged.`);
    return { data, shape };
  }
  if (/\.csv$/i.test(name)) {
    const rows = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => l.split(/[,;\t]/).map(Number));
    const body = rows.filter((r) => r.every(Number.isFinite)); // drops a header row
    if (!body.length || body.some((r) => r.length !== body[0].length))
      throw new Error(`${name}: expected rows of numbers, all of one length.`);
    return { data: Float32Array.from(body.flat()), shape: [body.length, body[0].length] };
  }
  throw new Error(`${name}: inputs are .npy, .csv or .json files.`);
}

/** Add the batch axis when the input is one sample of the model's first input. */
function fitToModel(a: Arr, model: KerasModel): Arr {
  const want = model.inputShapes[0];
  if (a.shape.length === want.length - 1) return { data: a.data, shape: [1, ...a.shape] };
  return a;
}

/** Sample `i` of a batch-first array, without the batch axis. */
function row(a: { data: ArrayLike<number>; shape: readonly number[] }, i: number): Arr {
  const size = a.shape.slice(1).reduce((p, q) => p * q, 1);
  return {
    data: Float32Array.from(Array.prototype.slice.call(a.data, i * size, (i + 1) * size)),
    shape: a.shape.slice(1),
  };
}

function batchOf(a: Arr, i: number): Arr {
  const r = row(a, i);
  return { data: r.data, shape: [1, ...r.shape] };
}

/** Draw a chart on a canvas with viz's painter; remembers the spec for hover read-outs. */
function draw(id: string, kind: ChartKind, data: unknown, options: Record<string, unknown> = {}): void {
  const canvas = $<HTMLCanvasElement>(id);
  const spec = chartSpec(kind, data as never, { width: 940, scale: window.devicePixelRatio || 1, ...options } as never);
  drawToCanvas(spec, canvas);
  canvas.style.width = `${spec.width}px`;
  canvas.style.height = `${spec.height}px`;
  canvas.dataset.drawn = kind;
  specs.set(canvas, { spec, kind });
}

function clear(id: string): void {
  const canvas = $<HTMLCanvasElement>(id);
  delete canvas.dataset.drawn;
  specs.delete(canvas);
}

function fillSelect(id: string, options: string[], selected?: string): void {
  const sel = $<HTMLSelectElement>(id);
  sel.replaceChildren(...options.map((o) => new Option(o, o, false, o === selected)));
}

function table(id: string, header: string[], rows: (string | number)[][]): void {
  const t = $<HTMLTableElement>(id);
  const tr = (cells: (string | number)[], tag: 'td' | 'th') => {
    const r = document.createElement('tr');
    for (const c of cells) {
      const d = document.createElement(tag);
      d.textContent = String(c);
      r.append(d);
    }
    return r;
  };
  t.replaceChildren(tr(header, 'th'), ...rows.map((r) => tr(r, 'td')));
}

async function open(
  modelBytes: Uint8Array,
  modelName: string,
  inputBytes: Uint8Array,
  inputName: string,
): Promise<void> {
  $('error').hidden = true;
  status(`Loading ${modelName}…`);
  await ready;
  km?.dispose();
  km = null;
  km = await loadModel(modelBytes, loadOptions);
  x = fitToModel(parseInput(inputBytes, inputName), km);
  $('model-info').textContent =
    `${km.name} — ${km.producer}, ${km.format}; ${km.paramsTotal().toLocaleString('en-US')} parameters; backend ${backend()}; input ${JSON.stringify(x.shape)}`;
  table(
    'summary',
    ['Layer', 'Class', 'Output shape', 'Params', 'Connected to'],
    km
      .summary()
      .map((r) => [
        r.name,
        r.className,
        r.outputShapes.map((s) => JSON.stringify(s)).join(' '),
        r.params,
        r.inbound.join(', '),
      ]),
  );
  const outputs = predict(km, x);
  $('prediction').textContent = JSON.stringify(
    outputs.map((o) => ({ shape: o.shape, data: Array.from(o.data as ArrayLike<number>) })),
  );
  fillSelect(
    'sample',
    Array.from({ length: x.shape[0] }, (_, i) => String(i)),
    '0',
  );
  fillSelect('method', [...methodNames], 'integratedGradients');
  $('results').hidden = false;
  await showSample();
  status(`${modelName} on ${inputName}: done.`);
  document.body.dataset.ready = 'true';
}

async function showSample(): Promise<void> {
  if (!km || !x) return;
  const sample = Number($<HTMLSelectElement>('sample').value || 0);
  const model = km;
  const xs = row(x, sample);
  const sequence = xs.shape.length === 2;
  const preds = predict(model, batchOf(x, sample));
  table(
    'prediction-table',
    ['Output', 'Shape', 'Values (sample)'],
    preds.map((p, i) => [
      model.outputNames[i] ?? i,
      JSON.stringify(p.shape.slice(1)),
      Array.from(p.data as ArrayLike<number>, (v) => v.toPrecision(5))
        .slice(0, 20)
        .join(', '),
    ]),
  );
  if (sequence) draw('chart-input', 'features1D', xs, { title: `Input, sample ${sample}`, maxPanels: 16 });
  else clear('chart-input');

  // Attention maps of every attention layer, and the rollout through the square ones.
  $('attention-section').hidden = model.attentionLayers.length === 0;
  if (model.attentionLayers.length) {
    const one = batchOf(x, sample);
    const labelled: { label: string; values: Arr }[] = [];
    for (const m of attentionMaps(model, one)) {
      const a = row(m.array, 0);
      if (a.shape.length === 2 && a.shape[0] === a.shape[1]) labelled.push({ label: m.layer, values: a });
      else if (a.shape.length === 3)
        labelled.push({ label: `${m.layer} (mean of ${a.shape[0]} heads)`, values: meanHeads(a) });
    }
    const notes: string[] = [];
    try {
      labelled.push({ label: 'rollout', values: row(attentionRollout(model, one).rollout, 0) });
    } catch (e) {
      notes.push(`rollout not computed: ${(e as Error).message}`);
    }
    $('attention-note').textContent = notes.join(' ');
    const T = labelled[0]?.values.shape[0];
    if (labelled.length)
      draw(
        'chart-attention',
        'attention',
        { maps: labelled, series: sequence && xs.shape[0] === T ? xs : undefined },
        {
          title: `Attention, sample ${sample}`,
          maxColumns: 3,
        },
      );
    else clear('chart-attention');
  }
  await showAttribution();
  showLayers();
}

function meanHeads(a: Arr): Arr {
  const [H, T, S] = a.shape;
  const out = new Float32Array(T * S);
  for (let h = 0; h < H; h++) for (let i = 0; i < T * S; i++) out[i] += a.data[h * T * S + i] / H;
  return { data: out, shape: [T, S] };
}

async function showAttribution(): Promise<void> {
  if (!km || !x) return;
  const sample = Number($<HTMLSelectElement>('sample').value || 0);
  const method = $<HTMLSelectElement>('method').value as (typeof methodNames)[number];
  const xs = row(x, sample);
  const note = $('attribution-note');
  try {
    const options = method === 'integratedGradients' ? { steps: 32 } : {};
    const res = await createExplainer(method, km, { ...options, target: 'max' } as never).attribute(batchOf(x, sample));
    const a = row(res.attributions[0], 0);
    note.textContent = res.delta ? `convergence delta ${res.delta[0].toExponential(2)}` : '';
    if (xs.shape.length === 2)
      draw(
        'chart-attribution',
        'attribution',
        { series: xs, attributions: a },
        { title: `${method}, sample ${sample}`, method: 'overlayIndividual' },
      );
    else
      draw(
        'chart-attribution',
        'features0D',
        { data: a.data, shape: [1, a.shape[0]] },
        { title: `${method}, sample ${sample}` },
      );
  } catch (e) {
    // A method that does not apply to this model (e.g. gradients of token ids) says so here.
    note.textContent = `${method}: ${(e as Error).message}`;
    clear('chart-attribution');
  }
}

function showLayers(): void {
  if (!km || !x) return;
  const model = km;
  const sample = Number($<HTMLSelectElement>('sample').value || 0);
  const outs = layerOutputs(model, batchOf(x, sample), 'all').filter((o) => !model.inputNames.includes(o.layer));
  const name = (o: (typeof outs)[number]) => (o.count === 1 ? o.layer : `${o.layer}.${o.index}`);
  const sel = $<HTMLSelectElement>('layer');
  const names = outs.map(name);
  const chosen = names.includes(sel.value)
    ? sel.value
    : (names.find((n) => /lstm|gru|rnn|conv|attention/i.test(n)) ?? names[0]);
  fillSelect('layer', names, chosen);
  const o = outs[names.indexOf(chosen)];
  if (!o) return;
  const a = row(o.array, 0);
  const title = `${chosen} — ${o.className}, sample ${sample}`;
  if (a.shape.length === 2) draw('chart-layer', 'features1D', a, { title, maxPanels: 16 });
  else if (a.shape.length === 1) draw('chart-layer', 'features0D', o.array, { title });
  else if (a.shape.length === 3) {
    // (rows, cols, channels), as Conv2D writes it: one heatmap per channel.
    const [H, W, C] = a.shape;
    const channels = new Float32Array(C * H * W);
    for (let i = 0; i < H * W; i++) for (let c = 0; c < C; c++) channels[c * H * W + i] = a.data[i * C + c];
    const shown = Math.min(C, 16);
    draw(
      'chart-layer',
      'features2D',
      { data: channels.subarray(0, shown * H * W), shape: [shown, H, W] },
      {
        title: C > shown ? `${title} (first ${shown} of ${C} channels)` : title,
        sampleLabels: Array.from({ length: shown }, (_, c) => `channel ${c}`),
        xLabel: 'column',
        yLabel: 'row',
      },
    );
  } else clear('chart-layer');
  draw('chart-layer-histogram', 'histogram', [{ label: chosen, values: a.data }], {
    title: `${chosen}: activations`,
    bins: 40,
    height: 320,
  });
}

/** What is under the mouse: the panel, its axis values, and a heatmap cell's value or the lines' values. */
function readOut(spec: FigureSpec, px: number, py: number): string | null {
  const p = spec.panels.find((q) => px >= q.x && px <= q.x + q.width && py >= q.y && py <= q.y + q.height);
  if (!p) return null;
  const xv = fromPx(p, px, 'x');
  const yv = fromPx(p, py, 'y');
  const lines: string[] = [p.title ?? p.label ?? '', `x ${xv.toPrecision(4)}, y ${yv.toPrecision(4)}`];
  for (const l of p.layers) {
    if (l.type === 'heatmap') {
      const c = Math.floor(((xv - l.x0) / (l.x1 - l.x0)) * l.cols);
      const r = Math.floor(((yv - l.y0) / (l.y1 - l.y0)) * l.rows);
      if (c >= 0 && c < l.cols && r >= 0 && r < l.rows)
        lines.push(`[${r}, ${c}] = ${Number(l.values[r * l.cols + c]).toPrecision(4)}`);
    } else if (l.type === 'line' && !l.vertical && l.x.length) {
      let best = 0;
      for (let i = 1; i < l.x.length; i++) if (Math.abs(l.x[i] - xv) < Math.abs(l.x[best] - xv)) best = i;
      lines.push(`at ${l.x[best].toPrecision(4)}: ${l.y[best].toPrecision(4)}`);
    }
  }
  return lines.filter(Boolean).slice(0, 8).join('\n');
}

function fromPx(p: PanelSpec, v: number, axis: 'x' | 'y'): number {
  const a = axis === 'x' ? p.xAxis : p.yAxis;
  let f = axis === 'x' ? (v - p.x) / p.width : (v - p.y) / p.height;
  if (axis === 'y' && !a.reversed) f = 1 - f;
  return a.log ? 10 ** (Math.log10(a.min) + f * (Math.log10(a.max) - Math.log10(a.min))) : a.min + f * (a.max - a.min);
}

document.addEventListener('mousemove', (e) => {
  const tip = $('tooltip');
  const canvas = e.target instanceof HTMLCanvasElement ? specs.get(e.target) : undefined;
  if (!canvas) return void (tip.hidden = true);
  const box = (e.target as HTMLCanvasElement).getBoundingClientRect();
  const text = readOut(
    canvas.spec,
    ((e.clientX - box.left) / box.width) * canvas.spec.width,
    ((e.clientY - box.top) / box.height) * canvas.spec.height,
  );
  tip.hidden = !text;
  tip.textContent = text ?? '';
  tip.style.left = `${e.clientX + 12}px`;
  tip.style.top = `${e.clientY + 12}px`;
});

// Files: picked or dropped (the model is the .h5/.keras one, the input the other).
const picked: { model?: File; input?: File } = {};
async function tryOpen(): Promise<void> {
  if (!picked.model || !picked.input) return void status(picked.model ? 'Now an input file.' : 'Now a model file.');
  const [m, i] = await Promise.all([picked.model.arrayBuffer(), picked.input.arrayBuffer()]);
  await open(new Uint8Array(m), picked.model.name, new Uint8Array(i), picked.input.name).catch(showError);
}
function take(files: Iterable<File>): void {
  // A new pick starts over: the last error and the done flag belong to the files before.
  $('error').hidden = true;
  delete document.body.dataset.ready;
  for (const f of files) {
    if (/\.(h5|hdf5|keras)$/i.test(f.name)) picked.model = f;
    else picked.input = f;
  }
  void tryOpen();
}
$<HTMLInputElement>('model-file').addEventListener('change', (e) => take((e.target as HTMLInputElement).files ?? []));
$<HTMLInputElement>('input-file').addEventListener('change', (e) => take((e.target as HTMLInputElement).files ?? []));
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  take(e.dataTransfer?.files ?? []);
});
$('sample').addEventListener('change', () => void showSample().catch(showError));
$('method').addEventListener('change', () => void showAttribution().catch(showError));
$('layer').addEventListener('change', () => {
  try {
    showLayers();
  } catch (e) {
    showError(e);
  }
});

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// ?model=URL&input=URL (files served beside the page) — how tests drive it; ?tfjs=URL also loads a
// `keraspect convert --to tfjs` model.json through TF.js alone (the importer registered its layer classes).
const params = new URLSearchParams(location.search);
const modelUrl = params.get('model');
const inputUrl = params.get('input');
if (modelUrl && inputUrl) {
  void (async () => {
    const [m, i] = await Promise.all([fetchBytes(modelUrl), fetchBytes(inputUrl)]);
    await open(m, modelUrl.split('/').pop()!, i, inputUrl.split('/').pop()!);
    const tfjsUrl = params.get('tfjs');
    const input = x as Arr | null; // set by open()
    if (tfjsUrl && input) {
      const loaded = await tf.loadLayersModel(tfjsUrl);
      const y = loaded.predict(tf.tensor(input.data, input.shape)) as tf.Tensor | tf.Tensor[];
      const ys = Array.isArray(y) ? y : [y];
      const out = document.createElement('pre');
      out.id = 'tfjs-prediction';
      out.hidden = true;
      out.textContent = JSON.stringify(ys.map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) })));
      document.body.append(out);
      tf.dispose(ys);
      loaded.dispose();
    }
  })().catch(showError);
}
