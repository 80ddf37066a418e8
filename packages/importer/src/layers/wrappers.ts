import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import { fail } from '../errors.ts';
import type { KerasLayerJson } from '../keras-format/types.ts';
import type { LayerPort } from './port.ts';
import { withFastInnerLayers } from './fast/recurrent.ts';

export const Bidirectional: LayerPort = {
  build(c, ctx) {
    const r = read(c, 'Bidirectional');
    const inner = c.layer as KerasLayerJson | undefined;
    if (!inner || typeof inner !== 'object')
      fail('CORRUPT_FILE', `Bidirectional layer '${c.name}' has no inner 'layer' in its config.`);
    const mode = c.merge_mode === null ? null : r.str('merge_mode', 'concat', ['concat', 'sum', 'mul', 'ave'] as const);
    if (c.backward_layer) {
      const back = c.backward_layer as KerasLayerJson;
      const fwdCls = inner.class_name;
      if (back.class_name !== fwdCls)
        fail(
          'UNSUPPORTED_CONFIG',
          `Bidirectional layer '${c.name}' has a backward layer of class ${back.class_name} different from its forward ${fwdCls}; only mirrored layers are supported.`,
        );
    }
    // TF.js re-creates the inner layers from their class name; give them back the fused path.
    return withFastInnerLayers(
      tf.layers.bidirectional({
        name: c.name,
        trainable: false,
        layer: ctx.buildLayer(inner) as never,
        mergeMode: mode as never,
      }),
    );
  },
};

export const TimeDistributed: LayerPort = {
  build(c, ctx) {
    const inner = c.layer as KerasLayerJson | undefined;
    if (!inner || typeof inner !== 'object')
      fail('CORRUPT_FILE', `TimeDistributed layer '${c.name}' has no inner 'layer' in its config.`);
    return tf.layers.timeDistributed({ name: c.name, trainable: false, layer: ctx.buildLayer(inner) });
  },
};
