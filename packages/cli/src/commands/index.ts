import type { Command } from '../command.ts';

/** An entry of the command table: what `keraspect --help` says, and the module that implements it. */
export interface CommandEntry {
  /** One line for `keraspect --help`. */
  summary: string;
  /** The command itself, imported when it runs: `keraspect inspect` never loads explain or viz. */
  load(): Promise<Command>;
}

/** Every `keraspect` command (one file each in this folder), in the order `--help` lists them. */
export const commands: Record<string, CommandEntry> = {
  inspect: {
    summary: 'summary table, producer, Keras version and backend of a model file',
    load: async () => (await import('./inspect.ts')).inspect,
  },
  predict: {
    summary: 'run a model on an input array and write the prediction (.npy)',
    load: async () => (await import('./predict.ts')).predict,
  },
  outputs: {
    summary: "write every layer's output (.npy per layer) for an input",
    load: async () => (await import('./outputs.ts')).outputs,
  },
  attention: {
    summary: 'write attention maps (and rollout) of every attention layer (.npy)',
    load: async () => (await import('./attention.ts')).attention,
  },
  attribute: {
    summary: 'attributions (gradient, IG, SmoothGrad, occlusion, LRP, …) written as .npy',
    load: async () => (await import('./attribute.ts')).attribute,
  },
  plot: {
    summary: 'render an array as a PNG/SVG chart (every viz chart kind)',
    load: async () => (await import('./plot.ts')).plot,
  },
  show: {
    summary: "the seed answer's three figures and SeqWeightedAttention histograms, one command",
    load: async () => (await import('./show.ts')).show,
  },
  report: {
    summary: 'write an HTML report: summary, prediction, attributions, attention, layer outputs',
    load: async () => (await import('./report.ts')).report,
  },
  convert: {
    summary: 'export a model to TF.js layers format or to a Keras .h5',
    load: async () => (await import('./convert.ts')).convert,
  },
  demo: {
    summary: 'the bundled example: summary, forecast and the full HTML report',
    load: async () => (await import('./demo.ts')).demo,
  },
};
