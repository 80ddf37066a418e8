import { methodNames, type MethodName } from '@keraspect/explain';
import { CliError } from '../errors.ts';
import { INPUT_USAGE, MODEL_OPTIONS_USAGE } from '../model-args.ts';
import { modelCommand } from '../model-command.ts';
import { progressBar } from '../progress.ts';
import { buildReport } from '../report/build.ts';

const usage = `Usage: keraspect report MODEL --input X --out DIR [options]

Write DIR/index.html (opens offline) with images beside it in DIR/img/: the model summary, the
prediction, attributions over the input with Integrated Gradients' convergence delta and each
method's deletion and insertion faithfulness, attention maps and rollout, per-layer channel grids, and
histograms of attention weights and activations.

Options:
${INPUT_USAGE}
  --out DIR          report folder
  --methods LIST     attribution methods, comma-separated (default gradientXInput,integratedGradients)
  --steps N          Integrated Gradients path points (default 32)
  --sample N         which sample the per-sample figures show (default 0)
  --quiet            no progress bar
${MODEL_OPTIONS_USAGE}`;

export const report = modelCommand({
  usage,
  input: true,
  options: {
    out: { type: 'string' },
    methods: { type: 'string' },
    steps: { type: 'string' },
    sample: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  required: ['out'],
  async body({ km, values, io, x, xs }) {
    const methods = values.methods?.split(',').map((m) => m.trim()) ?? undefined;
    for (const m of methods ?? [])
      if (!(methodNames as string[]).includes(m))
        throw new CliError(`Unknown method '${m}' in --methods. Methods: ${methodNames.join(', ')}.`);
    const steps = values.steps === undefined ? undefined : Number(values.steps);
    if (steps !== undefined && !(Number.isInteger(steps) && steps > 0))
      throw new CliError(`--steps must be a positive integer (got '${values.steps}').`);
    const sample = values.sample === undefined ? 0 : Number(values.sample);
    const bar = progressBar(io, values.quiet);
    try {
      const batch = xs[0].shape[0];
      if (!(Number.isInteger(sample) && sample >= 0 && sample < batch))
        throw new CliError(`--sample must be an integer in 0…${batch - 1} (got '${values.sample}').`);
      const files = await buildReport(km, x, {
        methods: methods as MethodName[] | undefined,
        steps,
        sample,
        inputLabel: values.input!.map((p) => p.split('/').pop()).join(', '),
        onProgress: (s, d, t) => bar.update(`report: ${s}`, d, t),
      });
      bar.done();
      const dir = values.out!.replace(/\/$/, '');
      for (const [path, data] of files) if (path !== 'index.html') await io.writeFile(`${dir}/${path}`, data);
      // index.html last: a report folder with an index is complete.
      await io.writeFile(`${dir}/index.html`, files.get('index.html')!);
      io.stdout(`wrote ${dir}/index.html (${files.size - 1} images)\n`);
      return 0;
    } finally {
      bar.done();
    }
  },
});
