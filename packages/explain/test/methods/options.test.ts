import { fits, type OptionSpec } from '@keraspect/array';
import { describe, expect, it } from 'vitest';
import {
  commonOptionSpecs,
  createExplainer,
  ExplainError,
  explain,
  methodNameOf,
  methodNames,
  methods,
  normalizeMethodOptions,
  portableOptions,
  revivedOptions,
} from '../../src/index.ts';
import { randn, randomizeWeights, sequential, toy } from '../helpers.ts';

const specsOf = (name: (typeof methodNames)[number]) =>
  Object.entries(methods[name].options as Record<string, OptionSpec>);

const dense = async () => {
  const km = await toy(
    sequential(
      [3],
      [
        { class_name: 'Dense', config: { name: 'h', units: 4, activation: 'tanh' } },
        { class_name: 'Dense', config: { name: 'out', units: 2, activation: 'sigmoid' } },
      ],
    ),
  );
  randomizeWeights(km, 3, 0.8);
  return km;
};

describe('every method describes its options', () => {
  it.each(methodNames.map((n) => [n]))('%s: each default fits its own type', (name) => {
    for (const [key, spec] of specsOf(name)) {
      expect(spec.doc.length, `${name}.${key} has a doc`).toBeGreaterThan(0);
      if (spec.default !== undefined) expect(fits(spec.type, spec.default), `${name}.${key} default`).toBe(true);
    }
  });

  it.each(methodNames.map((n) => [n]))('%s: normalizing nothing gives the described defaults', (name) => {
    const o = normalizeMethodOptions(name, methods[name], {}) as Record<string, unknown>;
    for (const [key, spec] of specsOf(name)) {
      // a wrapper's inner options come back normalized by the inner method's own description
      const t = spec.type;
      const want =
        t.kind === 'entryOptions'
          ? normalizeMethodOptions('inner', o[t.of] as (typeof methods)['gradient'], {})
          : spec.default;
      expect(o[key], `${name}.${key}`).toEqual(want);
    }
  });

  it.each(methodNames.map((n) => [n]))('%s: a value of the wrong type fails naming the option', (name) => {
    for (const [key] of specsOf(name)) {
      expect(() => normalizeMethodOptions(name, methods[name], { [key]: Symbol('bad') })).toThrow(
        new RegExp(`^${name}: option \`${key}\` must be .*; got Symbol\\(bad\\)\\.$`),
      );
    }
  });

  it.each(methodNames.map((n) => [n]))('%s: no option shadows an option every method takes', (name) => {
    for (const [key] of specsOf(name)) expect(Object.hasOwn(commonOptionSpecs, key), `${name}.${key}`).toBe(false);
  });

  it('an option the method does not have fails, listing the ones it has', async () => {
    const km = await dense();
    const e = (() => {
      try {
        createExplainer('gradient', km, { steps: 4 } as never);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ExplainError);
    expect((e as ExplainError).code).toBe('BAD_OPTION');
    expect((e as Error).message).toBe("gradient: unknown option 'steps'. Options: postprocess.");
    expect(() => createExplainer('gradientXInput', km, { window: 2 } as never)).toThrow(
      "gradientXInput: unknown option 'window'. gradientXInput has no options of its own.",
    );
    km.dispose();
  });

  it('run and target options are checked from their description too', async () => {
    const km = await dense();
    expect(() => createExplainer('gradient', km, { internalBatchSize: 0 })).toThrow(
      /gradient: option `internalBatchSize` must be an integer ≥ 1; got 0/,
    );
    expect(() => createExplainer('gradient', km, { seed: 0.5 })).toThrow(/option `seed` must be an integer; got 0.5/);
    expect(() => createExplainer('gradient', km, { target: -1 })).toThrow(/option `target` must be one of 'max'/);
    km.dispose();
  });

  it('the explainer exposes the options it runs with', async () => {
    const km = await dense();
    expect(createExplainer('integratedGradients', km, { steps: 4 }).options).toEqual({
      baseline: 'zeros',
      steps: 4,
      rule: 'gaussLegendre',
      multiplyByInputs: true,
    });
    expect(
      createExplainer('integratedGradients', km, { baseline: { noise: { stdev: 0.5 } } }).options.baseline,
    ).toEqual({ noise: { samples: 10, stdev: 0.5 } });
    km.dispose();
  });
});

describe('smoothGrad holds the method it wraps', () => {
  it('as a value, with its options normalized by that method’s description', async () => {
    const km = await dense();
    const sg = createExplainer('smoothGrad', km, { wrap: methods.integratedGradients, wrapOptions: { steps: 4 } });
    expect(sg.options.wrap).toBe(methods.integratedGradients);
    expect(methodNameOf(sg.options.wrap)).toBe('integratedGradients');
    expect(sg.options.wrapOptions).toEqual({
      baseline: 'zeros',
      steps: 4,
      rule: 'gaussLegendre',
      multiplyByInputs: true,
    });
    expect(() =>
      createExplainer('smoothGrad', km, { wrap: methods.integratedGradients, wrapOptions: { stepz: 4 } }),
    ).toThrow(
      /smoothGrad's wrapped Integrated Gradients: unknown option 'stepz'\. Options: baseline, steps, rule, multiplyByInputs\./,
    );
    expect(() => createExplainer('smoothGrad', km, { wrap: 'integratedGradients' as never })).toThrow(
      /smoothGrad: option `wrap` must be a method of the table .*; got "integratedGradients"/,
    );
    km.dispose();
  });

  it('runs the wrapped method with its options: zero noise over IG with 3 steps is IG with 3 steps', async () => {
    const km = await dense();
    const x = randn([2, 3], 5);
    const ig3 = await explain('integratedGradients', km, x, { steps: 3, rule: 'left' });
    const ig50 = await explain('integratedGradients', km, x, { rule: 'left' });
    const sg = await explain('smoothGrad', km, x, {
      wrap: methods.integratedGradients,
      wrapOptions: { steps: 3, rule: 'left' },
      samples: 2,
      stdev: 0,
    });
    expect(Array.from(sg.attributions[0].data)).toEqual(
      Array.from(ig3.attributions[0].data).map((v) => expect.closeTo(v, 6)),
    );
    // and the inner steps matter (3 left-rule points differ from 50)
    expect(Array.from(ig3.attributions[0].data)).not.toEqual(Array.from(ig50.attributions[0].data));
    km.dispose();
  });

  it('crosses to worker threads by name (structured clone cannot copy a method)', () => {
    const o = {
      wrap: methods.integratedGradients,
      wrapOptions: { steps: 4, baseline: { data: new Float32Array(2), shape: [2] } },
    };
    const p = portableOptions(o);
    expect(p).toEqual({ wrap: { $method: 'integratedGradients' }, wrapOptions: o.wrapOptions });
    expect(structuredClone(p)).toEqual(p);
    expect(revivedOptions(structuredClone(p))).toEqual(o);
    expect(revivedOptions(structuredClone(p)).wrap).toBe(methods.integratedGradients);
  });

  it('takes the wrapped method’s layer overrides and pre-activation default (LRP) without being named', async () => {
    const km = await dense();
    const x = randn([2, 3], 9);
    const lrp = await explain('lrpEpsilon', km, x, { target: 0 });
    const sg = await explain('smoothGrad', km, x, { wrap: methods.lrpEpsilon, samples: 2, stdev: 0, target: 0 });
    const gxi = await explain('gradientXInput', km, x, { target: 0 });
    expect(Array.from(sg.attributions[0].data)).toEqual(
      Array.from(lrp.attributions[0].data).map((v) => expect.closeTo(v, 6)),
    );
    // LRP's preActivation default reaches through the wrapper: the logit is explained, not the sigmoid
    expect(Array.from(sg.scores)).toEqual(Array.from(lrp.scores));
    expect(Array.from(sg.scores)).not.toEqual(Array.from(gxi.scores));
    km.dispose();
  });
});
