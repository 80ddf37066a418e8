/**
 * The Ismail et al. 2020 box benchmark (https://arxiv.org/abs/2010.13924) for every attribution
 * method: trains the LSTM + SeqSelfAttention classifier in TF.js on each variant, scores every
 * method's attributions and a random-saliency control, prints the tables and writes
 * docs/faithfulness.md. Usage: `pnpm faithfulness [--out docs/faithfulness.md] [--seed 0]
 * [--variants middle,moving] [--methods gradient,tsr:gradient,random] [--test-samples 100]`.
 */
import { writeFileSync } from 'node:fs';
import { backend, initBackend } from '@keraspect/importer';
import {
  type BenchmarkRow,
  benchmarkMethods,
  benchmarkTable,
  boxGeometry,
  boxVariants,
  runBoxBenchmark,
  tsrMethods,
} from '@keraspect/explain';
import { configureFromEnv } from '@keraspect/cli';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const out = arg('out', 'docs/faithfulness.md');
const variants = arg('variants', boxVariants.join(',')).split(',') as (typeof boxVariants)[number][];
const methods = arg('methods', benchmarkMethods.join(',')).split(',') as (typeof benchmarkMethods)[number][];
const seed = Number(arg('seed', '0'));
const T = 50;
const F = 50;
const trainSamples = 1000;
const testSamples = Number(arg('test-samples', '100'));
const epochs = 5;

await configureFromEnv(process.env);
await initBackend();
const started = Date.now();
const { rows, models } = await runBoxBenchmark({
  steps: T,
  features: F,
  trainSamples,
  testSamples,
  seed,
  variants,
  methods,
  train: { epochs, targetAccuracy: 1.01, timeBudgetMs: 60_000 },
  onProgress: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
});
const seconds = (Date.now() - started) / 1000;

const label = (m: string) => (m === 'random' ? 'random (control)' : m.startsWith('tsr:') ? `TSR(${m.slice(4)})` : m);
/** TSR minus the plain method, per variant, and how many of the variants it improves. */
const tsrGain = (pick: (r: BenchmarkRow) => number) => {
  const lines = [
    `| method | ${variants.join(' | ')} | improved |`,
    `|---|${variants.map(() => '---:').join('|')}|---:|`,
  ];
  for (const m of tsrMethods.filter((x) => methods.includes(x) && methods.includes(`tsr:${x}`))) {
    let better = 0;
    let total = 0;
    const cells = variants.map((v) => {
      const a = rows.find((x) => x.variant === v && x.method === m);
      const b = rows.find((x) => x.variant === v && x.method === `tsr:${m}`);
      if (!a || !b) return '—';
      total++;
      const d = pick(b) - pick(a);
      if (d > 0) better++;
      return `${d >= 0 ? '+' : ''}${d.toFixed(3)}`;
    });
    lines.push(`| ${m} | ${cells.join(' | ')} | ${better}/${total} |`);
  }
  return lines.join('\n');
};
/** How many (method, variant) pairs TSR improves, of those in the table. */
const tsrCount = (pick: (r: BenchmarkRow) => number) => {
  let better = 0;
  let total = 0;
  for (const m of tsrMethods)
    for (const v of variants) {
      const a = rows.find((x) => x.variant === v && x.method === m);
      const b = rows.find((x) => x.variant === v && x.method === `tsr:${m}`);
      if (!a || !b) continue;
      total++;
      if (pick(b) > pick(a)) better++;
    }
  return { better, total };
};
const tsrVerdict = () => {
  const aup = tsrCount((r) => r.aup);
  const drop = tsrCount((r) => r.accuracyDropAuc);
  const holds = aup.better === aup.total && drop.better === drop.total;
  return `Here TSR raises AUP in ${aup.better} of ${aup.total} (method, variant) pairs and the accuracy-drop AUC in ${drop.better} of ${drop.total}: the claim that it improves every method ${holds ? 'holds' : 'does not hold'} on this model and size.`;
};
const summary = (pick: (r: BenchmarkRow) => number) => {
  const lines = [`| method | ${variants.join(' | ')} |`, `|---|${variants.map(() => '---:').join('|')}|`];
  for (const m of methods) {
    const cells = variants.map((v) => {
      const r = rows.find((x) => x.variant === v && x.method === m);
      return r ? pick(r).toFixed(3) : '—';
    });
    lines.push(`| ${label(m)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
};
const geometry = boxVariants
  .map((v) => {
    const g = boxGeometry(v, T, F);
    return `| ${v} | ${v === 'moving' ? 'random per sample' : `${g.t0}–${g.t0 + g.nt - 1}`} | ${g.nt} | ${v === 'moving' ? 'random per sample' : `${g.f0}–${g.f0 + g.nf - 1}`} | ${g.nf} |`;
  })
  .join('\n');

const md = `# Faithfulness benchmark

Do attributions point at what the model uses? The synthetic **box** benchmark of
[Ismail et al. 2020, "Benchmarking Deep Learning Interpretability in Time Series Predictions"](https://arxiv.org/abs/2010.13924)
(NeurIPS 2020) answers with ground truth: every cell of a ${T} × ${F} series (time × features) is N(0, 1)
noise except an informative box, whose cells are N(+1, 1) for class 1 and N(−1, 1) for class 0.
A classifier can only be right by looking inside the box.

Generated by \`pnpm faithfulness\` (\`scripts/faithfulness-benchmark.ts\`, seed ${seed}, backend ${backend()}, ${seconds.toFixed(0)} s in all).
Library: \`boxDataset\`, \`saliencyPrecisionRecall\`, \`accuracyDrop\`, \`runBoxBenchmark\` and the
deletion/insertion curves \`deletionCurve\`, \`insertionCurve\`, \`faithfulness\` in \`@keraspect/explain\`.

## Setup

| variant | box time steps | steps | box features | features |
|---|---|---:|---|---:|
${geometry}

(The paper's layout at T = F = 50, from its \`createDatasets.py\`; *moving* is the paper's Moving_Middle: the middle-sized box at a uniformly random position per sample.)

- **Model**: Input(${T}, ${F}) → LSTM(8, return_sequences) → SeqSelfAttention(8) → Concatenate → Flatten → Dense(2, softmax),
  a Keras 2 config built by \`modelFromConfig\` and trained in TF.js (Adam 0.01, ${epochs} epochs, ${trainSamples} training samples, seeded).
- **Explained**: the logit of each test sample's label (\`target: labels, preActivation: true\`), ${testSamples} test samples${testSamples < 100 ? " (the paper's 100 cut down to keep the run short on a shared 2-core machine)" : ''}.
- **Methods**: gradient, gradient×input, Integrated Gradients (32 Gauss–Legendre steps, zero baseline), SmoothGrad over the
  gradient (16 samples, noise 0.15), occlusion (${Math.round(T / 10)} steps × ${Math.round(F / 10)} features patches), LRP-ε,
  GradientSHAP (16 draws, 32 N(0, 1) background series), feature ablation and permutation and Kernel SHAP (on the same
  ${Math.round(T / 10)} × ${Math.round(F / 10)} patches), TimeSHAP (event level, average-event baseline, pruning tolerance 0.025),
  Kernel SHAP and TimeSHAP with 400 coalitions, temporal saliency rescaling (TSR, Ismail et al.'s own method: time relevance
  by mean |attribution|, 0.55 quantile, features masked in the same ${Math.round(F / 10)}-feature groups; IG 8 steps, SmoothGrad
  4 samples and GradientSHAP 4 draws under TSR to keep the run short) over ${tsrMethods.filter((m) => methods.includes(`tsr:${m}`)).length} of them,
  DeepLIFT (Rescale, zero baseline; the LSTM unrolled with its gates as gates) and DeepLIFT-SHAP (the same 32 background series),
  and a random-saliency control (uniform noise) that gives the chance level of every score.

## Metrics

- **AUP / AUR** (Ismail et al.): saliency s = |attribution| min–max rescaled per sample; the top k % cells are the positives;
  precision = Σ_TP s / Σ_positives s and recall = Σ_TP s / Σ_box s, averaged over samples, for k = 10 %, …, 90 %;
  AUP/AUR are the areas under those curves divided by the k range (1 is perfect). The control's AUP is the box's share of cells.
- **Accuracy-drop AUC** (Ismail et al.): replace the top k % salient cells with values from a fresh N(0, 1) background sample
  and measure accuracy for k = 0, 10 %, …, 100 %; the area under acc(0) − acc(k). Higher: the method found the cells the
  model needs. (Large boxes hold far more evidence than the model needs, so accuracy falls late for every method.)
- **Deletion / insertion AUC** (Samek et al. 2017; Petsiuk et al. 2018): the label's probability as the top k % cells are
  replaced by background (deletion, lower is better) or put back into a background sample (insertion, higher is better).

## Summary: AUP (higher is better; the control gives chance)

${summary((r) => r.aup)}

## Summary: accuracy-drop AUC (higher is better)

${summary((r) => r.accuracyDropAuc)}

## Does TSR improve every method? (TSR − plain)

The paper (Ismail et al. 2020, §6) reports that TSR improves the saliency methods it wraps. ${tsrVerdict()} AUP:

${tsrGain((r) => r.aup)}

Accuracy-drop AUC:

${tsrGain((r) => r.accuracyDropAuc)}

## Per variant

${benchmarkTable(rows, models)}
## Training

| variant | epochs | train time | train accuracy | test accuracy |
|---|---:|---:|---:|---:|
${models.map((m) => `| ${m.variant} | ${m.train.epochs} | ${(m.train.ms / 1000).toFixed(1)} s | ${m.train.trainAccuracy.toFixed(3)} | ${m.testAccuracy.toFixed(3)} |`).join('\n')}

Training is seeded, but TF.js kernels may differ in the last bits between backends and versions, so numbers can move a
little from run to run on another machine; the ranking against the control is what to read.
`;

console.log(`\n${md}`);
writeFileSync(out, md);
console.log(`wrote ${out}`);
