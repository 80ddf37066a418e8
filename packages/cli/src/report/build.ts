import { row } from '@keraspect/array';
import {
  attentionMaps,
  attentionRollout,
  createExplainer,
  faithfulness,
  layerOutputs,
  type MethodName,
} from '@keraspect/explain';
import { backend, type KerasModel, type NdArray, predict } from '@keraspect/importer';
import { type FigureSpec, render } from '@keraspect/viz';
import { warnings } from '../warnings.ts';
import { page, type ReportPage } from './html.ts';
import { seedFigures } from './seed-figures.ts';

/** Options of `buildReport`. */
export interface ReportOptions {
  /** Attribution methods shown (default gradientXInput and integratedGradients). */
  methods?: MethodName[];
  /** Integrated Gradients path points. Default 32. */
  steps?: number;
  /** Which sample the per-sample figures show. Default 0. */
  sample?: number;
  /** Channels per page of a layer's grid; every channel is drawn, on as many pages as needed. Default 60 (the seed answer's 10 × 6). */
  channelsPerPage?: number;
  /** Where the input came from, for the page. */
  inputLabel?: string;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** The report's files: `index.html` and images, by path relative to the report folder. */
export type ReportFiles = Map<string, Uint8Array | string>;

const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');

/**
 * The report's attention figure: every map (raw per layer, and the rollout) side by side, each on
 * its own colour scale with its own colorbar — raw weights near 0.04 beside a rollout near 0.5 stay
 * readable — with the input series along the sides.
 */
export function attentionFigure(
  maps: { label: string; values: NdArray }[],
  series: NdArray | undefined,
  sample: number,
) {
  return render('attention', series ? { maps, series } : maps, {
    title: `Attention, sample ${sample}`,
    maxColumns: 3,
    norm: 'none',
  });
}

/** Channels [from, to) of a (T, C) array, as a (T, to − from) array. */
function channels(a: NdArray, from: number, to: number): NdArray {
  const [T, C] = a.shape;
  const n = to - from;
  const out = new Float32Array(T * n);
  for (let t = 0; t < T; t++) for (let c = 0; c < n; c++) out[t * n + c] = a.data[t * C + from + c];
  return { data: out, shape: [T, n] };
}

/**
 * A (T, C) array as channel grids of at most `perPage` panels each: every channel, numbered 1…C
 * across pages, one y range per page (symmetric, with y = 0), axes on so magnitudes can be read.
 */
export function channelPages(
  a: NdArray,
  perPage: number,
  title: string,
): { spec: FigureSpec; png: Uint8Array; note: string }[] {
  const C = a.shape[1];
  const pages = Math.ceil(C / perPage);
  return Array.from({ length: pages }, (_, k) => {
    const from = k * perPage;
    const to = Math.min(C, from + perPage);
    const part = pages === 1 ? a : channels(a, from, to);
    const range = pages === 1 ? '' : `channels ${from + 1}–${to} of ${C}`;
    const r = render('features1D', part, {
      title: range ? `${title}, ${range}` : title,
      equateAxes: true,
      axes: true,
      channelLabels: Array.from({ length: to - from }, (_, c) => String(from + c + 1)),
    });
    return { spec: r.spec, png: r.png(), note: range ? `page ${k + 1} of ${pages}: ${range}` : '' };
  });
}

/**
 * Everything a person wants to see about a model on an input, as files: the summary, predictions,
 * per-layer channel grids, attention maps and rollout, attributions over the input with IG's
 * convergence delta, histograms of attention weights and activations, and each method's deletion
 * and insertion faithfulness beside a random ranking. Pure: returns the files; the caller writes them.
 */
export async function buildReport(
  km: KerasModel,
  x: NdArray | NdArray[],
  options: ReportOptions = {},
): Promise<ReportFiles> {
  const {
    methods = ['gradientXInput', 'integratedGradients'],
    steps = 32,
    sample = 0,
    channelsPerPage = 60,
    inputLabel = 'input',
    onProgress,
  } = options;
  const files: ReportFiles = new Map();
  const images: ReportPage['sections'] = [];
  // Each chart gives the event loop a turn: @napi-rs/canvas frees the pixel copies viz reads only
  // then, and past 16 MB of them in one synchronous burst viz falls back to a slower way to read pixels.
  const add = async (name: string, png: Uint8Array) => {
    files.set(`img/${name}.png`, png);
    await new Promise<void>((resolve) => setImmediate(resolve));
    return `img/${name}.png`;
  };
  // Multi-input models: the per-sample figures show the first input.
  const inputs = Array.isArray(x) ? x : [x];
  const xs = row(inputs[0], sample);
  const sequence = xs.shape.length === 2;
  const total = 4 + methods.length;
  let stage = 0;
  const tick = (label: string) => onProgress?.(label, ++stage, total);

  // Predictions for every sample.
  const preds = predict(km, x);
  tick('predictions');

  // Input and layer outputs of the chosen sample.
  const inputImg = sequence
    ? await add(
        'input',
        render('features1D', xs, { title: `Input (${inputLabel}, sample ${sample})`, axes: true }).png(),
      )
    : null;
  const one = inputs.map((a) => {
    const r = row(a, sample);
    return { data: r.data, shape: [1, ...r.shape] };
  });
  const outs = layerOutputs(km, one.length === 1 ? one[0] : one, 'all');
  const layerFigs: { title: string; src: string; note: string }[] = [];
  const histSeries: { label: string; values: Float32Array }[] = [];
  for (const o of outs) {
    if (km.inputNames.includes(o.layer)) continue;
    const name = o.count === 1 ? o.layer : `${o.layer}.${o.index}`;
    const a = row(o.array, 0);
    if (o.className && /Attention/.test(o.className) && o.index === 1) continue; // attention weights get their own section
    if (a.shape.length === 2) {
      const pages = channelPages(a, channelsPerPage, `${name} — ${o.className}`);
      for (const [k, p] of pages.entries())
        layerFigs.push({
          title: `${name} (${o.className})`,
          note: `(T=${a.shape[0]}, C=${a.shape[1]})${p.note ? `, ${p.note}` : ''}`,
          src: await add(`layer-${slug(name)}${pages.length > 1 ? `-${k + 1}` : ''}`, p.png),
        });
    } else if (a.shape.length === 1 && a.shape[0] > 1) {
      layerFigs.push({
        title: `${name} (${o.className})`,
        note: `(C=${a.shape[0]})`,
        src: await add(
          `layer-${slug(name)}`,
          render('features0D', o.array, { title: `${name} — ${o.className}`, width: 900, height: 300 }).png(),
        ),
      });
    }
    if (a.data.length > 1) histSeries.push({ label: name, values: a.data as Float32Array });
  }
  tick('layer outputs');

  // Attention maps (every attention layer) and rollout.
  let attentionImg: string | null = null;
  let attentionHist: string | null = null;
  const attentionNotes: string[] = [];
  if (km.attentionLayers.length) {
    const maps = attentionMaps(km, x);
    const labelled: { label: string; values: NdArray }[] = [];
    const weights: { label: string; values: Float32Array }[] = [];
    for (const m of maps) {
      const a = row(m.array, sample);
      attentionNotes.push(
        `${m.layer} (${m.className}): shape ${JSON.stringify(m.array.shape)}, axes ${m.axes.join(' × ')}`,
      );
      if (a.shape.length === 2 && a.shape[0] === a.shape[1]) labelled.push({ label: m.layer, values: a });
      if (a.shape.length === 3)
        labelled.push({ label: `${m.layer} (mean of ${a.shape[0]} heads)`, values: meanHeads(a) });
      weights.push({ label: m.layer, values: a.data as Float32Array });
    }
    try {
      const r = attentionRollout(km, x);
      labelled.push({ label: 'rollout', values: row(r.rollout, sample) });
    } catch (e) {
      attentionNotes.push(`rollout not computed: ${(e as Error).message}`);
    }
    // The input series runs along the maps' sides only where they span its time steps: attention
    // after pooling or strided convolutions (EQTransformer's 47 of 6000 steps) has no such axis.
    const spansInput = sequence && labelled.every((m) => m.values.shape[0] === xs.shape[0]);
    if (sequence && !spansInput)
      attentionNotes.push(
        `the input series is not drawn beside the maps: they span ${[...new Set(labelled.map((m) => m.values.shape[0]))].join(', ')} steps, the input ${xs.shape[0]}`,
      );
    if (labelled.length)
      attentionImg = await add('attention', attentionFigure(labelled, spansInput ? xs : undefined, sample).png());
    attentionHist = await add(
      'hist-attention',
      render('histogram', weights, {
        title: 'Attention weights',
        bins: 40,
        logY: true,
        layout: 'overlay',
      } as never).png(),
    );
  }
  tick('attention');

  // Attributions, with deletion/insertion faithfulness (whole time steps zeroed, relative to the
  // unperturbed score) beside a random ranking.
  const attrs: ReportPage['attributions'] = [];
  for (const method of methods) {
    const opts = method === 'integratedGradients' ? { steps } : {};
    const res = await createExplainer(method, km, { ...opts, target: 'max' } as never).attribute(x);
    const a = res.attributions[0];
    const src = sequence
      ? await add(
          `attr-${method}`,
          render(
            'attribution',
            { series: xs, attributions: row(a, sample) },
            { title: `${method}, sample ${sample}`, method: 'overlayIndividual', width: 900 },
          ).png(),
        )
      : null;
    // Deletion/insertion perturb one input; for multi-input models they are left out.
    const f =
      sequence && !Array.isArray(x)
        ? faithfulness(km, x, res, { granularity: 'step', fractions: 16, baseline: 'zeros', relative: true, seed: 1 })
        : null;
    attrs.push({
      method,
      src,
      delta: res.delta ? Array.from(res.delta) : null,
      deletionAuc: f?.deletion.auc ?? null,
      randomDeletionAuc: f?.randomDeletion.auc ?? null,
      insertionAuc: f?.insertion.auc ?? null,
      randomInsertionAuc: f?.randomInsertion.auc ?? null,
      units: res.units ? Array.from(res.units) : null,
    });
    tick(method);
  }

  const activationHist = histSeries.length
    ? await add(
        'hist-activations',
        render('histogram', histSeries.slice(0, 12), {
          title: 'Activations by layer',
          bins: 40,
          layout: 'grid',
        } as never).png(),
      )
    : null;
  tick('histograms');

  // The seed answer's figures, drawn with its arguments (also `keraspect show`).
  const seed = seedFigures(km, x, { sample });
  const seedFigs = [];
  for (const f of seed.figures)
    seedFigs.push({
      src: await add(`seed-${f.file.replace(/\.png$/, '')}`, f.png),
      caption: f.caption,
      answer: f.answer,
      keraspect: f.keraspect,
    });

  images.push(...layerFigs.map((f) => ({ title: f.title, src: f.src, note: f.note })));
  files.set(
    'index.html',
    page({
      model: km.name,
      producer: km.producer,
      format: km.format,
      backend: backend(),
      inputLabel,
      inputShape: inputs[0].shape,
      sample,
      summary: km.summary(),
      paramsTotal: km.paramsTotal(),
      warnings: warnings(km),
      predictions: preds.map((p, i) => ({
        name: km.outputNames[i] ?? `output ${i}`,
        shape: p.shape,
        rows: Array.from({ length: p.shape[0] }, (_, b) => Array.from(row(p, b).data).slice(0, 8)),
      })),
      inputImg,
      sections: images,
      attentionImg,
      attentionNotes,
      seedFigures: seedFigs,
      seedNotes: seed.notes,
      attentionHist,
      activationHist,
      attributions: attrs,
    }),
  );
  return files;
}

function meanHeads(a: NdArray): NdArray {
  const [H, T, S] = a.shape;
  const out = new Float32Array(T * S);
  for (let h = 0; h < H; h++) for (let i = 0; i < T * S; i++) out[i] += a.data[h * T * S + i] / H;
  return { data: out, shape: [T, S] };
}
