import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { CallTemplate } from '../../keras-format/graph.ts';
import { register } from '../builtin/common.ts';
import type { LambdaFn } from '../port.ts';
import { withoutGradient } from '../layer-util.ts';
import { bindArgs, type OpArgs, type OpImpl, resolveTemplate } from './op.ts';

/** Options of {@link KerasOpLayer}. */
export interface KerasOpLayerArgs {
  name: string;
  /** The op as the file names it, for messages: `tf.math.multiply`, `keras.ops.numpy.Add`. */
  op: string;
  /** The implementation from the op tables, or a user function standing in for it. */
  impl: OpImpl | { lambda: LambdaFn };
  /** A Keras 3 operation's constructor arguments (its config minus the name). */
  config?: OpArgs;
}

/**
 * Implemented by layers whose computation depends on the exact arguments of each call (op layers):
 * the builder hands them every call's argument template before applying them.
 */
export interface CallBound {
  bindCall(node: number, template: CallTemplate): void;
}

/** Type guard for {@link CallBound}. */
export function isCallBound(layer: unknown): layer is CallBound {
  return typeof (layer as Partial<CallBound>)?.bindCall === 'function';
}

/**
 * A functional-graph operation (tf.keras `TFOpLambda`/`SlicingOpLambda`, Keras 3 `keras.src.ops`)
 * as a TF.js layer: its tensors come in as the layer inputs, in the order of the call's tensor slots,
 * and every other argument (constants, axes, slice specs) from the call's template. It has no
 * weights and drops masks, as Keras' op layers do. Its output shape is found by running it.
 */
export class KerasOpLayer extends tf.layers.Layer implements CallBound {
  static className = 'KerasOpLayer';
  readonly op: string;
  private readonly impl: KerasOpLayerArgs['impl'];
  private readonly opConfig: OpArgs;
  private readonly templates: CallTemplate[] = [];
  private inputDtypes: tf.DataType[] = [];

  constructor(args: KerasOpLayerArgs) {
    super({ name: args.name, trainable: false });
    this.op = args.op;
    this.impl = args.impl;
    this.opConfig = args.config ?? {};
    this.supportsMasking = true;
  }

  override apply(
    inputs: tf.Tensor | tf.SymbolicTensor | (tf.Tensor | tf.SymbolicTensor)[],
    kwargs?: Record<string, unknown>,
  ): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.some((t) => t instanceof tf.SymbolicTensor)) this.inputDtypes = list.map((t) => t.dtype);
    return super.apply(inputs as never, kwargs);
  }

  bindCall(node: number, template: CallTemplate): void {
    this.templates[node] = template;
  }

  private template(kwargs?: Record<string, unknown>): CallTemplate {
    const given = kwargs?.callTemplate as CallTemplate | undefined;
    if (given) return given;
    const known = this.templates.filter(Boolean);
    if (known.length === 1) return known[0];
    if (known.length === 0) return { args: [{ tensor: 0 }], kwargs: {} };
    return fail(
      'UNSUPPORTED_CONFIG',
      `Op layer '${this.name}' (${this.op}) is called ${known.length} times with different arguments; Keraspect runs op layers called once.`,
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const tensors = Array.isArray(inputs) ? inputs : [inputs];
    const template = this.template(kwargs);
    return tf.tidy(() => this.run(tensors, template));
  }

  private run(tensors: tf.Tensor[], template: CallTemplate): tf.Tensor | tf.Tensor[] {
    const impl = this.impl;
    if ('lambda' in impl) {
      const args: OpArgs = { ...this.opConfig };
      for (const [k, t] of Object.entries(template.kwargs)) {
        const v = resolveTemplate(t, tensors);
        if (!(v instanceof tf.Tensor)) args[k] = v;
      }
      return impl.lambda(tensors.length === 1 ? tensors[0] : tensors, args, tf);
    }
    const go = () => impl.run(bindArgs(impl, this.op, this.name, template, tensors, this.opConfig));
    if (impl.noGradient) return withoutGradient(tensors, go as () => tf.Tensor);
    return go();
  }

  /** Keras' op layers drop masks (an operation is not a layer that propagates them). */
  override computeMask(): tf.Tensor | tf.Tensor[] {
    return null as never;
  }

  /**
   * Runs the op on probes: unknown dimensions as 2 and then 3 (batch) or 5 and then 7 (others); an
   * output dimension that changes between the two runs is unknown.
   */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const many = Array.isArray(inputShape[0]);
    const shapes = (many ? inputShape : [inputShape]) as tf.Shape[];
    const template = this.template();
    const probe = (small: boolean): number[][] => {
      tf.engine().startScope();
      try {
        const ts = shapes.map((s, k) =>
          tf.ones(
            s.map((d, i) => (d === null ? (i === 0 ? (small ? 2 : 3) : small ? 5 : 7) : d)),
            this.inputDtypes[k] === 'int32' || this.inputDtypes[k] === 'bool' ? this.inputDtypes[k] : 'float32',
          ),
        );
        const out = this.run(ts, template);
        return (Array.isArray(out) ? out : [out]).map((t) => t.shape);
      } finally {
        tf.engine().endScope();
      }
    };
    const a = probe(true);
    const b = probe(false);
    const merged = a.map((s, i) => s.map((d, j) => (b[i]?.[j] === d ? d : null)));
    return merged.length === 1 ? merged[0] : merged;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), op: this.op };
  }
}
register(KerasOpLayer);
