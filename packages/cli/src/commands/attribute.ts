import { createExplainer, type ExplainerOptions, methodNames, type MethodName, methods } from '@keraspect/explain';
import { CliError } from '../errors.ts';
import { readArrayFile, writeArrayFile } from '../input-data.ts';
import { INPUT_USAGE, MODEL_OPTIONS_USAGE } from '../model-args.ts';
import { modelCommand } from '../model-command.ts';
import { progressBar } from '../progress.ts';
import { STREAM_USAGE, streamAttribution, streamOptions } from '../stream.ts';

const usage = `Usage: keraspect attribute MODEL --input X --method NAME --out FILE.npy [options]

Attributions of a model output to its input (or to a layer's output with --layer), with the input's
shape, as float32 .npy (FILE.<i>.npy for several attributed tensors).

Methods: ${methodNames.join(', ')}

Options:
${INPUT_USAGE}
  --method NAME      attribution method (see above)
  --out FILE         output path (.npy, or .json for nested arrays)
  --target T         unit of the output to explain: an index, 'max' (default: each sample's argmax)
  --output N         which model output (multi-output models; index or output layer name)
  --pre-activation   explain the logit rather than the final sigmoid/softmax
  --layer L          attribute to layer L's output instead of the input
  --steps N          integratedGradients: path points (default 50)
  --rule R           integratedGradients: gaussLegendre|left|right|middle|trapezoid (default gaussLegendre)
  --baseline B       integratedGradients/occlusion: zero|mean|FILE.npy (default zero)
  --samples N        smoothGrad: noise draws (default 25)
  --noise S          smoothGrad: noise level as a fraction of the value range (default 0.15)
  --wrap NAME        smoothGrad: the wrapped method (default gradient)
  --window N         occlusion: time steps per window (default 1)
  --postprocess P    gradient: none|abs|square (default none: signed)
  --seed N           random seed (default 0)
  --internal-batch-size N   samples per forward/backward pass (default 32)
  --json             print scores, units and IG's convergence delta as JSON
  --quiet            no progress bar
${STREAM_USAGE}
${MODEL_OPTIONS_USAGE}`;

const num = (v: string | undefined, flag: string, int = false): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)))
    throw new CliError(`${flag} must be ${int ? 'an integer' : 'a number'} (got '${v}').`);
  return n;
};

function wrapped(name = 'gradient'): MethodName {
  if (!(methodNames as string[]).includes(name))
    throw new CliError(`Unknown method '${name}' for --wrap. Methods: ${methodNames.join(', ')}.`);
  return name as MethodName;
}

export const attribute = modelCommand({
  name: 'attribute',
  summary: 'attributions (gradient, IG, SmoothGrad, occlusion, LRP, …) written as .npy',
  usage,
  input: true,
  stream: true,
  options: {
    ...streamOptions,
    method: { type: 'string' },
    out: { type: 'string' },
    target: { type: 'string' },
    output: { type: 'string' },
    'pre-activation': { type: 'boolean' },
    layer: { type: 'string' },
    steps: { type: 'string' },
    rule: { type: 'string' },
    baseline: { type: 'string' },
    samples: { type: 'string' },
    noise: { type: 'string' },
    wrap: { type: 'string' },
    window: { type: 'string' },
    postprocess: { type: 'string' },
    seed: { type: 'string' },
    'internal-batch-size': { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  required: ['out'],
  async body({ km, values, io, x, streaming, modelPath }) {
    if (!values.method) throw new CliError(`Missing --method. Methods: ${methodNames.join(', ')}.`);
    if (!(methodNames as string[]).includes(values.method))
      throw new CliError(`Unknown method '${values.method}'. Methods: ${methodNames.join(', ')}.`);
    const method = values.method as MethodName;
    const bar = progressBar(io, values.quiet);
    try {
      const opts: Record<string, unknown> = {
        target: values.target === undefined || values.target === 'max' ? 'max' : num(values.target, '--target', true),
        preActivation: values['pre-activation'],
        layer: values.layer,
        seed: num(values.seed, '--seed', true),
        internalBatchSize: num(values['internal-batch-size'], '--internal-batch-size', true),
        onProgress: (p: { method: string; done: number; total: number }) => bar.update(p.method, p.done, p.total),
      };
      if (values.output !== undefined)
        opts.output = /^\d+$/.test(values.output) ? Number(values.output) : values.output;
      if (
        values.baseline !== undefined &&
        values.baseline !== 'zero' &&
        values.baseline !== 'zeros' &&
        values.baseline !== 'mean'
      ) {
        const b = await readArrayFile(io, values.baseline, 'baseline');
        opts.baseline = b;
      } else if (values.baseline === 'mean') opts.baseline = 'mean';
      if (method === 'integratedGradients')
        Object.assign(opts, { steps: num(values.steps, '--steps', true), rule: values.rule });
      if (method === 'smoothGrad')
        Object.assign(opts, {
          samples: num(values.samples, '--samples', true),
          noiseLevel: num(values.noise, '--noise'),
          wrap: methods[wrapped(values.wrap)],
        });
      if (method === 'occlusion') Object.assign(opts, { window: num(values.window, '--window', true) });
      if (method === 'gradient') Object.assign(opts, { postprocess: values.postprocess });
      for (const k of Object.keys(opts)) if (opts[k] === undefined) delete opts[k];
      if (streaming) return await streamAttribution({ io, km, values, modelPath, method, options: opts });
      const res = await createExplainer(method, km, opts as ExplainerOptions<typeof method>).attribute(x);
      bar.done();
      const out = values.out!;
      for (const [i, a] of res.attributions.entries()) {
        const path =
          res.attributions.length === 1 ? out : out.replace(/(\.npy|\.json)?$/, (ext) => `.${i}${ext || '.npy'}`);
        await writeArrayFile(io, path, a);
        if (!values.json) io.stdout(`wrote ${path} ${JSON.stringify(a.shape)} (${res.names[i]})\n`);
      }
      const summary = {
        method,
        names: res.names,
        units: res.units ? Array.from(res.units) : null,
        scores: Array.from(res.scores),
        delta: res.delta ? Array.from(res.delta) : null,
      };
      if (values.json) io.stdout(`${JSON.stringify(summary)}\n`);
      else if (res.delta)
        io.stdout(
          `convergence delta Σattr − (f(x) − f(baseline)) per sample: ${Array.from(res.delta, (d) => d.toExponential(2)).join(', ')}\n`,
        );
      return 0;
    } finally {
      bar.done();
    }
  },
});
