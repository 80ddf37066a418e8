import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import type { LayerPort } from './port.ts';

const base = (c: { name: string }) => ({ name: c.name, trainable: false });

export const BatchNormalization: LayerPort = {
  build(c) {
    const r = read(c, 'BatchNormalization');
    const axis = r.ints('axis', [-1]);
    if (axis.length !== 1) r.unsupported('axis', 'only one normalization axis is supported.');
    return tf.layers.batchNormalization({
      ...base(c),
      axis: axis[0],
      epsilon: r.num('epsilon', 1e-3),
      center: r.bool('center', true),
      scale: r.bool('scale', true),
    });
  },
};

/** Keras' built-in LayerNormalization (the CyberZHG one, recognised by its config, is separate). */
export const LayerNormalization: LayerPort = {
  build(c) {
    const r = read(c, 'LayerNormalization');
    if (r.has('rms_scaling') && r.bool('rms_scaling'))
      r.unsupported('rms_scaling', 'RMS scaling is not implemented; use rms_scaling=False.');
    return tf.layers.layerNormalization({
      ...base(c),
      axis: r.ints('axis', [-1]),
      epsilon: r.num('epsilon', 1e-3),
      center: r.bool('center', true),
      scale: r.bool('scale', true),
    });
  },
};
