import { createModelPool, predict as runPredict } from '@keraspect/importer';
import { CliError } from '../errors.ts';
import { writeArrayFile } from '../input-data.ts';
import { INPUT_USAGE, MODEL_OPTIONS_USAGE } from '../model-args.ts';
import { modelCommand } from '../model-command.ts';
import { STREAM_USAGE, streamOptions, streamWith } from '../stream.ts';

const usage = `Usage: keraspect predict MODEL --input X --out Y.npy [options]

Run MODEL on the input array (batch first) and write the prediction as float32 .npy (or as nested
JSON arrays when Y ends in .json). For models with several outputs, Y.npy becomes Y.0.npy, Y.1.npy, …
A folder of .npy files or a big .npy streams: read and predicted in chunks on every core, the
prediction written chunk by chunk (docs/performance.md, "Datasets").

Options:
${INPUT_USAGE}
  --out FILE         output path (.npy, or .json for nested arrays)
${STREAM_USAGE}
${MODEL_OPTIONS_USAGE}`;

const outputPath = (out: string, i: number, n: number) =>
  n === 1 ? out : out.replace(/(\.npy|\.json)?$/, (ext) => `.${i}${ext || '.npy'}`);

export const predict = modelCommand({
  usage,
  input: true,
  stream: true,
  options: { ...streamOptions, out: { type: 'string' }, quiet: { type: 'boolean' } },
  required: ['out'],
  async body({ km, values, io, x, streaming, modelPath }) {
    const out = values.out as string;
    if (streaming) {
      if (out.toLowerCase().endsWith('.json'))
        throw new CliError('A streamed prediction is written as .npy; give --out Y.npy.');
      const n = km.outputNames.length;
      return streamWith({
        io,
        km,
        modelPath,
        values,
        label: 'predict',
        pathOf: (name) => outputPath(out, Number(name), n),
        createPool: createModelPool,
        async compute(chunk, pool) {
          const ys = pool ? await pool.predict(chunk, { chunkSize: chunk.shape[0] }) : runPredict(km, chunk);
          return ys.map((array, i) => ({ name: String(i), array }));
        },
      });
    }
    const ys = runPredict(km, x);
    for (const [i, y] of ys.entries()) {
      const path = outputPath(out, i, ys.length);
      await writeArrayFile(io, path, y);
      io.stdout(`wrote ${path} ${JSON.stringify(y.shape)}\n`);
    }
    return 0;
  },
});
