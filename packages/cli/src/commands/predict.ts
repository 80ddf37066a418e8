import { predict as runPredict, writeNpy } from '@keraspect/importer';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { INPUT_USAGE, inputOptions, MODEL_OPTIONS_USAGE, modelOptions, openModel, parse, readInputArray } from '../model-args.ts';

const usage = `Usage: keraspect predict MODEL --input X.npy --out Y.npy [options]

Run MODEL on the input array (batch first) and write the prediction as float32 .npy. For models
with several outputs, Y.npy becomes Y.0.npy, Y.1.npy, …

Options:
${INPUT_USAGE}
  --out FILE         output .npy path
${MODEL_OPTIONS_USAGE}`;

export const predict: Command = {
  name: 'predict',
  summary: 'run a model on an input array and write the prediction (.npy)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...modelOptions, ...inputOptions, out: { type: 'string' } }, usage);
    if (values.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    if (!values.input) throw new CliError(`Missing --input.\n\n${usage}`);
    if (!values.out) throw new CliError(`Missing --out.\n\n${usage}`);
    const km = await openModel(io, positionals[0], values, usage);
    try {
      const x = await readInputArray(io, values.input, km, { sampleAxis: values['sample-axis'] });
      const ys = runPredict(km, x);
      const out = values.out;
      for (const [i, y] of ys.entries()) {
        const path = ys.length === 1 ? out : out.replace(/(\.npy)?$/, `.${i}.npy`);
        await io.writeFile(path, writeNpy(y));
        io.stdout(`wrote ${path} ${JSON.stringify(y.shape)}\n`);
      }
      return 0;
    } finally {
      km.dispose();
    }
  },
};
