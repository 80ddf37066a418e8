import { readdirSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LayerPort } from '../../src/layers/port.ts';
import { candidatePorts, portFor, registerLayer, supportedLayers, unregisterLayer } from '../../src/layers/registry.ts';
import { errorOf } from '../error-of.ts';

// Every module under src/layers/, so that a port exported from a new file but left out of the table fails here
// (fast/ holds kernels, no ports, and a build script that must not run on import).
const layersDir = fileURLToPath(new URL('../../src/layers/', import.meta.url));
const layerFiles = readdirSync(layersDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.startsWith(`fast${sep}`))
  .sort();

const isPort = (v: unknown): v is LayerPort =>
  typeof v === 'object' && v !== null && typeof (v as Partial<LayerPort>).build === 'function';

const userPort: LayerPort = { build: (c) => tf.layers.dense({ name: c.name, units: 1 }) };

afterEach(() => {
  unregisterLayer('Attention');
  unregisterLayer('MyLayer');
  unregisterLayer('MyPkg>Attention');
  unregisterLayer('Custom>MyLayer');
});

describe('the layer table', () => {
  it('lists every port exported from a file under layers/', async () => {
    const listed = new Set(supportedLayers().flatMap((c) => candidatePorts(c)));
    const exported: { where: string; port: LayerPort }[] = [];
    for (const file of layerFiles) {
      const mod = (await import(`${layersDir}${file}`)) as Record<string, unknown>;
      for (const [name, v] of Object.entries(mod)) if (isPort(v)) exported.push({ where: `${file}: ${name}`, port: v });
    }
    expect(exported.length).toBeGreaterThan(50);
    expect(exported.filter((e) => !listed.has(e.port)).map((e) => e.where)).toEqual([]);
  });

  it('gives a describe to every port that has a matches', () => {
    for (const cls of supportedLayers()) {
      for (const p of candidatePorts(cls)) if (p.matches) expect(p.describe, cls).toMatch(/\w/);
    }
  });

  it('does not find Object.prototype members as classes', () => {
    for (const cls of ['constructor', '__proto__', 'toString']) {
      const e = errorOf(() => portFor(cls, { name: 'x' }));
      expect(e.code).toBe('UNKNOWN_LAYER');
      expect(e.message).toContain(`Unknown layer class '${cls}'`);
    }
  });
});

describe('portFor', () => {
  it('an unknown class: lists what is supported and both ways to register one', () => {
    const e = errorOf(() => portFor('MyLayer', { name: 'my_layer_1' }));
    expect(e.code).toBe('UNKNOWN_LAYER');
    expect(e.message).toMatch(
      /^Unknown layer class 'MyLayer' \(layer 'my_layer_1'\)\. Keraspect supports: .*Dense.*LSTM.*\. .*registerLayer\("MyLayer", defineLayer\("MyLayer".*--plugin/,
    );
  });

  it('picks the first candidate whose matches holds', () => {
    const keras = portFor('LayerNormalization', { name: 'ln', axis: [-1], epsilon: 1e-3 });
    const cyberzhg = portFor('LayerNormalization', { name: 'ln', epsilon: 1e-14 });
    expect(keras).not.toBe(cyberzhg);
    expect(candidatePorts('LayerNormalization')).toContain(keras);
    expect(candidatePorts('LayerNormalization')).toContain(cyberzhg);
  });

  it('tries user registrations first, and falls through to the table when their matches says no', () => {
    registerLayer('MyLayer', userPort);
    expect(portFor('MyLayer', { name: 'm' })).toBe(userPort);
    const picky: LayerPort = { ...userPort, matches: (c) => c.flavour === 'mine', describe: 'my Attention' };
    registerLayer('Attention', picky);
    expect(portFor('Attention', { name: 'a', flavour: 'mine' })).toBe(picky);
    expect(portFor('Attention', { name: 'a', use_scale: false })).toBe(candidatePorts('Attention')[0]);
    const e = errorOf(() => portFor('Attention', { name: 'a' }));
    expect(e.message).toMatch(/tried: my Attention; Keras' built-in Attention/);
    unregisterLayer('Attention');
    expect(portFor('Attention', { name: 'a', use_scale: false })).toBe(candidatePorts('Attention')[0]);
  });

  it('a user class that shadows a built-in name wins over the built-in port', () => {
    registerLayer('Attention', userPort);
    expect(portFor('Attention', { name: 'a', use_scale: true })).toBe(userPort);
  });

  it('registered names (Package>Class) resolve to the class: built-in, third-party, keras-tcn and user ports', () => {
    const dense = candidatePorts('Dense')[0];
    const ssa = candidatePorts('SeqSelfAttention')[0];
    const tcn = candidatePorts('TCN')[0];
    const ssaConfig = { name: 's', units: 4, attention_type: 'additive' };
    // As class_name (Keras 2 custom_objects keys, some producers) and as Keras 3's registered_name.
    expect(portFor('Custom>TCN', { name: 't' })).toBe(tcn);
    expect(portFor('TCN', { name: 't' }, { module: 'tcn.tcn', registered_name: 'Custom>TCN' })).toBe(tcn);
    expect(portFor('keras_self_attention>SeqSelfAttention', ssaConfig)).toBe(ssa);
    expect(portFor('SeqSelfAttention', ssaConfig, { registered_name: 'Custom>SeqSelfAttention' })).toBe(ssa);
    expect(portFor('keras>Dense', { name: 'd', units: 1 })).toBe(dense);
    // A user registration under the registered name wins over the built-in class of the same bare name,
    // and one under the bare name is found from the registered name.
    registerLayer('MyPkg>Attention', userPort);
    expect(portFor('Attention', { name: 'a' }, { module: 'my_pkg.layers', registered_name: 'MyPkg>Attention' })).toBe(
      userPort,
    );
    expect(portFor('Attention', { name: 'a', use_scale: false, score_mode: 'dot', dropout: 0 })).not.toBe(userPort);
    registerLayer('MyLayer', userPort);
    expect(portFor('MyLayer', { name: 'm' }, { registered_name: 'Custom>MyLayer' })).toBe(userPort);
    expect(portFor('Custom>MyLayer', { name: 'm' })).toBe(userPort);
    unregisterLayer('MyLayer');
    registerLayer('Custom>MyLayer', userPort);
    expect(portFor('MyLayer', { name: 'm' }, { registered_name: 'Custom>MyLayer' })).toBe(userPort);
  });
});

describe('user classes named like a third-party layer Keraspect loads', () => {
  // Transformer tutorials define their own `PositionEmbedding` and `FeedForward`; a Keras 3 PatchTST
  // saved `Custom>PositionEmbedding` with `num_patches`/`embed_dim`. Such a config is not
  // keras-pos-embd's or keras-position-wise-feed-forward's: say it needs registering, not that the
  // third-party config lacks a key.
  it.each([
    [
      'PositionEmbedding',
      { name: 'position_embedding', num_patches: 6, embed_dim: 64 },
      /keras-pos-embd's PositionEmbedding/,
    ],
    [
      'FeedForward',
      { name: 'ffn', d_model: 64, dff: 128, dropout_rate: 0.1 },
      /keras-position-wise-feed-forward's FeedForward/,
    ],
  ])('%s with a config of its own is an unknown user class to register', (cls, config, tried) => {
    const e = errorOf(() => portFor(cls, config, { registered_name: `Custom>${cls}` }));
    expect(e.code).toBe('UNKNOWN_LAYER');
    expect(e.message).toMatch(tried);
    expect(e.message).toContain(`registerLayer("${cls}", defineLayer("${cls}"`);
  });

  it('the third-party configs still find their ports', () => {
    const pos = { name: 'p', input_dim: 10, output_dim: 4, mode: 'add' };
    expect(portFor('PositionEmbedding', pos)).toBe(candidatePorts('PositionEmbedding')[0]);
    expect(portFor('FeedForward', { name: 'f', units: 8 })).toBe(candidatePorts('FeedForward')[0]);
  });
});
