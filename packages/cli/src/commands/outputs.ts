import { type LayerOutput, layerOutputs, type LayerSelector } from '@keraspect/explain';
import { type NdArray, predict, writeNpy } from '@keraspect/importer';
import { INPUT_USAGE, MODEL_OPTIONS_USAGE } from '../model-args.ts';
import { modelCommand } from '../model-command.ts';
import { STREAM_USAGE, streamOptions, streamWith } from '../stream.ts';

const usage = `Usage: keraspect outputs MODEL --input X --out DIR [--layers SELECTOR] [options]

Write every layer's output for the input, in the fixtures' layout:
  DIR/predict.npy                (DIR/predict.<i>.npy for multi-output models)
  DIR/layers/<layer>.npy         (<layer>.<i>.npy for the i-th output of a multi-output layer)
A folder of .npy files or a big .npy streams: read in chunks on every core, each file written chunk
by chunk (docs/performance.md, "Datasets").

Options:
${INPUT_USAGE}
  --out DIR          output folder
  --layers SELECTOR  which layers: exact name or substring ('lstm'), /regex/, index, or a
                     comma-separated list of those (default: all)
  --quiet            no progress bar when streaming
${STREAM_USAGE}
${MODEL_OPTIONS_USAGE}`;

export const outputs = modelCommand({
  usage,
  input: true,
  stream: true,
  options: { ...streamOptions, out: { type: 'string' }, layers: { type: 'string' }, quiet: { type: 'boolean' } },
  required: ['out'],
  async body({ km, values, io, x, streaming, modelPath }) {
    const dir = (values.out as string).replace(/\/$/, '');
    const select = parseSelector(values.layers as string | undefined);
    const layerFile = (o: LayerOutput) => `layers/${o.count === 1 ? o.layer : `${o.layer}.${o.index}`}`;
    if (streaming)
      return streamWith({
        io,
        km,
        modelPath,
        values,
        label: 'outputs',
        pathOf: (name) => `${dir}/${name}.npy`,
        async compute(chunk, pool) {
          const ys: NdArray[] = pool ? await pool.predict(chunk, { chunkSize: chunk.shape[0] }) : predict(km, chunk);
          const outs = pool
            ? await pool.call<LayerOutput[]>('layerOutputs', { inputs: chunk, select })
            : layerOutputs(km, chunk, select);
          return [
            ...ys.map((array, i) => ({ name: ys.length === 1 ? 'predict' : `predict.${i}`, array })),
            ...outs
              .filter((o) => !km.inputNames.includes(o.layer))
              .map((o) => ({ name: layerFile(o), array: o.array })),
          ];
        },
      });
    const ys = predict(km, x);
    for (const [i, y] of ys.entries())
      await io.writeFile(`${dir}/${ys.length === 1 ? 'predict.npy' : `predict.${i}.npy`}`, writeNpy(y));
    const outs = layerOutputs(km, x, select).filter((o) => !km.inputNames.includes(o.layer));
    for (const o of outs) await io.writeFile(`${dir}/${layerFile(o)}.npy`, writeNpy(o.array));
    io.stdout(`wrote ${ys.length} prediction file(s) and ${outs.length} layer output(s) to ${dir}\n`);
    return 0;
  },
});

/** `lstm`, `/^conv/`, `3`, `-1` or a comma-separated list of those. */
export function parseSelector(text: string | undefined): LayerSelector {
  if (!text) return 'all';
  const one = (t: string): LayerSelector => {
    const re = /^\/(.+)\/([a-z]*)$/.exec(t);
    if (re) return new RegExp(re[1], re[2]);
    if (/^-?\d+$/.test(t)) return Number(t);
    return t;
  };
  const parts = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return parts.length === 1 ? one(parts[0]) : parts.map(one);
}
