import { normalizeOptions, type OptionSpecs, t } from '@keraspect/array';
import type { KerasModel, NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import type { LayerOverride } from '@keraspect/importer';
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

/** The description of {@link RunOptions} (its keys are the run options every method accepts). */
export const runOptionSpecs: OptionSpecs<RunOptions> = {
  internalBatchSize: {
    type: t.integer({ min: 1 }),
    doc: 'rows (samples × steps × noise draws) per forward/backward pass; bounds memory',
    default: 32,
  },
  seed: { type: t.integer(), doc: 'seed of every random draw (noise, random baselines)', default: 0 },
  onProgress: { type: t.function, doc: 'called after every chunk with { method, done, total }' },
};

/** What a method gets besides the problem: normalized run options and the method table. */
export interface RunContext {
  internalBatchSize: number;
  seed: number;
  progress(done: number, total: number): void;
}

/** The result of a method: one attribution array per attributed tensor, shaped like it. */
export interface MethodResult {
  attributions: NdArray[];
  /** Integrated Gradients: Σattr − (f(x) − f(baseline)) per sample. */
  delta?: Float32Array;
}

/** What a wrapper wraps: the inner method and its normalized options. */
export interface Wrapped {
  method: AnyMethod;
  options: unknown;
}

/**
 * One attribution method. Each lives in its own file under `methods/` and is listed in the
 * `methods` table. `options` describes every option (type, default, doc); {@link normalizeMethodOptions}
 * fills the defaults and validates from it once, `check` adds what one option's type cannot say,
 * `run` does the work. The CLI makes its flags and `--help` from `options`.
 */
export interface Method<O> {
  /** Human name, e.g. "Integrated Gradients". */
  readonly title: string;
  /** Paper link. */
  readonly paper: string;
  /** Whether the method needs gradients (occlusion does not). */
  readonly usesGradients: boolean;
  /** Every option, described: the one source of defaults, validation, CLI flags and help. */
  readonly options: OptionSpecs<O>;
  /**
   * Checks across options, or beyond one option's type, on the options after defaults; may
   * return them completed (a wrapper normalizes its inner method's options here). Throws
   * `ExplainError` `BAD_OPTION` naming the option.
   */
  check?(options: O): O | undefined;
  /** A wrapper's inner method and options: `override` and `preActivationDefault` come from it. */
  wraps?(options: O): Wrapped;
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

/**
 * A method's options with defaults filled, checked against `method.options` (unknown keys and
 * values of the wrong type fail with `ExplainError` `BAD_OPTION` naming method and option), then
 * by `method.check`.
 */
export function normalizeMethodOptions<O>(name: string, method: Method<O>, given: object = {}): O {
  const o = normalizeOptions(method.options, given, (m) => fail('BAD_OPTION', m), name);
  return method.check?.(o) ?? o;
}

/** The effective layer override of a method: a wrapper's comes from the method it wraps. */
export function effectiveOverride(method: AnyMethod, options: unknown, km: KerasModel): LayerOverride | undefined {
  const w = method.wraps?.(options);
  return w ? effectiveOverride(w.method, w.options, km) : method.override?.(km, options);
}

/** The effective `preActivation` default of a method: a wrapper's comes from the method it wraps. */
export function effectivePreActivation(method: AnyMethod, options: unknown): boolean {
  const w = method.wraps?.(options);
  return w ? effectivePreActivation(w.method, w.options) : (method.preActivationDefault ?? false);
}

// biome-ignore lint: the table holds methods with different option types
export type AnyMethod = Method<any>;
