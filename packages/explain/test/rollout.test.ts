import { describe, expect, it } from 'vitest';
import { attentionRollout, rolloutMaps } from '../src/index.ts';
import { nd, noLeak, randn, randomizeWeights, sequential, toy } from './helpers.ts';

const stacked = async (historyOnly: boolean) => {
  const km = await toy(
    sequential(
      [6, 3],
      [
        {
          class_name: 'SeqSelfAttention',
          config: { name: 'att1', units: 4, history_only: historyOnly, attention_width: historyOnly ? 3 : null },
        },
        {
          class_name: 'SeqSelfAttention',
          config: { name: 'att2', units: 4, history_only: historyOnly, attention_width: historyOnly ? 3 : null },
        },
        { class_name: 'GlobalAveragePooling1D', config: { name: 'pool' } },
        { class_name: 'Dense', config: { name: 'out', units: 1 } },
      ],
    ),
  );
  randomizeWeights(km, 4, 1);
  return km;
};

const rowSums = (a: Float32Array, T: number) =>
  Array.from({ length: a.length / T }, (_, r) => a.slice(r * T, r * T + T).reduce((s, v) => s + v, 0));

describe('attentionRollout', () => {
  it('rows sum to 1 across stacked SeqSelfAttention layers, with the per-layer maps returned', async () => {
    const km = await stacked(false);
    const r = await noLeak(() => attentionRollout(km, randn([2, 6, 3])));
    expect(r.rollout.shape).toEqual([2, 6, 6]);
    expect(r.layers.map((l) => l.layer)).toEqual(['att1', 'att2']);
    for (const s of rowSums(r.rollout.data as Float32Array, 6)) expect(s).toBeCloseTo(1, 5);
    for (const l of r.layers) for (const s of rowSums(l.map.data as Float32Array, 6)) expect(s).toBeCloseTo(1, 5);
    km.dispose();
  });

  it('is the identity when α = 1', async () => {
    const km = await stacked(false);
    const r = attentionRollout(km, randn([1, 6, 3]), { alpha: 1 });
    for (let i = 0; i < 36; i++) expect(r.rollout.data[i]).toBe(i % 7 === 0 ? 1 : 0);
    km.dispose();
  });

  it('of a single layer with α = 0 is the map itself', async () => {
    const km = await stacked(false);
    const x = randn([1, 6, 3]);
    const r = attentionRollout(km, x, { alpha: 0, layers: ['att1'] });
    const { attentionMaps } = await import('../src/index.ts');
    const [m] = attentionMaps(km, x, { layers: ['att1'] });
    for (let i = 0; i < 36; i++) expect(r.rollout.data[i]).toBeCloseTo(m.array.data[i], 6);
    km.dispose();
  });

  it('stays lower-triangular under history_only', async () => {
    const km = await stacked(true);
    const r = attentionRollout(km, randn([2, 6, 3]));
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < 6; t++) for (let s = t + 1; s < 6; s++) expect(r.rollout.data[b * 36 + t * 6 + s]).toBe(0);
    km.dispose();
  });
});

describe('rolloutMaps', () => {
  it('fuses heads by mean/max/min and leaves all-zero (masked) rows at zero', () => {
    // (B=1, H=2, T=2, T=2); row 1 of both heads is masked out.
    const maps = [{ layer: 'mha', map: nd([0.2, 0.8, 0, 0, 0.6, 0.4, 0, 0], [1, 2, 2, 2]) }];
    const mean = rolloutMaps(maps, { alpha: 0 });
    expect(Array.from(mean.rollout.data)).toEqual([expect.closeTo(0.4, 6), expect.closeTo(0.6, 6), 0, 0]);
    const max = rolloutMaps(maps, { alpha: 0, headFusion: 'max' });
    expect(Array.from(max.rollout.data)).toEqual([expect.closeTo(0.6 / 1.4, 6), expect.closeTo(0.8 / 1.4, 6), 0, 0]);
    const min = rolloutMaps(maps, { alpha: 0, headFusion: 'min' });
    expect(Array.from(min.rollout.data)).toEqual([expect.closeTo(1 / 3, 6), expect.closeTo(2 / 3, 6), 0, 0]);
  });

  it('multiplies up the stack: R = Â₂·Â₁', () => {
    const a1 = nd([1, 0, 0.5, 0.5], [1, 2, 2]);
    const a2 = nd([0.5, 0.5, 0, 1], [1, 2, 2]);
    const r = rolloutMaps(
      [
        { layer: 'l1', map: a1 },
        { layer: 'l2', map: a2 },
      ],
      { alpha: 0 },
    );
    expect(Array.from(r.rollout.data)).toEqual([0.75, 0.25, 0.5, 0.5]);
  });
});
