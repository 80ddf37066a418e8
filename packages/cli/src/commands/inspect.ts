import { backend, type KerasModel } from '@keraspect/importer';
import { MODEL_OPTIONS_USAGE } from '../model-args.ts';
import { modelCommand } from '../model-command.ts';
import { formatCount, formatSummary } from '../summary-table.ts';
import { warnings } from '../warnings.ts';

const usage = `Usage: keraspect inspect MODEL [--json] [options]

Print the Keras-style summary of MODEL (.h5, .keras): layers, output shapes, parameter counts,
inbound layers, the file's producer and Keras version, and the compute backend in use.

Options:
  --json             print one JSON object instead of the table
${MODEL_OPTIONS_USAGE}`;

/** JSON description of a loaded model (the `--json` output of inspect). */
export function describeModel(km: KerasModel) {
  return {
    name: km.name,
    format: km.format,
    producer: km.producer,
    kerasVersion: km.kerasVersion.raw,
    backend: backend(),
    inputs: km.inputNames.map((n, i) => ({ name: n, shape: km.inputShapes[i] })),
    outputs: km.outputNames,
    attentionLayers: km.attentionLayers,
    paramsTotal: km.paramsTotal(),
    layers: km.summary(),
    warnings: warnings(km),
  };
}

export const inspect = modelCommand({
  usage,
  input: false,
  options: { json: { type: 'boolean' } },
  required: [],
  async body({ km, values, io, x }) {
    const d = describeModel(km);
    if (values.json) {
      io.stdout(`${JSON.stringify(d, null, 2)}\n`);
      return 0;
    }
    io.stdout(`Model: "${d.name}"  (${d.producer}, ${d.format})\nBackend: ${d.backend}\n`);
    io.stdout(formatSummary(d.layers));
    io.stdout(`Total params: ${formatCount(d.paramsTotal)}\n`);
    if (d.attentionLayers.length) io.stdout(`Attention layers: ${d.attentionLayers.join(', ')}\n`);
    for (const w of d.warnings) io.stdout(`Warning: ${w}\n`);
    return 0;
  },
});
