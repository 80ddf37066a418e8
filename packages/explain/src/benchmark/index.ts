/**
 * `@keraspect/explain/benchmark`: the box benchmark of Ismail et al. 2020 (synthetic datasets,
 * the classifier trained in TF.js, saliency precision/recall and accuracy drop) as its own entry
 * point, for programs that run the benchmark without the rest of the explain API.
 */
export * from './box.ts';
export * from './metrics.ts';
export * from './model.ts';
export * from './run.ts';
