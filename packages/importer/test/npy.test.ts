import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/support/fixtures.ts';
import { requiredPython } from '../../../test/support/python.ts';
import { type NpyArray, readNpy, readNpz, toFloat32, writeNpy, writeNpz } from '../src/npy.ts';
import { errorOf } from './error-of.ts';

/** Build a .npy file by hand (independent of writeNpy), for cases numpy is not needed to make. */
function handMade(header: string, body: Uint8Array, version: 1 | 2 | 3 = 1): Uint8Array {
  const enc = version === 3 ? new TextEncoder().encode(header) : Uint8Array.from(header, (c) => c.charCodeAt(0));
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + enc.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, enc.length, true);
  else view.setUint32(8, enc.length, true);
  out.set(enc, pre);
  out.set(body, pre + enc.length);
  return out;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

describe('readNpy', () => {
  it('reads every dtype, little- and big-endian', () => {
    const cases: [string, ArrayBufferView, unknown[]][] = [
      ['<f4', Float32Array.of(1.5, -2), [1.5, -2]],
      ['<f8', Float64Array.of(Math.PI, -1e300), [Math.PI, -1e300]],
      ['<i4', Int32Array.of(-7, 2 ** 31 - 1), [-7, 2 ** 31 - 1]],
      ['<i8', BigInt64Array.of(-5n, 2n ** 62n), [-5n, 2n ** 62n]],
      ['<i2', Int16Array.of(-300, 300), [-300, 300]],
      ['|i1', Int8Array.of(-128, 127), [-128, 127]],
      ['|u1', Uint8Array.of(0, 255), [0, 255]],
      ['|b1', Uint8Array.of(1, 0), [1, 0]],
    ];
    for (const [descr, typed, values] of cases) {
      const le = readNpy(handMade(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }\n`, bytesOf(typed)));
      expect(Array.from(le.data as ArrayLike<unknown>), descr).toEqual(values);
      expect(le.shape).toEqual([2]);
      if (descr[0] === '<') {
        const size = typed.byteLength / 2;
        const swapped = bytesOf(typed).slice();
        for (let i = 0; i < swapped.length; i += size) swapped.subarray(i, i + size).reverse();
        const be = readNpy(
          handMade(`{'descr': '>${descr.slice(1)}', 'fortran_order': False, 'shape': (2,), }\n`, swapped),
        );
        expect(Array.from(be.data as ArrayLike<unknown>), `>${descr.slice(1)}`).toEqual(values);
        expect(be.dtype).toBe(le.dtype);
      }
    }
    expect(
      readNpy(handMade(`{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }\n`, Uint8Array.of(1, 0))).dtype,
    ).toBe('bool');
  });

  it('reads format versions 2.0 and 3.0, 0-d arrays, empty arrays and Python 2 long shapes', () => {
    const body = bytesOf(Float32Array.of(1, 2, 3, 4, 5, 6));
    for (const v of [2, 3] as const) {
      const nd = readNpy(handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", body, v));
      expect(nd.shape).toEqual([2, 3]);
      expect(Array.from(nd.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    }
    const scalar = readNpy(
      handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (), }\n", bytesOf(Float64Array.of(42))),
    );
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data as Float64Array)).toEqual([42]);
    const empty = readNpy(handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }\n", new Uint8Array(0)));
    expect(empty.shape).toEqual([0, 3]);
    expect(empty.data.length).toBe(0);
    const py2 = readNpy(handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n", body));
    expect(py2.shape).toEqual([2, 3]);
  });

  it('reads data at an unaligned offset of a larger buffer', () => {
    const file = writeNpy({ data: Float64Array.of(1, 2, 3), shape: [3] });
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    expect(Array.from(readNpy(big.subarray(3)).data as Float64Array)).toEqual([1, 2, 3]);
  });

  it('reads a Node Buffer that is a view of a larger (pooled) allocation', () => {
    const file = writeNpy({ data: Float32Array.of(1, 2, 3), shape: [3] });
    const pool = Buffer.alloc(file.length + 64);
    pool.set(file, 16);
    const buf = pool.subarray(16, 16 + file.length);
    const got = readNpy(buf);
    expect(got.data.length).toBe(3);
    expect(Array.from(got.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('fails with clear messages', () => {
    const ok = writeNpy({ data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] });
    expect(errorOf(() => readNpy(new TextEncoder().encode('{"a": 1}'))).message).toMatch(
      /not a NumPy \.npy file.*first bytes: 7b 22/,
    );
    expect(errorOf(() => readNpy(new Uint8Array(0))).message).toMatch(/empty/);
    const truncated = errorOf(() => readNpy(ok.subarray(0, ok.length - 3)));
    expect(truncated.code).toBe('CORRUPT_FILE');
    expect(truncated.message).toMatch(/truncated: shape \(2, 2\) of <f4 needs 16 bytes but the file has 13/);
    expect(errorOf(() => readNpy(ok.subarray(0, 40))).message).toMatch(/header says it is \d+ bytes long.*truncated/);
    const complex = errorOf(() =>
      readNpy(handMade("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", new Uint8Array(8))),
    );
    expect(complex.code).toBe('BAD_ARGUMENT');
    expect(complex.message).toMatch(
      /dtype '<c8' is not supported\. Supported dtypes: <f4 \(float32\), <f8 \(float64\).*\|b1 \(bool\)/,
    );
    expect(
      errorOf(() => readNpy(handMade("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", new Uint8Array(8))))
        .message,
    ).toMatch(/'\|O' is not supported/);
    expect(
      errorOf(() =>
        readNpy(handMade("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", new Uint8Array(4))),
      ).message,
    ).toMatch(/structured array/);
    const fortran = errorOf(() =>
      readNpy(handMade("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", new Uint8Array(16))),
    );
    expect(fortran.message).toMatch(/Fortran.*numpy\.ascontiguousarray/);
    expect(errorOf(() => readNpy(new Uint8Array([...ok, 0, 0, 0, 0]))).message).toMatch(/4 bytes after the data/);
    expect(errorOf(() => readNpy(handMade("{'descr': '<f4', 'shape': (1,), }\n", new Uint8Array(4)))).message).toMatch(
      /no 'fortran_order'/,
    );
    const v9 = ok.slice();
    v9[6] = 9;
    expect(errorOf(() => readNpy(v9)).message).toMatch(/version 9\.0 is not supported/);
  });
});

describe('writeNpy', () => {
  it('round-trips every writable type and 0-d arrays', () => {
    const cases: NpyArray[] = [
      { data: Float32Array.of(1, -2.5, 3, 4, 5, 6), shape: [2, 3], dtype: 'float32' },
      { data: Float64Array.of(Math.E), shape: [], dtype: 'float64' },
      { data: Int32Array.of(1, 2, 3), shape: [3], dtype: 'int32' },
      { data: BigInt64Array.of(-1n, 2n ** 60n), shape: [2, 1], dtype: 'int64' },
      { data: Int16Array.of(-1, 1), shape: [2], dtype: 'int16' },
      { data: Int8Array.of(-1, 1), shape: [1, 2], dtype: 'int8' },
      { data: Uint8Array.of(7, 8), shape: [2], dtype: 'uint8' },
      { data: Float32Array.of(), shape: [0, 4], dtype: 'float32' },
    ];
    for (const c of cases) {
      const file = writeNpy(c);
      const headerEnd = file.indexOf(0x0a) + 1;
      expect(headerEnd % 64, `${c.dtype}: data aligned to 64`).toBe(0);
      expect(readNpy(file)).toEqual(c);
    }
    expect(readNpy(writeNpy({ data: Uint8Array.of(1, 0), shape: [2], dtype: 'bool' })).dtype).toBe('bool');
  });

  it('writes the header numpy writes', () => {
    const text = new TextDecoder('latin1').decode(
      writeNpy({ data: new Float32Array(6), shape: [2, 3] }).subarray(0, 128),
    );
    expect(text.slice(10, 70)).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ");
    expect(text.endsWith('\n')).toBe(true);
    expect(
      new TextDecoder('latin1').decode(writeNpy({ data: Float64Array.of(1), shape: [] }).subarray(10, 70)),
    ).toMatch(/^\{'descr': '<f8', 'fortran_order': False, 'shape': \(\), \} +$/);
  });

  it('fails on shape/size mismatch, bad shapes and unsupported arrays', () => {
    expect(errorOf(() => writeNpy({ data: new Float32Array(5), shape: [2, 3] })).message).toMatch(
      /shape \(2, 3\) holds 6 values but the data has 5/,
    );
    expect(errorOf(() => writeNpy({ data: new Float32Array(2), shape: [-2] })).message).toMatch(
      /not a list of non-negative integers/,
    );
    expect(
      errorOf(() => writeNpy({ data: new Uint16Array(2) as unknown as Float32Array, shape: [2] })).message,
    ).toMatch(/Uint16Array is not supported/);
    expect(errorOf(() => writeNpy({ data: new Float32Array(2), shape: [2], dtype: 'int32' })).message).toMatch(
      /dtype 'int32' does not match the data, a Float32Array/,
    );
  });

  it('toFloat32 converts every dtype', () => {
    const f = Float32Array.of(1);
    expect(toFloat32({ data: f })).toBe(f);
    expect(Array.from(toFloat32({ data: BigInt64Array.of(3n, -4n) }))).toEqual([3, -4]);
    expect(Array.from(toFloat32({ data: Float64Array.of(0.5) }))).toEqual([0.5]);
    expect(Array.from(toFloat32({ data: Int8Array.of(-3) }))).toEqual([-3]);
  });
});

describe('real fixture files (written by numpy)', () => {
  const dir = fixturesDir();
  const files = dir
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name !== 'models')
        .flatMap((d) => {
          const base = join(dir, d.name);
          const top = readdirSync(base)
            .filter((f) => f.endsWith('.npy'))
            .map((f) => join(base, f));
          const layers = existsSync(join(base, 'layers'))
            ? readdirSync(join(base, 'layers'))
                .filter((f) => f.endsWith('.npy'))
                .map((f) => join(base, 'layers', f))
            : [];
          return [...top, ...layers];
        })
    : [];

  it.skipIf(!dir)('reads every input.npy and layers/*.npy, and writeNpy reproduces numpy.save byte for byte', () => {
    expect(files.filter((f) => f.endsWith('input.npy')).length).toBeGreaterThan(0);
    let count = 0;
    for (const file of files) {
      const bytes = new Uint8Array(readFileSync(file));
      const nd = readNpy(bytes);
      expect(['float32', 'float64'], file).toContain(nd.dtype);
      expect(nd.data.length, file).toBe(nd.shape.reduce((a, b) => a * b, 1));
      expect(Array.from(toFloat32(nd)).every(Number.isFinite), `${file}: finite`).toBe(true);
      expect(Buffer.from(writeNpy(nd)).equals(Buffer.from(bytes)), `${file}: byte-identical rewrite`).toBe(true);
      count++;
    }
    console.log(`[npy] read and rewrote ${count} fixture .npy files`);
  });
});

const numpy = requiredPython(['numpy'], 'numpy cross-checks');
const hasNumpy = numpy !== null;

describe.skipIf(!hasNumpy)('numpy cross-check', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'keraspect-npy-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function python(code: string): string {
    const r = spawnSync(numpy!, ['-c', code], { cwd: tmp, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout;
  }

  it('reads what numpy writes: every dtype, big-endian, versions 1-3, 0-d', () => {
    python(`
import numpy as np, json
from numpy.lib import format as F
rng = np.random.default_rng(0)
cases = {
  'f4': rng.standard_normal((2, 3)).astype('<f4'), 'f8': rng.standard_normal((4,)), 'i4': np.arange(-3, 3, dtype='<i4').reshape(3, 2),
  'i8': np.array([-2**62, 5], dtype='<i8'), 'i2': np.array([[-300], [300]], dtype='<i2'), 'i1': np.array([-128, 127], dtype='i1'),
  'u1': np.array([0, 255], dtype='u1'), 'b1': np.array([True, False, True]), 'be_f4': rng.standard_normal((3, 2)).astype('>f4'),
  'be_i8': np.array([1, -2**40], dtype='>i8'), 'be_f8': np.array([1.25, -3.5], dtype='>f8'), 'scalar': np.float32(2.5) * np.ones(()),
  'scalar32': np.array(7, dtype='<i4'),
}
out = {}
for k, a in cases.items():
    np.save(k + '.npy', a)
    out[k] = {'shape': list(a.shape), 'values': [int(x) if a.dtype.kind in 'iub' else float(x) for x in a.ravel()]}
for v in [(2, 0), (3, 0)]:
    with open('v%d.npy' % v[0], 'wb') as f:
        F.write_array(f, cases['f4'], version=v)
    out['v%d' % v[0]] = out['f4']
json.dump(out, open('expected.json', 'w'))
`);
    const expected = JSON.parse(readFileSync(join(tmp, 'expected.json'), 'utf8')) as Record<
      string,
      { shape: number[]; values: number[] }
    >;
    for (const [name, want] of Object.entries(expected)) {
      const nd = readNpy(new Uint8Array(readFileSync(join(tmp, `${name}.npy`))));
      expect(nd.shape, name).toEqual(want.shape);
      const got = Array.from(nd.data as ArrayLike<number | bigint>, Number);
      if (nd.dtype === 'float32') want.values.forEach((v, i) => expect(got[i], `${name}[${i}]`).toBeCloseTo(v, 6));
      else expect(got, name).toEqual(want.values);
    }
  });

  it('numpy reads what writeNpy writes, byte-identical to numpy.save', () => {
    const arrays: Record<string, NpyArray> = {
      f4: { data: Float32Array.of(1.5, -2, 3.25, 4, 5, 6), shape: [3, 2], dtype: 'float32' },
      f8: { data: Float64Array.of(Math.PI), shape: [], dtype: 'float64' },
      i4: { data: Int32Array.of(-1, 2, 3, 4), shape: [2, 2, 1], dtype: 'int32' },
      i8: { data: BigInt64Array.of(-(2n ** 62n), 9n), shape: [2], dtype: 'int64' },
      long: { data: new Float32Array(1234 * 3), shape: [1234, 3], dtype: 'float32' },
    };
    for (const [name, nd] of Object.entries(arrays)) writeFileSync(join(tmp, `w_${name}.npy`), writeNpy(nd));
    const out = python(`
import numpy as np, io, json
res = {}
for k in ['f4', 'f8', 'i4', 'i8', 'long']:
    raw = open('w_%s.npy' % k, 'rb').read()
    a = np.load(io.BytesIO(raw))
    buf = io.BytesIO(); np.save(buf, a)
    res[k] = {'dtype': a.dtype.str, 'shape': list(a.shape), 'head': [int(x) if a.dtype.kind == 'i' else float(x) for x in a.ravel()[:6]], 'same_bytes': buf.getvalue() == raw}
print(json.dumps(res))
`);
    const res = JSON.parse(out) as Record<
      string,
      { dtype: string; shape: number[]; head: number[]; same_bytes: boolean }
    >;
    expect(res.f4).toEqual({ dtype: '<f4', shape: [3, 2], head: [1.5, -2, 3.25, 4, 5, 6], same_bytes: true });
    expect(res.f8).toEqual({ dtype: '<f8', shape: [], head: [Math.PI], same_bytes: true });
    expect(res.i4).toEqual({ dtype: '<i4', shape: [2, 2, 1], head: [-1, 2, 3, 4], same_bytes: true });
    expect(res.i8).toEqual({ dtype: '<i8', shape: [2], head: [-(2 ** 62), 9], same_bytes: true });
    expect(res.long.same_bytes).toBe(true);
  });
});

describe('readNpz / writeNpz', () => {
  it('round-trips named arrays in file order, as numpy.savez lays them out', () => {
    const a = { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] };
    const b = { data: Int32Array.of(7, 8), shape: [2] };
    const got = readNpz(writeNpz({ b, a }));
    expect([...got.keys()]).toEqual(['b', 'a']);
    expect(Array.from(got.get('a')!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(got.get('a')!.shape).toEqual([2, 3]);
    expect(got.get('b')!.dtype).toBe('int32');
  });

  it('refuses bytes that are not a zip, and names a damaged array', () => {
    expect(errorOf(() => readNpz(writeNpy({ data: Float32Array.of(1), shape: [1] }))).message).toMatch(
      /This is not a NumPy \.npz file: it does not start with a zip signature/,
    );
    const bad = writeNpz({ ok: { data: Float32Array.of(1), shape: [1] } });
    // Turn the inner .npy magic into junk (stored, so the bytes are there verbatim).
    const at = bad.findIndex((v, i) => v === 0x93 && bad[i + 1] === 0x4e);
    bad[at] = 0;
    expect(errorOf(() => readNpz(bad)).message).toMatch(/Array 'ok' of the \.npz file: This is not a NumPy \.npy file/);
  });
});
