import * as tf from '@tensorflow/tfjs';
import { fail } from '../errors.ts';
import type { LambdaFn, LayerPort } from './port.ts';
import { describeInputs, probeOutputShape, runUserCode, userInputs } from './probe.ts';

/**
 * Keras `Lambda` carries Python bytecode, which is never executed or decoded. A user supplies a
 * TF.js function for the layer by name; without one, loading fails with how to register it.
 */
export const Lambda: LayerPort = {
  build(c, ctx) {
    const fn = ctx.lambdas[c.name];
    if (!fn) {
      const fnName = describeFunction(c.function);
      fail(
        'LAMBDA',
        `Lambda layer '${c.name}'${fnName ? ` (Python function '${fnName}')` : ''} holds Python code, which Keraspect never runs. ` +
          `Supply a TF.js function for it by layer name: loadModel(bytes, { lambdas: { ${JSON.stringify(c.name)}: (inputs, args, tf) => … } }), ` +
          `or with the CLI a --plugin module exporting \`lambdas = { ${JSON.stringify(c.name)}: (inputs, args, tf) => … }\`. ` +
          `Its arguments are ${JSON.stringify(c.arguments ?? {})}.`,
      );
    }
    return new LambdaLayer({ name: c.name, fn, args: (c.arguments as Record<string, unknown>) ?? {} });
  },
};

/** Only the function's name is read, for the message; the bytecode is left alone. */
function describeFunction(f: unknown): string | null {
  if (typeof f === 'string' && /^[A-Za-z_]\w*$/.test(f)) return f;
  if (Array.isArray(f) && typeof f[0] === 'string' && /^[A-Za-z_]\w*$/.test(f[0])) return f[0];
  if (f && typeof f === 'object' && typeof (f as { config?: unknown }).config === 'string') return null;
  return null;
}

interface LambdaArgs {
  name: string;
  fn: LambdaFn;
  args: Record<string, unknown>;
}

/** Runs a user-supplied function; its output shape is found by running it on a probe input. */
export class LambdaLayer extends tf.layers.Layer {
  static className = 'KeraspectLambda';
  private readonly fn: LambdaFn;
  private readonly fnArgs: Record<string, unknown>;
  constructor(a: LambdaArgs) {
    super({ name: a.name, trainable: false });
    this.fn = a.fn;
    this.fnArgs = a.args;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const x = userInputs(inputs);
    return tf.tidy(() =>
      runUserCode(
        this.what(),
        () => describeInputs(x),
        () => this.fn(x, this.fnArgs, tf),
      ),
    );
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return probeOutputShape(inputShape, (probe) =>
      runUserCode(
        this.what(),
        () => describeInputs(probe),
        () => this.fn(probe, this.fnArgs, tf),
      ),
    );
  }
  private what(): string {
    return `The function supplied for Lambda layer '${this.name}'`;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), arguments: this.fnArgs as tf.serialization.ConfigDict };
  }
}
