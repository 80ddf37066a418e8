import * as tf from '@tensorflow/tfjs';
import { fail } from '../errors.ts';
import type { KerasModel } from '../model.ts';

/** A model in TF.js layers format: the `model.json` object and the one weight shard it names. */
export interface TfjsArtifacts {
  /** Contents of `model.json` (topology + weights manifest pointing at `weightsFileName`). */
  modelJson: Record<string, unknown>;
  /** Bytes of the weight shard. */
  weights: Uint8Array;
  weightsFileName: string;
}

/**
 * Export to TF.js layers format, loadable in the browser by `tf.loadLayersModel('…/model.json')`
 * once `@keraspect/importer` (which registers its custom layer classes) is imported. Models with
 * Lambda layers or `defineLayer` classes need those re-registered on the loading side.
 */
export async function toTfjs(km: KerasModel, weightsFileName = 'group1-shard1of1.bin'): Promise<TfjsArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  try {
    await km.model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
      }),
    );
  } catch (e) {
    return fail(
      'UNSUPPORTED_CONFIG',
      `Model '${km.name}' cannot be serialized to TF.js format: ${(e as Error).message}`,
      e,
    );
  }
  const a = saved!;
  const data =
    a.weightData instanceof ArrayBuffer
      ? new Uint8Array(a.weightData)
      : new Uint8Array(tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer[]));
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: `keraspect from ${km.producer}`,
      convertedBy: 'keraspect',
      modelTopology: a.modelTopology,
      weightsManifest: [{ paths: [weightsFileName], weights: a.weightSpecs }],
    },
    weights: data,
    weightsFileName,
  };
}

/** Load TF.js layers-format artifacts held in memory (the inverse of `toTfjs`). */
export async function fromTfjs(art: Pick<TfjsArtifacts, 'modelJson' | 'weights'>): Promise<tf.LayersModel> {
  const mj = art.modelJson as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const specs = mj.weightsManifest.flatMap((g) => g.weights);
  const buf = art.weights.buffer.slice(
    art.weights.byteOffset,
    art.weights.byteOffset + art.weights.byteLength,
  ) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: specs, weightData: buf }));
}
