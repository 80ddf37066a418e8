import type { NdArray } from '@keraspect/importer';
import { createExplainer, type ExplainerOptions } from '../explainer.ts';
import { deletionCurve, insertionCurve } from '../faithfulness.ts';
import { type MethodName, methods } from '../methods/index.ts';
import { boxBackground, boxDataset, boxMask, type BoxVariant, boxVariants } from './box.ts';
import { accuracyDrop, randomSaliency, saliencyPrecisionRecall } from './metrics.ts';
import { classificationAccuracy, type TrainOptions, type TrainReport, trainBoxModel } from './model.ts';

/**
 * A method of the benchmark table: an attribution method, the same under temporal saliency
 * rescaling (`tsr:<method>`), or the random-saliency control.
 */
export type BenchmarkMethod = MethodName | `tsr:${MethodName}` | 'random';

/**
 * Methods whose TSR row the default table has. TSR runs the method ~T·F/20 more times per sample,
 * which LRP's unfused recurrent rules make too slow for the table (~45 min per variant here).
 */
export const tsrMethods: readonly MethodName[] = [
  'gradient',
  'gradientXInput',
  'integratedGradients',
  'smoothGrad',
  'gradientShap',
];

/** The methods of the default table, the control last. */
export const benchmarkMethods: readonly BenchmarkMethod[] = [
  'gradient',
  'gradientXInput',
  'integratedGradients',
  'smoothGrad',
  'occlusion',
  'lrpEpsilon',
  'deepLift',
  'deepLiftShap',
  'gradientShap',
  'featureAblation',
  'featurePermutation',
  'kernelShap',
  'timeShap',
  ...tsrMethods.map((m) => `tsr:${m}` as const),
  'random',
];

/** Options of {@link runBoxBenchmark}. */
export interface BoxBenchmarkOptions {
  /** Datasets. Default all five. */
  variants?: readonly BoxVariant[];
  /** Methods. Default {@link benchmarkMethods}. */
  methods?: readonly BenchmarkMethod[];
  /** T and F. Default 50 × 50 (the paper's). */
  steps?: number;
  features?: number;
  /** Training and explained (test) samples. Default 1000 and 100 (the paper's). */
  trainSamples?: number;
  testSamples?: number;
  /** Seed of data, weights, noise and controls. Default 0. */
  seed?: number;
  /** Training options (epochs, time budget, units…). */
  train?: TrainOptions;
  /**
   * Options per method, over the defaults below (IG 32 steps, SmoothGrad 16 samples, occlusion,
   * ablation, permutation and Kernel SHAP on 5 × 5 patches at 50 × 50, GradientSHAP and
   * DeepLIFT-SHAP on 32 background series; under TSR, IG 8 steps and SmoothGrad 4 samples).
   */
  methodOptions?: Partial<Record<MethodName, Record<string, unknown>>>;
  /** Masked fractions of the accuracy-drop and deletion/insertion curves. Default 10 (0, 0.1, …, 1). */
  fractions?: number;
  /** Called with a line of progress text. */
  onProgress?: (line: string) => void;
}

/** One row of the table: a method's scores on a variant. */
export interface BenchmarkRow {
  variant: BoxVariant;
  method: BenchmarkMethod;
  /** Saliency-weighted area under precision / recall (Ismail et al.; higher is better). */
  aup: number;
  aur: number;
  /** Area under acc(0) − acc(k) as the top-k% salient cells are masked with background (higher is better). */
  accuracyDropAuc: number;
  /** Deletion / insertion AUC of the label's probability with background replacement (lower / higher is better). */
  deletionAuc: number;
  insertionAuc: number;
  /** Attribution time. */
  ms: number;
}

/** The model trained on one variant. */
export interface BenchmarkModelInfo {
  variant: BoxVariant;
  train: TrainReport;
  testAccuracy: number;
}

/**
 * Ismail et al. 2020's box benchmark, scaled to train in seconds: for each variant generate
 * train/test data, train the LSTM + SeqSelfAttention classifier in TF.js, explain the logit of
 * each test sample's label with every method, and score the attributions (AUP, AUR, accuracy drop,
 * deletion and insertion AUC). The random-saliency control gives the chance level of every score.
 */
export async function runBoxBenchmark(
  options: BoxBenchmarkOptions = {},
): Promise<{ rows: BenchmarkRow[]; models: BenchmarkModelInfo[] }> {
  const {
    variants = boxVariants,
    methods = benchmarkMethods,
    steps = 50,
    features = 50,
    trainSamples = 1000,
    testSamples = 100,
    seed = 0,
    train = {},
    fractions = 10,
    onProgress,
  } = options;
  const rows: BenchmarkRow[] = [];
  const models: BenchmarkModelInfo[] = [];
  const background = boxBackground(256, steps, features, seed + 3);
  for (const variant of variants) {
    const tr = boxDataset({ variant, samples: trainSamples, steps, features, seed: seed * 10 + 1 });
    const te = boxDataset({ variant, samples: testSamples, steps, features, seed: seed * 10 + 2 });
    const { km, report } = await trainBoxModel(tr.x, tr.labels, { seed, ...train });
    try {
      const testAccuracy = classificationAccuracy(km, te.x, te.labels);
      models.push({ variant, train: report, testAccuracy });
      onProgress?.(
        `${variant}: trained ${report.epochs} epoch(s) in ${(report.ms / 1000).toFixed(1)} s, train accuracy ${report.trainAccuracy.toFixed(3)}, test accuracy ${testAccuracy.toFixed(3)}`,
      );
      const mask = boxMask(te);
      const labels = Array.from(te.labels);
      for (const method of methods) {
        const started = Date.now();
        const attr = await attribute(method, km, te.x, labels, steps, features, seed, options.methodOptions);
        const ms = Date.now() - started;
        const pr = saliencyPrecisionRecall(attr, mask);
        const drop = accuracyDrop(km, te.x, te.labels, attr, { background, fractions, seed });
        const curve = { baseline: { background }, fractions, seed, units: labels };
        const row: BenchmarkRow = {
          variant,
          method,
          aup: pr.aup,
          aur: pr.aur,
          accuracyDropAuc: drop.dropAuc,
          deletionAuc: deletionCurve(km, te.x, attr, curve).auc,
          insertionAuc: insertionCurve(km, te.x, attr, curve).auc,
          ms,
        };
        rows.push(row);
        onProgress?.(
          `${variant} ${method}: AUP ${row.aup.toFixed(3)} AUR ${row.aur.toFixed(3)} acc-drop ${row.accuracyDropAuc.toFixed(3)} del ${row.deletionAuc.toFixed(3)} ins ${row.insertionAuc.toFixed(3)} (${ms} ms)`,
        );
      }
    } finally {
      km.model.dispose();
    }
  }
  return { rows, models };
}

/** Attributions of the label's logit for one method (or the random control). */
async function attribute(
  method: BenchmarkMethod,
  km: Parameters<typeof createExplainer>[1],
  x: NdArray,
  labels: number[],
  T: number,
  F: number,
  seed: number,
  extra: BoxBenchmarkOptions['methodOptions'] = {},
): Promise<NdArray> {
  if (method === 'random') return randomSaliency(x, seed + 5);
  const w = Math.max(1, Math.round(T / 10));
  const g = Math.max(1, Math.round(F / 10));
  const groups = Array.from({ length: Math.ceil(F / g) }, (_, i) =>
    Array.from({ length: Math.min(g, F - i * g) }, (_, j) => i * g + j),
  );
  const background = boxBackground(32, T, F, seed + 7);
  const defaults: Partial<Record<MethodName, Record<string, unknown>>> = {
    integratedGradients: { steps: 32 },
    smoothGrad: { samples: 16 },
    occlusion: { window: w, features: groups },
    featureAblation: { groups: { window: w, features: groups } },
    featurePermutation: { groups: { window: w, features: groups } },
    // 100 players: 400 coalitions instead of shap's 2248 keep the run to about a minute per variant.
    kernelShap: { groups: { window: w, features: groups }, samples: 400 },
    timeShap: { samples: 400 },
    gradientShap: { background, samples: 16 },
    deepLiftShap: { background },
  };
  const light: Partial<Record<MethodName, Record<string, unknown>>> = {
    integratedGradients: { steps: 8 },
    smoothGrad: { samples: 4 },
    gradientShap: { background, samples: 4 },
  };
  const run = { target: labels, preActivation: true, seed, internalBatchSize: 64 };
  if (method.startsWith('tsr:')) {
    const inner = method.slice(4) as MethodName;
    const options = {
      ...run,
      wrap: methods[inner],
      wrapOptions: { ...(light[inner] ?? defaults[inner]), ...extra[inner] },
      features: groups,
      ...extra.temporalSaliencyRescaling,
    } as ExplainerOptions<'temporalSaliencyRescaling'>;
    return (await createExplainer('temporalSaliencyRescaling', km, options).attribute(x)).attributions[0];
  }
  const name = method as MethodName;
  const options = { ...run, ...defaults[name], ...extra[name] } as ExplainerOptions;
  const res = await createExplainer(name, km, options).attribute(x);
  return res.attributions[0];
}

/** The benchmark as Markdown: one table per variant, methods as rows. */
export function benchmarkTable(rows: BenchmarkRow[], models: BenchmarkModelInfo[] = []): string {
  const out: string[] = [];
  for (const variant of [...new Set(rows.map((r) => r.variant))]) {
    const m = models.find((x) => x.variant === variant);
    out.push(`### ${variant}${m ? ` (test accuracy ${m.testAccuracy.toFixed(2)})` : ''}`, '');
    out.push(
      '| method | AUP ↑ | AUR ↑ | accuracy-drop AUC ↑ | deletion AUC ↓ | insertion AUC ↑ |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const r of rows.filter((x) => x.variant === variant)) {
      out.push(
        `| ${r.method === 'random' ? 'random (control)' : r.method} | ${r.aup.toFixed(3)} | ${r.aur.toFixed(3)} | ${r.accuracyDropAuc.toFixed(3)} | ${r.deletionAuc.toFixed(3)} | ${r.insertionAuc.toFixed(3)} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}
