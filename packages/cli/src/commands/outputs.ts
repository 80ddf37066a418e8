import { allLayerOutputs, predict, writeNpy } from '@keraspect/importer';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { MODEL_OPTIONS_USAGE, modelOptions, openModel, parse, readInputArray } from '../model-args.ts';

const usage = `Usage: keraspect outputs MODEL --input X.npy --out DIR [options]

Write every layer's output for the input, in the fixtures' layout:
  DIR/predict.npy                (DIR/predict.<i>.npy for multi-output models)
  DIR/layers/<layer>.npy         (<layer>.<i>.npy for the i-th output of a multi-output layer)

Options:
  --input FILE       input array (.npy)
  --out DIR          output folder
${MODEL_OPTIONS_USAGE}`;

export const outputs: Command = {
  name: 'outputs',
  summary: "write every layer's output (.npy per layer) for an input",
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...modelOptions, input: { type: 'string' }, out: { type: 'string' } }, usage);
    if (values.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    if (!values.input) throw new CliError(`Missing --input.\n\n${usage}`);
    if (!values.out) throw new CliError(`Missing --out.\n\n${usage}`);
    const km = await openModel(io, positionals[0], values, usage);
    try {
      const x = await readInputArray(io, values.input);
      const dir = values.out.replace(/\/$/, '');
      const ys = predict(km, x);
      for (const [i, y] of ys.entries()) await io.writeFile(`${dir}/${ys.length === 1 ? 'predict.npy' : `predict.${i}.npy`}`, writeNpy(y));
      const outs = allLayerOutputs(km, x);
      for (const o of outs) {
        await io.writeFile(`${dir}/layers/${o.count === 1 ? o.layer : `${o.layer}.${o.index}`}.npy`, writeNpy(o.array));
      }
      io.stdout(`wrote ${ys.length} prediction file(s) and ${outs.length} layer output(s) to ${dir}\n`);
      return 0;
    } finally {
      km.dispose();
    }
  },
};
