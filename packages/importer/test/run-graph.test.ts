import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  callsOf,
  flattenLayers,
  type KerasModel,
  type LayerOverride,
  lastCallOf,
  modelFromConfig,
  predict,
  runGraph,
} from '../src/index.ts';
import { errorOf } from './error-of.ts';
import { functional } from './toy-graphs.ts';

// shared: y = x·W + c (called on a and on b); diff = shared(a) − shared(b) = (a − b)·W;
// head (a nested Sequential): relu(diff·H1 + h1)·H2 + h2.
const W = [1, 2, 0, -1, 3, 1];
async function model(): Promise<KerasModel> {
  const km = await modelFromConfig(functional);
  km.layer('shared').setWeights([tf.tensor2d(W, [3, 2]), tf.tensor1d([5, -5])]);
  km.layer('h1').setWeights([tf.tensor2d([1, 0, 0, -1], [2, 2]), tf.tensor1d([0, 0])]);
  km.layer('h2').setWeights([tf.tensor2d([2, 3], [2, 1]), tf.tensor1d([0.5])]);
  return km;
}
const a = tf.tensor2d([1, 2, 3], [1, 3]);
const b = tf.tensor2d([0, 1, 1], [1, 3]);
const feeds = (km: KerasModel) => new Map(km.model.inputs.map((s, i) => [s, [a, b][i]]));
const values = (t: tf.Tensor) => Array.from(t.dataSync());
const info = (km: KerasModel, name: string) => flattenLayers(km.layers).find((l) => l.name === name)!;

describe('runGraph, the one graph evaluator', () => {
  it('computes the model outputs as predict does', async () => {
    const km = await model();
    const [head, diff] = tf.tidy(() => runGraph(km.model.outputs, feeds(km)));
    // a − b = (1, 1, 2): diff = (7, 3); head = relu(7)·2 + relu(−3)·3 + 0.5.
    expect(values(diff)).toEqual([7, 3]);
    expect(values(head)[0]).toBeCloseTo(14.5, 5);
    const [p0, p1] = predict(km, [
      { data: Float32Array.of(1, 2, 3), shape: [1, 3] },
      { data: Float32Array.of(0, 1, 1), shape: [1, 3] },
    ]);
    expect(Array.from(p0.data)).toEqual(values(head));
    expect(Array.from(p1.data)).toEqual(values(diff));
    tf.dispose([head, diff]);
    km.dispose();
  });

  it('evaluates each call of a shared layer, and callsOf / lastCallOf name them', async () => {
    const km = await model();
    const calls = callsOf(km.layer('shared'));
    expect(calls).toHaveLength(2);
    expect(lastCallOf(km.layer('shared'))).toEqual(calls[1]);
    expect(info(km, 'shared').inbound).toEqual([
      [{ layer: 'a', node: 0, tensor: 0 }],
      [{ layer: 'b', node: 0, tensor: 0 }],
    ]);
    const [ya, yb] = tf.tidy(() => runGraph([calls[0].outputs[0], calls[1].outputs[0]], feeds(km)));
    // a·W + c = (1 + 0 + 9 + 5, 2 − 2 + 3 − 5), b·W + c = (0 + 0 + 3 + 5, 0 − 1 + 1 − 5)
    expect(values(ya)).toEqual([15, -2]);
    expect(values(yb)).toEqual([8, -5]);
    tf.dispose([ya, yb]);
    km.dispose();
  });

  it('takes a feed at any tensor, splitting the graph there', async () => {
    const km = await model();
    const diffOut = lastCallOf(km.layer('diff'))!.outputs[0];
    const v = tf.tensor2d([1, 2], [1, 2]);
    // No model inputs needed: everything above diff is fed.
    const [head] = tf.tidy(() => runGraph([km.model.outputs[0]], new Map([[diffOut, v]])));
    expect(values(head)[0]).toBeCloseTo(1 * 2 + 0 * 3 + 0.5, 5); // relu(1)·2 + relu(−2)·3 + 0.5
    const e = errorOf(() => tf.tidy(() => runGraph([km.model.outputs[1]], new Map([[km.model.inputs[0], a]]))));
    expect(e.code).toBe('INPUT_SHAPE');
    expect(e.message).toMatch(/No value was given for the input 'b' of the graph/);
    tf.dispose([head, v]);
    km.dispose();
  });

  it('reaches the layers inside a nested model with the override, never the nested model itself', async () => {
    const km = await model();
    const seen: string[] = [];
    const doubleH2: LayerOverride = (layer, ins, kwargs, next) => {
      seen.push(layer.name);
      return layer.name === 'h2' ? next(ins, kwargs).map((t) => tf.mul(t, 2)) : undefined;
    };
    const [head] = tf.tidy(() => runGraph([km.model.outputs[0]], feeds(km), { override: doubleH2 }));
    expect(values(head)[0]).toBeCloseTo(29, 5);
    expect(seen).toEqual(['shared', 'shared', 'diff', 'h1', 'h2']);
    expect(info(km, 'head').nested!.map((l) => l.name)).toEqual(['h1_input', 'h1', 'h2']);
    tf.dispose(head);
    km.dispose();
  });

  it('with release, disposes intermediate tensors as it goes and gives the same values', async () => {
    const km = await model();
    const before = tf.memory().numTensors;
    const plain = runGraph(km.model.outputs, feeds(km)); // no tidy: everything it made stays
    const kept = tf.memory().numTensors - before;
    const released = runGraph(km.model.outputs, feeds(km), { release: true });
    const keptReleased = tf.memory().numTensors - before - kept;
    expect(keptReleased).toBeLessThan(kept);
    expect(released.map(values)).toEqual(plain.map(values));
    tf.dispose([...plain, ...released]);
    km.dispose();
  });
});
