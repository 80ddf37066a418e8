import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type KerasModelJson, ImporterError, modelFromConfig, predict } from '@keraspect/importer';
import { repoRoot } from './support/fixtures.ts';

// SECURITY.md: nothing from a model file is ever executed or deserialized as code.

/** Source files of every package (`packages/*\/src`), relative to the repo root. */
function sources(): string[] {
  const out: string[] = [];
  for (const pkg of readdirSync(join(repoRoot, 'packages'))) {
    const src = join(repoRoot, 'packages', pkg, 'src');
    let entries: string[];
    try {
      entries = readdirSync(src, { recursive: true }) as string[];
    } catch {
      continue;
    }
    for (const e of entries) if (/\.(ts|mts|js|mjs|cjs)$/.test(e)) out.push(relative(repoRoot, join(src, e)));
  }
  return out;
}

/** Code without comments, so documentation may mention the words. */
function code(file: string): string {
  return readFileSync(join(repoRoot, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('no code evaluation anywhere in packages/*/src', () => {
  const files = sources();

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('packages/importer/src/layers/lambda.ts');
  });

  it('no eval, Function constructor or vm module', () => {
    const forbidden: [RegExp, string][] = [
      [/\beval\s*\(/, 'eval('],
      [/\bnew\s+Function\b/, 'new Function'],
      [/(^|[^.\w])Function\s*\(/, 'Function('],
      [/['"](node:)?vm['"]/, "the 'vm' module"],
      [/\bsetTimeout\s*\(\s*['"`]/, 'setTimeout with a string'],
      [/\bsetInterval\s*\(\s*['"`]/, 'setInterval with a string'],
    ];
    const hits = files.flatMap((f) => {
      const text = code(f);
      return forbidden.filter(([re]) => re.test(text)).map(([, what]) => `${f}: ${what}`);
    });
    expect(hits).toEqual([]);
  });

  it('modules are imported by name only where a person chose them, never from file content', () => {
    // Non-literal import(): the optional tfjs-node backend (a constant), the CLI's --plugin paths, and
    // the pool worker's handler modules (named in code by createModelPool's caller, never by a file).
    const allowed = new Set([
      'packages/importer/src/backend.ts',
      'packages/cli/src/model-args.ts',
      'packages/importer/src/parallel/worker.ts',
    ]);
    const dynamic = files.filter(
      (f) => /\bimport\s*\(\s*(?!['"`])/.test(code(f).replace(/typeof import\(/g, '')) && !allowed.has(f),
    );
    expect(dynamic).toEqual([]);
    // No package spawns processes (the script that rebuilds the wasm kernels lives in scripts/).
    const spawning = files.filter((f) => /['"](node:)?child_process['"]/.test(code(f)));
    expect(spawning).toEqual([]);
  });
});

/** A Sequential model whose middle layer is a Keras Lambda carrying marshalled Python bytecode. */
function lambdaModel(functionValue: unknown): KerasModelJson {
  return {
    class_name: 'Sequential',
    config: {
      name: 'with_lambda',
      layers: [
        { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4] } },
        {
          class_name: 'Lambda',
          config: {
            name: 'evil',
            // base64 of a marshalled code object calling os.system("rm -rf ~"), as Keras 2 writes it.
            function: functionValue,
            function_type: 'lambda',
            module: 'os',
            output_shape: null,
            arguments: { cmd: 'rm -rf ~' },
          },
        },
      ],
    },
  } as KerasModelJson;
}

const BYTECODE = [
  '4wEAAAAAAAAAAQAAAAQAAABDAAAAcw4AAAB0AKABZAGhAVMAKQJOegtybSAtcmYgfikC2gJvc9oGc3lzdGVtKQHaAXipAHIFAAAA',
  null,
  null,
];

describe('Lambda bytecode and function configs are never decoded or run', () => {
  afterEach(() => vi.restoreAllMocks());

  function watchEvaluation(): () => string[] {
    const calls: string[] = [];
    // biome-ignore lint/security/noGlobalEval: the test spies on eval to prove nothing calls it
    const realEval = globalThis.eval;
    const RealFunction = globalThis.Function;
    vi.spyOn(globalThis, 'eval').mockImplementation((s: string) => {
      calls.push(`eval(${String(s).slice(0, 40)})`);
      return realEval(s);
    });
    const FunctionSpy = new Proxy(RealFunction, {
      construct(target, args) {
        calls.push(`new Function(${String(args.at(-1)).slice(0, 40)})`);
        return Reflect.construct(target, args);
      },
      apply(target, self, args) {
        calls.push(`Function(${String(args.at(-1)).slice(0, 40)})`);
        return Reflect.apply(target, self, args);
      },
    });
    globalThis.Function = FunctionSpy as FunctionConstructor;
    const atob = vi.spyOn(globalThis, 'atob');
    return () => {
      globalThis.Function = RealFunction;
      if (atob.mock.calls.length) calls.push(`atob × ${atob.mock.calls.length}`);
      return calls;
    };
  }

  for (const [label, fn] of [
    ['marshalled bytecode (Keras 2)', BYTECODE],
    [
      'a __lambda__ object (Keras 3)',
      { class_name: '__lambda__', config: { code: BYTECODE[0], defaults: null, closure: null } },
    ],
    [
      'a builtins function by name',
      { module: 'builtins', class_name: 'function', config: 'eval', registered_name: 'function' },
    ],
  ] as const) {
    it(`without a TF.js stand-in: a LAMBDA error, nothing evaluated (${label})`, async () => {
      await modelFromConfig(lambdaModel(BYTECODE), { lambdas: { evil: (x) => x } }).then((m) => m.dispose()); // warm up TF.js
      const stop = watchEvaluation();
      let err: unknown;
      try {
        await modelFromConfig(lambdaModel(fn));
      } catch (e) {
        err = e;
      }
      expect(stop()).toEqual([]);
      expect(err).toBeInstanceOf(ImporterError);
      expect((err as ImporterError).code).toBe('LAMBDA');
      expect((err as ImporterError).message).toMatch(
        /Lambda layer 'evil'.* holds Python code, which Keraspect never runs\. Supply a TF\.js function/,
      );
    });
  }

  it('with a TF.js stand-in the user function runs instead; the bytecode stays an opaque string', async () => {
    const stop = watchEvaluation();
    const seen: unknown[] = [];
    const km = await modelFromConfig(lambdaModel(BYTECODE), {
      lambdas: {
        evil: (x, args, tfjs) => {
          seen.push(args);
          return tfjs.mul(Array.isArray(x) ? x[0] : x, 2);
        },
      },
    });
    const [y] = predict(km, { data: Float32Array.of(1, 2, 3, 4), shape: [1, 4] });
    km.dispose();
    expect(stop()).toEqual([]);
    expect(Array.from(y.data)).toEqual([2, 4, 6, 8]);
    expect(seen[0]).toEqual({ cmd: 'rm -rf ~' });
    expect(km.modelConfig.config).toMatchObject({ layers: [{}, { config: { function: BYTECODE } }] });
  });

  it('a function-valued activation is rejected, not looked up', async () => {
    const config = lambdaModel(null);
    (config.config as { layers: Record<string, unknown>[] }).layers[1] = {
      class_name: 'Dense',
      config: {
        name: 'd',
        units: 2,
        activation: { module: 'builtins', class_name: 'function', config: 'eval', registered_name: 'function' },
      },
    };
    const stop = watchEvaluation();
    const e = await modelFromConfig(config).catch((x: unknown) => x);
    expect(stop()).toEqual([]);
    expect(e).toBeInstanceOf(ImporterError);
  });

  it('custom objects (unknown classes with a module) are an UNKNOWN_LAYER error, never imported', async () => {
    const config = lambdaModel(null);
    (config.config as { layers: Record<string, unknown>[] }).layers[1] = {
      class_name: 'system',
      module: 'os',
      registered_name: 'os>system',
      config: { name: 'x' },
    };
    const e = await modelFromConfig(config).catch((x: unknown) => x);
    expect((e as ImporterError).code).toBe('UNKNOWN_LAYER');
  });
});
