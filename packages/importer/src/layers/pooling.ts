import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import type { LayerPort } from './port.ts';

const base = (c: { name: string }) => ({ name: c.name, trainable: false });

function pool1d(kind: 'MaxPooling1D' | 'AveragePooling1D'): LayerPort {
  return {
    build(c) {
      const r = read(c, kind);
      const poolSize = r.int1('pool_size', 2);
      const args = {
        ...base(c),
        poolSize,
        strides: r.has('strides') ? r.int1('strides') : poolSize,
        padding: r.str('padding', 'valid', ['valid', 'same'] as const),
      };
      return kind === 'MaxPooling1D' ? tf.layers.maxPooling1d(args) : tf.layers.averagePooling1d(args);
    },
  };
}

export const MaxPooling1D = pool1d('MaxPooling1D');
export const AveragePooling1D = pool1d('AveragePooling1D');

function global1d(kind: 'GlobalAveragePooling1D' | 'GlobalMaxPooling1D'): LayerPort {
  return {
    build(c) {
      const r = read(c, kind);
      if (r.has('keepdims') && r.bool('keepdims')) r.unsupported('keepdims', 'keepdims=True is not implemented.');
      return kind === 'GlobalMaxPooling1D' ? tf.layers.globalMaxPooling1d(base(c)) : tf.layers.globalAveragePooling1d(base(c));
    },
  };
}

export const GlobalAveragePooling1D = global1d('GlobalAveragePooling1D');
export const GlobalMaxPooling1D = global1d('GlobalMaxPooling1D');
