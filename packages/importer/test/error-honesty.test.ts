import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../src/export/h5.ts';
import { ImporterError, loadModel, modelFromConfig, predict, registerLayer, unregisterLayer } from '../src/index.ts';
import { h5 } from '../src/read/h5wasm.ts';

// Errors that are true: a missing Keras built-in is called that, snippets in messages are valid
// JavaScript, JS prototype keys are plain unknown names, an empty Sequential is refused, and a
// failure inside Keraspect is never blamed on the file.

async function failure(p: Promise<unknown>): Promise<ImporterError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ImporterError);
    return e as ImporterError;
  }
  throw new Error('expected an ImporterError');
}

const seq = (layers: unknown[]) => ({ class_name: 'Sequential', config: { name: 's', layers } });
const input = { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 4, 3] } };

/** The backtick-quoted and call snippets of a message must parse as JavaScript (… stands for code). */
function expectValidSnippets(message: string): void {
  const snippets = [...message.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  const calls = [...message.matchAll(/(registerLayer\(.*?\)\))/g)].map((m) => m[1]);
  expect(snippets.length + calls.length).toBeGreaterThan(0);
  for (const s of [...snippets, ...calls]) {
    const code = s.replaceAll('…', 'null').replace(/\{ weights, call \}/g, '{ weights: null, call: null }');
    expect(
      () => new Function(`let layers, lambdas, weights, call, defineLayer, registerLayer; ${code}`),
      s,
    ).not.toThrow();
  }
}

afterEach(() => unregisterLayer('Boom'));

describe('error honesty', () => {
  it('a built-in Keras layer Keraspect lacks is called that, with "open an issue" (Keras 2 and Keras 3 files)', async () => {
    const e2 = await failure(
      modelFromConfig(
        seq([input, { class_name: 'ConvLSTM2D', config: { name: 'conv_lst_m2d', filters: 2 } }]) as never,
      ),
    );
    expect(e2.code).toBe('UNKNOWN_LAYER');
    expect(e2.message).toMatch(
      /^Layer 'conv_lst_m2d' is a 'ConvLSTM2D', a built-in Keras layer that Keraspect does not implement yet\. Please open an issue at the Keraspect repository with the model \(or its config\) so that it can be added; the classes Keraspect loads are listed in docs\/layers\.md\./,
    );
    expect(e2.message).not.toMatch(/custom class from your Python code/);
    const keras3 = {
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'x',
            module: 'keras.layers',
            config: { name: 'x', batch_shape: [null, 4, 4, 1] },
            inbound_nodes: [],
          },
          {
            class_name: 'Cropping2D',
            name: 'crop',
            module: 'keras.layers',
            registered_name: null,
            config: {
              name: 'crop',
              cropping: [
                [1, 1],
                [1, 1],
              ],
            },
            inbound_nodes: [
              { args: [{ class_name: '__keras_tensor__', config: { keras_history: ['x', 0, 0] } }], kwargs: {} },
            ],
          },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['crop', 0, 0]],
      },
    };
    expect((await failure(modelFromConfig(keras3 as never))).message).toMatch(
      /^Layer 'crop' is a 'Cropping2D', a built-in Keras layer/,
    );
  });

  it("a class of the user's own code is called that, with valid JavaScript to register it (also for registered names)", async () => {
    for (const cls of ['AttentionWithContext', 'Custom>MyBlock', "Odd'Name"]) {
      const e = await failure(modelFromConfig(seq([input, { class_name: cls, config: { name: 'mine' } }]) as never));
      expect(e.message).toMatch(
        /If it is a custom class from your Python code, register a TF\.js implementation before loading/,
      );
      expect(e.message).toContain(`layers = { ${JSON.stringify(cls)}: { weights, call } }`);
      expectValidSnippets(e.message);
    }
  });

  it('the Lambda and op-layer snippets are valid JavaScript too', async () => {
    const lambda = await failure(
      modelFromConfig(
        seq([input, { class_name: 'Lambda', config: { name: "it's_lambda", function: 'f', arguments: {} } }]) as never,
      ),
    );
    expectValidSnippets(lambda.message);
    const op = await failure(
      modelFromConfig(
        seq([
          input,
          { class_name: 'TFOpLambda', config: { name: 'tf.math.bessel_i0', function: 'math.bessel_i0' } },
        ]) as never,
      ),
    );
    expect(op.message).toMatch(
      /^Layer 'tf\.math\.bessel_i0' \(TFOpLambda\) calls the TensorFlow function tf\.math\.bessel_i0, which Keraspect does not implement\. Supply it by layer name: loadModel\(bytes, \{ lambdas: \{ "tf\.math\.bessel_i0": \(inputs, args, tf\) => … \} \}\), or with the CLI a --plugin module exporting `lambdas = \{ "tf\.math\.bessel_i0": \(inputs, args, tf\) => … \}`/,
    );
    expectValidSnippets(op.message);
  });

  it('an op layer without its function is a config Keraspect cannot run, not a corrupt file', async () => {
    const e = await failure(
      modelFromConfig(seq([input, { class_name: 'TFOpLambda', config: { name: 'tf.math.exp' } }]) as never),
    );
    expect(e.code).toBe('UNSUPPORTED_CONFIG');
    expect(e.message).toMatch(
      /^TFOpLambda layer 'tf\.math\.exp' has no 'function' \(the TensorFlow function it calls\) in its config, which tf\.keras always writes\./,
    );
  });

  it("activation names that are JavaScript prototype keys get the normal 'not supported' error", async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const e = await failure(
        modelFromConfig(
          seq([input, { class_name: 'Dense', config: { name: 'd', units: 2, activation: name } }]) as never,
        ),
      );
      expect(e.code).toBe('UNSUPPORTED_CONFIG');
      expect(e.message).toMatch(new RegExp(`activation '${name}' is not supported\\. Supported: .*relu.*tanh`));
      expect(e.message).not.toMatch(/must set/);
    }
  });

  it('a Sequential with no layers is refused, saying so', async () => {
    for (const layers of [[], [input]]) {
      const e = await failure(modelFromConfig(seq(layers) as never));
      expect(e.code).toBe('UNSUPPORTED_CONFIG');
      expect(e.message).toMatch(
        /^Sequential model 's' has no layers( besides its InputLayer)?: there is nothing to run\./,
      );
    }
  });

  it('a failure inside Keraspect (or a registered layer) is INTERNAL and never blames the file', async () => {
    // A port whose weight conversion has a bug, and a layer that throws when run.
    registerLayer('Boom', {
      build: (c) => tf.layers.dense({ name: c.name, units: 2 }),
      convertWeights: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'shape')");
      },
    });
    const config = seq([input, { class_name: 'Boom', config: { name: 'boom' } }]);
    await h5();
    const w = (name: string, shape: number[]) => ({
      name: `boom/${name}:0`,
      shape,
      data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
    });
    const bytes = writeKerasH5({
      modelConfig: config as never,
      layers: [
        { name: 'x', weights: [] },
        { name: 'boom', weights: [w('kernel', [3, 2]), w('bias', [2])] },
      ],
    });
    const e1 = await failure(loadModel(bytes));
    expect(e1.code).toBe('INTERNAL');
    expect(e1.message).toMatch(
      /^Keraspect failed while loading the weights into the model \(TypeError: Cannot read properties of undefined/,
    );
    expect(e1.message).toMatch(/not a problem with your file/);
    expect(e1.message).not.toMatch(/corrupt/);
    unregisterLayer('Boom');
    class Throws extends tf.layers.Layer {
      static className = 'ThrowsOnCall';
      override call(): tf.Tensor {
        throw new RangeError('Tensor is disposed.');
      }
      override computeOutputShape(s: tf.Shape): tf.Shape {
        return s;
      }
    }
    registerLayer('Boom', { build: (c) => new Throws({ name: c.name }) });
    const runs = await modelFromConfig(config as never);
    const e = (() => {
      try {
        predict(runs, { data: new Float32Array(12), shape: [1, 4, 3] });
      } catch (err) {
        return err as ImporterError;
      }
      return null;
    })();
    runs.dispose();
    expect(e?.code).toBe('INTERNAL');
    expect(e?.message).toMatch(
      /^Keraspect failed while running model 's' \(RangeError: Tensor is disposed\.\)\. This is a bug/,
    );
    expect(e?.message).not.toMatch(/corrupt/);
  });
});
