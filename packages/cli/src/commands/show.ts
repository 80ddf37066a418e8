import { CliError } from '../errors.ts';
import { INPUT_USAGE, MODEL_OPTIONS_USAGE } from '../model-args.ts';
import { modelCommand } from '../model-command.ts';
import { seedFigures } from '../report/seed-figures.ts';
import { warnings } from '../warnings.ts';

const usage = `Usage: keraspect show MODEL --input X --out DIR [options]

Draw the seed answer's figures for MODEL on one sample of X, with the answer's arguments (the Stack
Overflow answer "How to visualize attention LSTM using keras-self-attention package?"):
  features1D-LAYER.png          show_features_1D(model, 'lstm', X[0:1], max_timesteps=100,
                                                 equate_axes=False, show_y_zero=False)
  features1D-LAYER-equated.png  the same with equate_axes=True, show_y_zero=True
  features2D-ATTENTION.png      show_features_2D(outs_2[0]): the first attention layer's weights
  histogram-LAYER-output.png    plt.hist(outs_1, bins=500), for each SeqWeightedAttention layer:
  histogram-LAYER-attention.png plt.hist(outs_2, bins=500)   its output and its attention weights

Options:
${INPUT_USAGE}
  --out DIR          folder for the PNGs
  --layer NAME       the layer of the features1D figures (a name or substring, like the answer's
                     layer_name; default the first recurrent layer with a sequence output)
  --sample N         which sample of X (default 0, the answer's X[0:1])
  --max-timesteps N  the answer's max_timesteps (default 100)
${MODEL_OPTIONS_USAGE}`;

export const show = modelCommand({
  usage,
  input: true,
  options: {
    out: { type: 'string' },
    layer: { type: 'string' },
    sample: { type: 'string' },
    'max-timesteps': { type: 'string' },
  },
  required: ['out'],
  async body({ km, values, io, x }) {
    const int = (flag: string, v: string | undefined, min: number) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!(Number.isInteger(n) && n >= min)) throw new CliError(`--${flag} must be an integer ≥ ${min} (got '${v}').`);
      return n;
    };
    const { figures, notes } = seedFigures(km, x, {
      sample: int('sample', values.sample, 0),
      maxTimesteps: int('max-timesteps', values['max-timesteps'], 1),
      ...(values.layer !== undefined ? { layer: values.layer } : {}),
    });
    const dir = values.out!.replace(/\/$/, '');
    for (const w of warnings(km)) io.stderr(`Warning: ${w}\n`);
    for (const f of figures) {
      await io.writeFile(`${dir}/${f.file}`, f.png);
      io.stdout(`wrote ${dir}/${f.file}  ${f.caption}\n  answer:    ${f.answer}\n  keraspect: ${f.keraspect}\n`);
    }
    for (const n of notes) io.stdout(`${n}\n`);
    return 0;
  },
});
