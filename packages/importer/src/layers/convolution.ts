import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import type { LayerPort } from './port.ts';

const base = (c: { name: string }) => ({ name: c.name, trainable: false });

export const Conv1D: LayerPort = {
  build(c, ctx) {
    const r = read(c, 'Conv1D');
    if (r.has('groups') && r.int('groups') !== 1) r.unsupported('groups', 'grouped convolutions are not implemented; use groups=1.');
    if (r.str('data_format', 'channels_last') !== 'channels_last') r.unsupported('data_format', 'only channels_last is supported.');
    return tf.layers.conv1d({
      ...base(c),
      kernelInitializer: 'zeros',
      filters: r.int('filters'),
      kernelSize: r.int1('kernel_size'),
      strides: r.int1('strides', 1),
      padding: r.str('padding', 'valid', ['valid', 'same', 'causal'] as const),
      dilationRate: r.int1('dilation_rate', 1),
      activation: ctx.activation(c.activation) as never,
      useBias: r.bool('use_bias', true),
    });
  },
};
