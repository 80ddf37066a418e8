import { type AttentionMap, attentionMaps, attentionRollout, type Rollout } from '@keraspect/explain';
import { writeNpy } from '@keraspect/importer';
import { CliError } from '../errors.ts';
import { INPUT_USAGE, MODEL_OPTIONS_USAGE } from '../model-args.ts';
import { modelCommand } from '../model-command.ts';
import { STREAM_USAGE, streamOptions, streamWith } from '../stream.ts';

const usage = `Usage: keraspect attention MODEL --input X --out DIR [--rollout] [options]

Write the attention weights of every attention layer for the input — also of layers saved without
return_attention — as DIR/<layer>.npy (SeqSelfAttention (B, T, T), SeqWeightedAttention (B, T),
MultiHeadAttention (B, heads, Tq, Tk)); with --rollout also DIR/rollout.npy (B, T, T).
A folder of .npy files or a big .npy streams: read in chunks on every core, each file written chunk
by chunk (docs/performance.md, "Datasets").

Options:
${INPUT_USAGE}
  --out DIR          output folder
  --rollout          also write attention rollout (Abnar & Zuidema 2020)
  --alpha A          rollout residual weight α (default 0.5)
  --head-fusion F    rollout head fusion: mean|max|min (default mean)
  --json             print the written files and shapes as JSON (streamed: files and throughput)
  --quiet            no progress bar when streaming
${STREAM_USAGE}
${MODEL_OPTIONS_USAGE}`;

export const attention = modelCommand({
  usage,
  input: true,
  stream: true,
  options: {
    ...streamOptions,
    quiet: { type: 'boolean' },
    out: { type: 'string' },
    rollout: { type: 'boolean' },
    alpha: { type: 'string' },
    'head-fusion': { type: 'string' },
    json: { type: 'boolean' },
  },
  required: ['out'],
  async body({ km, values, io, x, streaming, modelPath }) {
    const alpha = values.alpha === undefined ? undefined : Number(values.alpha);
    if (alpha !== undefined && !(alpha >= 0 && alpha <= 1))
      throw new CliError(`--alpha must be a number in [0, 1] (got '${values.alpha}').`);
    const fusion = values['head-fusion'];
    if (fusion !== undefined && !['mean', 'max', 'min'].includes(fusion))
      throw new CliError(`--head-fusion must be mean, max or min (got '${fusion}').`);
    if (!km.attentionLayers.length)
      throw new CliError(
        `Model '${km.name}' has no attention layers (layers: ${km
          .summary()
          .map((r) => `${r.name} (${r.className})`)
          .join(', ')}).`,
        { code: 'NOT_APPLICABLE', exitCode: 1 },
      );
    const dir = values.out!.replace(/\/$/, '');
    const rolloutOptions = { alpha, headFusion: fusion as 'mean' | undefined };
    if (streaming)
      return streamWith({
        io,
        km,
        modelPath,
        values,
        label: 'attention',
        pathOf: (name) => `${dir}/${name}.npy`,
        async compute(chunk, pool) {
          const maps = pool
            ? await pool.call<AttentionMap[]>('attentionMaps', { inputs: chunk })
            : attentionMaps(km, chunk);
          const out = maps.map((m) => ({ name: m.layer, array: m.array }));
          if (values.rollout) {
            const r = pool
              ? await pool.call<Rollout>('attentionRollout', { inputs: chunk, options: rolloutOptions })
              : attentionRollout(km, chunk, rolloutOptions);
            out.push({ name: 'rollout', array: r.rollout });
          }
          return out;
        },
      });
    const written: { file: string; shape: number[]; axes?: readonly string[] }[] = [];
    for (const m of attentionMaps(km, x)) {
      const file = `${dir}/${m.layer}.npy`;
      await io.writeFile(file, writeNpy(m.array));
      written.push({ file, shape: m.array.shape, axes: m.axes });
    }
    if (values.rollout) {
      const r = attentionRollout(km, x, rolloutOptions);
      const file = `${dir}/rollout.npy`;
      await io.writeFile(file, writeNpy(r.rollout));
      written.push({ file, shape: r.rollout.shape, axes: ['batch', 'query', 'key'] });
    }
    if (values.json) io.stdout(`${JSON.stringify({ files: written })}\n`);
    else
      for (const w of written)
        io.stdout(`wrote ${w.file} ${JSON.stringify(w.shape)}${w.axes ? ` (${w.axes.join(', ')})` : ''}\n`);
    return 0;
  },
});
