import { describe, expect, it } from 'vitest';
import {
  createExplainer,
  deletionCurve,
  ExplainError,
  explain,
  inputGradients,
  insertionCurve,
  layerOutputs,
  methodNames,
  methods,
} from '../src/index.ts';
import { nd, randn, sequential, toy } from './helpers.ts';

const model = () =>
  toy(
    sequential(
      [4, 2],
      [
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'dense_out', units: 3 } },
      ],
    ),
  );

describe('errors name the thing and say what to do', () => {
  it('unknown method lists every known name', async () => {
    const km = await model();
    expect(() => createExplainer('deepLiftt' as never, km)).toThrow(
      /^Unknown attribution method 'deepLiftt'\. All possible names are: gradient, gradientXInput, integratedGradients, smoothGrad, occlusion, lrpEpsilon, [a-zA-Z, ]+\.$/,
    );
    expect(() => createExplainer('deepLiftt' as never, km)).toThrow(
      `All possible names are: ${methodNames.join(', ')}.`,
    );
    try {
      createExplainer('nope' as never, km);
    } catch (e) {
      expect(e).toBeInstanceOf(ExplainError);
      expect((e as ExplainError).name).toBe('ExplainError');
      expect((e as ExplainError).code).toBe('UNKNOWN_METHOD');
    }
    km.dispose();
  });

  it('unknown layer lists the layers', async () => {
    const km = await model();
    expect(() => layerOutputs(km, randn([1, 4, 2]), 'lstm')).toThrow(
      /No layer of model 'toy' matches 'lstm'\. Layers: x, flat, dense_out\./,
    );
    await expect(explain('gradient', km, randn([1, 4, 2]), { layer: 'attention' })).rejects.toThrow(
      /No layer of model 'toy' matches 'attention'/,
    );
    expect(() => layerOutputs(km, randn([1, 4, 2]), 7)).toThrow(
      /Layer index 7 is out of range: model 'toy' has 3 layers/,
    );
    km.dispose();
  });

  it('wrong input shape names the input and both shapes', async () => {
    const km = await model();
    await expect(explain('gradient', km, randn([2, 5, 2]))).rejects.toThrow(
      /Input 'x' of model 'toy' must have shape \[None, 4, 2\].*\[2, 5, 2\]/,
    );
    await expect(explain('gradient', km, randn([2, 5, 2]))).rejects.toBeInstanceOf(ExplainError);
    km.dispose();
  });

  it('bad targets and options', async () => {
    const km = await model();
    const x = randn([2, 4, 2]);
    expect(() => inputGradients(km, x, { target: 3 })).toThrow(
      /Target unit 3 is out of range: output 'dense_out' has 3 value\(s\) per sample .*use 0…2 or 'max'/,
    );
    expect(() => inputGradients(km, x, { target: [0] })).toThrow(/one unit per sample: 2 sample\(s\) but 1 target/);
    expect(() => inputGradients(km, x, { output: 2 })).toThrow(
      /has 1 output\(s\) \(0: dense_out\); output 2 does not exist/,
    );
    expect(() => inputGradients(km, x, { target: (y) => y })).toThrow(/must return one score per row, shape \[2\]/);
    expect(() => createExplainer('integratedGradients', km, { rule: 'simpson' as never })).toThrow(
      /integratedGradients: option `rule` must be one of 'left', 'right', 'middle', 'trapezoid', 'gaussLegendre'; got "simpson"/,
    );
    expect(() => createExplainer('smoothGrad', km, { wrap: methods.smoothGrad })).toThrow(/cannot wrap itself/);
    expect(() => createExplainer('occlusion', km, { window: 0 })).toThrow(
      /occlusion: option `window` must be an integer ≥ 1; got 0/,
    );
    await expect(explain('integratedGradients', km, x, { baseline: nd([1, 2, 3], [3]) })).rejects.toThrow(
      /baseline for 'x' has shape \[3\]; it must be shaped like one sample \[4,2\]/,
    );
    km.dispose();
  });

  it('a NaN or ±Infinity in a baseline or background is refused, naming where it is', async () => {
    const km = await model();
    const x = randn([2, 4, 2]);
    const bad = (v: number, shape: number[], at: number) => {
      const a = randn(shape);
      a.data[at] = v;
      return a;
    };
    const where = /contains NaN at \[2, 1\] \(flat index 5\); references must be finite/;
    for (const name of ['integratedGradients', 'deepLift', 'kernelShap', 'featureAblation'] as const) {
      const e = await explain(name, km, x, { baseline: bad(Number.NaN, [4, 2], 5) } as never).catch(
        (err: unknown) => err,
      );
      expect(e, name).toBeInstanceOf(ExplainError);
      expect((e as ExplainError).code, name).toBe('BAD_OPTION');
      expect((e as Error).message, name).toMatch(new RegExp(`^${name}: the baseline for 'x' ${where.source}`));
    }
    // one baseline per sample: the index names the sample
    await expect(
      explain('integratedGradients', km, x, { baseline: bad(Number.POSITIVE_INFINITY, [2, 4, 2], 13) }),
    ).rejects.toThrow(/contains Infinity at \[1, 2, 1\] \(flat index 13\)/);
    for (const name of ['gradientShap', 'deepLiftShap'] as const)
      await expect(explain(name, km, x, { background: bad(Number.NaN, [3, 4, 2], 5) } as never)).rejects.toThrow(
        /the background for 'x' contains NaN at \[0, 2, 1\] \(flat index 5\)/,
      );
    const attribution = randn([2, 4, 2]);
    expect(() => deletionCurve(km, x, attribution, { baseline: bad(Number.NaN, [4, 2], 5) })).toThrow(
      /^deletionCurve: the baseline contains NaN at \[2, 1\] \(flat index 5\)/,
    );
    expect(() =>
      insertionCurve(km, x, attribution, { baseline: { background: bad(Number.NEGATIVE_INFINITY, [3, 4, 2], 5) } }),
    ).toThrow(/^insertionCurve: the background sample contains -Infinity at \[0, 2, 1\]/);
    km.dispose();
  });

  it('gradients of token ids are refused with a pointer to the embedding', async () => {
    const km = await toy(
      sequential(
        [4],
        [
          { class_name: 'Embedding', config: { name: 'emb', input_dim: 5, output_dim: 2 } },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'd', units: 1 } },
        ],
      ),
    );
    const x = { data: Int32Array.from([1, 2, 3, 4]), shape: [1, 4] };
    await expect(explain('gradient', km, x)).rejects.toThrow(
      /holds token ids \(it feeds an Embedding\), whose gradient is zero almost everywhere\. Attribute to the embedding instead \(option layer/,
    );
    expect(Array.from(inputGradients(km, x, { target: 0 }).gradients[0].data)).toEqual([0, 0, 0, 0]);
    const viaLayer = await explain('gradient', km, x, { layer: 'emb' });
    expect(viaLayer.attributions[0].shape).toEqual([1, 4, 2]);
    const occ = await explain('occlusion', km, x);
    expect(occ.attributions[0].shape).toEqual([1, 4]);
    km.dispose();
  });
});
