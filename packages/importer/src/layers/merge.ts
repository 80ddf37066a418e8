import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import type { LayerPort } from './port.ts';

const base = (c: { name: string }) => ({ name: c.name, trainable: false });

export const Add: LayerPort = { build: (c) => tf.layers.add(base(c)) };
export const Multiply: LayerPort = { build: (c) => tf.layers.multiply(base(c)) };
export const Average: LayerPort = { build: (c) => tf.layers.average(base(c)) };
export const Maximum: LayerPort = { build: (c) => tf.layers.maximum(base(c)) };
export const Minimum: LayerPort = { build: (c) => tf.layers.minimum(base(c)) };
export const Concatenate: LayerPort = {
  build: (c) => tf.layers.concatenate({ ...base(c), axis: read(c, 'Concatenate').int('axis', -1) }),
};
export const Dot: LayerPort = {
  build(c) {
    const r = read(c, 'Dot');
    const axes = r.ints('axes');
    return tf.layers.dot({
      ...base(c),
      axes: (axes.length === 1 ? axes[0] : [axes[0], axes[1]]) as never,
      normalize: r.bool('normalize', false),
    });
  },
};
