import { join } from 'node:path';
import type { OptionSpec } from '@keraspect/array';
import {
  type AnyMethod,
  commonOptionSpecs,
  createExplainer,
  type MethodName,
  methodNames,
  methods,
  normalizeMethodOptions,
} from '@keraspect/explain';
import { type KerasModel, modelFromConfig, readNpy } from '@keraspect/importer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeRequest } from '../../src/commands/attribute.ts';
import { EXAMPLES_DIR } from '../../src/commands/demo.ts';
import { kebab } from '../../src/option-flags.ts';
import { negativeValuesJoined, run } from '../../src/run.ts';
import { memoryIo } from '../memory-io.ts';
import { flagWords, sampleFiles, samples } from '../option-samples.ts';

const model = join(EXAMPLES_DIR, 'attention-lstm.h5');
const series = join(EXAMPLES_DIR, 'series.npy');
const specs = (o: unknown) => Object.entries(o as Record<string, OptionSpec>);
const cliable = (s: OptionSpec) => s.type.kind !== 'function' && s.type.kind !== 'entryOptions';
const base = (method: string) => [model, '--input', series, '--out', 'a.npy', '--method', method];
const entries = Object.fromEntries(methodNames.map((n) => [n, methods[n]]));
const at = (o: Record<string, unknown>, path: string[]) =>
  path.reduce<Record<string, unknown> | undefined>((v, k) => v?.[k] as Record<string, unknown> | undefined, o);

let km: KerasModel;
beforeAll(async () => {
  // createExplainer only normalizes options here; any model will do.
  km = await modelFromConfig({
    class_name: 'Sequential',
    config: {
      name: 'toy',
      layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 4, 2] } }],
    },
  } as never);
});
afterAll(() => km.dispose());

/** The options a method's flags reach: its own, and for a wrapper those of every method it can wrap. */
function reachable(
  name: MethodName,
): { flag: string; key: string; spec: OptionSpec; path: string[]; extra: string[] }[] {
  const out: { flag: string; key: string; spec: OptionSpec; path: string[]; extra: string[] }[] = [];
  const taken = new Set([...Object.keys(commonOptionSpecs).map(kebab), 'method', 'out', 'input', 'json', 'quiet']);
  for (const [key, spec] of specs(methods[name].options)) {
    if (!cliable(spec)) continue;
    out.push({ flag: kebab(key), key, spec, path: [], extra: [] });
    taken.add(kebab(key));
  }
  for (const [key, spec] of specs(methods[name].options)) {
    if (spec.type.kind !== 'entry') continue;
    const into = spec.type.optionsIn;
    for (const inner of methodNames.filter((n) => n !== name))
      for (const [k, s] of specs(methods[inner].options)) {
        if (!cliable(s)) continue;
        const flag = taken.has(kebab(k)) ? `${kebab(key)}-${kebab(k)}` : kebab(k);
        out.push({ flag, key: k, spec: s, path: [into], extra: [`--${kebab(key)}`, inner] });
      }
  }
  return out;
}

describe.each(methodNames.map((n) => [n]))('keraspect attribute --method %s', (name) => {
  it('every option of the method (and of what it wraps) round-trips from its flag to the explainer', async () => {
    const m = memoryIo(sampleFiles);
    let checked = 0;
    for (const r of reachable(name)) {
      // a method cannot wrap itself (tested in explain), nor can the method it wraps; every other value is taken
      const wrapped = r.extra[1] as MethodName | undefined;
      const all = samples(r.spec.type, r.spec.default, entries);
      for (const s of all.filter((v) => v.value !== methods[name] && (!wrapped || v.value !== methods[wrapped]))) {
        const argv = [...base(name), ...r.extra, ...flagWords(r.flag, s)];
        const req = await attributeRequest(argv, m.io);
        const given = at(req.options as Record<string, unknown>, r.path);
        expect(given?.[r.key], argv.join(' ')).toEqual(s.value);
        const ex = createExplainer(name, km, req.options);
        const o = at(ex.options as Record<string, unknown>, r.path);
        const inner = r.path.length ? (methods[r.extra[1] as MethodName] as AnyMethod) : (methods[name] as AnyMethod);
        const want = normalizeMethodOptions('want', inner, { [r.key]: s.value }) as Record<string, unknown>;
        if (r.spec.type.kind === 'entry') expect(o?.[r.key], argv.join(' ')).toBe(s.value);
        else expect(o?.[r.key], argv.join(' ')).toEqual(want[r.key]);
        checked++;
      }
    }
    const own = specs(methods[name].options).filter(([, s]) => cliable(s)).length;
    expect(checked).toBeGreaterThanOrEqual(own);
  });

  it('the options every method takes round-trip from their flags', async () => {
    const m = memoryIo(sampleFiles);
    for (const [key, spec] of specs(commonOptionSpecs)) {
      if (!cliable(spec)) continue;
      for (const s of samples(spec.type, spec.default, entries)) {
        const argv = [...base(name), ...flagWords(kebab(key), s)];
        const req = await attributeRequest(argv, m.io);
        expect((req.options as Record<string, unknown>)[key], argv.join(' ')).toEqual(s.value);
        expect(() => createExplainer(name, km, req.options)).not.toThrow();
      }
    }
  });

  it('--help lists every flag of the method', async () => {
    const m = memoryIo();
    expect(await run(['attribute', '--method', name, '--help'], m.io)).toBe(0);
    for (const [key, spec] of specs(methods[name].options))
      if (cliable(spec)) expect(m.out()).toMatch(new RegExp(`--(\\[no-\\])?${kebab(key)}\\b`));
    for (const [key, spec] of specs(commonOptionSpecs))
      if (cliable(spec)) expect(m.out()).toMatch(new RegExp(`--(\\[no-\\])?${kebab(key)}\\b`));
    expect(m.out()).toContain(methods[name].title);
  });
});

describe('keraspect attribute flags', () => {
  it('--help without a method lists every method and every option', async () => {
    const m = memoryIo();
    expect(await run(['attribute', '--help'], m.io)).toBe(0);
    for (const name of methodNames) {
      expect(m.out()).toContain(`\n${name}: `);
      for (const [key, spec] of specs(methods[name].options))
        if (cliable(spec)) expect(m.out()).toMatch(new RegExp(`--(\\[no-\\])?${kebab(key)}\\b`));
    }
  });

  it('take the API name in camelCase too, and the old spellings --noise and --baseline zero', async () => {
    const m = memoryIo();
    const a = await attributeRequest([...base('smoothGrad'), '--noiseLevel', '0.2'], m.io);
    const b = await attributeRequest([...base('smoothGrad'), '--noise-level', '0.2'], m.io);
    const c = await attributeRequest([...base('smoothGrad'), '--noise', '0.2'], m.io);
    expect(a.options).toEqual({ noiseLevel: 0.2 });
    expect(b.options).toEqual(a.options);
    expect(c.options).toEqual(a.options);
    const z = await attributeRequest([...base('integratedGradients'), '--baseline', 'zero'], m.io);
    expect(z.options).toEqual({ baseline: 'zeros' });
    const f = await attributeRequest([...base('integratedGradients'), '--baseline', series], m.io);
    expect((f.options as { baseline: { shape: number[] } }).baseline.shape).toEqual([4, 48, 3]);
    const t = await attributeRequest([...base('gradient'), '--target', '2', '--output', 'out'], m.io);
    expect(t.options).toEqual({ target: 2, output: 'out' });
    await expect(
      attributeRequest([...base('smoothGrad'), '--noise', '0.2', '--noise-level', '0.3'], m.io),
    ).rejects.toThrow(/--noise-level is given twice \(also as --noise\)/);
  });

  it('an inapplicable flag is an error naming it, where it applies, and the valid ones', async () => {
    const m = memoryIo();
    expect(await run(['attribute', ...base('gradient'), '--steps', '4'], m.io)).toBe(2);
    expect(m.err()).toMatch(
      /--steps does not apply to method gradient: it is an option of integratedGradients; smoothGrad --wrap integratedGradients; temporalSaliencyRescaling --wrap integratedGradients\. Options of gradient: --postprocess\. Options of every method: --output, --target, --pre-activation, --layer, --internal-batch-size, --seed\./,
    );
    const w = memoryIo();
    expect(
      await run(['attribute', ...base('smoothGrad'), '--wrap', 'integratedGradients', '--window', '3'], w.io),
    ).toBe(2);
    expect(w.err()).toMatch(
      /--window does not apply to method smoothGrad: it is an option of occlusion; smoothGrad --wrap occlusion; temporalSaliencyRescaling --wrap occlusion\. Options of smoothGrad --wrap integratedGradients: --wrap, --samples, --noise-level, --stdev, --variant, --baseline, --steps, --rule, --multiply-by-inputs\./,
    );
  });

  it('an unknown flag is an error naming it and listing the valid ones', async () => {
    const m = memoryIo();
    expect(await run(['attribute', ...base('occlusion'), '--windw', '3'], m.io)).toBe(2);
    expect(m.err()).toMatch(
      /Unknown option '--windw' for keraspect attribute --method occlusion\. Options of occlusion: --window, --stride, --features, --baseline\./,
    );
    const v = memoryIo();
    expect(await run(['attribute', ...base('integratedGradients'), '--steps', '0'], v.io)).toBe(2);
    expect(v.err()).toMatch(/--steps must be an integer ≥ 1 \(got '0'\)/);
    // a negative value after a flag reaches the flag (parseArgs alone reads '-3' as an option)
    const n = memoryIo();
    expect(await run(['attribute', ...base('integratedGradients'), '--steps', '-3'], n.io)).toBe(2);
    expect(n.err()).toMatch(/--steps must be an integer ≥ 1 \(got '-3'\)/);
    const e = memoryIo();
    expect(await run(['attribute', ...base('smoothGrad'), '--wrap', 'magic'], e.io)).toBe(2);
    expect(e.err()).toMatch(/Unknown method 'magic' for --wrap\. Methods: gradient, gradientXInput/);
  });

  it('--wrap integratedGradients --steps 4 runs 4 steps: with no noise it equals integratedGradients --steps 4', async () => {
    const sg = memoryIo();
    const argv = ['--wrap', 'integratedGradients', '--steps', '4', '--rule', 'left', '--samples', '2', '--stdev', '0'];
    expect(await run(['attribute', ...base('smoothGrad'), ...argv, '--json', '-q'], sg.io), sg.err()).toBe(0);
    const summary = JSON.parse(sg.out());
    expect(summary.options).toEqual({
      wrap: 'integratedGradients',
      wrapOptions: { baseline: 'zeros', steps: 4, rule: 'left', multiplyByInputs: true },
      samples: 2,
      noiseLevel: 0.15,
      stdev: 0,
      variant: 'smoothgrad',
    });
    const ig = memoryIo();
    expect(
      await run(['attribute', ...base('integratedGradients'), '--steps', '4', '--rule', 'left', '-q'], ig.io),
    ).toBe(0);
    const ig50 = memoryIo();
    expect(await run(['attribute', ...base('integratedGradients'), '--rule', 'left', '-q'], ig50.io)).toBe(0);
    const a = readNpy(sg.written.get('a.npy') as Uint8Array).data as Float32Array;
    const b = readNpy(ig.written.get('a.npy') as Uint8Array).data as Float32Array;
    const c = readNpy(ig50.written.get('a.npy') as Uint8Array).data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    expect(Array.from(b)).not.toEqual(Array.from(c));
  });
});

describe('negative numbers as flag values', () => {
  it("joins '--flag -3' into '--flag=-3', leaving other arguments and everything after '--' alone", () => {
    expect(
      negativeValuesJoined(['--baseline', '-0.5', '--clip', '-.5', '--x', '-Infinity', '-q', '--out', 'a.npy']),
    ).toEqual(['--baseline=-0.5', '--clip=-.5', '--x=-Infinity', '-q', '--out', 'a.npy']);
    expect(negativeValuesJoined(['--a=1', '-3', '--', '--b', '-4'])).toEqual(['--a=1', '-3', '--', '--b', '-4']);
  });
});
