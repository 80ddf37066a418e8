import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, predict, readNpy, writeNpy } from '@keraspect/importer';
import { run } from '../src/run.ts';
import { shardRange } from '../src/stream.ts';
import { smallAttentionLstmBytes, smallBatch } from '../../../test/support/small-attention-lstm.ts';
import { memoryIo } from './memory-io.ts';

/** float64 .npy of x (numpy's default dtype), to check the conversion on the way in. */
function npyF64(x: { data: ArrayLike<number>; shape: number[] }): Uint8Array {
  let dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${x.shape.join(', ')}), }`;
  dict += `${' '.repeat(63 - ((10 + dict.length) % 64))}\n`;
  const out = new Uint8Array(10 + dict.length + x.data.length * 8);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, dict.length & 255, dict.length >> 8]);
  out.set(new TextEncoder().encode(dict), 10);
  new Float64Array(out.buffer, 10 + dict.length).set(x.data);
  return out;
}

describe('keraspect predict on a streamed dataset', () => {
  let dir: string;
  let model: string;
  let expected: Float32Array;
  const N = 23;
  const x = smallBatch(N, 21);
  const read = (p: string) => readNpy(new Uint8Array(readFileSync(p)));
  const cli = async (args: string[]) => {
    const m = memoryIo();
    const code = await run(args, m.io);
    return { code, out: m.out(), err: m.err() };
  };
  /** `keraspect predict MODEL --input x.npy --out OUT` with `flags`. */
  const predictX = (out: string, ...flags: string[]) =>
    cli(['predict', model, '--input', join(dir, 'x.npy'), '--out', out, ...flags]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keraspect-stream-'));
    const bytes = await smallAttentionLstmBytes();
    model = join(dir, 'model.h5');
    writeFileSync(model, bytes);
    writeFileSync(join(dir, 'x.npy'), npyF64(x));
    const km = await loadModel(bytes);
    expected = predict(km, x)[0].data as Float32Array;
    km.dispose();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes in chunks on two worker threads exactly what one in-memory predict gives', async () => {
    const out = join(dir, 'y.npy');
    const r = await predictX(out, '--stream', '--chunk-size', '5', '--threads', '2');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/23 sequences in .* sequences\/s, 2 threads/);
    const y = read(out);
    expect(y.shape).toEqual([N, 1]);
    expect(Array.from(y.data as Float32Array)).toEqual(Array.from(expected));
  }, 240_000);

  it('covers the dataset with --shard K/N runs whose outputs concatenate to the full one (one thread)', async () => {
    const parts: number[] = [];
    for (let k = 0; k < 3; k++) {
      const out = join(dir, `y.${k}.npy`);
      const r = await predictX(out, '--shard', `${k}/3`, '--chunk-size', '4', '--threads', '1');
      expect(r.code, r.err).toBe(0);
      const { start, end } = shardRange(N, 4, k, 3);
      const y = read(out);
      expect(y.shape).toEqual([end - start, 1]);
      parts.push(...Array.from(y.data as Float32Array));
    }
    expect(parts).toEqual(Array.from(expected));
  }, 240_000);

  it('reads a folder of .npy files in name order, single samples without a batch axis included', async () => {
    const folder = join(dir, 'parts');
    mkdirSync(folder);
    const per = 12 * 3;
    const slice = (a: number, b: number) => ({ data: x.data.slice(a * per, b * per), shape: [b - a, 12, 3] });
    writeFileSync(join(folder, 'a.npy'), writeNpy(slice(0, 10)));
    writeFileSync(join(folder, 'b.npy'), writeNpy({ data: x.data.slice(10 * per, 11 * per), shape: [12, 3] }));
    writeFileSync(join(folder, 'c.npy'), writeNpy(slice(11, N)));
    writeFileSync(join(folder, 'notes.txt'), 'not data');
    const out = join(dir, 'yf.npy');
    const r = await cli(['predict', model, '--input', folder, '--out', out, '--chunk-size', '7', '--threads', '1']);
    expect(r.code, r.err).toBe(0);
    expect(Array.from(read(out).data as Float32Array)).toEqual(Array.from(expected));
  }, 240_000);

  it('fails naming the flag or the file: a shard out of range, a sample of the wrong shape', async () => {
    const bad = await predictX(join(dir, 'z.npy'), '--shard', '3/3');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--shard 3\/3: give K\/N with 0 ≤ K < N/);
    writeFileSync(join(dir, 'wrong.npy'), writeNpy({ data: new Float32Array(2 * 5 * 3), shape: [2, 5, 3] }));
    const shape = await cli([
      'predict',
      model,
      '--input',
      join(dir, 'wrong.npy'),
      '--out',
      join(dir, 'z.npy'),
      '--stream',
    ]);
    expect(shape.code).not.toBe(0);
    expect(shape.err).toMatch(/wrong\.npy' has shape \(2, 5, 3\); the model takes samples of shape \(12, 3\)/);
  }, 240_000);

  it('attribute: gradient×input streamed on two threads equals the in-memory run; smoothGrad is the same for 1 or 2 threads and any shards', async () => {
    const input = join(dir, 'x.npy');
    const base = ['attribute', model, '--input', input, '--chunk-size', '6'];
    const gxi = join(dir, 'gxi.npy');
    expect((await cli([...base, '--method', 'gradientXInput', '--out', gxi, '--threads', '2'])).code).toBe(0);
    const mem = memoryIo();
    writeFileSync(join(dir, 'x32.npy'), writeNpy(x));
    expect(
      await run(
        ['attribute', model, '--input', join(dir, 'x32.npy'), '--method', 'gradientXInput', '--out', 'a.npy'],
        mem.io,
      ),
    ).toBe(0);
    const inMemory = readNpy(mem.written.get('a.npy') as Uint8Array);
    expect(Array.from(read(gxi).data as Float32Array)).toEqual(Array.from(inMemory.data as Float32Array));

    const sg = ['--method', 'smoothGrad', '--samples', '2', '--seed', '4'];
    const two = join(dir, 'sg2.npy');
    expect((await cli([...base, ...sg, '--out', two, '--threads', '2'])).code).toBe(0);
    const shards: number[] = [];
    for (let k = 0; k < 2; k++) {
      const out = join(dir, `sg1.${k}.npy`);
      expect((await cli([...base, ...sg, '--out', out, '--threads', '1', '--shard', `${k}/2`])).code).toBe(0);
      shards.push(...Array.from(read(out).data as Float32Array));
    }
    expect(shards).toEqual(Array.from(read(two).data as Float32Array));
  }, 300_000);

  it('writes a 0-row file for a shard without chunks (more shards than chunks), so that shards still concatenate', async () => {
    const parts: number[] = [];
    const rowsPer: number[] = [];
    for (let k = 0; k < 4; k++) {
      const out = join(dir, `empty-shard.${k}.npy`);
      const r = await predictX(out, '--shard', `${k}/4`, '--chunk-size', '8', '--threads', '1');
      expect(r.code, r.err).toBe(0);
      const y = read(out);
      expect(y.shape[1]).toBe(1);
      rowsPer.push(y.shape[0]);
      parts.push(...Array.from(y.data as Float32Array));
    }
    expect(rowsPer).toEqual([0, 8, 8, 7]);
    expect(parts).toEqual(Array.from(expected));
  }, 240_000);

  it('outputs and attention stream too: layer files and attention maps equal the in-memory commands', async () => {
    const input = join(dir, 'x.npy');
    writeFileSync(join(dir, 'x32.npy'), writeNpy(x));
    for (const [cmd, extra] of [
      ['outputs', ['--layers', 'lstm,attention']],
      ['attention', ['--rollout']],
    ] as const) {
      const out = join(dir, `${cmd}-streamed`);
      const r = await cli([
        cmd,
        model,
        '--input',
        input,
        '--out',
        out,
        '--chunk-size',
        '8',
        '--threads',
        '2',
        ...extra,
      ]);
      expect(r.code, r.err).toBe(0);
      const mem = memoryIo();
      expect(await run([cmd, model, '--input', join(dir, 'x32.npy'), '--out', 'm', ...extra], mem.io)).toBe(0);
      expect(mem.written.size).toBeGreaterThan(1);
      for (const [path, bytes] of mem.written) {
        const want = readNpy(bytes as Uint8Array);
        const got = read(join(out, path.slice(2)));
        expect(got.shape, path).toEqual(want.shape);
        expect(Array.from(got.data as Float32Array), path).toEqual(Array.from(want.data as Float32Array));
      }
    }
    // Two one-thread shards of attention cover the dataset: their maps concatenate to the full run's.
    const full = join(dir, 'attention-streamed');
    const names = readdirSync(full).filter((n) => n.endsWith('.npy'));
    expect(names).toContain('rollout.npy');
    const parts = new Map<string, number[]>();
    for (let k = 0; k < 2; k++) {
      const out = join(dir, `attention-shard-${k}`);
      const r = await cli([
        'attention',
        model,
        '--input',
        input,
        '--out',
        out,
        '--rollout',
        '--shard',
        `${k}/2`,
        '--chunk-size',
        '8',
        '--threads',
        '1',
        '--json',
      ]);
      expect(r.code, r.err).toBe(0);
      const { start, end } = shardRange(N, 8, k, 2);
      expect(JSON.parse(r.out)).toMatchObject({ sequences: end - start, threads: 1 });
      for (const n of names)
        parts.set(n, [...(parts.get(n) ?? []), ...Array.from(read(join(out, n)).data as Float32Array)]);
    }
    for (const n of names) expect(parts.get(n), n).toEqual(Array.from(read(join(full, n)).data as Float32Array));
  }, 300_000);
});
