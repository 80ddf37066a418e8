/**
 * The attention-LSTM the project builds for itself (the bundled example and the speed benchmark's
 * seed model), written as a Keras 2.3.1 functional config:
 * Input(T, F) → RNN(return_sequences) → SeqSelfAttention(additive, return_attention)
 * → Concatenate([rnn, attention]) → Flatten → Dense(1).
 */
export interface AttentionLstmOptions {
  name: string;
  steps: number;
  features: number;
  /** The recurrent layer: class, name and config (units, activations, …). */
  rnn: { className: 'LSTM' | 'GRU'; name: string; config: Record<string, unknown> };
  attentionUnits: number;
  /** Name of the final Dense layer. */
  outputName: string;
}

/** One layer entry with a single Keras 2 inbound node calling `inbound` (output 0 of each). */
function layer(class_name: string, name: string, config: Record<string, unknown>, inbound: string[]) {
  return {
    class_name,
    name,
    config: { name, trainable: true, ...config },
    inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}])] : [],
  };
}

/** The Keras model config (`{"class_name": "Model", "config": …}`). */
export function attentionLstmConfig(o: AttentionLstmOptions) {
  const rnn = o.rnn.name;
  return {
    class_name: 'Model',
    config: {
      name: o.name,
      layers: [
        {
          class_name: 'InputLayer',
          name: 'series',
          config: { name: 'series', batch_input_shape: [null, o.steps, o.features], dtype: 'float32', sparse: false },
          inbound_nodes: [],
        },
        layer(o.rnn.className, rnn, { return_sequences: true, ...o.rnn.config }, ['series']),
        layer(
          'SeqSelfAttention',
          'attention',
          {
            units: o.attentionUnits,
            attention_type: 'additive',
            attention_width: null,
            history_only: false,
            return_attention: true,
            use_additive_bias: true,
            use_attention_bias: true,
            attention_activation: 'linear',
            attention_regularizer_weight: 0,
          },
          [rnn],
        ),
        layer('Concatenate', 'concat', { axis: -1 }, [rnn, 'attention']),
        layer('Flatten', 'flatten', {}, ['concat']),
        layer('Dense', o.outputName, { units: 1, activation: 'linear', use_bias: true }, ['flatten']),
      ],
      input_layers: [['series', 0, 0]],
      output_layers: [[o.outputName, 0, 0]],
    },
  };
}

/** mulberry32, the one seeded uniform PRNG of the house (re-exported for the example and the bench). */
export { mulberry32 } from '@keraspect/array';
