import {
  attentionMaps,
  attentionRollout,
  createExplainer,
  faithfulness,
  layerOutputs,
  type MethodName,
} from '@keraspect/explain';
import { backend, type KerasModel, type NdArray, predict } from '@keraspect/importer';
import { render } from '@keraspect/viz';
import { warnings } from '../warnings.ts';
import { page, type ReportPage } from './html.ts';

/** Options of `buildReport`. */
export interface ReportOptions {
  /** Attribution methods shown (default gradientXInput and integratedGradients). */
  methods?: MethodName[];
  /** Integrated Gradients path points. Default 32. */
  steps?: number;
  /** Which sample the per-sample figures show. Default 0. */
  sample?: number;
  /** Channels shown per layer grid at most. Default 16. */
  maxChannels?: number;
  /** Where the input came from, for the page. */
  inputLabel?: string;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** The report's files: `index.html` and images, by path relative to the report folder. */
export type ReportFiles = Map<string, Uint8Array | string>;

const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');

function row(a: NdArray, b: number): NdArray {
  const per = a.data.length / a.shape[0];
  return { data: a.data.subarray(b * per, (b + 1) * per) as Float32Array, shape: a.shape.slice(1) };
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
    maxChannels = 16,
    inputLabel = 'input',
    onProgress,
  } = options;
  const files: ReportFiles = new Map();
  const images: ReportPage['sections'] = [];
  const add = (name: string, png: Uint8Array) => {
    files.set(`img/${name}.png`, png);
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
    ? add(
        'input',
        render('features1D', xs, {
          title: `Input (${inputLabel}, sample ${sample})`,
          maxPanels: maxChannels,
          width: 900,
          height: 260 + 60 * Math.ceil(Math.min(maxChannels, xs.shape[1]) / 4),
        }).png(),
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
      const C = a.shape[1];
      const shown = Math.min(C, maxChannels);
      layerFigs.push({
        title: `${name} (${o.className})`,
        note: `(T=${a.shape[0]}, C=${C})${C > shown ? `, first ${shown} channels` : ''}`,
        src: add(
          `layer-${slug(name)}`,
          render('features1D', a, {
            title: `${name} — ${o.className}`,
            maxPanels: shown,
            width: 900,
            height: 200 + 70 * Math.ceil(shown / 4),
          }).png(),
        ),
      });
    } else if (a.shape.length === 1 && a.shape[0] > 1) {
      layerFigs.push({
        title: `${name} (${o.className})`,
        note: `(C=${a.shape[0]})`,
        src: add(
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
    if (labelled.length)
      attentionImg = add(
        'attention',
        render('attention', { maps: labelled, series: sequence ? xs : undefined } as never, {
          title: `Attention, sample ${sample}`,
          maxColumns: 3,
        }).png(),
      );
    attentionHist = add(
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
      ? add(
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
    ? add(
        'hist-activations',
        render('histogram', histSeries.slice(0, 12), {
          title: 'Activations by layer',
          bins: 40,
          layout: 'grid',
        } as never).png(),
      )
    : null;
  tick('histograms');

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
