import type { BuiltLayer } from '../build.ts';
import { fail } from '../errors.ts';
import type { WeightArray } from '../layers/port.ts';
import { builtOf, type KerasModel } from '../model.ts';
import { h5 } from '../read/h5wasm.ts';
import { joinLegacyOrder } from '../weights.ts';
import { type KerasH5Layer, writeKerasH5, writeKerasWeightsH5 } from './h5.ts';

/**
 * Export a loaded (or TF.js-trained) model as a Keras legacy `.h5` that h5py and Keras read: the
 * original Keras config verbatim and the model's current weights in Keras layout. With
 * `weightsOnly`, the `save_weights` layout instead.
 */
export async function toKerasH5(km: KerasModel, options: { weightsOnly?: boolean } = {}): Promise<Uint8Array> {
  await h5();
  const layers = builtOf(km).layers.flatMap((b) => kerasLayers(km, b));
  // Keep the writer's version so version-dependent semantics (hard_sigmoid) read back the same.
  const kerasVersion =
    km.kerasVersion.raw ?? `${km.kerasVersion.major}.${km.kerasVersion.minor}.${km.kerasVersion.patch}`;
  return options.weightsOnly
    ? writeKerasWeightsH5({ layers, kerasVersion })
    : writeKerasH5({ modelConfig: km.modelConfig, layers, kerasVersion });
}

function kerasLayers(km: KerasModel, b: BuiltLayer): KerasH5Layer[] {
  if (b.nested) {
    // Keras stores a nested model's weights in one group named after it, trainable ones first.
    return [
      { name: b.name, weights: joinLegacyOrder(b.nested, (inner) => kerasLayers(km, inner).flatMap((l) => l.weights)) },
    ];
  }
  const vars = b.layer.weights;
  const fromFile = km.kerasWeights.get(b.name);
  if (b.port?.convertWeights && !b.port.keepsKerasLayout) {
    // The TF.js layout differs from Keras' here; weights of such layers are exported as read.
    if (!fromFile && vars.length)
      fail(
        'UNSUPPORTED_CONFIG',
        `Layer '${b.name}' (${b.className}) stores weights in a layout Keraspect cannot convert back; export the model it was loaded from instead.`,
      );
    return [{ name: b.name, weights: fromFile ?? [] }];
  }
  // A layer built in code names its weights `kernel`, `bias`, …; layers with sub-layers (attention's
  // query/key/value projections) need the path below the layer to keep the names apart.
  const short = vars.map((v) => v.originalName.split('/').pop() as string);
  const path = short.length === new Set(short).size ? short : vars.map((v) => belowLayer(v.originalName, b.name));
  const weights: WeightArray[] = vars.map((v, i) => {
    const t = v.read();
    const name = fromFile?.length === vars.length ? fromFile[i].name : `${b.name}/${path[i]}:0`;
    return { name, shape: t.shape, data: t.dataSync() as Float32Array };
  });
  return [{ name: b.name, weights }];
}

/** A variable's name below its layer's scope (`mha/query/kernel` → `query/kernel`). */
function belowLayer(name: string, layer: string): string {
  const parts = name.split('/');
  const at = parts.lastIndexOf(layer);
  return (at >= 0 ? parts.slice(at + 1) : parts.slice(1)).join('/');
}
