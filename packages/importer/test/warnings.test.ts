import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type KerasModel, modelFromConfig, predict, type SelfAttentionVariant } from '../src/index.ts';

const T = 6;
const F = 2;

/** Input → [Masking] → SeqSelfAttention(options) → Flatten → Dense(1). */
function config(attention: Record<string, unknown>, masking = false, head = 'SeqSelfAttention') {
  return {
    class_name: 'Sequential',
    config: {
      name: 'variants',
      layers: [
        { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, T, F] } },
        ...(masking ? [{ class_name: 'Masking', config: { name: 'masking', mask_value: 0 } }] : []),
        {
          class_name: head,
          config: { name: 'att', units: 4, attention_type: 'additive', attention_activation: 'linear', ...attention },
        },
        ...(head === 'SeqSelfAttention' ? [{ class_name: 'Flatten', config: { name: 'flat' } }] : []),
        { class_name: 'Dense', config: { name: 'out', units: 1 } },
      ],
    },
  };
}

/** The same seeded weights in every variant's model. */
async function load(cfg: object, variant: SelfAttentionVariant): Promise<KerasModel> {
  const km = await modelFromConfig(cfg as never, { selfAttentionVariant: variant });
  km.model.weights.forEach((w, i) => w.write(tf.randomNormal(w.shape as number[], 0, 0.8, 'float32', 11 + i)));
  return km;
}

// Sample 0 ends in two all-zero steps (masked by Masking); sample 1 has none.
const x = {
  data: Float32Array.from({ length: 2 * T * F }, (_, i) => (i >= 8 && i < 12 ? 0 : Math.sin(i * 1.7) * 2)),
  shape: [2, T, F],
};

/** Largest |Δ| between the predictions of the variants. */
async function spread(cfg: object): Promise<{ legacy: number; v046: number; warnings: KerasModel['warnings'] }> {
  const [l, v, c] = await Promise.all((['legacy', '0.46', 'current'] as const).map((v) => load(cfg, v)));
  const [pl, pv, pc] = [l!, v!, c!].map((m) => predict(m, x)[0]!.data);
  const d = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (ai, i) => Math.abs(ai - b[i]!)));
  const out = { legacy: d(pl!, pc!), v046: d(pv!, pc!), warnings: c!.warnings };
  for (const m of [l, v, c]) m!.dispose();
  return out;
}

describe('the keras-self-attention variant warning', () => {
  it('stays silent when the variants agree (no window, no mask), and they do agree', async () => {
    const s = await spread(config({ attention_width: null, history_only: false }));
    expect(s.warnings).toEqual([]);
    expect(s.legacy).toBeLessThan(1e-5);
    expect(s.v046).toBeLessThan(1e-5);
  });

  it("names attention_width, 0.46.0 and the flag to pass, where '0.46' really differs", async () => {
    const s = await spread(config({ attention_width: 3 }));
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatchObject({ code: 'SELF_ATTENTION_VARIANT', layer: 'att' });
    expect(s.warnings[0]!.message).toMatch(
      /SeqSelfAttention 'att'.*attention_width=3.*0\.46\.0 ignored.*'0\.46' differs.*read as 'current'.*--self-attention-variant/,
    );
    expect(s.v046).toBeGreaterThan(1e-3);
    expect(s.legacy).toBeLessThan(1e-5);
  });

  it('warns about history_only too', async () => {
    const s = await spread(config({ history_only: true }));
    expect(s.warnings[0]!.message).toMatch(/history_only=True/);
    expect(s.v046).toBeGreaterThan(1e-3);
  });

  it("names the mask's source when a Masking layer reaches the layer, where 'legacy' really differs", async () => {
    const s = await spread(config({}, true));
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]!.message).toMatch(/a mask from 'masking' reaches it.*'legacy' differs/);
    expect(s.legacy).toBeGreaterThan(1e-3);
    expect(s.v046).toBeLessThan(1e-5);
  });

  it('covers SeqWeightedAttention behind a mask, and not without one', async () => {
    const masked = await spread(config({}, true, 'SeqWeightedAttention'));
    expect(masked.warnings[0]!.message).toMatch(/^SeqWeightedAttention 'att'.*'legacy' differs/);
    const plain = await spread(config({}, false, 'SeqWeightedAttention'));
    expect(plain.warnings).toEqual([]);
    expect(plain.legacy).toBeLessThan(1e-5);
  });

  it('covers ScaledDotProductAttention and keras-multi-head MultiHeadAttention with history_only, not without', async () => {
    const dot = await spread(config({ history_only: true }, false, 'ScaledDotProductAttention'));
    expect(dot.warnings).toHaveLength(1);
    expect(dot.warnings[0]!.message).toMatch(
      /^ScaledDotProductAttention 'att'.*history_only=True.*before 0\.44.*'legacy' differs from '0\.46' and 'current' when a hidden key scores highest/,
    );
    const mha = await modelFromConfig(config({ head_num: 2, history_only: true }, true, 'MultiHeadAttention') as never);
    expect(mha.warnings[0]!.message).toMatch(/^MultiHeadAttention 'att'.*history_only=True and a mask from 'masking'/);
    mha.dispose();
    const plain = await spread(config({}, false, 'ScaledDotProductAttention'));
    expect(plain.warnings).toEqual([]);
    expect(plain.legacy).toBeLessThan(1e-5);
  });

  it('knows a mask ends at an LSTM without return_sequences', async () => {
    const cfg = config({});
    cfg.config.layers.splice(
      1,
      0,
      { class_name: 'Masking', config: { name: 'masking', mask_value: 0 } } as never,
      { class_name: 'LSTM', config: { name: 'enc', units: 3, return_sequences: false } } as never,
      { class_name: 'RepeatVector', config: { name: 'rep', n: T } } as never,
    );
    const km = await modelFromConfig(cfg as never);
    expect(km.warnings).toEqual([]);
    km.dispose();
  });
});
