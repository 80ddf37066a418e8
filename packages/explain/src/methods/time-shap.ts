import { t } from '@keraspect/array';
import type { NdArray } from '@keraspect/importer';
import { fail } from '../errors.ts';
import { type Problem, sizes } from '../problem.ts';
import { seededRng } from '../rng.ts';
import { autoSamples, type Coalitions, kernelCoalitions, shapleySolver } from '../shapley.ts';
import { range } from './chunks.ts';
import type { Method, RunContext } from './method.ts';
import { type Reference, referenceType, referenceValues } from './reference.ts';
import { scoreVariants, type Tally } from './variants.ts';

/** Options of `timeShap`. */
export interface TimeShapOptions {
  /**
   * `'event'` (default): one player per time step; `'feature'`: one per feature over the kept
   * steps; `'cell'`: the cells of the top events × top features, plus one player each for the
   * other features of a top event, the other events of a top feature, all other cells.
   * The pruned (older) events are one more player at every level.
   */
  level: 'event' | 'feature' | 'cell';
  /**
   * What absent events become: `'mean'` (default: the average event over the batch, TimeSHAP's
   * average-event baseline), `'zeros'`, a number, one event `[F]`, or a whole sequence / batch.
   */
  baseline: Reference;
  /**
   * Temporal coalition pruning: the older events [0, i) are grouped into one player at the latest
   * i where their Shapley value in the two-player game (older, recent) is ≤ this in magnitude.
   * `null` turns pruning off. Default 0.025 (TimeSHAP's examples).
   */
  tolerance: number | null;
  /** Coalitions per game: `'auto'` = 2·M + 2048 (shap's default) or a number. Default `'auto'`. */
  samples: 'auto' | number;
  /** Cell level: events and features with the largest |Shapley value| taken cell by cell. Default 3 and 3. */
  topEvents: number;
  topFeatures: number;
}

/**
 * `timeShap`: TimeSHAP (Bento et al. 2021) — Kernel SHAP for sequence models with events
 * (time steps), features or cells as players and temporal coalition pruning, following
 * feedzai/timeshap (its kernel is the shap package's; coalitions are drawn the same way). Input
 * (batch, steps, features); each value gets its player's Shapley value, and the values of a
 * sample sum, over players, to f(x) − f(baseline). Bento, Saleiro, Cruz, Figueiredo & Bizarro
 * 2021, "TimeSHAP: Explaining Recurrent Models through Sequence Perturbations",
 * https://arxiv.org/abs/2012.00073
 */
export const timeShap: Method<TimeShapOptions> = {
  title: 'TimeSHAP',
  paper: 'https://arxiv.org/abs/2012.00073',
  usesGradients: false,
  options: {
    level: {
      type: t.enum(['event', 'feature', 'cell']),
      doc: "players: 'event' one per time step, 'feature' one per feature, 'cell' the cells of the top events × top features",
      default: 'event',
    },
    baseline: {
      type: referenceType,
      doc: "what absent events become: 'mean' (the average event), 'zeros', a number, one event [F], or a sequence / batch",
      default: 'mean',
    },
    tolerance: {
      type: t.oneOf(t.number({ min: 0 }), t.null),
      doc: 'temporal coalition pruning: older events are one player where their Shapley value is ≤ this; null turns pruning off',
      default: 0.025,
    },
    samples: {
      type: t.oneOf(t.enum(['auto']), t.integer({ min: 1 })),
      doc: "coalitions per game: 'auto' (2·M + 2048, shap's default) or a number",
      default: 'auto',
    },
    topEvents: {
      type: t.integer({ min: 1 }),
      doc: 'cell level: events taken cell by cell (largest |Shapley value|)',
      default: 3,
    },
    topFeatures: {
      type: t.integer({ min: 1 }),
      doc: 'cell level: features taken cell by cell (largest |Shapley value|)',
      default: 3,
    },
  },
  async run(p, o, ctx) {
    if (p.x.length !== 1 || p.x[0].shape.length !== 3)
      fail(
        'BAD_OPTION',
        `timeShap explains one sequence input shaped (batch, steps, features); got ${p.x.map((x, t) => `'${p.names[t]}' [${x.shape}]`).join(', ')}. Use 'kernelShap' with groups for other inputs.`,
      );
    const [B, T, F] = p.x[0].shape;
    const ref = timeShapReference(p, o.baseline);
    const tally: Tally = { done: 0, total: 0 };
    const pruned =
      o.tolerance === null ? new Array<number>(B).fill(0) : await pruningIndex(p, ctx, ref, o.tolerance, tally);
    const games = (players: (b: number) => number[][]) => range(0, B).map((b) => players(b));
    const eventPlayers = (b: number) =>
      withPruned(
        range(pruned[b], T).map((t) => range(0, F).map((f) => t * F + f)),
        pruned[b],
        F,
      );
    const featurePlayers = (b: number) =>
      withPruned(
        range(0, F).map((f) => range(pruned[b], T).map((t) => t * F + f)),
        pruned[b],
        F,
      );
    let players: number[][][];
    let phi: Float64Array[];
    if (o.level === 'event') {
      players = games(eventPlayers);
      phi = await solveGames(p, ctx, ref, players, o, tally);
    } else if (o.level === 'feature') {
      players = games(featurePlayers);
      phi = await solveGames(p, ctx, ref, players, o, tally);
    } else {
      const ev = games(eventPlayers);
      const fe = games(featurePlayers);
      const [pe, pf] = [await solveGames(p, ctx, ref, ev, o, tally), await solveGames(p, ctx, ref, fe, o, tally)];
      players = range(0, B).map((b) => cellPlayers(pe[b], pf[b], pruned[b], T, F, o));
      phi = await solveGames(p, ctx, ref, players, o, tally);
    }
    const out = new Float32Array(B * T * F);
    for (let b = 0; b < B; b++)
      players[b].forEach((cells, i) => cells.forEach((k) => (out[b * T * F + k] = phi[b][i])));
    const attributions: NdArray[] = [{ data: out, shape: [B, T, F] }];
    return { attributions };
  },
};

/** The pruned events [0, i) as the last player, when there are any. */
function withPruned(players: number[][], i: number, F: number): number[][] {
  return i > 0 ? [...players, range(0, i * F)] : players;
}

/** Reference sequence per sample (B × T·F values). */
function timeShapReference(p: Problem, spec: Reference): Float32Array {
  const [B, T, F] = p.x[0].shape;
  const one = (data: Float32Array) => {
    const out = new Float32Array(B * T * F);
    for (let k = 0; k < out.length; k++) out[k] = data[k % data.length];
    return out;
  };
  // One average event [F] or [1, F], tiled over time (TimeSHAP's average event).
  if (typeof spec === 'object' && !Array.isArray(spec) && spec.data.length === F)
    return one(spec.data instanceof Float32Array ? spec.data : Float32Array.from(spec.data));
  const [r] = referenceValues(p, spec, 'timeShap');
  return r.perSample ? r.data : one(r.data);
}

/**
 * TimeSHAP's temporal coalition pruning for every sample: for i = T−1 … 1, the Shapley value of
 * the older events [0, i) in the two-player game {older, recent}; the first i (from the most
 * recent) where it is within `tolerance` is the pruning index, 0 when none is.
 */
async function pruningIndex(p: Problem, ctx: RunContext, ref: Float32Array, tolerance: number, tally: Tally) {
  const [B, T, F] = p.x[0].shape;
  const n = T * F;
  // Variants per sample: 0 = none, 1 = all, then for i = 1 … T−1: recent [i, T) only, older [0, i) only.
  const V = 2 + 2 * (T - 1);
  tally.total += B * V;
  const scores = await scoreVariants(
    p,
    ctx,
    B * V,
    (j) => Math.floor(j / V),
    (j, vals) => {
      const v = j % V;
      if (v === 1) return;
      const b = Math.floor(j / V);
      const i = v === 0 ? 0 : 1 + Math.floor((v - 2) / 2);
      const [from, to] = v === 0 ? [0, n] : (v - 2) % 2 === 0 ? [0, i * F] : [i * F, n];
      for (let k = from; k < to; k++) vals[0][k] = ref[b * n + k];
    },
    tally,
  );
  return range(0, B).map((b) => {
    const at = (v: number) => scores[b * V + v];
    for (let i = T - 1; i >= 1; i--) {
      const recent = at(2 + 2 * (i - 1));
      const older = at(3 + 2 * (i - 1));
      const phiOlder = 0.5 * (at(1) - recent + (older - at(0)));
      if (Math.abs(phiOlder) <= Math.max(tolerance, 1e-11)) return i;
    }
    return 0;
  });
}

/** Cell-level players: top cells, the rest of each top event / top feature, all other cells, pruned. */
function cellPlayers(
  phiEvents: Float64Array,
  phiFeatures: Float64Array,
  pruned: number,
  T: number,
  F: number,
  o: TimeShapOptions,
): number[][] {
  const kept = T - pruned;
  const top = (phi: Float64Array, count: number, k: number) =>
    range(0, count)
      .sort((a, b) => Math.abs(phi[b]) - Math.abs(phi[a]) || a - b)
      .slice(0, k)
      .sort((a, b) => a - b);
  const events = top(phiEvents, kept, o.topEvents).map((e) => pruned + e);
  const feats = top(phiFeatures, F, o.topFeatures);
  const otherEvents = range(pruned, T).filter((t) => !events.includes(t));
  const otherFeats = range(0, F).filter((f) => !feats.includes(f));
  const players: number[][] = [];
  for (const t of events) for (const f of feats) players.push([t * F + f]);
  if (otherFeats.length) for (const t of events) players.push(otherFeats.map((f) => t * F + f));
  if (otherEvents.length) for (const f of feats) players.push(otherEvents.map((t) => t * F + f));
  if (otherEvents.length && otherFeats.length)
    players.push(otherEvents.flatMap((t) => otherFeats.map((f) => t * F + f)));
  return withPruned(players, pruned, F);
}

/** Shapley values of one game per sample (players: cell lists; absent cells take the reference). */
async function solveGames(
  p: Problem,
  ctx: RunContext,
  ref: Float32Array,
  players: number[][][],
  o: TimeShapOptions,
  tally: Tally,
): Promise<Float64Array[]> {
  const n = sizes(p)[0];
  const rng = seededRng(ctx.seed);
  const coalitions: Coalitions[] = players.map((ps) =>
    kernelCoalitions(ps.length, o.samples === 'auto' ? autoSamples(ps.length) : o.samples, rng),
  );
  // Variants of sample b: none, all, then its coalitions.
  const offsets: number[] = [];
  let total = 0;
  for (const c of coalitions) {
    offsets.push(total);
    total += c.masks.length + 2;
  }
  const owner = new Int32Array(total);
  coalitions.forEach((c, b) => owner.fill(b, offsets[b], offsets[b] + c.masks.length + 2));
  tally.total += total;
  const scores = await scoreVariants(
    p,
    ctx,
    total,
    (j) => owner[j],
    (j, vals) => {
      const b = owner[j];
      const v = j - offsets[b];
      if (v === 1) return;
      const mask = v === 0 ? null : coalitions[b].masks[v - 2];
      players[b].forEach((cells, i) => {
        if (mask?.[i]) return;
        for (const k of cells) vals[0][k] = ref[b * n + k];
      });
    },
    tally,
  );
  return coalitions.map((c, b) => {
    const at = offsets[b];
    return shapleySolver(c)(scores.subarray(at + 2, at + 2 + c.masks.length), scores[at], scores[at + 1]);
  });
}
