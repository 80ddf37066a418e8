import * as tf from '@tensorflow/tfjs';
import { ImporterError } from '../errors.ts';

/**
 * What a user function (Lambda, `defineLayer`) receives: a single input as a bare tensor, several
 * as an array — the same at the shape probe and at predict, where TF.js hands layers a list.
 */
export function userInputs(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
  return Array.isArray(inputs) && inputs.length === 1 ? (inputs[0] as tf.Tensor) : inputs;
}

/** "inputs of shape [2,5,3], [2,5]" — what a user function was given, for its error message. */
export function describeInputs(inputs: tf.Tensor | tf.Tensor[]): string {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  return `input${list.length === 1 ? '' : 's'} of shape ${list.map((t) => JSON.stringify(t.shape)).join(', ')}`;
}

/**
 * Run user code for `what` (e.g. "The call() of registered layer 'Attention' (layer 'att_1')"),
 * given what `given` describes (e.g. `describeInputs(x)`); an exception it throws becomes a `PLUGIN` error naming
 * that code and what it got.
 */
export function runUserCode<T>(what: string, given: () => string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof ImporterError) throw e;
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new ImporterError(
      'PLUGIN',
      `${what} threw (${msg.slice(0, 300)}) on ${given()}. ` +
        'The fault is in the function you supplied, not in the file: fix it and load again ' +
        '(it gets one input as a tensor, several as an array).',
      { cause: e },
    );
  }
}

/**
 * Find a layer's output shape by running its computation on zeros — for user functions (Lambda,
 * `defineLayer`) whose shape rule is unknown. Unknown dimensions are probed as 2 (batch) and 3, and
 * the batch dimension of the result is reported as `null`.
 */
export function probeOutputShape(
  inputShape: tf.Shape | tf.Shape[],
  run: (probe: tf.Tensor | tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): tf.Shape | tf.Shape[] {
  const many = Array.isArray(inputShape[0]);
  const shapes = (many ? inputShape : [inputShape]) as tf.Shape[];
  tf.engine().startScope();
  try {
    const probes = shapes.map((s) => tf.zeros(s.map((d, i) => (d === null ? (i === 0 ? 2 : 3) : d))));
    const out = run(userInputs(probes));
    const toShape = (t: tf.Tensor): tf.Shape => [null, ...t.shape.slice(1)];
    return Array.isArray(out) ? out.map(toShape) : toShape(out);
  } finally {
    tf.engine().endScope();
  }
}
