import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import type { BuildContext, LayerPort } from '../port.ts';
import { kerasOps } from './keras-ops.ts';
import type { OpArgs, OpTable } from './op.ts';
import { KerasOpLayer } from './op-layer.ts';
import { tfOps } from './tf-ops.ts';

/** Config keys every layer or operation carries that are not arguments of the op. */
const NOT_ARGS = new Set(['name', 'trainable', 'dtype', 'function', 'module', 'registered_name']);

function opConfig(config: KerasLayerConfig): OpArgs {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !NOT_ARGS.has(k)));
}

/**
 * The op layer for `op` (a name of `table`), or — when the user supplied a function for this layer
 * by name (`lambdas`) — that function; otherwise a failure naming the op, the layer and how to
 * supply it.
 */
function buildOp(
  config: KerasLayerConfig,
  ctx: BuildContext,
  table: OpTable,
  key: string,
  shown: string,
  kind: string,
  args: OpArgs,
): KerasOpLayer {
  const user = ctx.lambdas[config.name];
  if (user) return new KerasOpLayer({ name: config.name, op: shown, impl: { lambda: user }, config: args });
  const impl = Object.hasOwn(table, key) ? table[key] : undefined;
  if (impl) return new KerasOpLayer({ name: config.name, op: shown, impl, config: args });
  return fail(
    'UNKNOWN_LAYER',
    `Layer '${config.name}' (${kind}) calls ${shown}, which Keraspect does not implement. ` +
      `Supply it by layer name: loadModel(bytes, { lambdas: { ${JSON.stringify(config.name)}: (inputs, args, tf) => … } }), ` +
      `or with the CLI a --plugin module exporting \`lambdas = { ${JSON.stringify(config.name)}: (inputs, args, tf) => … }\`; ` +
      `inputs are its tensor arguments in call order, args its other arguments by name. ` +
      `Implemented: ${Object.keys(table).sort().join(', ')}.`,
  );
}

function functionName(config: KerasLayerConfig, cls: string): string {
  const f = config.function;
  if (typeof f !== 'string' || !f)
    fail(
      'UNSUPPORTED_CONFIG',
      `${cls} layer '${config.name}' has no 'function' (the TensorFlow function it calls) in its config, which tf.keras always writes.`,
    );
  return f.replace(/^tf\./, '');
}

/**
 * tf.keras `TFOpLambda`: a TensorFlow function called on Keras tensors in a functional model
 * (`tf.nn.softmax(x)`, `x * 2`, `tf.concat([a, b], axis=1)`), with TensorFlow's semantics (see
 * `tf-ops.ts`). The function is the config's `function`; its arguments are in the inbound node.
 */
export const tfOpLambdaPort: LayerPort = {
  build(config, ctx) {
    const f = functionName(config, 'TFOpLambda');
    return buildOp(config, ctx, tfOps, f, `the TensorFlow function tf.${f}`, 'TFOpLambda', {});
  },
};

/** tf.keras `SlicingOpLambda`: `x[...]` on a Keras tensor (`tf.__operators__.getitem`). */
export const slicingOpLambdaPort: LayerPort = {
  build(config, ctx) {
    const f = functionName(config, 'SlicingOpLambda');
    return buildOp(config, ctx, tfOps, f, `the TensorFlow function tf.${f}`, 'SlicingOpLambda', {});
  },
};

/** Whether a layer entry's `module` says it is a Keras 3 operation rather than a layer. */
export function isKerasOpModule(module: unknown): module is string {
  return typeof module === 'string' && /^keras(\.src)?\.ops(\.|$)/.test(module);
}

/**
 * A Keras 3 operation saved in a functional graph (`x + 1.0` → `Add` from `keras.src.ops.numpy`),
 * told apart from the layer of the same class name by the entry's `module` (see `keras-ops.ts`).
 */
export function kerasOpPort(className: string, module: string): LayerPort {
  return {
    build(config, ctx) {
      const where = module.replace(/^keras\.src\./, 'keras.');
      return buildOp(
        config,
        ctx,
        kerasOps,
        className,
        `the Keras operation ${where}.${className}`,
        `${module}.${className}`,
        opConfig(config),
      );
    },
  };
}
