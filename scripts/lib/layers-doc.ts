import { kerasOps } from '../../packages/importer/src/layers/ops/keras-ops.ts';
import { tfOps } from '../../packages/importer/src/layers/ops/tf-ops.ts';
import { KERAS_ACTIVATIONS } from '../../packages/importer/src/layers/activations.ts';
import { layerDocs } from '../../packages/importer/src/layers/registry-docs.ts';
import { supportedLayers } from '../../packages/importer/src/layers/registry.ts';

/** docs/layers.md, generated from the importer's layer table, its docs entries and the op tables. */
export function layersMarkdown(): string {
  const rows = supportedLayers().map((cls) => {
    const doc = layerDocs[cls] as { family: string; notSupported?: string };
    return [`\`${cls}\``, doc.family, doc.notSupported ?? '—'];
  });
  const list = (names: string[]) => names.map((n) => `\`${n}\``).join(', ');
  return `# What loads: the layer table

Generated from the importer's layer table (\`packages/importer/src/layers/registry.ts\`, with
\`registry-docs.ts\`) and its op tables by \`npx pnpm@10 docs:layers\`; \`test/layers-doc.test.ts\`
fails when this file and the tables disagree.

A class is found by the name the file writes, also as a registered name (\`Custom>TCN\`,
\`MyPackage>Layer\`: the part after \`>\`); a user registration (\`registerLayer\`, or a CLI
\`--plugin\` module's \`layers\`) under either name comes first. A class not listed here is either a
Keras built-in Keraspect lacks (the error says so: open an issue) or a class from your own Python
code (the error says how to register it).

${table(['Keras class', 'family', 'not supported'], rows)}

Activations (Dense, Conv1D, recurrent layers, \`Activation\`, …): ${list(KERAS_ACTIVATIONS)}.
\`hard_sigmoid\` follows the file's Keras version (Keras 3 changed it).

## Operations in functional graphs

tf.keras saves TensorFlow functions called on Keras tensors as \`TFOpLambda\` / \`SlicingOpLambda\`
layers named \`tf.<function>\`; Keras 3 saves \`keras.ops\` operations as layer entries whose
\`module\` is \`keras.src.ops.*\`. Both run with their library's semantics. Any other function can be
supplied by layer name, like a Lambda (\`lambdas: { 'tf.math.bessel_i0': (inputs, args, tf) => … }\`).

TensorFlow functions (\`TFOpLambda\`, \`SlicingOpLambda\`): ${list(Object.keys(tfOps).sort())}.

Keras 3 operations: ${list(Object.keys(kerasOps).sort())}.
`;
}

/** A Markdown table with aligned columns (as the formatter writes it, so it leaves the file alone). */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
