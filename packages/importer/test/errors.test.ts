import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImporterError, loadModel, predict, registerLayer, unregisterLayer } from '../src/index.ts';
import { fixturesDir } from '../../../test/support/fixtures.ts';
import { h5, h5Module, uniquePath } from '../src/read/h5wasm.ts';

const dir = fixturesDir();
const model = (f: string) => new Uint8Array(readFileSync(join(dir!, 'models', f)));

async function failure(p: Promise<unknown>): Promise<ImporterError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ImporterError);
    return e as ImporterError;
  }
  throw new Error('expected an ImporterError');
}

describe('typed errors that name the thing and say what to do', () => {
  it('not an HDF5 file', async () => {
    const e = await failure(loadModel(new TextEncoder().encode('{"class_name": "Sequential"}')));
    expect(e.code).toBe('NOT_HDF5');
    expect(e.message).toMatch(/not an HDF5 file: it is JSON text/);
  });

  it('empty file', async () => {
    const e = await failure(loadModel(new Uint8Array()));
    expect(e.code).toBe('NOT_HDF5');
    expect(e.message).toMatch(/empty file/);
  });

  it('a zip that is not a .keras file', async () => {
    const e = await failure(loadModel(Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 1, 2, 3)));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/\.keras zip could not be unpacked/);
  });

  it('HDF5 but not a Keras model', async () => {
    const mod = await h5();
    const path = uniquePath('test');
    const f = new mod.File(path, 'w');
    f.create_group('measurements');
    f.close();
    const bytes = h5Module('test').FS.readFile(path);
    h5Module('test').FS.unlink(path);
    const e = await failure(loadModel(bytes));
    expect(e.code).toBe('NOT_KERAS');
    expect(e.message).toMatch(/not a Keras model: it has no 'model_config' attribute.*top-level groups: measurements/);
  });

  describe.skipIf(!dir)('with fixture files', () => {
    it('truncated file', async () => {
      const bytes = model('kevinlin_lstm_model_k2.1.6.h5');
      const e = await failure(loadModel(bytes.subarray(0, 50_000)));
      expect(e.code).toBe('CORRUPT_FILE');
      expect(e.message).toMatch(/truncated or corrupt/);
    });

    it('weights-only file without an architecture', async () => {
      const e = await failure(loadModel(model('eqt_blockly_model_weights_k2.3.1_weightsonly.h5')));
      expect(e.code).toBe('NOT_KERAS');
      expect(e.message).toMatch(/weights-only file.*Give the architecture/);
    });

    it('unknown layer class lists the supported ones and how to register', async () => {
      const e = await failure(loadModel(model('aditya_lstm_simpleattention_custom_k3.8.0.h5')));
      expect(e.code).toBe('UNKNOWN_LAYER');
      expect(e.message).toMatch(
        /Unknown layer class 'SimpleAttention' \(layer 'simple_attention_2'(, from module '[^']+')?\)\. Keraspect supports: .*LSTM.*SeqSelfAttention.*registerLayer\("SimpleAttention"/,
      );
    });

    it('a user class shadowing the built-in Attention is not mistaken for it', async () => {
      const e = await failure(loadModel(model('dnforimaco_attention_lstm_sequential_k3.11.3.h5')));
      expect(e.code).toBe('UNKNOWN_LAYER');
      expect(e.message).toMatch(/registerLayer\("Attention"/);
    });

    it('Lambda without a TS function: names the layer and shows how to supply one', async () => {
      const e = await failure(loadModel(model('disazi_in_azinet_timedistributed_k2.2.4.h5')));
      expect(e.code).toBe('LAMBDA');
      expect(e.message).toMatch(
        /Lambda layer 'lambda_1'.*never runs.*lambdas: \{ "lambda_1": \(inputs, args, tf\) =>.*--plugin.*"a":3000,"b":6/,
      );
    });

    it('weights that do not fit list expected beside found', async () => {
      const e = await failure(loadModel(model('vk_new_gru_k3.9.2.h5'), { weights: model('vk_new_bi_lstm_k3.9.2.h5') }));
      expect(e.code).toBe('WEIGHT_MISMATCH');
      expect(e.message).toMatch(/Layer 'gru' \(GRU\) needs 3 weights .* but the file has none/);
      const e2 = await failure(
        loadModel(model('surro_mexie-mlp_k2.2.4-tf.h5'), {
          weights: model('surro_model-cnn_conv1d_maxpool_k2.2.4.h5'),
        }),
      );
      expect(e2.code).toBe('WEIGHT_MISMATCH');
    });

    it('a registered layer whose weights have the wrong shape', async () => {
      registerLayer('SimpleAttention', {
        build: () => {
          throw new Error('boom');
        },
      });
      try {
        const e = await failure(loadModel(model('aditya_lstm_simpleattention_custom_k3.8.0.h5')));
        expect(e.code).toBe('UNSUPPORTED_CONFIG');
        expect(e.message).toMatch(
          /Layer 'simple_attention_2' \(SimpleAttention\) could not be created from its config: boom/,
        );
      } finally {
        unregisterLayer('SimpleAttention');
      }
    });

    it('unsupported config value', async () => {
      const bytes = model('surro_model-rnn_simplernn_k2.2.4.h5');
      const km = await loadModel(bytes);
      const cfg = JSON.parse(JSON.stringify(km.modelConfig));
      km.dispose();
      (cfg.config.layers ?? cfg.config)[0].config.stateful = true;
      const e = await failure(loadModel(bytes, { architecture: cfg }));
      expect(e.code).toBe('UNSUPPORTED_CONFIG');
      expect(e.message).toMatch(
        /Layer 'simple_rnn_1' \(SimpleRNN\) config 'stateful' = true is not supported: stateful RNNs/,
      );
    });

    it('input of the wrong shape or with NaN at predict time', async () => {
      const km = await loadModel(model('surro_model-cnn_conv1d_maxpool_k2.2.4.h5'));
      try {
        const bad = () => predict(km, { data: new Float32Array(2 * 9 * 4), shape: [2, 9, 4] });
        expect(bad).toThrow(ImporterError);
        expect(bad).toThrow(
          /Input 'conv1d_1_input' of model '.*' must have shape \[None, 10, 4\] \(batch first\), but the data has shape \[2, 9, 4\]/,
        );
        const nan = new Float32Array(40).fill(0);
        nan[7] = Number.NaN;
        expect(() => predict(km, { data: nan, shape: [1, 10, 4] })).toThrow(
          /contains NaN at \[0, 1, 3\] \(flat index 7\)/,
        );
      } finally {
        km.dispose();
      }
    });
  });
});
