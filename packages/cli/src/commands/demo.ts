import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backend, predict } from '@keraspect/importer';
import type { Command } from '../command.ts';
import { openModel, parse, readInputArray } from '../model-args.ts';
import { formatCount, formatSummary } from '../summary-table.ts';
import { report } from './report.ts';

const here = dirname(fileURLToPath(import.meta.url));
/**
 * The bundled example (made by scripts/make-example.ts): `dist/examples` in the installed package
 * (the build copies it there), the repository's `examples/` when run from the sources.
 */
export const EXAMPLES_DIR =
  [resolve(here, '../examples'), resolve(here, '../../../../examples')].find((d) =>
    existsSync(join(d, 'attention-lstm.h5')),
  ) ?? resolve(here, '../../../../examples');

const usage = `Usage: keraspect demo [--out DIR]

Load the bundled example attention-LSTM (examples/attention-lstm.h5, made and trained by
scripts/make-example.ts), print its summary and its forecast for the bundled example series, and
write the full HTML report on that series (keraspect report) to DIR (default keraspect-report/).`;

export const demo: Command = {
  usage,
  async run(argv, io) {
    const { values } = parse(
      argv,
      { help: { type: 'boolean', short: 'h' }, out: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
      usage,
    );
    if (values.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    const modelPath = join(EXAMPLES_DIR, 'attention-lstm.h5');
    const km = await openModel(io, modelPath, {}, usage);
    try {
      io.stdout(`Model: "${km.name}" from ${modelPath} (${km.producer})\nBackend: ${backend()}\n`);
      io.stdout(formatSummary(km.summary()));
      io.stdout(`Total params: ${formatCount(km.paramsTotal())}\n`);
      const x = await readInputArray(io, join(EXAMPLES_DIR, 'series.npy'));
      const y = await readInputArray(io, join(EXAMPLES_DIR, 'series-target.npy'));
      const [pred] = predict(km, x);
      io.stdout(`\nForecast for the ${x.shape[0]} example series (shape ${JSON.stringify(x.shape)}):\n`);
      for (let b = 0; b < pred.shape[0]; b++)
        io.stdout(`  series ${b}: predicted ${pred.data[b].toFixed(3)}   target ${y.data[b].toFixed(3)}\n`);
    } finally {
      km.dispose();
    }
    const out = values.out ?? 'keraspect-report';
    io.stdout(`\nWriting the report (attributions, attention, layer outputs)…\n`);
    const code = await report.run(
      [modelPath, '--input', join(EXAMPLES_DIR, 'series.npy'), '--out', out, ...(values.quiet ? ['--quiet'] : [])],
      io,
    );
    if (code === 0) io.stdout(`\nOpen ${resolve(out, 'index.html')} in a browser.\n`);
    return code;
  },
};
