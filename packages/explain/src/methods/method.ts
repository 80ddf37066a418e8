import type { KerasModel, NdArray } from '@keraspect/importer';
import type { LayerOverride } from '../graph.ts';
import type { Problem } from '../problem.ts';

/** Progress of a running method: `done` of `total` model evaluations (rows). */
export interface Progress {
  method: string;
  done: number;
  total: number;
}

/** Options every method accepts. */
export interface RunOptions {
  /**
   * Rows (samples × steps × noise draws) per forward/backward pass. Bounds memory: a 50-step IG
   * on a batch of 64 runs 3200 rows in chunks of this size. Default 32.
   */
  internalBatchSize?: number;
  /** Seed of every random draw (noise, random baselines); same seed, same result. Default 0. */
  seed?: number;
  /** Called after every chunk with the work done so far. */
  onProgress?: (p: Progress) => void;
}

/** What a method gets besides the problem: normalized run options and the method table. */
export interface RunContext {
  internalBatchSize: number;
  seed: number;
  progress(done: number, total: number): void;
  /** Look up another method by name (how SmoothGrad wraps any method without importing the table). */
  method(name: MethodNameLike): AnyMethod;
}

/** The result of a method: one attribution array per attributed tensor, shaped like it. */
export interface MethodResult {
  attributions: NdArray[];
  /** Integrated Gradients: Σattr − (f(x) − f(baseline)) per sample. */
  delta?: Float32Array;
}

/** A method name as a string (the typed union is `MethodName` in `methods/index.ts`). */
export type MethodNameLike = string;

/**
 * One attribution method. Each lives in its own file under `methods/` and is listed in the
 * `methods` table; `normalize` fills defaults and validates once, `run` does the work.
 */
export interface Method<O> {
  /** Human name, e.g. "Integrated Gradients". */
  readonly title: string;
  /** Paper link. */
  readonly paper: string;
  /** Whether the method needs gradients (occlusion does not). */
  readonly usesGradients: boolean;
  /** Fill defaults and validate (throws `ExplainError` naming the option). */
  normalize(options: Partial<O>): O;
  /** Layer overrides the model must be evaluated with (LRP's rules), if any. */
  override?(km: KerasModel, options: O): LayerOverride | undefined;
  /** Default for `preActivation` when the caller does not set it. */
  readonly preActivationDefault?: boolean;
  run(problem: Problem, options: O, ctx: RunContext): Promise<MethodResult>;
  /**
   * Whether, with these options, each row's attribution depends on that row alone (not on the rest
   * of the batch: no batch mean, batch background or permutation across rows). Wrappers may then
   * stack the rows of several noisy copies into one batch (SmoothGrad's draws). Absent: false.
   */
  rowwise?(options: O, problem: Problem): boolean;
}

// biome-ignore lint: the table holds methods with different option types
export type AnyMethod = Method<any>;
