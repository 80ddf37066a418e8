import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/support/fixtures.ts';
import {
  checkAttentionMemory,
  DEFAULT_LIMITS,
  type KerasModelJson,
  ImporterError,
  loadModel,
  modelFromConfig,
  predict,
  readKerasFile,
} from '../src/index.ts';
import { resolveLimits } from '../src/limits.ts';
import h5wasm, { type Group as H5Group } from 'h5wasm';
import { h5, h5Module, uniquePath } from '../src/read/h5wasm.ts';
import { stopHdf5Reader } from '../src/read/h5-tree.ts';

const dir = fixturesDir();
const model = (f: string) => new Uint8Array(readFileSync(join(dir!, 'models', f)));

async function failure(p: Promise<unknown> | (() => unknown)): Promise<ImporterError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(ImporterError);
    return e as ImporterError;
  }
  throw new Error('expected an ImporterError');
}

/** A Sequential config: Input(batch_shape) → Dense(units), as Keras 2 writes it. */
function dense(batchShape: unknown, units: unknown): KerasModelJson {
  return {
    class_name: 'Sequential',
    config: {
      name: 'seq',
      layers: [
        { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: batchShape, dtype: 'float32' } },
        { class_name: 'Dense', config: { name: 'dense', units, activation: 'linear', use_bias: true } },
      ],
    },
  } as KerasModelJson;
}

describe('limit options', () => {
  it('has documented defaults and rejects unknown or non-positive limits', async () => {
    expect(DEFAULT_LIMITS.maxFileBytes).toBe(2 ** 30);
    expect(resolveLimits({ maxParams: 10 }).maxParams).toBe(10);
    expect(resolveLimits({ maxParams: Infinity }).maxParams).toBe(Infinity);
    expect((await failure(() => resolveLimits({ maxFileBytez: 1 } as never))).message).toMatch(
      /Unknown limit 'maxFileBytez'. Limits: maxFileBytes, /,
    );
    expect((await failure(() => resolveLimits({ maxParams: -1 }))).code).toBe('BAD_ARGUMENT');
  });
});

describe.skipIf(!dir)('limits on files', () => {
  it('file size: names the limit, the size found and how to raise it', async () => {
    const bytes = model('vk_new_transformer_mha_k3.9.2.h5');
    const e = await failure(loadModel(bytes, { limits: { maxFileBytes: 50_000 } }));
    expect(e.code).toBe('LIMIT');
    expect(e.message).toMatch(
      /The file \(model\) is 54\.1 KiB, over the limit limits\.maxFileBytes = 48\.8 KiB\. If you trust this file, raise the limit: loadModel\(bytes, \{ limits: \{ maxFileBytes: \d+ \} \}\)/,
    );
    const w = await failure(loadModel(bytes, { weights: new Uint8Array(60_000), limits: { maxFileBytes: 56_000 } }));
    expect(w.message).toMatch(/The weights file \(weights\) is 58\.6 KiB/);
  });

  it('zip entry count, checked from the central directory', async () => {
    const entries = unzipSync(model('vk_simple_rnn_k3.9.2.keras'));
    for (let i = 0; i < 50; i++) entries[`assets/${i}`] = new Uint8Array(1);
    const e = await failure(loadModel(zipSync(entries), { limits: { maxZipEntries: 20 } }));
    expect(e.code).toBe('LIMIT');
    expect(e.message).toMatch(
      /number of entries in the \.keras zip is 21, over the limit limits\.maxZipEntries = 20\. Keras writes 3/,
    );
  });

  it('a zip bomb (16 MiB of zeros in 16 KiB) is refused by its ratio before inflating', async () => {
    const entries = unzipSync(model('vk_simple_rnn_k3.9.2.keras'));
    entries['model.weights.h5'] = new Uint8Array(16 * 2 ** 20);
    const bomb = zipSync(entries, { level: 9 });
    expect(bomb.length).toBeLessThan(200_000);
    const e = await failure(loadModel(bomb));
    expect(e.code).toBe('LIMIT');
    expect(e.message).toMatch(
      /Zip entry 'model\.weights\.h5' compression ratio \(16777216 bytes from \d+, a zip bomb's signature\) is [\d,]{5}, over the limit limits\.maxZipRatio = 200/,
    );
  });

  it('a declared 4 GiB entry is refused before anything is allocated', async () => {
    const bytes = model('vk_simple_rnn_k3.9.2.keras').slice();
    const view = new DataView(bytes.buffer);
    // Uncompressed size (offset 24) of every central directory entry.
    for (let i = 0; i + 46 <= bytes.length; i++)
      if (view.getUint32(i, true) === 0x02014b50) view.setUint32(i + 24, 0xfffffff0, true);
    const e = await failure(loadModel(bytes));
    expect(e.code).toBe('LIMIT');
    expect(e.message).toMatch(/uncompressed is 4 GiB, over the limit limits\.maxZipEntryBytes = 1 GiB/);
    const total = await failure(loadModel(model('vk_simple_rnn_k3.9.2.keras'), { limits: { maxZipTotalBytes: 1000 } }));
    expect(total.message).toMatch(
      /The \.keras zip uncompressed is [\d.]+ KiB, over the limit limits\.maxZipTotalBytes/,
    );
  });

  it('per-tensor and total weight sizes from dataset shapes, before reading them', async () => {
    const bytes = model('vk_new_transformer_mha_k3.9.2.h5');
    const t = await failure(loadModel(bytes, { limits: { maxTensorElements: 10 } }));
    expect(t.code).toBe('LIMIT');
    expect(t.message).toMatch(
      /Weight '.+' \[[\d, ]+\] \(elements\) is \d+, over the limit limits\.maxTensorElements = 10\./,
    );
    const p = await failure(loadModel(bytes, { limits: { maxParams: 100 } }));
    expect(p.message).toMatch(
      /The number of weight values in the file \(counted up to '.+'\) is \d+, over the limit limits\.maxParams = 100\./,
    );
    // The file reader alone applies them too.
    expect((await failure(readKerasFile(bytes, 'The file', { maxTensorElements: 10 }))).code).toBe('LIMIT');
  });
});

describe('limits and checks on configs', () => {
  it('huge units: the weight shape is checked before TF.js allocates it', async () => {
    const e = await failure(modelFromConfig(dense([null, 4], 1e9)));
    expect(e.code).toBe('LIMIT');
    expect(e.message).toMatch(
      /Layer 'dense' weight 'kernel' \[4,1000000000\] \(elements\) is 4,000,000,000, over the limit limits\.maxTensorElements = 268,435,456/,
    );
    const total = await failure(modelFromConfig(dense([null, 4], 1000), { limits: { maxParams: 1000 } }));
    expect(total.message).toMatch(
      /weight values declared by the config \(counted up to Layer 'dense' weight 'kernel' \[4,1000\]\) is 4,000, over the limit limits\.maxParams = 1,000/,
    );
  });

  it('negative, fractional, non-numeric and out-of-range units are typed errors', async () => {
    for (const units of [-5, 0.5, 'ten', null, [3], { a: 1 }, 2 ** 40]) {
      const e = await failure(modelFromConfig(dense([null, 4], units)));
      expect(['UNSUPPORTED_CONFIG', 'LIMIT']).toContain(e.code);
      expect(e.message).toMatch(/dense/);
    }
  });

  it('absurd batch shapes: huge dimensions are a LIMIT, invalid ones UNSUPPORTED_CONFIG', async () => {
    const huge = await failure(modelFromConfig(dense([null, 100_000, 100_000], 2)));
    expect(huge.code).toBe('LIMIT');
    expect(huge.message).toMatch(
      /InputLayer 'in' batch_shape \[null,100000,100000\] \(elements per input row and batch\) is 10,000,000,000, over the limit limits\.maxTensorElements/,
    );
    for (const shape of [[null, -3], [null, 1.5], [null, 'x'], [], 'abc', [null, 1e300]]) {
      const e = await failure(modelFromConfig(dense(shape, 2)));
      expect(['UNSUPPORTED_CONFIG', 'CORRUPT_FILE', 'LIMIT']).toContain(e.code);
    }
  });

  it('deeply nested configs stop at maxConfigDepth before anything recurses', async () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const config = dense([null, 4], 2);
    (config.config as { layers: { config: Record<string, unknown> }[] }).layers[1].config.kernel_constraint = deep;
    const e = await failure(modelFromConfig(config));
    expect(e.code).toBe('LIMIT');
    expect(e.message).toMatch(/nesting depth of the model config .* over the limit limits\.maxConfigDepth = 100/);
  });

  it('layer count', async () => {
    const e = await failure(modelFromConfig(dense([null, 4], 2), { limits: { maxLayers: 2 } }));
    expect(e.message).toMatch(/number of layers .* is 3, over the limit limits\.maxLayers = 2/);
  });

  it('a cycle in the layer graph is CORRUPT_FILE naming the layer', async () => {
    const ref = (l: string) => [[l, 0, 0, {}]];
    const config = {
      class_name: 'Functional',
      config: {
        name: 'cyclic',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'in',
            config: { name: 'in', batch_input_shape: [null, 4] },
            inbound_nodes: [],
          },
          {
            class_name: 'Add',
            name: 'a',
            config: { name: 'a' },
            inbound_nodes: [
              [
                ['in', 0, 0, {}],
                ['b', 0, 0, {}],
              ],
            ],
          },
          { class_name: 'Dense', name: 'b', config: { name: 'b', units: 4 }, inbound_nodes: [ref('a')] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['b', 0, 0]],
      },
    } as unknown as KerasModelJson;
    const e = await failure(modelFromConfig(config));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/layer '(a|b)' \(call 0\) needs (a|b)\[0\], which depends on it in a cycle/);
    // A self-loop too.
    (config.config as { layers: { inbound_nodes: unknown }[] }).layers[2].inbound_nodes = ref('b');
    expect((await failure(modelFromConfig(config))).code).toBe('CORRUPT_FILE');
  });

  it('unknown classes are UNKNOWN_LAYER, also names that exist on Object.prototype', async () => {
    for (const cls of ['EvilLayer', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const config = dense([null, 4], 2);
      (config.config as { layers: { class_name: string }[] }).layers[1].class_name = cls;
      const e = await failure(modelFromConfig(config));
      expect(e.code).toBe('UNKNOWN_LAYER');
      expect(e.message).toContain(`Unknown layer class '${cls}'`);
    }
  });
});

describe.skipIf(!dir)('config mutations never escape as raw errors', () => {
  // Every value of every layer config of two small fixtures, replaced by each wrong-typed value.
  const WRONG: unknown[] = [null, 'x', -1, 1e12, [], {}, true];
  for (const file of ['vk_new_transformer_mha_k3.9.2.h5', 'surro_model-cnn_conv1d_maxpool_k2.2.4.h5']) {
    it(file, async () => {
      const { modelConfig } = await readKerasFile(model(file));
      const layers = (modelConfig!.config as { layers: { config: Record<string, unknown> }[] }).layers;
      let tried = 0;
      for (const [li, layer] of layers.entries()) {
        for (const key of Object.keys(layer.config)) {
          for (const v of WRONG) {
            const mutated = structuredClone(modelConfig!);
            (mutated.config as { layers: { config: Record<string, unknown> }[] }).layers[li].config[key] = v;
            tried += 1;
            try {
              const km = await modelFromConfig(mutated, { kerasVersion: '3.9.2' });
              km.dispose();
            } catch (e) {
              if (!(e instanceof ImporterError))
                throw new Error(
                  `layer ${li} key '${key}' = ${JSON.stringify(v)}: raw ${(e as Error).name}: ${(e as Error).message}`,
                );
            }
          }
        }
      }
      expect(tried).toBeGreaterThan(100);
    });
  }
});

describe.skipIf(!dir)('attention memory at predict time', () => {
  it('names the layer, the T² arithmetic and internalBatchSize', async () => {
    const km = await loadModel(model('vk_new_transformer_mha_k3.9.2.h5'), { limits: { maxAttentionElements: 1000 } });
    try {
      expect(km.attentionLayers).toEqual(['multi_head_attention_1']);
      const shape = [64, 3, 2];
      const x = { data: new Float32Array(64 * 3 * 2), shape };
      const e = await failure(() => predict(km, x));
      expect(e.code).toBe('LIMIT');
      expect(e.message).toMatch(
        /Attention layer 'multi_head_attention_1' would compute 1,152 attention weights \(batch 64 × 2 head\(s\) × 3 queries × 3 keys, about 4\.5 KiB as float32\), over the limit limits\.maxAttentionElements = 1,000\. Run fewer samples at a time \(explain methods: the internalBatchSize option/,
      );
      // The helper explain calls, and a per-call limit.
      expect(() => checkAttentionMemory(km, [[32, 3, 2]])).not.toThrow();
      expect(predict(km, x, { limits: { maxAttentionElements: 2000 } })[0].shape[0]).toBe(64);
      expect((await failure(() => checkAttentionMemory(km, [[32, 3, 2]], { maxAttentionElements: 100 }))).code).toBe(
        'LIMIT',
      );
    } finally {
      km.dispose();
    }
  });
});

describe('the HDF5 reader runs in a worker that can be stopped', () => {
  it.skipIf(!dir)(
    'a file that sends HDF5 into an endless loop is stopped at maxReadMs, and the next file loads',
    async () => {
      // Found by the fuzzer (seed 1, input 121): 47 bytes of the superblock area copied over an
      // attribute message make reading the 'backend' attribute loop forever inside HDF5.
      const good = model('vk_new_transformer_mha_k3.9.2.h5');
      const bad = good.slice();
      bad.set(good.subarray(177, 224), 2120);
      const t0 = performance.now();
      const e = await failure(loadModel(bad, { limits: { maxReadMs: 1000 } }));
      expect(e.code).toBe('LIMIT');
      expect(e.message).toMatch(
        /Reading the file as HDF5 did not finish within limits\.maxReadMs = 1 s and was stopped/,
      );
      expect(performance.now() - t0).toBeLessThan(10_000);
      const km = await loadModel(good);
      expect(predict(km, { data: new Float32Array(6), shape: [1, 3, 2] })[0].shape).toEqual([1, 3]);
      km.dispose();
    },
  );
});

/** A legacy .h5 whose one weight is a chunked dataset resized to `elements` (unwritten chunks). */
async function hugeDatasetFile(elements: number): Promise<Uint8Array> {
  await h5();
  const path = uniquePath('test');
  const f = new h5wasm.File(path, 'w');
  f.create_attribute('model_config', JSON.stringify(dense([null, 4], 2)));
  f.create_group('model_weights');
  const g = f.get('model_weights') as H5Group;
  g.create_attribute('layer_names', ['dense'], [1], 'S5');
  g.create_group('dense');
  const d = g.get('dense') as H5Group;
  d.create_attribute('weight_names', ['k'], [1], 'S1');
  d.create_dataset({ name: 'k', data: new Float32Array(4), shape: [4], maxshape: [null], chunks: [1 << 20] });
  (d.get('k') as unknown as { resize(shape: number[]): void }).resize([elements]);
  f.close();
  const bytes = h5Module('test').FS.readFile(path);
  h5Module('test').FS.unlink(path);
  return bytes;
}

describe.skipIf(!dir)('out of memory inside wasm', () => {
  it('a 4 GiB weight with its limits lifted fails as CORRUPT_FILE, and the process stays usable', async () => {
    const bytes = await hugeDatasetFile(2 ** 30 + 5);
    // With default limits the declared size is refused before reading.
    const limited = await failure(loadModel(bytes));
    expect(limited.code).toBe('LIMIT');
    expect(limited.message).toMatch(
      /Weight 'k' \[1073741829\] \(elements\) is 1,073,741,829, over the limit limits\.maxTensorElements/,
    );
    // Lifted: HDF5 (wasm, 2 GiB address space) cannot allocate it.
    const oom = await failure(loadModel(bytes, { limits: { maxTensorElements: Infinity, maxParams: Infinity } }));
    expect(oom.code).toBe('CORRUPT_FILE');
    expect(oom.message).toMatch(
      /Weight 'k' could not be read \(Requested allocation of \d+ bytes exceeds maximum memory/,
    );
    const km = await loadModel(model('vk_new_transformer_mha_k3.9.2.h5'));
    expect(predict(km, { data: new Float32Array(6), shape: [1, 3, 2] })[0].shape).toEqual([1, 3]);
    km.dispose();
  });
});

describe.skipIf(!dir)('the reader thread dying mid-read', () => {
  it('fails that read as CORRUPT_FILE and the next read starts a fresh thread', async () => {
    // The endless-loop file from above keeps the thread busy until it is stopped.
    const good = model('vk_new_transformer_mha_k3.9.2.h5');
    const looping = good.slice();
    looping.set(good.subarray(177, 224), 2120);
    const reading = loadModel(looping, { limits: { maxReadMs: 60_000 } });
    await new Promise((r) => setTimeout(r, 1000));
    stopHdf5Reader();
    const e = await failure(reading);
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/crashed the HDF5 reader \(the reader thread exited with code 1\)/);
    const km = await loadModel(good);
    km.dispose();
  });
});
