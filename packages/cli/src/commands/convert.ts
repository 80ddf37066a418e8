import { toKerasH5, toTfjs } from '@keraspect/importer';
import { CliError } from '../errors.ts';
import { MODEL_OPTIONS_USAGE } from '../model-args.ts';
import { modelCommand } from '../model-command.ts';

const usage = `Usage: keraspect convert MODEL --to tfjs|h5 --out PATH [options]

  --to tfjs   write PATH/model.json and PATH/group1-shard1of1.bin (TF.js layers format; load in the
              browser with tf.loadLayersModel after importing @keraspect/importer)
  --to h5     write a Keras legacy .h5 at PATH that Keras and h5py read
${MODEL_OPTIONS_USAGE}`;

export const convert = modelCommand({
  usage,
  input: false,
  options: { to: { type: 'string' }, out: { type: 'string' } },
  required: ['out'],
  async body({ km, values, io, x }) {
    if (values.to !== 'tfjs' && values.to !== 'h5')
      throw new CliError(
        `--to must be tfjs or h5 (got ${values.to === undefined ? 'nothing' : `'${values.to}'`}).\n\n${usage}`,
      );
    if (values.to === 'h5') {
      await io.writeFile(values.out!, await toKerasH5(km));
      io.stdout(`wrote ${values.out!}\n`);
    } else {
      const art = await toTfjs(km);
      const dir = values.out!.replace(/\/$/, '');
      await io.writeFile(`${dir}/${art.weightsFileName}`, art.weights);
      await io.writeFile(`${dir}/model.json`, JSON.stringify(art.modelJson));
      io.stdout(`wrote ${dir}/model.json and ${dir}/${art.weightsFileName}\n`);
    }
    return 0;
  },
});
