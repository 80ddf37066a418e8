import * as tf from '@tensorflow/tfjs';

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
    const out = run(many ? probes : probes[0]);
    const toShape = (t: tf.Tensor): tf.Shape => [null, ...t.shape.slice(1)];
    return Array.isArray(out) ? out.map(toShape) : toShape(out);
  } finally {
    tf.engine().endScope();
  }
}
