import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The importer publishes a contract (packages/importer/README.md): `KerasModel.layers`, the graph
// evaluator and the capability interfaces of its layer classes. Nothing outside a layer's own file
// (packages/importer/src/layers/) may reach into a layer instead: no structural casts aimed at a
// layer, no writes to its fields, no replaced `call`, no walking the internal build record, no
// parsing of serialized configs, no TF.js graph internals outside the evaluator. This scan fails
// when one comes back.

const root = fileURLToPath(new URL('..', import.meta.url));
const SCANNED = [
  'packages/explain/src',
  'packages/explain/test',
  'packages/cli/src',
  'packages/cli/test',
  'packages/viz/src',
  'packages/importer/src',
  'bench',
  'scripts',
  'test',
  'examples/web',
];
/** The layers' own files, and the evaluator / model record that own TF.js' graph nodes. */
const LAYER_FILES = `packages${sep}importer${sep}src${sep}layers${sep}`;
const GRAPH_OWNERS = ['packages/importer/src/graph.ts', 'packages/importer/src/model.ts'];
const IMPORTER_SRC = `packages${sep}importer${sep}src${sep}`;

interface Rule {
  name: string;
  pattern: RegExp;
  /** Files (repo-relative, `/`-separated) the rule does not apply to, beyond the layers' own files. */
  exempt?: (file: string) => boolean;
  /** Lines that look like a violation but are not, with the reason. */
  allowed?: { line: RegExp; why: string }[];
  /** Code the rule must flag (the scan tests itself). */
  catches: string[];
}

const RULES: Rule[] = [
  {
    name: 'structural casts aimed at a layer (use the capability interfaces)',
    pattern:
      /as unknown as\b.*\b(Layer|layer|cell|kernel|recurrentKernel|inboundNodes|computeAttention|forwardLayer|act|activation)\b|\b(layer|cell|holder|src)\b[^;]*\bas unknown as\b/,
    allowed: [
      {
        line: /tf\.layers\.Layer\.prototype as unknown as \{ addWeight/,
        why: "the builder checks each weight against the limits while TF.js builds (build.ts's guard, restored after)",
      },
      {
        line: /const layer = this as unknown as \{ fastWeightInitDuringBuild/,
        why: "the same build-time guard: TF.js' fast initialization switch during build",
      },
    ],
    catches: [
      'const g = layer as unknown as { kernel: tf.LayerVariable; act: Act };',
      'const inner = (layer as unknown as { layer?: tf.layers.Layer }).layer;',
      'const src = layer as unknown as { computeAttention(i: tf.Tensor): tf.Tensor };',
    ],
  },
  {
    name: "writes to a layer's fields, replaced methods",
    pattern:
      /\b(layer|holder|h|src|inner|cell|l|g|b)\.(call|act|recAct|activation|kernel|recurrentKernel|bias|forwardLayer|backwardLayer|cell|layer)\s*=(?!=)|defineProperty\([^,]+,\s*'call'|delete \(?\w+( as [^)]+)?\)?\.call\b/,
    catches: [
      'h.act = (x: tf.Tensor) => x;',
      'layer.call = function (this: tf.layers.Layer, ins) {',
      "if (own) Object.defineProperty(layer, 'call', own);",
      'h.activation = linearActivation() as typeof saved;',
    ],
  },
  {
    name: "walks over the importer's internal build record (use km.layers)",
    pattern: /\bkm\.built\b|\.built\.layers\b|\bgraphLayer\b/,
    exempt: (f) => f.startsWith('packages/importer/src/'),
    catches: [
      'for (const b of km.built.layers) {',
      'km.layers.find((b) => b.name === r.name)?.graphLayer.config.layer',
    ],
  },
  {
    name: "regular expressions over serialized Keras configs (use LayerInfo's typed fields)",
    pattern: /JSON\.stringify\([^)]*\bconfig\b[^)]*\)\)?\s*\)|\.test\(JSON\.stringify\(/,
    exempt: (f) => f.startsWith('packages/importer/src/'),
    catches: ["/LSTM|GRU/.test(JSON.stringify(km.layers.find((b) => b.name === 'x')?.config.layer ?? ''))"],
  },
  {
    name: 'TF.js graph nodes outside the evaluator (use callsOf / lastCallOf / runGraph)',
    pattern: /\binboundNodes\b/,
    exempt: (f) => GRAPH_OWNERS.includes(f),
    catches: ['const nodes = (layer as LayerWithNodes).inboundNodes;'],
  },
];

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.split(sep).includes('node_modules') && !f.split(sep).includes('dist'))
    .map((f) => join(dir, f));
}

const THIS_FILE = relative(root, fileURLToPath(import.meta.url));

function violations(rule: Rule): string[] {
  const found: string[] = [];
  for (const file of SCANNED.flatMap(files)) {
    const rel = file.split(sep).join('/');
    if (file.startsWith(LAYER_FILES) || file === THIS_FILE || rule.exempt?.(rel)) continue;
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      if (!rule.pattern.test(code)) return;
      if (rule.allowed?.some((a) => a.line.test(code))) return;
      found.push(`${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

describe('nothing outside a layer’s own file reaches into the layer', () => {
  for (const rule of RULES) {
    it(`no ${rule.name}`, () => {
      for (const bad of rule.catches) expect(rule.pattern.test(bad), `the rule must flag: ${bad}`).toBe(true);
      expect(violations(rule)).toEqual([]);
    });
  }

  it('scans the packages that use the importer (and the importer outside its layers)', () => {
    const scanned = SCANNED.flatMap(files);
    for (const f of [
      'packages/explain/src/lrp/rules.ts',
      'packages/explain/src/problem.ts',
      'packages/cli/src/commands/plot.ts',
    ])
      expect(scanned.map((s) => s.split(sep).join('/'))).toContain(f);
    expect(scanned.some((f) => f.startsWith(IMPORTER_SRC) && !f.startsWith(LAYER_FILES))).toBe(true);
  });
});

// Libraries take options; only programs (the CLI, bench, scripts) read the environment and pass it down.
const LIBRARIES = ['packages/importer/src', 'packages/explain/src', 'packages/viz/src'];
const ENV_READ = /\bprocess\s*\.\s*env\b|\bprocess\s*\[\s*['"]env['"]\s*\]|\bDeno\.env\b|\bimport\.meta\.env\b/;

describe('libraries read no environment variables', () => {
  it('no process.env (or another environment) in importer, explain or viz sources', () => {
    for (const bad of [
      'const v = process.env.KERASPECT_FAST;',
      "process['env'].X",
      'typeof process !== "undefined" ? process.env : {}',
    ])
      expect(ENV_READ.test(bad), `the rule must flag: ${bad}`).toBe(true);
    const found: string[] = [];
    for (const file of LIBRARIES.flatMap(files)) {
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
          if (ENV_READ.test(code)) found.push(`${file.split(sep).join('/')}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });
});
