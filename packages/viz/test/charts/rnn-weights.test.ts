import { describe, expect, it } from 'vitest';
import { render, rnnGates } from '../../src/index.ts';
import { colorDistance, devicePx, expectGoodPng, randn, specJson } from '../helpers.ts';

const F = 5;
const U = 6;
const lstm = () => ({
  cell: 'LSTM' as const,
  weights: [
    { data: randn(1, F * 4 * U, 0.3), shape: [F, 4 * U] },
    { data: randn(2, U * 4 * U, 0.2), shape: [U, 4 * U] },
    { data: randn(3, 4 * U, 0.1), shape: [4 * U] },
  ],
});

describe('rnnWeights', () => {
  it('snapshots its spec', async () => {
    await expect(specJson(render('rnnWeights', lstm()).spec)).toMatchFileSnapshot(
      '../../../../test/output/viz/rnnWeights.spec.json',
    );
  });

  it('draws kernel and recurrent kernel heatmaps with gate separators and gate names', () => {
    const r = render('rnnWeights', lstm(), { scale: 2 });
    const px = expectGoodPng(r, 'rnnWeights', () => render('rnnWeights', lstm(), { scale: 2 }));
    expect(r.spec.panels).toHaveLength(2);
    const p = r.spec.panels[0]!;
    expect(p.xAxis.ticks.map((t) => t.label)).toEqual([...rnnGates.LSTM]);
    expect(p.layers.filter((l) => l.type === 'rule').map((l) => l.type === 'rule' && l.value)).toEqual([
      U,
      2 * U,
      3 * U,
    ]);
    // The separator between gates i and f is dark.
    const [x, y] = devicePx(r, 0, U, F / 2);
    expect(colorDistance(px.at(Math.floor(x), y), [17, 17, 17])).toBeLessThanOrEqual(40);
  });

  it('draws per-gate histograms for a bidirectional GRU (forward and backward rows)', () => {
    const g = (s: number) => [
      { data: randn(s, F * 3 * U), shape: [F, 3 * U] },
      { data: randn(s + 1, U * 3 * U), shape: [U, 3 * U] },
      { data: randn(s + 2, 2 * 3 * U), shape: [2, 3 * U] },
    ];
    const r = render('rnnWeights', { cell: 'GRU', weights: [...g(1), ...g(4)] }, { mode: 'histogram' });
    expect(r.spec.panels).toHaveLength(2 * 3 * 3);
    expect(r.spec.panels.slice(0, 3).map((p) => p.title)).toEqual(['gate z', 'gate r', 'gate h']);
    expect(r.spec.panels.filter((p) => p.yAxis.label).map((p) => p.yAxis.label)).toEqual([
      'Forward kernel',
      'Forward recurrent',
      'Forward bias',
      'Backward kernel',
      'Backward recurrent',
      'Backward bias',
    ]);
    expectGoodPng(r, 'rnnWeights-histogram');
  });

  it('explains shape mismatches with the expected shapes', () => {
    const bad = lstm();
    expect(() => render('rnnWeights', { ...bad, cell: 'GRU' })).toThrow(
      /kernel has shape \[5, 24\]; a GRU with U units needs \(F, 3U\)|recurrent_kernel has shape \[6, 24\]; a GRU/,
    );
    expect(() =>
      render('rnnWeights', {
        cell: 'LSTM',
        weights: [bad.weights[0]!, { data: new Float32Array(5 * 24), shape: [5, 24] }],
      }),
    ).toThrow(/recurrent_kernel has shape \[5, 24\]; a LSTM with U units needs \(6, 24\)/);
    expect(() => render('rnnWeights', { cell: 'LSTM', weights: [bad.weights[0]!] })).toThrow(
      /weights has 1 arrays; expected 2 or 3/,
    );
    expect(() => render('rnnWeights', { cell: 'RNN' as 'LSTM', weights: [] })).toThrow(/cell must be 'LSTM' or 'GRU'/);
  });
});
