import { predict as runPredict } from '@keraspect/importer';
import { writeArrayFile } from '../input-data.ts';
import { INPUT_USAGE, MODEL_OPTIONS_USAGE } from '../model-args.ts';
import { modelCommand } from '../model-command.ts';

const usage = `Usage: keraspect predict MODEL --input X --out Y.npy [options]

Run MODEL on the input array (batch first) and write the prediction as float32 .npy (or as nested
JSON arrays when Y ends in .json). For models with several outputs, Y.npy becomes Y.0.npy, Y.1.npy, …

Options:
${INPUT_USAGE}
  --out FILE         output path (.npy, or .json for nested arrays)
${MODEL_OPTIONS_USAGE}`;

export const predict = modelCommand({
  name: 'predict',
  summary: 'run a model on an input array and write the prediction (.npy)',
  usage,
  input: true,
  options: { out: { type: 'string' } },
  required: ['out'],
  async body({ km, values, io, x }) {
    const ys = runPredict(km, x);
    const out = values.out as string;
    for (const [i, y] of ys.entries()) {
      const path = ys.length === 1 ? out : out.replace(/(\.npy|\.json)?$/, (ext) => `.${i}${ext || '.npy'}`);
      await writeArrayFile(io, path, y);
      io.stdout(`wrote ${path} ${JSON.stringify(y.shape)}\n`);
    }
    return 0;
  },
});
