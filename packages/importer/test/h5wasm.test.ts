import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm, { type Dataset as H5Dataset, type Group as H5Group } from 'h5wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/support/fixtures.ts';
import { ImporterError } from '../src/errors.ts';
import { writeNpy } from '../src/npy.ts';
import {
  decodeAttr,
  describeBytes,
  findHdf5Signature,
  type H5File,
  h5,
  h5Module,
  readAttrStrings,
  withH5File,
} from '../src/read/h5wasm.ts';
import { errorOf } from './error-of.ts';

/** A small HDF5 file made with h5wasm directly (not with our writer). */
function makeFile(fill: (f: H5File) => void): Uint8Array {
  // A path in h5wasm's in-memory file system (Emscripten's MEMFS), not on the machine's disk.
  const path = `/h5wasm-test-${Math.random().toString(36).slice(2)}.h5`;
  const f = new h5wasm.File(path, 'w');
  fill(f);
  f.close();
  const FS = h5Module('test').FS;
  const bytes = FS.readFile(path);
  FS.unlink(path);
  return bytes;
}

function leftoverFiles(): string[] {
  return (h5Module('test').FS.readdir('/tmp') as string[]).filter((n) => n.startsWith('keraspect-'));
}

// Runs first, while h5wasm has not been loaded in this test process (vitest isolates files).
it('asks to `await h5()` when used before h5wasm has loaded', () => {
  const e = errorOf(() => withH5File(new Uint8Array(16), () => 1));
  expect(e.code).toBe('BAD_ARGUMENT');
  expect(e.message).toMatch(/h5wasm.*not ready yet: call `await h5\(\)`/);
});

describe('h5wasm helpers', () => {
  let sample: Uint8Array;
  beforeAll(async () => {
    const [a, b] = [h5(), h5()];
    expect(await a).toBe(await b);
    sample = makeFile((f) => {
      f.create_attribute('title', 'hello', null, 'A');
      f.create_attribute('names', ['ab', 'c'], [2], 'A2');
      f.create_attribute('vnames', ['long name', 'x'], [2]);
      f.create_attribute('ints', new Int32Array([1, 2, 3]), [3]);
      f.create_attribute('big', new BigInt64Array([5n]), []);
      f.create_attribute('none', new Float64Array(0), [0]);
      f.create_attribute('parts0', ['a', 'b'], [2], 'A1');
      f.create_attribute('parts1', ['c'], [1], 'A1');
      f.create_group('g');
      (f.get('g') as H5Group).create_dataset({ name: 'd', data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] });
    });
  });

  it('opens bytes, runs fn, and always removes the in-memory file', () => {
    const keys = withH5File(sample, (f) => f.keys());
    expect(keys).toEqual(['g']);
    expect(() =>
      withH5File(sample, () => {
        throw new TypeError('bug in caller');
      }),
    ).toThrow(TypeError);
    const own = errorOf(() =>
      withH5File(sample, () => {
        throw new ImporterError('NOT_KERAS', 'not a model');
      }),
    );
    expect(own.code).toBe('NOT_KERAS');
    expect(leftoverFiles()).toEqual([]);
  });

  it('finds the superblock after a user block (offset 512)', () => {
    const withUserBlock = new Uint8Array(512 + sample.length);
    withUserBlock.set(sample, 512);
    expect(findHdf5Signature(sample)).toBe(0);
    expect(findHdf5Signature(withUserBlock)).toBe(512);
    expect(withH5File(withUserBlock, (f) => Array.from((f.get('g/d') as H5Dataset).value as Float32Array))).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('says what non-HDF5 bytes look like (NOT_HDF5)', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0), /zip archive — it looks like a Keras 3 \.keras zip/],
      [enc('{"class_name": "Sequential"}'), /JSON text/],
      [writeNpy({ data: Float32Array.of(1), shape: [1] }), /NumPy \.npy array/],
      [new Uint8Array(0), /empty file/],
      [enc('<!DOCTYPE html><html>'), /HTML\/XML page/],
      [enc('version https://git-lfs.github.com/spec/v1\noid sha256:abc'), /Git LFS pointer/],
      [Uint8Array.of(0x0e, 0x03, 0x13, 0x01, 1, 2), /HDF4/],
      [Uint8Array.of(1, 2, 3, 250, 251, 0, 7, 8, 9), /binary data starting with bytes 01 02 03 fa fb 00 07 08/],
      [enc('hello world'), /text starting with "hello world"/],
      [
        Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb),
        /TensorFlow checkpoint index .*model\.load_weights\(prefix\).*model\.save\('model\.keras'\)/,
      ],
      [
        Uint8Array.of(0x08, 0x01, 0x12, 0x80, 0x01, 0x0a),
        /TensorFlow SavedModel graph \(saved_model\.pb\).*load_model/,
      ],
      [Uint8Array.of(0x1c, 0, 0, 0, 0x54, 0x46, 0x4c, 0x33, 0, 0), /TensorFlow Lite model/],
    ];
    for (const [bytes, re] of cases) {
      expect(describeBytes(bytes)).toMatch(re);
      const e = errorOf(() => withH5File(bytes, () => 0, { label: 'model.h5' }));
      expect(e.code).toBe('NOT_HDF5');
      expect(e.message).toMatch(/^model\.h5 is not an HDF5 file: it is /);
      expect(e.message).toMatch(re);
    }
  });

  it('turns truncated and damaged files into CORRUPT_FILE and keeps working afterwards', () => {
    for (const cut of [8, 100, 400, sample.length - 200, sample.length - 1]) {
      const e = errorOf(() => withH5File(sample.subarray(0, cut), (f) => f.keys()));
      expect(e.code, `cut at ${cut}`).toBe('CORRUPT_FILE');
      expect(e.message).toMatch(/is an HDF5 file but could not be (opened|read).*truncated or corrupt/);
    }
    // Flip bytes all over the file: every outcome is a value or an ImporterError, never a crash.
    let corrupt = 0;
    for (let at = 8; at < sample.length; at += 37) {
      const damaged = sample.slice();
      damaged[at] ^= 0xff;
      try {
        withH5File(damaged, (f) => {
          for (const p of f.paths()) {
            const o = f.get(p);
            if (o instanceof h5wasm.Dataset) void o.value;
          }
          for (const a of Object.values(f.attrs)) void a.value;
        });
      } catch (e) {
        expect(e, `byte ${at}`).toBeInstanceOf(ImporterError);
        expect((e as ImporterError).code).toBe('CORRUPT_FILE');
        corrupt++;
      }
    }
    expect(corrupt).toBeGreaterThan(0);
    expect(withH5File(sample, (f) => f.keys())).toEqual(['g']);
    expect(leftoverFiles()).toEqual([]);
  });

  it('decodes attribute values to plain JS', () => {
    const attrs = withH5File(sample, (f) =>
      Object.fromEntries(Object.entries(f.attrs).map(([k, a]) => [k, decodeAttr(a.value)])),
    );
    expect(attrs).toEqual({
      title: 'hello',
      names: ['ab', 'c'],
      vnames: ['long name', 'x'],
      ints: [1, 2, 3],
      big: 5,
      none: [],
      parts0: ['a', 'b'],
      parts1: ['c'],
    });
    expect(decodeAttr([Uint8Array.of(0x6c, 0x73, 0x74, 0x6d, 0, 0), 'x'])).toEqual(['lstm', 'x']);
    expect(decodeAttr('abc\0\0')).toBe('abc');
    expect(decodeAttr(new BigInt64Array([1n, -2n]))).toEqual([1, -2]);
    expect(decodeAttr(undefined)).toBeNull();
  });

  it('reads Keras string lists, chunked ones included', () => {
    withH5File(sample, (f) => {
      expect(readAttrStrings(f, 'names')).toEqual(['ab', 'c']);
      expect(readAttrStrings(f, 'parts')).toEqual(['a', 'b', 'c']);
      expect(readAttrStrings(f, 'none')).toEqual([]);
      expect(readAttrStrings(f, 'missing')).toBeNull();
    });
  });

  const dir = fixturesDir();
  it.skipIf(!dir)('reads the string attributes of real Keras 2 and Keras 3 files', () => {
    const read = (file: string) =>
      withH5File(new Uint8Array(readFileSync(join(dir!, 'models', file))), (f) => {
        const mw = f.get('model_weights') as H5Group;
        const layers = readAttrStrings(mw, 'layer_names')!;
        return {
          version: decodeAttr(f.attrs.keras_version.value),
          config: JSON.parse(String(decodeAttr(f.attrs.model_config.value))).class_name as string,
          layers,
          weights: readAttrStrings(mw.get(layers[0]) as H5Group, 'weight_names'),
          weightless: readAttrStrings(mw.get(layers[1]) as H5Group, 'weight_names'),
        };
      });
    // Keras 2.1.6: fixed-length byte strings (|S21), empty float64 arrays for weightless layers.
    expect(read('kevinlin_lstm_model_k2.1.6.h5')).toMatchObject({
      version: '2.1.6',
      config: 'Sequential',
      layers: [
        'lstm_4',
        'leaky_re_lu_4',
        'batch_normalization_3',
        'lstm_5',
        'leaky_re_lu_5',
        'dense_2',
        'activation_2',
      ],
      weights: ['lstm_4/kernel:0', 'lstm_4/recurrent_kernel:0', 'lstm_4/bias:0'],
      weightless: [],
    });
    // Keras 3.9: variable-length UTF-8 strings.
    expect(read('vk_new_gru_k3.9.2.h5')).toMatchObject({
      version: '3.9.2',
      layers: ['gru', 'dropout_6', 'dense_4', 'dense_5'],
      weights: [
        'sequential_2/gru/gru_cell/kernel',
        'sequential_2/gru/gru_cell/recurrent_kernel',
        'sequential_2/gru/gru_cell/bias',
      ],
      weightless: [],
    });
  });
});
