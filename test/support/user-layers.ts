import type * as tfType from '@tensorflow/tfjs';
import { defineLayer, type LambdaFn, registerLayer, unregisterLayer } from '@keraspect/importer';

// What a user would write to load the fixtures' user-defined classes and Lambdas: the math is the
// one described in the fixtures README (their Python classes, re-expressed with TF.js ops).

type T = tfType.Tensor;

/** softmax over time of tanh(x·W + b), then Σ_t a_t·x_t (aditya, arnav: b is (T,1); somi: b is (1)). */
const tanhAttention = (biasPerStep: boolean) =>
  defineLayer('TanhAttention', {
    weights: (_c, s) => [
      { name: 'W', shape: [s[2] as number, 1] },
      { name: 'b', shape: biasPerStep ? [s[1] as number, 1] : [1] },
    ],
    call: (inputs, w, _c, tf) => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as T;
      const e = tf.tanh(
        tf.add(tf.matMul(x.reshape([-1, x.shape[2]!]), w.W).reshape([x.shape[0]!, x.shape[1]!, 1]), w.b),
      );
      const a = tf.softmax(e.squeeze([2]), -1).expandDims(2);
      return tf.sum(tf.mul(x, a), 1);
    },
  });

/** dnforimaco's user `Attention`: a = softmax_t(x·W), Σ_t a_t·x_t, no bias. */
const dotAttention = defineLayer('Attention', {
  weights: (_c, s) => [{ name: 'W', shape: [s[2] as number, 1] }],
  call: (inputs, w, _c, tf) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as T;
    const e = tf.matMul(x.reshape([-1, x.shape[2]!]), w.W).reshape([x.shape[0]!, x.shape[1]!]);
    return tf.sum(tf.mul(x, tf.softmax(e, -1).expandDims(2)), 1);
  },
});

/** Register the user classes a fixture needs; returns a function that unregisters them. */
export function registerFixtureClasses(needs: string[]): () => void {
  const added: string[] = [];
  const add = (name: string, port: ReturnType<typeof defineLayer>) => {
    registerLayer(name, port);
    added.push(name);
  };
  if (needs.includes('aditya')) add('SimpleAttention', tanhAttention(true));
  if (needs.includes('arnav')) add('AttentionLayer', tanhAttention(true));
  if (needs.includes('somi')) add('AttentionLayer', tanhAttention(false));
  if (needs.includes('dnforimaco')) add('Attention', dotAttention);
  return () => {
    // Synchronous: a later registerFixtureClasses must not be undone by this cleanup.
    for (const n of added) unregisterLayer(n);
  };
}

/** disazi's lambda_1..3: reshape to (-1, a, b) with a, b from the layer's `arguments`. */
export function fixtureLambdas(needs: string[]): Record<string, LambdaFn> {
  if (!needs.includes('disazi')) return {};
  const reshape: LambdaFn = (inputs, args, tf) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as T;
    return tf.reshape(x, [-1, Number(args.a), Number(args.b)]);
  };
  return { lambda_1: reshape, lambda_2: reshape, lambda_3: reshape };
}
